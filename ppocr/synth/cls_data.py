"""Synthetic text-direction datasets: rendered lines, half of them turned by 180 degrees."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ppocr.synth.common import KIND_CODES, SPLITS, KindPlan, synthesize
from ppocr.synth.rec_data import LineSynth

LABELS = ("0", "180")


def is_rotated(seed: int, split: str, index: int) -> bool:
    """Whether sample ``index`` is upside down: exactly one of each pair (2k, 2k+1) is.

    Pairing keeps the classes balanced for any count while each label still depends only on
    (seed, split, index).
    """
    flip = (
        np.random.default_rng([int(seed), KIND_CODES["cls"], SPLITS.index(split), index // 2, 1]).random()
        < 0.5
    )
    return bool((index % 2 == 1) != flip)


def _cls_plan(seed: int, dict_path: str | None, height: int, max_width: int) -> KindPlan:
    synth = LineSynth(dict_path, height, max_width, max_text_len=25)

    def render(rng: np.random.Generator, split: str, index: int) -> tuple[np.ndarray, str]:
        img, _ = synth.sample(rng, min_len=3)
        rotated = is_rotated(seed, split, index)
        if rotated:
            img = np.ascontiguousarray(img[::-1, ::-1])
        return img, LABELS[int(rotated)]

    return KindPlan(
        kind="cls",
        charset=synth.charset,
        options={"height": synth.height, "max_width": synth.max_width},
        render=render,
    )


def make_cls_dataset(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int = 0,
    dict_path: str | None = None,
    height: int = 48,
    max_width: int = 320,
) -> dict[str, Any]:
    """Render a direction-classifier dataset: ``{train,val}/label.txt`` lines ``images/<i>.jpg\\t0|180``.

    Height defaults to 48, PP-OCR's classifier input height. Texts have at least 3 characters so
    that most are visibly upright or upside down.
    """
    plan = partial(_cls_plan, seed, dict_path, height, max_width)
    return synthesize(out_dir, num_train, num_val, seed, plan, reuse=False)


def ensure_cls_dataset(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int = 0,
    dict_path: str | None = None,
    height: int = 48,
    max_width: int = 320,
) -> dict[str, Any]:
    """``make_cls_dataset`` unless ``out_dir`` already holds one made with the same parameters."""
    plan = partial(_cls_plan, seed, dict_path, height, max_width)
    return synthesize(out_dir, num_train, num_val, seed, plan, reuse=True)
