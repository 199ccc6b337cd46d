"""Procedural backgrounds: flat, gradient, noise, and crops of generated textures.

Backgrounds keep a bounded colour spread so a text colour far from their mean stays legible.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

_TEXTURE_SEED = 20240517
_TEXTURE_SIZE = 384
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Perceived brightness (0..255) of RGB values along the last axis."""
    return np.asarray(rgb, dtype=np.float32) @ _LUMA


def random_color(rng: np.random.Generator, lum_range: tuple[float, float] = (0.0, 255.0)) -> np.ndarray:
    """A random RGB colour whose luminance lies in ``lum_range``."""
    lo, hi = lum_range
    target = rng.uniform(lo, hi)
    color = rng.uniform(0, 255, 3).astype(np.float32)
    # real scenes are mostly paper, signs and screens: near-grey colours are common
    sat = rng.uniform(0.0, 0.12) if rng.random() < 0.4 else rng.random()
    color = color * sat + luminance(color) * (1 - sat)
    color = color + (target - luminance(color))
    # shifting can leave the cube; clip, then fix luminance by blending towards black/white
    color = np.clip(color, 0, 255)
    lum = luminance(color)
    if lum < target - 1:
        t = (target - lum) / max(255 - lum, 1e-3)
        color = color + (255 - color) * t
    elif lum > target + 1:
        color = color * (target / max(lum, 1e-3))
    return color.astype(np.float32)


def contrasting_color(rng: np.random.Generator, bg_lum: float, min_diff: float) -> np.ndarray:
    """A colour whose luminance differs from ``bg_lum`` by at least ``min_diff`` (when possible)."""
    dark_ok = bg_lum - min_diff >= 0
    light_ok = bg_lum + min_diff <= 255
    if dark_ok and (not light_ok or rng.random() < 0.75):  # dark on light is the common case
        return random_color(rng, (0.0, max(bg_lum - min_diff, 0.0)))
    if light_ok:
        return random_color(rng, (bg_lum + min_diff, 255.0))
    return random_color(rng, (0.0, 10.0)) if bg_lum > 127 else random_color(rng, (245.0, 255.0))


def _smooth_noise(rng: np.random.Generator, size: int, cell: int) -> np.ndarray:
    small = rng.random((size // cell + 2, size // cell + 2)).astype(np.float32)
    big = cv2.resize(small, (size + 2 * cell, size + 2 * cell), interpolation=cv2.INTER_CUBIC)
    return big[cell : cell + size, cell : cell + size]


def _normalize(tex: np.ndarray) -> np.ndarray:
    tex = tex - tex.min()
    return (tex / max(float(tex.max()), 1e-6)).astype(np.float32)


@lru_cache(maxsize=1)
def texture_bank() -> tuple[np.ndarray, ...]:
    """Grey textures in [0, 1], generated once from a fixed seed (same on every run)."""
    rng = np.random.default_rng(_TEXTURE_SEED)
    s = _TEXTURE_SIZE
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    paper = _smooth_noise(rng, s, 48) + 0.5 * _smooth_noise(rng, s, 12) + 0.3 * rng.random((s, s))
    turb = _smooth_noise(rng, s, 32) * 6.0
    marble = np.sin(xx / 23.0 + yy / 61.0 + turb)
    wood = np.sin((yy + 12 * _smooth_noise(rng, s, 64)) / 3.5) + 0.3 * _smooth_noise(rng, s, 8)
    brushed = cv2.blur(rng.random((s, s)).astype(np.float32), (41, 1))
    fabric = (np.sin(xx / 2.2) * np.sin(yy / 2.2)) + 0.4 * rng.random((s, s))
    blobs = np.zeros((s, s), np.float32)
    for _ in range(60):
        c = (int(rng.integers(0, s)), int(rng.integers(0, s)))
        cv2.circle(blobs, c, int(rng.integers(4, 40)), float(rng.random()), -1)
    blobs = cv2.GaussianBlur(blobs, (0, 0), 6)
    return tuple(_normalize(t.astype(np.float32)) for t in (paper, marble, wood, brushed, fabric, blobs))


def _bg_colors(rng: np.random.Generator, spread: float) -> tuple[np.ndarray, np.ndarray]:
    if rng.random() < 0.65:
        c1 = random_color(rng, (170.0, 255.0))  # light paper/sign backgrounds dominate real data
    else:
        c1 = random_color(rng, (0.0, 255.0))
    # mostly a change of brightness, a little of hue
    delta = (rng.uniform(-spread, spread) * 0.8 + rng.uniform(-spread, spread, 3) * 0.2).astype(np.float32)
    return c1, np.clip(c1 + delta, 0, 255)


def make_background(rng: np.random.Generator, height: int, width: int, spread: float = 50.0) -> np.ndarray:
    """A float32 ``[height, width, 3]`` RGB background whose colours vary by at most ~``spread``."""
    kind = rng.random()
    c1, c2 = _bg_colors(rng, spread)
    if kind < 0.25:  # flat
        bg = np.empty((height, width, 3), np.float32)
        bg[:] = c1
    elif kind < 0.45:  # linear gradient in a random direction
        theta = rng.uniform(0, 2 * np.pi)
        xs = np.linspace(0, 1, width, dtype=np.float32)[None, :] * np.cos(theta)
        ys = np.linspace(0, 1, height, dtype=np.float32)[:, None] * np.sin(theta) * height / max(width, 1)
        t = xs + ys
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        bg = c1 + t[..., None] * (c2 - c1)
    elif kind < 0.6:  # speckle noise on a flat colour
        bg = c1 + rng.normal(0, rng.uniform(3, spread / 3), (height, width, 1)).astype(np.float32)
    else:  # random crop of a procedural texture, rescaled, coloured between c1 and c2
        bank = texture_bank()
        tex = bank[int(rng.integers(len(bank)))]
        scale = rng.uniform(0.5, 2.0)
        ch = min(tex.shape[0], max(4, int(round(height / scale))))
        cw = min(tex.shape[1], max(4, int(round(width / scale))))
        y0 = int(rng.integers(0, tex.shape[0] - ch + 1))
        x0 = int(rng.integers(0, tex.shape[1] - cw + 1))
        crop = tex[y0 : y0 + ch, x0 : x0 + cw]
        if rng.random() < 0.5:
            crop = crop.T if ch == cw else crop[::-1]
        crop = cv2.resize(np.ascontiguousarray(crop), (width, height), interpolation=cv2.INTER_LINEAR)
        bg = c1 + crop[..., None] * (c2 - c1)
    return np.clip(bg, 0, 255).astype(np.float32)
