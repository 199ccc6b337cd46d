"""Photometric degradations: shapes, dtypes, value ranges, determinism per seed, JPEG round trip."""

import cv2
import numpy as np
import pytest

from ppocr.synth.effects import (
    encode_jpeg,
    gaussian_blur,
    gaussian_noise,
    low_resolution,
    motion_blur,
    random_degrade,
    random_jpeg_quality,
)


def line_image(seed: int = 0, height: int = 32, width: int = 96) -> np.ndarray:
    """RGB uint8: light paper with dark random bars (edges for the blurs to soften)."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 220, np.uint8)
    for _ in range(6):
        y, x = int(rng.integers(0, height - 6)), int(rng.integers(0, width - 10))
        img[y : y + 6, x : x + 10] = rng.integers(0, 60, 3)
    return img


def test_zero_strength_effects_return_the_input():
    img = line_image().astype(np.float32)
    assert gaussian_blur(img, 0) is img
    assert motion_blur(img, 1) is img
    assert gaussian_noise(img, np.random.default_rng(0), 0) is img


def test_gaussian_blur_keeps_shape_and_mean_and_softens_edges():
    img = line_image().astype(np.float32)
    out = gaussian_blur(img, 1.5)
    assert out.shape == img.shape and out.dtype == np.float32
    assert abs(float(out.mean()) - float(img.mean())) < 1.0
    assert np.abs(np.diff(out, axis=1)).max() < np.abs(np.diff(img, axis=1)).max()


@pytest.mark.parametrize("horizontal", [True, False])
def test_motion_blur_spreads_along_one_axis_only(horizontal):
    img = np.zeros((21, 21, 3), np.float32)
    img[10, 10] = 255.0
    out = motion_blur(img, 5, horizontal=horizontal)
    row, col = (out[10, :, 0] > 0).sum(), (out[:, 10, 0] > 0).sum()
    assert (row, col) == ((5, 1) if horizontal else (1, 5))
    assert out.sum() == pytest.approx(img.sum())


def test_low_resolution_keeps_size_and_loses_fine_detail():
    checker = (np.indices((32, 96)).sum(0) % 2 * 255).astype(np.uint8)
    img = np.repeat(checker[..., None], 3, axis=2)
    out = low_resolution(img, 2.0)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert out.std() < 0.25 * img.std()  # a 1-pixel checkerboard does not survive half resolution
    flat = np.full((32, 96, 3), 77, np.uint8)
    assert np.array_equal(low_resolution(flat, 1.7), flat)


def test_gaussian_noise_is_float_zero_mean_and_seeded():
    img = np.full((64, 64, 3), 128, np.float32)
    a = gaussian_noise(img, np.random.default_rng(3), 5.0)
    b = gaussian_noise(img, np.random.default_rng(3), 5.0)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    noise = a - img
    assert abs(float(noise.mean())) < 0.3 and float(noise.std()) == pytest.approx(5.0, rel=0.05)


def test_random_degrade_is_uint8_same_shape_and_deterministic_per_seed():
    img = line_image(1)
    outs = [random_degrade(img, np.random.default_rng(s)) for s in range(8)]
    assert all(o.shape == img.shape and o.dtype == np.uint8 for o in outs)
    assert np.array_equal(outs[0], random_degrade(img, np.random.default_rng(0)))
    assert len({o.tobytes() for o in outs}) > 1  # seeds pick different degradations
    assert any(not np.array_equal(o, img) for o in outs)
    assert np.array_equal(img, line_image(1))  # the input is not modified


def test_random_jpeg_quality_range_and_share_of_low_quality():
    qualities = np.array([random_jpeg_quality(np.random.default_rng(s)) for s in range(2000)])
    assert qualities.min() >= 30 and qualities.max() <= 95
    assert 0.2 < (qualities < 60).mean() < 0.3  # a quarter visibly blocky


def test_encode_jpeg_round_trip_keeps_rgb_order_and_is_deterministic():
    img = np.zeros((16, 24, 3), np.uint8)
    img[..., 0] = 200  # red in RGB
    jpeg = encode_jpeg(img, 95)
    assert jpeg[:2] == b"\xff\xd8" and jpeg == encode_jpeg(img, 95)
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert bgr.shape == img.shape
    assert abs(int(bgr[..., 2].mean()) - 200) <= 3 and bgr[..., :2].max() <= 10
    text = line_image(2)
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(encode_jpeg(text, 90), np.uint8), 1), cv2.COLOR_BGR2RGB)
    assert np.abs(decoded.astype(int) - text).mean() < 4
    assert len(encode_jpeg(text, 30)) < len(encode_jpeg(text, 95))
