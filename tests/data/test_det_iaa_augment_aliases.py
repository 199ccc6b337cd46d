"""Albumentations-style augmenter names used by newer upstream det configs."""

import random

import numpy as np
import pytest

from ppocr.data.imaug.iaa_augment import IaaAugment
from ppocr.errors import ConfigError


def sample():
    img = np.zeros((100, 200, 3), np.uint8)
    img[20:40, 30:90] = 255
    polys = np.array([[[30, 20], [89, 20], [89, 39], [30, 39]]], np.float32)
    return {"image": img, "polys": polys, "texts": ["a"], "ignore_tags": np.array([False])}


def test_horizontal_flip_alias_moves_points_with_pixels():
    out = IaaAugment([{"type": "HorizontalFlip", "args": {"p": 1.0}}])(sample())
    xs = out["polys"][0, :, 0]
    assert xs.min() == pytest.approx(200 - 1 - 89) and xs.max() == pytest.approx(200 - 1 - 30)
    assert out["image"][30, 200 - 1 - 60].max() == 255


def test_random_scale_limit_is_the_factor_range():
    aug = IaaAugment([{"type": "RandomScale", "args": {"scale_limit": [0.5, 3]}}])
    sizes = []
    for seed in range(12):
        random.seed(seed)
        np.random.seed(seed)
        sizes.append(aug(sample())["image"].shape[1] / 200)
    assert min(sizes) >= 0.5 - 1e-6 and max(sizes) <= 3 + 1e-6
    assert min(sizes) < 1.0  # shrinks too: not albumentations' 1 + limit reading


def test_random_scale_needs_limit():
    with pytest.raises(ConfigError, match="scale_limit"):
        IaaAugment([{"type": "RandomScale", "args": {}}])
