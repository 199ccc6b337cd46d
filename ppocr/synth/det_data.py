"""Synthetic detection datasets: text scenes with quad labels in PaddleOCR's det label format."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.synth.common import KindPlan, synthesize
from ppocr.synth.det_scene import DetScene, render_det_scene
from ppocr.synth.fonts import list_fonts, supported_chars
from ppocr.synth.text_source import DEFAULT_CHARSET, TextSource, charset_from_dict

# Det transcriptions are not encoded by the det model: allow some punctuation for realistic text.
DET_DEFAULT_CHARSET = DEFAULT_CHARSET + ".,:-/$%"

SizeSpec = tuple[int, int] | tuple[tuple[int, int], tuple[int, int]]


def _parse_size(size: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(w, h)`` or ``((w_min, w_max), (h_min, h_max))`` -> inclusive ranges; 64..4096 pixels."""

    def as_range(v: Any) -> tuple[int, int]:
        lo, hi = (v, v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else tuple(v)
        if not all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in (lo, hi)):
            raise TypeError
        if not 64 <= lo <= hi <= 4096:
            raise ValueError
        return int(lo), int(hi)

    try:
        w, h = size
        return as_range(w), as_range(h)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"size: expected (width, height) or ((w_min, w_max), (h_min, h_max)) with 64 <= values <= 4096 "
            f"and min <= max, got {size!r}"
        ) from exc


class SceneSynth:
    """Fonts + text source for detection scenes; ``sample`` renders one scene per generator."""

    def __init__(self, size: SizeSpec = (320, 320), dict_path: str | None = None) -> None:
        self.size = _parse_size(size)
        self.fonts = list_fonts()
        charset = DET_DEFAULT_CHARSET if dict_path is None else charset_from_dict(dict_path)
        usable = supported_chars(self.fonts, charset)
        self.charset = "".join(ch for ch in charset if ch in usable and ch != " ")
        if not self.charset:
            raise DataError(f"{dict_path}: no character can be drawn by the bundled fonts")
        self.source = TextSource(self.charset)

    def sample(self, rng: np.random.Generator) -> DetScene:
        (w0, w1), (h0, h1) = self.size
        width, height = int(rng.integers(w0, w1 + 1)), int(rng.integers(h0, h1 + 1))
        return render_det_scene(rng, self.fonts, self.source, width, height)


def _det_plan(size: SizeSpec, dict_path: str | None) -> KindPlan:
    synth = SceneSynth(size, dict_path)

    def render(rng: np.random.Generator, split: str, index: int) -> tuple[np.ndarray, str]:
        scene = synth.sample(rng)
        return scene.image, json.dumps(scene.label(), ensure_ascii=False)

    return KindPlan(
        kind="det", charset=synth.charset, options={"size": [list(r) for r in synth.size]}, render=render
    )


def make_det_dataset(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int = 0,
    size: SizeSpec = (320, 320),
    dict_path: str | None = None,
) -> dict[str, Any]:
    """Render a detection dataset; deterministic (same bytes) for a seed.

    ``out_dir/{train,val}/label.txt`` lines: ``images/<i>.jpg\\t[{"transcription": ..., "points":
    [[x, y], [x, y], [x, y], [x, y]]}, ...]`` with clockwise quads from the top-left that tightly
    bound each rendered line; unreadable lines are ``"###"``. ``size`` is ``(width, height)`` or
    ``((w_min, w_max), (h_min, h_max))``.
    """
    return synthesize(out_dir, num_train, num_val, seed, partial(_det_plan, size, dict_path), reuse=False)


def ensure_det_dataset(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int = 0,
    size: SizeSpec = (320, 320),
    dict_path: str | None = None,
) -> dict[str, Any]:
    """``make_det_dataset`` unless ``out_dir`` already holds one made with the same parameters."""
    return synthesize(out_dir, num_train, num_val, seed, partial(_det_plan, size, dict_path), reuse=True)
