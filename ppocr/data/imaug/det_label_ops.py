"""Detection labels: PaddleOCR's JSON list of text instances -> polygons, texts, ignore tags."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ppocr.errors import DataError
from ppocr.registry import TRANSFORMS
from ppocr.utils.polygons import pad_points, polygon_problem

__all__ = ["DetLabelEncode", "IGNORE_TEXTS", "parse_det_label"]

# Transcriptions that mark a "don't care" region (upstream: '*' and '###').
IGNORE_TEXTS = ("*", "###")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_det_label(label: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """``(instances, None)`` for a usable label, else ``(None, reason)``.

    Reasons start with a short category before ':' (what the dataset report counts).
    """
    try:
        items = json.loads(label)
    except (json.JSONDecodeError, TypeError) as exc:
        return None, f"invalid JSON: {exc}"
    if not isinstance(items, list):
        return None, f"label is not a list: got a JSON {type(items).__name__}"
    if len(items) == 0:
        return None, "no text instances"
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return None, f"text instance is not an object: item {i} is a {type(item).__name__}"
        missing = [k for k in ("transcription", "points") if k not in item]
        if missing:
            return None, f"text instance missing key: {', '.join(map(repr, missing))} (item {i})"
        if not isinstance(item["transcription"], str):
            return None, (f"transcription is not a string: item {i} has "
                          f"{type(item['transcription']).__name__}")
        pts = item["points"]
        if not isinstance(pts, list) or len(pts) == 0:
            return None, f"bad points: item {i} expected a non-empty list of [x, y], got {pts!r:.60}"
        for p in pts:
            if not (isinstance(p, list) and len(p) == 2 and all(_is_number(v) for v in p)):
                return None, f"bad points: item {i} expected [x, y] numbers, got {p!r:.60}"
            if not all(math.isfinite(v) for v in p):
                return None, f"bad points: item {i} has a non-finite coordinate {p!r}"
    return items, None


@TRANSFORMS.register()
class DetLabelEncode:
    """Parse ``[{"transcription": str, "points": [[x, y], ...]}, ...]`` as upstream.

    Transcriptions ``*`` and ``###`` are ignore regions. Polygons with different point
    counts are padded to the largest count by repeating their last point (upstream's
    ``expand_points_num``), so ``polys`` is always one ``[N, K, 2]`` array and ``polys``,
    ``texts`` and ``ignore_tags`` always have the same length.

    Unlike upstream (which crashes mid-epoch, or returns None for an empty list), bad
    labels are rejected at dataset load through ``check_label``, and degenerate
    polygons (fewer than 3 points, zero area, self-intersecting) are kept but tagged
    ignore and reported through ``label_notes``: the shrink/border maps cannot be built
    from them, and masking them out of the loss is what upstream does for '###'.
    Non-finite coordinates reject the label (upstream's later versions tag them ignore;
    a NaN vertex would still corrupt the masks drawn from it).

    Keys: required ``label`` (str); added ``polys`` (float32 ``[N, K, 2]``), ``texts``
    (list[str]), ``ignore_tags`` (bool ``[N]``). Reads ``img_path`` for messages.
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(self) -> None:  # explicit: no parameters, so a config key is an error
        pass

    def check_label(self, label: str) -> str | None:
        """Why the label cannot be used (the dataset counts it), or None."""
        return parse_det_label(label)[1]

    def label_notes(self, label: str) -> list[str]:
        """Non-fatal findings: degenerate polygons that will be tagged ignore."""
        items, reason = parse_det_label(label)
        if reason is not None or items is None:
            return []
        notes = []
        for i, item in enumerate(items):
            problem = polygon_problem(item["points"])
            if problem is not None:
                notes.append(f"{problem}, tagged ignore (item {i})")
        return notes

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        items, reason = parse_det_label(data["label"])
        if reason is not None or items is None:
            raise DataError(f"{data.get('img_path', '<sample>')}: {reason}")
        texts = [item["transcription"] for item in items]
        tags = [t in IGNORE_TEXTS or polygon_problem(item["points"]) is not None
                for t, item in zip(texts, items)]
        data["polys"] = np.asarray(pad_points([item["points"] for item in items]), dtype=np.float32)
        data["texts"] = texts
        data["ignore_tags"] = np.asarray(tags, dtype=bool)
        return data
