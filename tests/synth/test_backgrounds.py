"""Procedural backgrounds and colours: shapes, ranges, bounded spread, determinism per seed."""

import numpy as np
import pytest

from ppocr.synth.backgrounds import (
    contrasting_color,
    luminance,
    make_background,
    random_color,
    texture_bank,
)

# make_background picks its kind from the generator's first draw: flat < .25 <= gradient < .45
# <= speckle < .6 <= texture
KIND_OF_SEED = {3: "flat", 2: "gradient", 1: "speckle", 0: "texture"}


def test_luminance_of_known_colours():
    assert luminance([255, 255, 255]) == pytest.approx(255.0, abs=1e-3)
    assert luminance([0, 0, 0]) == 0.0
    assert luminance(np.array([[255, 0, 0], [0, 255, 0]])) == pytest.approx([0.299 * 255, 0.587 * 255])


def test_random_color_luminance_lies_in_the_range():
    for seed in range(200):
        rng = np.random.default_rng(seed)
        lo = float(rng.uniform(0, 200))
        hi = lo + float(rng.uniform(5, 55))
        color = random_color(rng, (lo, hi))
        assert color.shape == (3,) and color.dtype == np.float32
        assert color.min() >= 0 and color.max() <= 255
        assert lo - 1 <= luminance(color) <= hi + 1


def test_contrasting_color_differs_enough_when_possible():
    for seed in range(200):
        rng = np.random.default_rng(seed)
        bg, diff = float(rng.uniform(0, 255)), float(rng.uniform(20, 100))
        assert abs(luminance(contrasting_color(rng, bg, diff)) - bg) >= diff - 1
    # no colour is 200 away from mid-grey: the farthest extreme is used instead
    assert luminance(contrasting_color(np.random.default_rng(0), 140.0, 200.0)) <= 11
    assert luminance(contrasting_color(np.random.default_rng(0), 100.0, 200.0)) >= 244


def test_texture_bank_is_fixed_and_normalised():
    bank = texture_bank()
    assert len(bank) == 6 and texture_bank() is bank  # generated once per process
    for tex in bank:
        assert tex.shape == (384, 384) and tex.dtype == np.float32
        assert tex.min() == 0.0 and tex.max() == pytest.approx(1.0)
    texture_bank.cache_clear()
    try:
        assert all(np.array_equal(a, b) for a, b in zip(bank, texture_bank()))  # same on every run
    finally:
        texture_bank.cache_clear()


@pytest.mark.parametrize("seed", sorted(KIND_OF_SEED))
def test_make_background_shape_range_and_determinism(seed):
    bg = make_background(np.random.default_rng(seed), 40, 72)
    assert bg.shape == (40, 72, 3) and bg.dtype == np.float32
    assert bg.min() >= 0 and bg.max() <= 255
    assert np.array_equal(bg, make_background(np.random.default_rng(seed), 40, 72))
    spread = np.ptp(bg.reshape(-1, 3), axis=0).max()
    assert (spread == 0) == (KIND_OF_SEED[seed] == "flat")


@pytest.mark.parametrize("spread", [20.0, 50.0])
def test_background_colours_vary_within_about_spread(spread):
    seen = set()
    for seed in range(60):
        bg = make_background(np.random.default_rng(seed), 32, 64, spread=spread)
        lum = luminance(bg)
        assert np.percentile(lum, 99) - np.percentile(lum, 1) <= 1.6 * spread
        seen.add(bg.tobytes())
    assert len(seen) == 60
