"""Pictures people look at: detected boxes, and OCR results drawn beside the image."""

from __future__ import annotations

import glob
import os

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "synth", "fonts")


def default_font(size: int) -> ImageFont.ImageFont:
    """A sans font shipped with the package (Pillow's built-in font if none is found)."""
    candidates = sorted(glob.glob(os.path.join(FONT_DIR, "*Sans*.ttf"))) or sorted(
        glob.glob(os.path.join(FONT_DIR, "*.ttf")))
    if candidates:
        return ImageFont.truetype(candidates[0], size)
    return ImageFont.load_default(size)


def draw_boxes(img: np.ndarray, boxes, color: tuple[int, int, int] = (0, 200, 0),
               thickness: int = 2) -> np.ndarray:
    """BGR copy of ``img`` with each polygon outlined."""
    out = img.copy()
    for box in boxes:
        pts = np.asarray(box, dtype=np.float32).reshape(-1, 1, 2).round().astype(np.int32)
        cv2.polylines(out, [pts], True, color, thickness)
    return out


def draw_ocr(img: np.ndarray, boxes, texts: list[str], scores: list[float] | None = None) -> np.ndarray:
    """Image with boxes (left) and the recognized text laid out in the same boxes (right)."""
    h, w = img.shape[:2]
    rng = np.random.default_rng(0)
    left = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    overlay = left.copy()
    right = Image.new("RGB", (w, h), (255, 255, 255))
    draw_left, draw_right = ImageDraw.Draw(overlay), ImageDraw.Draw(right)
    for i, (box, text) in enumerate(zip(boxes, texts)):
        color = tuple(int(c) for c in rng.integers(40, 220, size=3))
        pts = [tuple(map(float, p)) for p in np.asarray(box).reshape(-1, 2)]
        draw_left.polygon(pts, fill=color)
        draw_right.polygon(pts, outline=color, width=2)
        box_h = max(np.linalg.norm(np.subtract(pts[0], pts[-1])), 8)
        label = text if scores is None else f"{text} ({scores[i]:.2f})"
        font = default_font(int(max(8, min(box_h * 0.8, 48))))
        draw_right.text((pts[0][0] + 3, pts[0][1] + 1), label, fill=(0, 0, 0), font=font)
    blended = Image.blend(left, overlay, 0.5)
    canvas = Image.new("RGB", (w * 2, h), (255, 255, 255))
    canvas.paste(blended, (0, 0))
    canvas.paste(right, (w, 0))
    return cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)


def save_image(path: str, img: np.ndarray) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    ext = os.path.splitext(path)[1] or ".png"
    ok, buf = cv2.imencode(ext, img)
    if not ok:
        raise ValueError(f"cannot encode image as {ext}: {path}")
    buf.tofile(path)
