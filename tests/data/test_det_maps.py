"""MakeShrinkMap / MakeBorderMap: hand-checked values on a rectangle, ignores, a brute-force reference."""

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.make_border_map import MakeBorderMap, border_distance
from ppocr.data.imaug.make_shrink_map import MakeShrinkMap
from ppocr.errors import ConfigError

# 40 x 20 rectangle: area 800, perimeter 120 -> D = 800 * (1 - 0.4**2) / 120 = 5.6
RECT = [[10, 10], [50, 10], [50, 30], [10, 30]]
D = 5.6


def sample(polys, tags, h=64, w=64):
    return {"image": np.zeros((h, w, 3), np.uint8), "polys": np.array(polys, np.float32),
            "texts": [str(i) for i in range(len(polys))], "ignore_tags": np.array(tags, bool)}


def test_shrink_map_rectangle():
    out = MakeShrinkMap(min_text_size=8, shrink_ratio=0.4)(sample([RECT], [False]))
    gt, mask = out["shrink_map"], out["shrink_mask"]
    assert gt.dtype == mask.dtype == np.float32 and gt.shape == mask.shape == (64, 64)
    assert set(np.unique(gt)) == {0.0, 1.0} and (mask == 1).all()
    # Shrunk by 5.6 px: [15.6, 44.4] x [15.6, 24.4] (pyclipper rounds to whole pixels).
    ys, xs = np.nonzero(gt)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (16, 44, 16, 24)
    assert gt[16:25, 16:45].all() and gt.sum() == 29 * 9
    assert out["ignore_tags"].tolist() == [False]


def test_shrink_map_ignores_small_tagged_and_degenerate_polys():
    small = [[5, 50], [40, 50], [40, 55], [5, 55]]  # 5 px high < min_text_size 8
    tagged = [[45, 40], [60, 40], [60, 60], [45, 60]]
    outside = [[100, 100], [120, 100], [120, 120], [100, 120]]  # clipped to one point
    data = sample([RECT, small, tagged, outside], [False, False, True, False])
    polys_before = data["polys"].copy()
    out = MakeShrinkMap()(data)
    assert out["ignore_tags"].tolist() == [False, True, True, True]
    mask, gt = out["shrink_mask"], out["shrink_map"]
    assert (mask[50:56, 5:41] == 0).all() and (mask[40:61, 45:61] == 0).all()
    assert mask[20, 30] == 1 and gt[20, 30] == 1
    assert gt[50:56, 5:41].sum() == 0 and gt[40:61, 45:61].sum() == 0
    np.testing.assert_array_equal(out["polys"], polys_before)  # unlike upstream, polys untouched
    assert len(out["polys"]) == len(out["texts"]) == len(out["ignore_tags"])


def test_border_map_rectangle_hand_values():
    out = MakeBorderMap(shrink_ratio=0.4, thresh_min=0.3, thresh_max=0.7)(sample([RECT], [False]))
    tmap, tmask = out["threshold_map"], out["threshold_mask"]
    assert tmap.dtype == tmask.dtype == np.float32 and tmap.shape == (64, 64)
    assert tmap.min() >= 0.3 - 1e-6 and tmap.max() <= 0.7 + 1e-6
    row = tmap[20]
    assert row[10] == pytest.approx(0.7) and row[50] == pytest.approx(0.7)  # on the edge: peak
    assert row.argmax() in (10, 50)
    inside3 = 0.3 + 0.4 * (1 - 3 / D)  # 3 px from the left edge, >= 10 px from the others
    assert row[13] == pytest.approx(inside3, abs=1e-5) and row[7] == pytest.approx(inside3, abs=1e-5)
    assert row[30] == pytest.approx(0.3) and row[4] == pytest.approx(0.3)  # center; 6 px > D outside
    # Mask: the polygon dilated by D (round joins), whole pixels.
    assert tmask[20, 5] == 1 and tmask[20, 3] == 0 and tmask[20, 30] == 1
    assert tmask[5, 30] == 1 and tmask[3, 30] == 0
    assert set(np.unique(tmask)) == {0.0, 1.0}


def test_border_map_skips_ignored_and_clips_at_image_border():
    edge = [[50, 40], [80, 40], [80, 60], [50, 60]]  # runs off the 64 px image
    out = MakeBorderMap()(sample([RECT, edge], [True, False]))
    assert out["threshold_map"][20, 10] == pytest.approx(0.3)  # ignored: nothing drawn
    assert out["threshold_map"][50, 50] == pytest.approx(0.7)
    assert out["threshold_mask"][20, 30] == 0


def _reference_distance(poly, x, y):
    """Upstream's per-edge distance for one pixel, written plainly."""
    best = np.inf
    for i in range(len(poly)):
        a, b = np.asarray(poly[i], float), np.asarray(poly[(i + 1) % len(poly)], float)
        p = np.array([x, y], float)
        if np.dot(p - a, p - b) > 0:
            d = min(np.linalg.norm(p - a), np.linalg.norm(p - b))
        else:
            ab = b - a
            d = abs(ab[0] * (p - a)[1] - ab[1] * (p - a)[0]) / np.linalg.norm(ab)
        best = min(best, d)
    return best


def test_border_distance_matches_plain_reference_on_a_skewed_quad():
    poly = np.array([[6.5, 9.0], [30.0, 4.2], [33.5, 22.0], [4.0, 27.5]])
    limit = 5.0
    got = border_distance(poly, 0, 0, 39, 34, limit)
    ref = np.array([[min(_reference_distance(poly, x, y), limit) for x in range(40)] for y in range(35)])
    np.testing.assert_allclose(got, ref, atol=1e-9)


def test_repeated_vertex_does_not_erase_the_polygon():
    padded = RECT + [RECT[-1], RECT[-1]]
    a = MakeBorderMap()(sample([RECT], [False]))["threshold_map"]
    b = MakeBorderMap()(sample([padded], [False]))["threshold_map"]
    np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("op, cfg", [("MakeBorderMap", {"shrink_ratio": 1.5}), ("MakeBorderMap", {"thresh_min": 0.9}),
                                     ("MakeShrinkMap", {"shrink_ratio": 0}), ("MakeShrinkMap", {"min_text_size": -1}),
                                     ("MakeShrinkMap", {"total_epoch": 10})])
def test_bad_params(op, cfg):
    with pytest.raises(ConfigError):
        build_transforms([{op: cfg}])
