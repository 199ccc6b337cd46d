"""Render a detection scene: several non-overlapping text lines with tight quads, plus clutter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from shapely.geometry import Polygon, box

from ppocr.synth.backgrounds import contrasting_color, luminance, make_background, random_color
from ppocr.synth.effects import random_degrade
from ppocr.synth.fonts import height_ratio
from ppocr.synth.render_line import composite, draw_text_mask
from ppocr.synth.text_source import TextSource

IGNORE = "###"
MAX_ROTATION_DEG = 10.0
TINY_LINE_PX = 8  # lines shorter than this are unreadable at typical det resolutions: labelled ###
_GAP_PX = 3  # minimum distance between two lines' quads


@dataclass
class DetLine:
    """One placed line. ``quad``: int32 ``[4, 2]`` (x, y) clockwise from top-left, in the image.

    ``alpha`` (float32, 0..1) is the line's text coverage over the image region starting at
    ``origin`` (x, y): what tests use to check the quad really holds the drawn text.
    """

    text: str
    quad: np.ndarray
    alpha: np.ndarray
    origin: tuple[int, int]
    ignore: bool


@dataclass
class DetScene:
    image: np.ndarray  # uint8 RGB [H, W, 3]
    lines: list[DetLine] = field(default_factory=list)

    def label(self) -> list[dict]:
        """PaddleOCR det label: ``[{"transcription": ..., "points": [[x, y] * 4]}, ...]``."""
        return [{"transcription": ln.text, "points": ln.quad.tolist()} for ln in self.lines]


class _Placer:
    """Draws line masks and keeps them apart; holds the scene being built."""

    def __init__(self, rng: np.random.Generator, bg: np.ndarray, fonts: Sequence[str | Path]) -> None:
        self.rng, self.img, self.fonts = rng, bg, fonts
        self.h, self.w = bg.shape[:2]
        self.polys: list[Polygon] = []
        self.lines: list[DetLine] = []

    def place(
        self,
        text: str,
        font: str | Path,
        line_h: float,
        angle: float,
        center: tuple[float, float] | None,
        ignore: bool,
        low_contrast: bool,
    ) -> tuple[float, float] | None:
        """Draw ``text`` centred at ``center`` (random when None); None when it does not fit."""
        size = max(4, int(round(line_h / height_ratio(font))))
        tm = draw_text_mask(text, font, size, pad=2)
        x0, y0, x1, y1 = tm.ink
        if x1 <= x0 or y1 <= y0:
            return None
        # the ink pixels' area: centres run x0..x1-1, each pixel reaches 0.5 px past its centre
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64) - 0.5
        pivot = corners.mean(0)
        a = math.radians(angle)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        rel = (corners - pivot) @ rot.T
        lo, hi = rel.min(0), rel.max(0)
        if center is None:
            x_lo, x_hi = 1 - lo[0], self.w - 2 - hi[0]
            y_lo, y_hi = 1 - lo[1], self.h - 2 - hi[1]
            if x_lo > x_hi or y_lo > y_hi:
                return None
            center = (self.rng.uniform(x_lo, x_hi), self.rng.uniform(y_lo, y_hi))
        quad = np.round(rel + np.array(center)).astype(np.int32)
        if (
            quad[:, 0].min() < 0
            or quad[:, 1].min() < 0
            or quad[:, 0].max() > self.w - 1
            or quad[:, 1].max() > self.h - 1
        ):
            return None
        poly = Polygon(quad)
        grown = poly.buffer(_GAP_PX)
        if any(grown.intersects(p) for p in self.polys):
            return None
        # affine mask -> image: rotate about the pivot, then move the pivot to the centre
        m = np.hstack([rot, (np.array(center) - rot @ pivot)[:, None]])
        bx0, by0 = (
            max(int(math.floor(quad[:, 0].min())) - 1, 0),
            max(int(math.floor(quad[:, 1].min())) - 1, 0),
        )
        bx1, by1 = min(int(quad[:, 0].max()) + 2, self.w), min(int(quad[:, 1].max()) + 2, self.h)
        m_local = m - np.array([[0, 0, bx0], [0, 0, by0]])
        alpha = cv2.warpAffine(
            tm.mask, m_local.astype(np.float32), (bx1 - bx0, by1 - by0), flags=cv2.INTER_LINEAR
        )
        alpha = alpha.astype(np.float32) / 255.0
        region = self.img[by0:by1, bx0:bx1]
        bg_lum = float(luminance(region.reshape(-1, 3).mean(0)))
        min_diff = self.rng.uniform(12, 25) if low_contrast else self.rng.uniform(80, 150)
        color = contrasting_color(self.rng, bg_lum, min_diff)
        self.img[by0:by1, bx0:bx1] = composite(region, alpha * self.rng.uniform(0.85, 1.0), color)
        self.polys.append(poly)
        self.lines.append(DetLine(IGNORE if ignore else text, quad, alpha, (bx0, by0), ignore))
        return center


def _line_text(rng: np.random.Generator, source: TextSource) -> str:
    n_words = 1 if rng.random() < 0.55 else int(rng.integers(2, 5))
    return " ".join(source.sample_words(rng, n_words, max_len=12))


def _line_height(rng: np.random.Generator, w: int, h: int) -> tuple[float, bool]:
    if rng.random() < 0.1:
        return rng.uniform(4.0, TINY_LINE_PX - 0.5), True
    hi = max(14.0, min(w, h) / 6.0)
    return float(math.exp(rng.uniform(math.log(10.0), math.log(hi)))), False


def _draw_clutter(rng: np.random.Generator, placer: _Placer, count: int) -> None:
    """Lines, boxes, circles and zigzags that are not text, kept off the text quads."""
    h, w = placer.h, placer.w
    keep_out = [p.buffer(_GAP_PX) for p in placer.polys]
    for _ in range(count):
        kind = int(rng.integers(5))
        color = tuple(float(c) for c in random_color(rng))
        thick = int(rng.integers(1, 4))
        reach = max(8, min(w, h) // 3)  # shapes stay local so that they fit between text lines
        start = np.array([rng.integers(0, w), rng.integers(0, h)])
        pts = np.clip(start + rng.integers(-reach, reach + 1, (4, 2)), 0, [w - 1, h - 1]).astype(np.int32)
        x0, y0 = pts[:2].min(0)
        x1, y1 = pts[:2].max(0)
        extent = box(x0 - thick, y0 - thick, x1 + thick, y1 + thick)
        if kind == 2:
            r = int(rng.integers(3, max(4, min(w, h) // 6)))
            extent = box(x0 - r - thick, y0 - r - thick, x0 + r + thick, y0 + r + thick)
        elif kind == 4:
            extent = box(*(pts.min(0) - thick), *(pts.max(0) + thick))
        if any(extent.intersects(p) for p in keep_out):
            continue
        if kind == 0:
            cv2.line(placer.img, tuple(map(int, pts[0])), tuple(map(int, pts[1])), color, thick, cv2.LINE_AA)
        elif kind == 1:
            cv2.rectangle(
                placer.img, (int(x0), int(y0)), (int(x1), int(y1)), color, thick if rng.random() < 0.6 else -1
            )
        elif kind == 2:
            cv2.circle(
                placer.img, (int(x0), int(y0)), r, color, thick if rng.random() < 0.6 else -1, cv2.LINE_AA
            )
        elif kind == 3:
            axes = (max(1, int(x1 - x0) // 2), max(1, int(y1 - y0) // 2))
            center = (int(x0 + x1) // 2, int(y0 + y1) // 2)
            cv2.ellipse(
                placer.img, center, axes, float(rng.uniform(0, 180)), 0, 360, color, thick, cv2.LINE_AA
            )
        else:
            cv2.polylines(placer.img, [pts], False, color, thick, cv2.LINE_AA)


def render_det_scene(
    rng: np.random.Generator, fonts: Sequence[str | Path], source: TextSource, width: int, height: int
) -> DetScene:
    """One scene: a few text blocks and free lines (±10°), tiny ones labelled ``###``, clutter."""
    placer = _Placer(rng, make_background(rng, height, width, spread=60.0), fonts)
    target = int(rng.integers(3, 9)) * max(1, round(width * height / (320 * 320)))
    attempts = 0
    while len(placer.lines) < target and attempts < 6 * target:
        attempts += 1
        font = fonts[int(rng.integers(len(fonts)))]
        line_h, tiny = _line_height(rng, width, height)
        angle = 0.0 if rng.random() < 0.3 else rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG)
        low_contrast = (not tiny) and rng.random() < 0.04
        center = placer.place(
            _line_text(rng, source), font, line_h, angle, None, tiny or low_contrast, low_contrast
        )
        if center is None or tiny or rng.random() < 0.6:
            continue
        # a paragraph: more lines below in the same font, size and angle, centred
        step = line_h * rng.uniform(1.3, 1.8)
        normal = np.array([-math.sin(math.radians(angle)), math.cos(math.radians(angle))])
        for k in range(1, int(rng.integers(2, 5))):
            c = np.array(center) + normal * step * k
            if (
                placer.place(
                    _line_text(rng, source), font, line_h, angle, (float(c[0]), float(c[1])), False, False
                )
                is None
            ):
                break
    _draw_clutter(rng, placer, int(rng.integers(0, 10)))
    image = random_degrade(placer.img, rng, strength=0.7)
    return DetScene(image=image, lines=placer.lines)
