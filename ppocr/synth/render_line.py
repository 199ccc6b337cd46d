"""Render one text line as a recognition crop: font, geometry, colours, background, degradations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ppocr.synth.backgrounds import contrasting_color, luminance, make_background
from ppocr.synth.effects import random_degrade
from ppocr.synth.fonts import height_ratio, load_font

MAX_ROTATION_DEG = 3.0


@dataclass
class TextMask:
    """Coverage (0..255) of a text drawn with one font; coordinates are pixels of ``mask``.

    ``ink`` is the exclusive bounding box of drawn pixels; ``top``/``bottom`` span the line from
    the capital height (or the highest ink) to the baseline (or the lowest ink), the band a
    detector's box usually covers.
    """

    mask: np.ndarray
    ink: tuple[int, int, int, int]
    top: int
    bottom: int


def draw_text_mask(text: str, font_path: str | Path, size: int, pad: int = 2) -> TextMask:
    """Draw ``text`` white-on-black with the font at ``size`` pixels and ``pad`` pixels of margin."""
    font = load_font(font_path, size)
    x0, y0, x1, y1 = font.getbbox(text)
    ascent, _ = font.getmetrics()
    cap_top = font.getbbox("H")[1]
    left, top = min(0, x0), min(0, y0)
    width = max(x1, 1) - left + 2 * pad
    height = max(y1, ascent) - top + 2 * pad
    img = Image.new("L", (width, height), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, fill=255, font=font)
    mask = np.asarray(img)
    bbox = img.getbbox()
    if bbox is None:  # nothing drawn (e.g. only spaces): a zero-size ink box at the origin
        bbox = (pad, pad, pad, pad)
    ink_top, ink_bottom = bbox[1], bbox[3]
    line_top = min(ink_top, pad - top + cap_top)
    line_bottom = max(ink_bottom, pad - top + ascent)
    return TextMask(mask=mask, ink=tuple(int(v) for v in bbox), top=int(line_top), bottom=int(line_bottom))


def composite(bg: np.ndarray, alpha: np.ndarray, color: np.ndarray) -> np.ndarray:
    """Paint ``color`` over float RGB ``bg`` where float ``alpha`` (0..1, HxW) covers it."""
    a = alpha[..., None]
    return bg * (1.0 - a) + color[None, None, :] * a


def _shorten(text: str, keep: float) -> str:
    """Cut ``text`` to about ``keep`` of its length, at a word boundary when one is near."""
    n = max(1, int(len(text) * keep))
    if n >= len(text):
        n = len(text) - 1
    cut = text[:n]
    if " " in cut and len(cut) - cut.rfind(" ") < 6:
        cut = cut[: cut.rfind(" ")]
    return cut.strip() or text[:1]


def _line_quad(tm: TextMask, rng: np.random.Generator, angle_deg: float, hscale: float) -> np.ndarray:
    """Corners of the line band after horizontal scale, rotation and a mild perspective jitter."""
    x0, x1 = tm.ink[0], max(tm.ink[2], tm.ink[0] + 1)
    y0, y1 = tm.top, tm.bottom
    src = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    pts = (src - src.mean(0)) * np.array([hscale, 1.0], np.float32)
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32)
    pts = pts @ rot.T
    lh = float(y1 - y0)
    jitter = rng.uniform(-1, 1, (4, 2)).astype(np.float32) * np.array([0.03 * lh, 0.06 * lh], np.float32)
    return src, pts + jitter


def render_rec_line(
    text: str,
    rng: np.random.Generator,
    fonts: Sequence[str | Path],
    height: int = 32,
    max_width: int = 320,
) -> tuple[np.ndarray, str]:
    """Render ``text`` as an RGB uint8 crop ``[height, W, 3]`` with ``W <= max_width``.

    Long texts are shortened to fit (the image's natural width is kept, never squeezed far),
    so the returned text, not the requested one, is the label.
    """
    font_path = fonts[int(rng.integers(len(fonts)))]
    pad_t, pad_b = rng.uniform(0.02, 0.15, 2) * height
    pad_l, pad_r = rng.uniform(0.0, 0.4, 2) * height
    content_h = height - pad_t - pad_b
    size = max(6, int(round(content_h * rng.uniform(0.95, 1.25) / height_ratio(font_path))))
    hscale = rng.uniform(0.8, 1.15) if rng.random() < 0.4 else 1.0
    angle = rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG)

    for _ in range(6):
        tm = draw_text_mask(text, font_path, size)
        ink_w = max(tm.ink[2] - tm.ink[0], 1)
        # a long line may tilt less: its rotated height must stay close to the text height
        max_angle = math.degrees(math.asin(min(1.0, 0.25 * (tm.bottom - tm.top) / ink_w)))
        src, dst = _line_quad(tm, rng, float(np.clip(angle, -max_angle, max_angle)), hscale)
        span = dst.max(0) - dst.min(0)
        scale = content_h / max(float(span[1]), 1.0)
        width = int(math.ceil(span[0] * scale + pad_l + pad_r))
        if width <= max_width or len(text) <= 1:
            break
        text = _shorten(text, (max_width - pad_l - pad_r) / max(width - pad_l - pad_r, 1) * 0.97)
    width = max(width, 4)
    dst = (dst - dst.min(0)) * scale + np.array([pad_l, pad_t], np.float32)
    homography = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    alpha = cv2.warpPerspective(tm.mask, homography, (width, height), flags=cv2.INTER_LINEAR)
    alpha = alpha.astype(np.float32) * (rng.uniform(0.85, 1.0) / 255.0)

    bg = make_background(rng, height, width)
    bg_lum = float(luminance(bg.reshape(-1, 3).mean(0)))
    color = contrasting_color(rng, bg_lum, rng.uniform(80, 150))
    if rng.random() < 0.1:  # drop shadow / emboss in a second contrasting colour
        dx, dy = rng.integers(-2, 3, 2)
        shadow = np.roll(alpha, (int(dy), int(dx)), axis=(0, 1))
        bg = composite(bg, shadow * 0.8, contrasting_color(rng, float(luminance(color)), 60))
    img = composite(bg, alpha, color)
    img = random_degrade(img, rng)
    if img.shape[1] > max_width:  # only when a single glyph is wider than the cap
        img = cv2.resize(img, (max_width, height), interpolation=cv2.INTER_AREA)
    return img, text
