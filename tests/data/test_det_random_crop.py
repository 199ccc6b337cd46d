"""EastRandomCropData: crops avoid cutting text; polys/texts/tags stay aligned."""

import random

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.random_crop_data import EastRandomCropData, crop_area
from ppocr.errors import ConfigError


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def sample(h=200, w=300):
    img = np.random.RandomState(0).randint(0, 255, (h, w, 3)).astype(np.uint8)
    polys = np.array([rect(20, 20, 80, 40), rect(150, 100, 250, 130), rect(30, 150, 60, 170),
                      rect(400, 10, 450, 30)], np.float32)  # the last is outside the image
    return {"image": img, "polys": polys, "texts": ["a", "b", "###", "far"],
            "ignore_tags": np.array([False, False, True, False])}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("keep_ratio", [True, False])
def test_lengths_consistent_and_crop_not_cutting_text(seed, keep_ratio):
    np.random.seed(seed)
    random.seed(seed)
    data = sample()
    src_polys, src_texts = data["polys"].copy(), list(data["texts"])
    out = EastRandomCropData(size=(160, 128), max_tries=50, min_crop_side_ratio=0.1, keep_ratio=keep_ratio)(data)
    assert out["image"].shape == (128, 160, 3) and out["image"].dtype == np.uint8
    assert out["polys"].dtype == np.float32 and out["polys"].ndim == 3
    assert len(out["polys"]) == len(out["texts"]) == len(out["ignore_tags"])
    assert out["ignore_tags"].dtype == bool
    assert "far" not in out["texts"]  # outside the image from the start
    # Every kept polygon is a scaled copy of its source, consistently for x and y.
    for poly, text in zip(out["polys"], out["texts"]):
        src = src_polys[src_texts.index(text)]
        sx = (poly[1, 0] - poly[0, 0]) / (src[1, 0] - src[0, 0])
        sy = (poly[2, 1] - poly[1, 1]) / (src[2, 1] - src[1, 1])
        assert sx > 0 and sy > 0
        if keep_ratio:
            assert sx == pytest.approx(sy, rel=1e-5)
    # Care texts are never cut: each one kept lies fully in the crop.
    for poly, tag in zip(out["polys"], out["ignore_tags"]):
        if not tag:
            assert poly.min() >= -1e-3 and poly[:, 0].max() <= 160 + 1e-3 and poly[:, 1].max() <= 128 + 1e-3


def test_keep_ratio_pads_bottom_right_with_zeros():
    np.random.seed(0)
    data = {"image": np.full((100, 100, 3), 200, np.uint8), "polys": np.zeros((0, 4, 2), np.float32),
            "texts": [], "ignore_tags": np.zeros(0, bool)}
    out = EastRandomCropData(size=(64, 32))(data)
    # No text: whole image, scaled by min(64/100, 32/100) = 0.32 -> 32x32, then padded.
    assert out["image"].shape == (32, 64, 3)
    assert (out["image"][:, :32] == 200).all() and (out["image"][:, 32:] == 0).all()
    assert out["polys"].shape == (0, 4, 2) and out["texts"] == [] and len(out["ignore_tags"]) == 0


def test_stretch_scales_polys_per_axis():
    np.random.seed(0)
    data = {"image": np.zeros((100, 200, 3), np.uint8), "polys": np.array([rect(0, 0, 200, 100)], np.float32),
            "texts": ["all"], "ignore_tags": np.array([False])}
    out = EastRandomCropData(size=(100, 100), keep_ratio=False)(data)  # text spans the image: no crop
    np.testing.assert_allclose(out["polys"][0], rect(0, 0, 100, 100))


def test_polygon_fully_outside_after_crop_dropped_with_text_and_tag():
    np.random.seed(1)
    data = {"image": np.zeros((100, 400, 3), np.uint8),
            "polys": np.array([rect(10, 10, 40, 30), rect(300, 60, 390, 90)], np.float32),
            "texts": ["left", "right"], "ignore_tags": np.array([False, True])}
    for _ in range(20):  # some crop keeps only the left text
        out = EastRandomCropData(size=(100, 100), max_tries=50, min_crop_side_ratio=0.05)(
            {k: (v.copy() if hasattr(v, "copy") else v) for k, v in data.items()})
        if out["texts"] == ["left"]:
            assert out["ignore_tags"].tolist() == [False] and out["polys"].shape == (1, 4, 2)
            return
    pytest.fail("no crop dropped the right polygon")


def test_crop_area_borders_avoid_text_boxes():
    np.random.seed(3)
    polys = [np.array(rect(20, 20, 80, 40), np.float32), np.array(rect(150, 100, 250, 130), np.float32)]
    for _ in range(30):
        x, y, w, h = crop_area(200, 300, polys, 0.1, 50)
        for p in polys:
            for lo, hi, a, b in ((x, x + w, p[:, 0].min(), p[:, 0].max()), (y, y + h, p[:, 1].min(), p[:, 1].max())):
                assert not (a < lo < b) and not (a < hi < b), "crop border cuts a text box"


def test_all_text_everywhere_falls_back_to_whole_image():
    assert crop_area(50, 60, [np.array(rect(0, 0, 60, 50), np.float32)], 0.1, 10) == (0, 0, 60, 50)


@pytest.mark.parametrize("cfg, match", [({"size": [640]}, "size"), ({"size": [0, 640]}, "size"),
                                        ({"max_tries": -1}, "max_tries"), ({"min_crop_side_ratio": 2}, "ratio")])
def test_bad_params(cfg, match):
    with pytest.raises(ConfigError, match=match):
        build_transforms([{"EastRandomCropData": cfg}])
