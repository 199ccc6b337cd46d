"""DetResizeForTest / resize_for_test: sizes, ratios, modes, degenerate inputs."""

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.det_resize import DetResizeForTest, resize_for_test
from ppocr.errors import ConfigError


def img(h, w):
    return np.zeros((h, w, 3), np.uint8)


@pytest.mark.parametrize(
    "h, w, side, kind, expect",
    [
        (480, 640, 960, "max", (480, 640)),  # already small enough: only rounding
        (1000, 2000, 960, "max", (480, 960)),  # long side 2000 -> 960
        (100, 200, 736, "min", (736, 1472)),  # short side 100 -> 736
        (1000, 2000, 736, "min", (992, 1984)),  # already large; round() halves to even: 62.5 -> 62
        (300, 500, 640, "resize_long", (384, 640)),  # long side 500 -> 640, 384 exactly
        (50, 70, 960, "max", (64, 64)),  # round(50/32)=2, round(70/32)=2
    ],
)
def test_type0_sizes(h, w, side, kind, expect):
    out, (rh, rw) = resize_for_test(img(h, w), side, kind)
    assert out.shape[:2] == expect
    assert rh == pytest.approx(expect[0] / h) and rw == pytest.approx(expect[1] / w)


@pytest.mark.parametrize("h, w", [(1, 1), (1, 5000), (5000, 1), (3, 40), (31, 31), (2, 100000)])
@pytest.mark.parametrize("kind", ["max", "min", "resize_long"])
def test_degenerate_shapes_give_valid_multiples_of_32(h, w, kind):
    out, (rh, rw) = resize_for_test(img(h, w), 960, kind)
    oh, ow = out.shape[:2]
    assert oh % 32 == 0 and ow % 32 == 0 and oh >= 32 and ow >= 32
    assert max(oh, ow) <= 4000 + 32  # max_side_limit caps the 'min' mode on strips
    assert rh > 0 and rw > 0 and np.isfinite([rh, rw]).all()


def test_tiny_image_padded_before_resizing():
    src = np.full((10, 10, 3), 255, np.uint8)
    out, (rh, rw) = resize_for_test(src, 960, "max")
    assert out.shape[:2] == (32, 32) and (rh, rw) == (1.0, 1.0)  # padded to 32x32, not stretched
    assert (out[:10, :10] == 255).all() and (out[12:, 12:] == 0).all()


def test_op_adds_shape_and_default_mode():
    op = DetResizeForTest()  # upstream default: limit_side_len 736, limit_type min
    d = op({"image": img(100, 200)})
    assert d["image"].shape[:2] == (736, 1472)
    assert d["shape"].dtype == np.float32
    np.testing.assert_allclose(d["shape"], [100, 200, 7.36, 7.36], rtol=1e-6)


def test_limit_side_len_defaults_to_min_as_upstream():
    d = DetResizeForTest(limit_side_len=64)({"image": img(40, 100)})
    assert d["image"].shape[:2] == (64, 160)


def test_image_shape_mode_and_keep_ratio():
    d = DetResizeForTest(image_shape=[736, 1280])({"image": img(720, 1280)})
    assert d["image"].shape[:2] == (736, 1280)
    np.testing.assert_allclose(d["shape"], [720, 1280, 736 / 720, 1.0], rtol=1e-6)
    d = DetResizeForTest(image_shape=[64, 64], keep_ratio=True)({"image": img(100, 300)})
    assert d["image"].shape[:2] == (64, 192)


def test_resize_long_mode_uses_stride_128():
    d = DetResizeForTest(resize_long=500)({"image": img(300, 600)})
    assert d["image"].shape[:2] == (256, 512)  # 250 -> 256, 500 -> 512


def test_image_shape_wins_over_limit_side_len():
    op = DetResizeForTest(image_shape=[64, 96], limit_side_len=960, limit_type="max")
    assert op({"image": img(500, 500)})["image"].shape[:2] == (64, 96)


@pytest.mark.parametrize("cfg, match", [
    ({"limit_side_len": 960, "limit_type": "maximum"}, "limit_type"),
    ({"image_shape": [736, 1000]}, "multiples of 32"),
    ({"limit_side_len": -5}, "limit_side_len"),
    ({"resize_short": 736}, "has no parameter"),
])
def test_bad_configs(cfg, match):
    with pytest.raises(ConfigError, match=match):
        build_transforms([{"DetResizeForTest": cfg}])


def test_bad_limit_type_in_function():
    with pytest.raises(ConfigError, match="limit_type"):
        resize_for_test(img(10, 10), 960, "long")
