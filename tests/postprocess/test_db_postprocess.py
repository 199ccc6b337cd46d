"""DB post-processing on synthetic probability maps."""

import time

import cv2
import numpy as np
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.postprocess import build_post_process
from ppocr.postprocess.db_postprocess import DBPostProcess, DistillationDBPostProcess, get_mini_boxes

SHAPE_1X = np.array([[64, 64, 1.0, 1.0]], dtype=np.float32)


def blank_map(h=64, w=64, n=1):
    return np.zeros((n, 1, h, w), dtype=np.float32)


def expanded_rect(x0, x1, y0, y1, ratio):
    """Contour rectangle through the pixel centres x0..x1, y0..y1 grown by the DB offset."""
    w, h = x1 - x0, y1 - y0
    d = w * h * ratio / (2 * (w + h))
    return np.array([[x0 - d, y0 - d], [x1 + d, y0 - d], [x1 + d, y1 + d], [x0 - d, y1 + d]])


def test_two_rectangles_give_two_boxes_in_source_pixels():
    m = blank_map()
    m[0, 0, 10:20, 5:25] = 0.9  # x 5..24, y 10..19
    m[0, 0, 40:50, 30:45] = 0.8  # x 30..44, y 40..49
    # map 64x64 for a 128 (h) x 256 (w) source: x scales by 4, y by 2
    shape = np.array([[128, 256, 0.5, 0.25]], dtype=np.float32)
    out = DBPostProcess(unclip_ratio=1.0)({"maps": m}, shape)
    assert len(out) == 1
    boxes = out[0]["points"]
    assert boxes.shape == (2, 4, 2) and boxes.dtype == np.int32
    boxes = sorted(boxes.tolist(), key=lambda b: b[0][0])
    scale = np.array([4.0, 2.0])
    for box, (x0, x1, y0, y1) in zip(boxes, [(5, 24, 10, 19), (30, 44, 40, 49)]):
        expected = expanded_rect(x0, x1, y0, y1, 1.0) * scale
        # pyclipper works on integer map pixels: within one map pixel after scaling
        assert np.all(np.abs(np.array(box) - expected) <= scale + 0.5), (box, expected)
        # order: top-left, top-right, bottom-right, bottom-left
        assert box[0][0] < box[1][0] and box[0][1] < box[3][1] and box[2] == [box[1][0], box[3][1]]


def test_unclip_ratio_enlarges_the_box():
    m = blank_map()
    m[0, 0, 20:30, 10:40] = 0.9

    def area(ratio):
        box = DBPostProcess(unclip_ratio=ratio)({"maps": m}, SHAPE_1X)[0]["points"][0]
        return (box[1, 0] - box[0, 0]) * (box[3, 1] - box[0, 1])

    assert area(1.0) < area(1.5) < area(2.0)


def test_box_thresh_filters_on_mean_probability():
    m = blank_map()
    m[0, 0, 20:30, 10:40] = 0.5
    assert len(DBPostProcess(box_thresh=0.7)({"maps": m}, SHAPE_1X)[0]["points"]) == 0
    assert len(DBPostProcess(box_thresh=0.4)({"maps": m}, SHAPE_1X)[0]["points"]) == 1
    # below the binarisation threshold nothing is even a candidate
    assert len(DBPostProcess(thresh=0.6, box_thresh=0.1)({"maps": m}, SHAPE_1X)[0]["points"]) == 0


@pytest.mark.parametrize("box_type", ["quad", "poly"])
def test_empty_map_and_tiny_blobs_give_no_boxes(box_type):
    m = blank_map(n=3)
    m[1, 0, 30, 30] = 1.0  # one pixel
    m[2, 0, 10, 5:40] = 1.0  # a one-pixel-high line
    m[2, 0, 50:52, 50:52] = 1.0  # 2x2 blob
    out = DBPostProcess(box_type=box_type)({"maps": m}, np.repeat(SHAPE_1X, 3, axis=0))
    assert len(out) == 3
    for item in out:
        assert len(item["points"]) == 0
        if box_type == "quad":
            assert item["points"].shape == (0, 4, 2)


def test_boxes_are_clipped_to_the_source_image():
    m = blank_map()
    m[0, 0, 0:12, 50:64] = 0.9  # touches the top and right borders
    box = DBPostProcess()({"maps": m}, np.array([[100, 50, 1, 1]]))[0]["points"][0]
    assert box[:, 0].min() >= 0 and box[:, 0].max() == 50
    assert box[:, 1].min() == 0 and box[:, 1].max() <= 100


def test_poly_mode_follows_an_l_shape():
    m = blank_map()
    m[0, 0, 10:20, 10:50] = 0.9
    m[0, 0, 20:50, 10:20] = 0.9
    polys = DBPostProcess(box_type="poly", unclip_ratio=1.5)({"maps": m}, SHAPE_1X)[0]["points"]
    assert len(polys) == 1
    poly = polys[0]
    assert poly.ndim == 2 and poly.shape[1] == 2 and len(poly) > 4
    assert poly.min() >= 0 and poly.max() <= 64
    # the empty inner corner of the L stays outside the polygon
    assert cv2.pointPolygonTest(poly.reshape(-1, 1, 2), (40.0, 40.0), False) < 0
    assert cv2.pointPolygonTest(poly.reshape(-1, 1, 2), (15.0, 40.0), False) > 0


def test_slow_score_uses_the_contour_not_the_rectangle():
    m = blank_map()
    tri = np.array([[5, 5], [60, 5], [5, 60]], dtype=np.int32)
    cv2.fillPoly(m[0, 0], [tri], 0.8)
    fast = DBPostProcess(box_thresh=0.7, score_mode="fast")({"maps": m}, SHAPE_1X)[0]["points"]
    slow = DBPostProcess(box_thresh=0.7, score_mode="slow")({"maps": m}, SHAPE_1X)[0]["points"]
    assert len(fast) == 0  # half of the bounding quad is empty: mean ~0.4
    assert len(slow) == 1


def test_dilation_joins_regions_split_by_one_pixel():
    m = blank_map()
    m[0, 0, 20:30, 10:30] = 0.9
    m[0, 0, 20:30, 31:50] = 0.9  # column 30 is a one-pixel gap
    assert len(DBPostProcess()({"maps": m}, SHAPE_1X)[0]["points"]) == 2
    assert len(DBPostProcess(use_dilation=True)({"maps": m}, SHAPE_1X)[0]["points"]) == 1


def test_max_candidates_and_batch_with_own_shapes():
    m = blank_map(n=2)
    m[:, 0, 10:20, 5:25] = 0.9
    m[:, 0, 40:50, 30:60] = 0.9
    out = DBPostProcess(max_candidates=1)({"maps": m}, np.array([[64, 64, 1, 1], [32, 32, 0.5, 0.5]]))
    assert [len(o["points"]) for o in out] == [1, 1]
    full = DBPostProcess()({"maps": m}, np.array([[64, 64, 1, 1], [32, 32, 0.5, 0.5]]))
    assert full[1]["points"].max() <= 32
    np.testing.assert_allclose(full[1]["points"], np.clip(np.round(full[0]["points"] / 2), 0, 32), atol=1)


def test_mini_box_orders_a_rotated_rectangle():
    pts = np.array([[10, 0], [20, 10], [10, 20], [0, 10]], dtype=np.int32).reshape(-1, 1, 2)
    box, sside = get_mini_boxes(pts)
    assert sside == pytest.approx(np.hypot(10, 10), rel=1e-5)
    assert box[0][0] <= box[1][0] and box[0][1] <= box[3][1]


def test_bad_inputs_and_configs():
    pp = DBPostProcess()
    with pytest.raises(DataError, match="'maps'"):
        pp({"map": blank_map()}, SHAPE_1X)
    with pytest.raises(DataError, match=r"\[N, C, H, W\]"):
        pp({"maps": np.zeros((64, 64), np.float32)}, SHAPE_1X)
    with pytest.raises(DataError, match="shape_list"):
        pp({"maps": blank_map(n=2)}, SHAPE_1X)
    with pytest.raises(ConfigError, match="score_mode"):
        DBPostProcess(score_mode="fastest")
    with pytest.raises(ConfigError, match="box_type"):
        DBPostProcess(box_type="rect")
    with pytest.raises(ConfigError, match="unclip_ration"):
        build_post_process({"name": "DBPostProcess", "unclip_ration": 1.5})


def test_distillation_runs_each_model_with_upstream_defaults():
    m = blank_map()
    m[0, 0, 10:20, 5:25] = 0.65  # passes box_thresh 0.6 (distillation default), not 0.7
    pp = build_post_process({"name": "DistillationDBPostProcess", "model_name": ["Student", "Teacher"],
                             "key": "head_out"})
    assert pp.post_process.box_thresh == 0.6 and pp.post_process.unclip_ratio == 1.5
    out = pp({"Student": {"maps": m}, "Teacher": {"head_out": {"maps": blank_map()}}}, SHAPE_1X)
    assert len(out["Student"][0]["points"]) == 1
    assert len(out["Teacher"][0]["points"]) == 0
    with pytest.raises(DataError, match="'Student2' not in the model output"):
        DistillationDBPostProcess(model_name=["Student2"])({"Student": {"maps": m}}, SHAPE_1X)


def test_960_map_with_50_regions_takes_milliseconds():
    m = blank_map(960, 960)
    for k in range(50):
        y, x = 20 + (k // 5) * 90, 20 + (k % 5) * 180
        m[0, 0, y:y + 30, x:x + 150] = 0.9
    pp = DBPostProcess()
    shape = np.array([[960, 960, 1, 1]], dtype=np.float32)
    pp({"maps": m}, shape)
    start = time.perf_counter()
    out = pp({"maps": m}, shape)
    elapsed = time.perf_counter() - start
    assert out[0]["points"].shape == (50, 4, 2)
    assert elapsed < 0.2  # ~5 ms measured; a full-map mask per box would be ~50x slower
