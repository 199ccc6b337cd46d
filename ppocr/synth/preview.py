"""Sample sheets for humans: see what the renderer produces before training on it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ppocr.errors import ConfigError
from ppocr.synth.common import sample_rng
from ppocr.synth.det_data import SceneSynth
from ppocr.synth.rec_data import LineSynth

KINDS = ("rec", "cls", "det")


def _line_sheet(synth: LineSynth, seed: int, rows: int, cols: int, rotate_odd: bool) -> np.ndarray:
    cell_h, cell_w = synth.height + 6, synth.max_width + 10
    sheet = np.full((rows * cell_h, cols * cell_w, 3), 255, np.uint8)
    for i in range(rows * cols):
        img, _ = synth.sample(sample_rng(seed, "preview", "train", i), min_len=3 if rotate_odd else 1)
        if rotate_odd and i % 2:
            img = img[::-1, ::-1]
        r, c = i % rows, i // rows
        y, x = r * cell_h + 3, c * cell_w + 5
        sheet[y : y + img.shape[0], x : x + img.shape[1]] = img
    return sheet


def _det_sheet(seed: int, count: int) -> np.ndarray:
    synth = SceneSynth((640, 480))
    tiles = []
    for i in range(count):
        scene = synth.sample(sample_rng(seed, "preview", "val", i))
        img = np.ascontiguousarray(scene.image)
        for line in scene.lines:
            color = (255, 0, 0) if line.ignore else (0, 200, 0)
            cv2.polylines(img, [line.quad.reshape(-1, 1, 2)], True, color, 1)
        tiles.append(np.pad(img, ((4, 4), (4, 4), (0, 0)), constant_values=255))
    return np.concatenate(tiles, axis=0)


def make_preview(out_path: str | Path, kind: str = "rec", seed: int = 0) -> Path:
    """Write a PNG sample sheet: a grid of lines (rec), lines with every other one upside down
    (cls), or det scenes with their label quads drawn (green: text, red: ``###``)."""
    if kind not in KINDS:
        raise ConfigError(f"kind: expected one of {KINDS}, got {kind!r}")
    if kind == "det":
        sheet = _det_sheet(seed, 2)
    else:
        synth = LineSynth(height=32 if kind == "rec" else 48)
        sheet = _line_sheet(synth, seed, rows=20, cols=3, rotate_odd=kind == "cls")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        raise ConfigError(f"cannot write preview image {out} (is the extension .png/.jpg?)")
    return out
