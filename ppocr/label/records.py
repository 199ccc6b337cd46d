"""One labelled box, and the line formats PPOCRLabel reads and writes.

``Label.txt`` and ``Cache.cach``: ``dirname/filename<TAB>[{"transcription": ..., "points": [[x, y], ...],
"difficult": false}, ...]`` (``dirname`` is the image folder's own name; ``json.dumps`` with
``ensure_ascii=False``; integer points). ``fileState.txt``: ``path<TAB>1`` for each confirmed image,
where PaddleOCR 2.x's PPOCRLabel writes the absolute path and the current one ``dirname/filename``
(it reads both; so do we).

Keys other tools add to a box (``key_cls`` in KIE mode, ...) are kept as they were. ``score`` (the
recognizer's confidence) travels in ``Cache.cach`` only, so ``Label.txt`` keeps PPOCRLabel's keys.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field
from typing import Any

from ppocr.errors import DataError

# Transcriptions PaddleOCR's det training treats as "don't care" regions (DetLabelEncode).
IGNORE_TEXTS = ("###", "*")
MAX_COORD = 1_000_000
BASE_KEYS = ("transcription", "points", "difficult")


@dataclass
class Box:
    """A text region in the image's displayed pixels (EXIF orientation applied).

    ``points``: 4 (quad) or more (polygon) ``[x, y]`` integer points. ``difficult``: the box is a
    don't-care region; PaddleOCR's training only reads the transcription, so marking a box
    difficult also sets it to ``###`` (the page does both). ``score``: the recognizer's confidence,
    ``None`` once a person typed the text or drew the box. ``extra``: other keys of the record.
    """

    points: list[list[int]]
    transcription: str = ""
    difficult: bool = False
    score: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ignored(self) -> bool:
        """A don't-care region for training (``###`` or ``*``), PaddleOCR's own rule."""
        return self.transcription in IGNORE_TEXTS

    def label_dict(self) -> dict[str, Any]:
        """The ``Label.txt`` record: PPOCRLabel's keys in its order, then any extra keys."""
        return {"transcription": self.transcription, "points": self.points, "difficult": self.difficult,
                **self.extra}

    def cache_dict(self) -> dict[str, Any]:
        """The ``Cache.cach`` record: ``label_dict`` plus ``score`` when the model gave one."""
        record = self.label_dict()
        if self.score is not None:
            record["score"] = round(float(self.score), 4)
        return record

    def to_json(self) -> dict[str, Any]:
        """What the API sends and takes."""
        return {"points": self.points, "transcription": self.transcription, "difficult": self.difficult,
                "score": None if self.score is None else round(float(self.score), 4), "extra": self.extra}


def check_points(points: Any, where: str) -> list[list[int]]:
    """At least 3 finite ``[x, y]`` pairs, rounded to integers; DataError otherwise."""
    if not isinstance(points, (list, tuple)) or len(points) < 3:
        raise DataError(f"{where}: points must be a list of at least 3 [x, y] pairs, got {points!r:.80}")
    out = []
    for p in points:
        if (not isinstance(p, (list, tuple)) or len(p) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)):
            raise DataError(f"{where}: each point must be [x, y] numbers, got {p!r:.40}")
        if not all(math.isfinite(v) and abs(v) <= MAX_COORD for v in p):
            raise DataError(f"{where}: point {list(p)} is not a finite coordinate")
        out.append([int(round(p[0])), int(round(p[1]))])
    return out


def check_text(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise DataError(f"{where}: transcription must be a string, got {type(text).__name__}")
    if "\n" in text or "\r" in text:
        raise DataError(f"{where}: transcription must be one line (rec_gt.txt has one sample per line)")
    return text


def box_from_record(record: Any, where: str) -> Box:
    """A ``Label.txt``/``Cache.cach`` record (a dict) as a ``Box``; DataError naming ``where``."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: each label must be a JSON object, got {type(record).__name__}")
    if "points" not in record:
        raise DataError(f"{where}: label has no 'points'")
    score = record.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise DataError(f"{where}: score must be a number, got {score!r}")
    extra = {k: v for k, v in record.items() if k not in BASE_KEYS and k != "score"}
    return Box(points=check_points(record["points"], where),
               transcription=check_text(record.get("transcription", ""), where),
               difficult=bool(record.get("difficult", False)), score=None if score is None else float(score),
               extra=extra)


def box_from_json(data: dict[str, Any], where: str) -> Box:
    """A box the page sent (``Box.to_json``'s shape)."""
    extra = data.get("extra") or {}
    if not isinstance(extra, dict) or any(k in BASE_KEYS or k == "score" for k in extra):
        raise DataError(f"{where}: extra must be an object without {list(BASE_KEYS) + ['score']}")
    record = {**extra, "points": data.get("points"), "transcription": data.get("transcription", ""),
              "difficult": data.get("difficult", False), "score": data.get("score")}
    return box_from_record(record, where)


def parse_label_line(line: str, where: str) -> tuple[str, list[Any]]:
    """``key<TAB>json`` → ``(key, records)``; JSON first, then Python literals (never ``eval``)."""
    key, sep, payload = line.rstrip("\r\n").partition("\t")
    if not sep or not key:
        raise DataError(f"{where}: expected 'dirname/filename<TAB>[...]'")
    payload = payload.strip()
    if not payload:
        return key, []
    try:
        records = json.loads(payload)
    except json.JSONDecodeError:
        try:
            records = ast.literal_eval(payload)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise DataError(f"{where}: labels are neither JSON nor a Python literal ({type(exc).__name__})") from None
    if not isinstance(records, list):
        raise DataError(f"{where}: labels must be a list, got {type(records).__name__}")
    return key, records


def format_label_line(key: str, records: list[dict[str, Any]]) -> str:
    """One ``Label.txt``/``Cache.cach`` line, as PPOCRLabel writes it."""
    return f"{key}\t{json.dumps(records, ensure_ascii=False)}\n"


def parse_state_line(line: str, where: str) -> tuple[str, str]:
    """``path<TAB>state`` → ``(path, state)``."""
    path, sep, state = line.rstrip("\r\n").partition("\t")
    if not sep or not path:
        raise DataError(f"{where}: expected 'path<TAB>1'")
    return path, state.strip()


def file_name_of(path: str) -> str:
    """The file name of a PPOCRLabel key or path, whichever separator wrote it."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]
