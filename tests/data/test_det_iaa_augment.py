"""IaaAugment: imgaug-style configs on albumentations; polygons move with the pixels."""

import random

import cv2
import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.iaa_augment import IaaAugment
from ppocr.errors import ConfigError

QUAD = np.array([[60, 30], [150, 40], [145, 90], [55, 80]], dtype=np.float32)


def white_quad_sample(h=120, w=200):
    img = np.zeros((h, w, 3), np.uint8)
    cv2.fillPoly(img, [QUAD.astype(np.int32)], (255, 255, 255))
    return {"image": img, "polys": QUAD[None].copy(), "texts": ["t"], "ignore_tags": np.array([False])}


def assert_quad_covers_white(data, src_w=200):
    img, poly = data["image"], data["polys"][0]
    white = img[..., 0] > 127
    assert white.sum() > 500
    region = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(region, [np.round(poly).astype(np.int32)], 1)
    # Rasterising the quad and interpolating the warp blur its border by about a source
    # pixel, i.e. `scale` output pixels.
    r = 2 + int(np.ceil(img.shape[1] / src_w))
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    grown = cv2.dilate(region, kernel)
    assert not (white & (grown == 0)).any(), "white pixels outside the moved polygon"
    inner = cv2.erode(region, kernel).astype(bool)
    assert inner.sum() > 0 and white[inner].mean() > 0.99, "moved polygon covers black pixels"


@pytest.mark.parametrize(
    "args",
    [
        [{"type": "Fliplr", "args": {"p": 1.0}}],
        [{"type": "Flipud", "args": {"p": 1.0}}],
        [{"type": "Affine", "args": {"rotate": [-30, 30]}}],
        [{"type": "Affine", "args": {"rotate": 25, "scale": [0.8, 1.2], "shear": 5}}],
        [{"type": "Resize", "args": {"size": [0.5, 3]}}],
        [["Fliplr", 0.5], ["Affine", None, None, None, [-10, 10]], ["Resize", [0.5, 3]]],
        None,
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polygon_moves_with_pixels(args, seed):
    random.seed(seed)
    op = IaaAugment(augmenter_args=args)
    out = op(white_quad_sample())
    assert out["polys"].shape == (1, 4, 2) and out["polys"].dtype == np.float32
    assert len(out["polys"]) == len(out["texts"]) == len(out["ignore_tags"])
    assert out["image"].dtype == np.uint8 and out["image"].flags["C_CONTIGUOUS"]
    assert_quad_covers_white(out)


def test_flip_coordinates():
    out = IaaAugment([{"type": "Fliplr", "args": {"p": 1.0}}])(white_quad_sample(w=200))
    np.testing.assert_allclose(out["polys"][0, :, 0], 199 - QUAD[:, 0])
    np.testing.assert_allclose(out["polys"][0, :, 1], QUAD[:, 1])


def test_affine_keeps_canvas_and_resize_scales_it():
    random.seed(3)
    rot = IaaAugment([{"type": "Affine", "args": {"rotate": [-10, 10]}}])(white_quad_sample(120, 200))
    assert rot["image"].shape == (120, 200, 3)
    fixed = IaaAugment([{"type": "Resize", "args": {"size": 2.0}}])(white_quad_sample(120, 200))
    assert fixed["image"].shape == (240, 400, 3)
    np.testing.assert_allclose(fixed["polys"][0], (QUAD + 0.5) * 2 - 0.5)
    for seed in range(5):
        random.seed(seed)
        out = IaaAugment([{"type": "Resize", "args": {"size": [0.5, 3]}}])(white_quad_sample(120, 200))
        h, w = out["image"].shape[:2]
        assert 60 <= h <= 360 and abs(w / h - 200 / 120) < 0.02  # one factor for both sides


def test_points_leaving_the_image_are_kept():
    sample = white_quad_sample()
    sample["polys"] = np.concatenate([sample["polys"], QUAD[None] + 500]).astype(np.float32)
    sample["texts"], sample["ignore_tags"] = ["t", "far"], np.array([False, False])
    out = IaaAugment([{"type": "Affine", "args": {"rotate": 10}}])(sample)
    assert out["polys"].shape == (2, 4, 2)
    assert out["polys"][1].min() > 200  # still outside, not clipped or dropped


def test_tiny_image_and_no_polys():
    random.seed(0)
    sample = {"image": np.zeros((1, 1, 3), np.uint8), "polys": np.zeros((0, 4, 2), np.float32),
              "texts": [], "ignore_tags": np.zeros(0, bool)}
    out = IaaAugment([{"type": "Resize", "args": {"size": [0.5, 0.5]}}])(sample)
    assert out["image"].shape[:2] == (1, 1)
    assert out["polys"].shape == (0, 4, 2)


def test_same_seed_same_result():
    op = IaaAugment()
    random.seed(7)
    a = op(white_quad_sample())
    random.seed(7)
    b = op(white_quad_sample())
    np.testing.assert_array_equal(a["image"], b["image"])
    np.testing.assert_array_equal(a["polys"], b["polys"])


def test_empty_list_disables():
    sample = white_quad_sample()
    out = IaaAugment([])(dict(sample))
    assert out["image"] is sample["image"]


@pytest.mark.parametrize(
    "args, match",
    [
        ([{"type": "GaussianBlur", "args": {"sigma": 1}}], "unknown augmenter type 'GaussianBlur'. Supported: "
                                                          "Fliplr, Flipud, Affine, Resize"),
        ([{"type": "Affine", "args": {"rotat": 10}}], r"unsupported args \['rotat'\]"),
        ([{"type": "Fliplr", "args": {"p": 2}}], "probability"),
        ([{"type": "Resize", "args": {"size": [1, 3]}}], "integer range"),
        ([{"type": "Resize", "args": {"size": [3.0, 1.0]}}], "low > high"),
        ([{"type": "Affine", "args": {"rotate": [1, 2, 3]}}], r"\[low, high\]"),
        ({"type": "Fliplr"}, "expected a list"),
        (["Fliplr"], "expected"),
    ],
)
def test_bad_configs(args, match):
    with pytest.raises(ConfigError, match=match):
        IaaAugment(augmenter_args=args)


def test_built_from_config():
    (op,) = build_transforms([{"IaaAugment": {"augmenter_args": [{"type": "Fliplr", "args": {"p": 0.5}}]}}])
    assert isinstance(op, IaaAugment)
    with pytest.raises(ConfigError, match="has no parameter"):
        build_transforms([{"IaaAugment": {"augmenter": []}}])
