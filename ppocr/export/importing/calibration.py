"""Inputs that set the BN statistics of un-fused re-parameterisation branches (``reparam``).

A fused source stores no BN statistics for the branches ``reparam.unfuse`` re-creates. In eval
mode any statistics give the released function (gamma and beta cancel them), but training
normalises with batch statistics; running the fused model on images like the ones it will be
trained on, and giving each first branch those statistics, keeps training-mode outputs close to
the released ones. The inputs are synthetic text (``ppocr.synth``, fixed seeds: ``REC_LINES``
lines for rec/cls, ``DET_SCENES`` scenes for det) preprocessed by the config's Eval
transforms, plus the images given to the import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ppocr.export.importing.checks import preprocess
from ppocr.export.spec import image_shape_for

REC_LINES = 32
REC_BATCH = 16
DET_SCENES = 4
DET_SIZE = (640, 640)
SEED = 20240601


@dataclass
class Calibration:
    """``batches`` to run (NCHW float32) and ``source``: what they are, for the report."""

    batches: list[np.ndarray]
    source: str


def _png(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # cv2 encodes any uint8 HxWx3 array; anything else is a bug here
        raise RuntimeError("cv2.imencode failed on a synthetic calibration image")
    return data.tobytes()


def _synthetic(model_type: str, config: dict[str, Any]) -> list[tuple[str, bytes]]:
    from ppocr.synth.fonts import list_fonts
    from ppocr.synth.render_line import render_rec_line
    from ppocr.synth.text_source import DEFAULT_CHARSET, TextSource

    fonts = list_fonts()
    source = TextSource(DEFAULT_CHARSET)
    items = []
    if model_type == "det":
        from ppocr.synth.det_scene import render_det_scene

        for k in range(DET_SCENES):
            rng = np.random.default_rng(SEED + k)
            items.append((f"synthetic scene {k}", _png(render_det_scene(rng, fonts, source, *DET_SIZE).image)))
        return items
    _, height, width = image_shape_for(config, model_type)
    for k in range(REC_LINES):
        rng = np.random.default_rng(SEED + k)
        image, _ = render_rec_line(source.sample(rng, 25), rng, fonts, height, width)
        items.append((f"synthetic line {k}", _png(image)))
    return items


def calibration_inputs(config: dict[str, Any], model_type: str,
                       images: list[tuple[str, np.ndarray]]) -> Calibration:
    """Synthetic text for ``model_type`` plus ``images`` (already preprocessed, ``[1, C, H, W]`` each)."""
    arrays = [x for _, x in preprocess(config, _synthetic(model_type, config))]
    if model_type == "det":
        batches = arrays
        source = f"{len(arrays)} synthetic det scenes {DET_SIZE[0]}x{DET_SIZE[1]}"
    else:
        batches = [np.concatenate(arrays[i:i + REC_BATCH]) for i in range(0, len(arrays), REC_BATCH)]
        source = f"{len(arrays)} synthetic text lines"
    source += f" (ppocr.synth, seeds {SEED}+k)"
    if images:
        batches += [x for _, x in images]
        source += f" and the {len(images)} image(s) given"
    return Calibration(batches, source)
