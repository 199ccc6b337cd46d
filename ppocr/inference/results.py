"""What each predictor returns: one typed result per call, with a JSON-able ``to_dict()``.

``to_dict()`` is the shape the CLIs write (``deploy/predict_*``), so the Python API and the files
agree: scores rounded to 4 digits, stage times as ``"ms"`` rounded to 0.01 ms. The dataclass fields
keep the raw values (seconds, float32 boxes, crops as images). Results holding arrays use
``eq=False`` (``==`` on arrays has no single truth value); none define ``__len__``, so an empty
result is never falsy by surprise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


def times_ms(times: dict[str, float]) -> dict[str, float]:
    """Stage seconds → milliseconds rounded to 0.01, the unit the CLIs print and write."""
    return {k: round(float(v) * 1e3, 2) for k, v in times.items()}


@dataclass(eq=False)
class DetResult:
    """Text boxes found in one image.

    ``boxes``: float32 ``[N, 4, 2]`` quads in source pixels, clockwise from top-left; with
    ``box_type: poly`` an object array of ``[K_i, 2]`` float32 polygons when ``K_i`` differ.
    ``times``: seconds under ``preprocess``/``inference``/``postprocess``.
    """

    boxes: np.ndarray
    times: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"boxes": [[[x, y], ...], ...], "ms": {stage: ms}}``."""
        return {"boxes": [np.asarray(b).tolist() for b in self.boxes], "ms": times_ms(self.times)}


class ClsLabel(NamedTuple):
    """Direction of one crop: ``label`` from the model's label list (``"0"``/``"180"``), softmax score.

    A NamedTuple, so it unpacks and compares like ``ClsPostProcess``'s ``(label, score)`` pairs.
    """

    label: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(float(self.score), 4)}


@dataclass(eq=False)
class ClsResult:
    """Direction of each crop, in input order.

    ``crops``: the input crops, those judged upside down (``rotated[i]``) turned 180 degrees; the
    others are the input arrays themselves. ``labels[i]``: ``ClsLabel(label, score)``.
    ``times``: seconds under ``preprocess``/``inference``/``postprocess``, summed over batches.
    """

    crops: list[np.ndarray]
    labels: list[ClsLabel]
    rotated: list[bool]
    times: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"labels": [{"label", "score"}], "rotated": [bool], "ms": {...}}``; crops are left out."""
        return {"labels": [lab.to_dict() for lab in self.labels], "rotated": list(self.rotated),
                "ms": times_ms(self.times)}


class RecText(NamedTuple):
    """One recognized line: CTC-decoded ``text`` and its mean character probability ``score``.

    A NamedTuple, so it unpacks and compares like ``CTCLabelDecode``'s ``(text, score)`` pairs.
    """

    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "score": round(float(self.score), 4)}


@dataclass
class RecResult:
    """Recognized text of each image, in input order; ``times`` in seconds, summed over batches."""

    texts: list[RecText]
    times: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"texts": [{"text", "score"}], "ms": {...}}``."""
        return {"texts": [t.to_dict() for t in self.texts], "ms": times_ms(self.times)}


@dataclass
class OCRLine:
    """One line of the OCR system's output; ``points`` rounded to 0.1 px, reading order."""

    points: list[list[float]]
    text: str
    score: float
    angle: int = 0  # rotation applied to the crop: 0, 90 (tall box), 180 (classifier), 270
    cls_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "text": self.text, "score": round(self.score, 4),
                "angle": self.angle, "cls_score": None if self.cls_score is None else round(self.cls_score, 4)}


@dataclass
class OCRResult:
    """Lines kept (score >= drop_score), stage seconds (``det_*``, ``crop``, ``cls``, ``rec``),
    and how many boxes were too thin to crop."""

    lines: list[OCRLine]
    times: dict[str, float] = field(default_factory=dict)
    skipped_boxes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``{"lines": [OCRLine.to_dict()], "skipped_boxes": n, "ms": {...}}``."""
        return {"lines": [line.to_dict() for line in self.lines], "skipped_boxes": self.skipped_boxes,
                "ms": times_ms(self.times)}
