"""End-to-end OCR evaluation: detection by the ICDAR 2015 protocol, then the text of matched boxes.

Inputs are PaddleOCR's det label line format, ``path<TAB>[{"transcription": str, "points":
[[x, y], ...]}, ...]``, for the labels and for the results (upstream's ``system_results.txt``
has that format; results may say ``text`` instead of ``transcription``). A ground truth is
don't-care when its transcription is ``###`` or ``*`` or it has ``"difficult": true``.

Definitions (per image, then summed over images before any ratio):

- **det**: ``DetectionIoUEvaluator`` (``icdar2015_eval``): detections mostly inside a
  don't-care region are dropped; care ground truths and detections are matched one-to-one,
  greedily in file order, at IoU strictly above 0.5. precision = matched / care detections,
  recall = matched / care ground truths, hmean their harmonic mean.
- **e2e**: a hit is a matched pair whose texts are equal exactly; precision = hits / care
  detections, recall = hits / care ground truths, f1 their harmonic mean.
  ``e2e_case_insensitive`` compares ``str.casefold()`` of both texts instead.
- **char_ned**: over all matched pairs of all images, the mean of
  ``levenshtein(label, predicted) / max(len(label), len(predicted))`` (0 for two empty
  texts): 0 is perfect, 1 all wrong. ``None`` when nothing matched. Misses and false boxes
  do not enter it (they are in det/e2e).
- An image's own ``f1`` is ``2 * hits / (care ground truths + care detections)`` (the e2e
  f1 of that image alone), 1.0 when it has neither; the report ranks images by it.

Upstream's ``tools/end2end/eval_end2end.py`` differs: it matches pairs by descending IoU
(at IoU >= 0.5), counts every detection (none dropped in don't-care regions), maps
full-width characters to half-width before comparing, and reports ``1 - sum(ed) /
sum(label chars)`` including unmatched boxes.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ppocr.errors import DataError
from ppocr.metrics.icdar2015_eval import DetectionIoUEvaluator, ImageResult, _iou_matrix, to_geometry
from ppocr.utils.edit_distance import normalized_distance

__all__ = ["E2EResult", "ImageEval", "Misread", "TextRegion", "evaluate", "evaluate_image", "pair_paths",
           "read_ocr_file"]

DONT_CARE_TEXTS = ("###", "*")


@dataclass(frozen=True)
class TextRegion:
    """One labelled or predicted text: polygon ``[[x, y], ...]``, text, don't-care flag, score."""

    points: list[list[float]]
    text: str
    ignore: bool = False
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"points": self.points, "text": self.text}
        if self.score is not None:
            out["score"] = self.score
        return out


@dataclass(frozen=True)
class Misread:
    """A matched pair whose texts differ: the label's box, both texts, their normalised distance."""

    points: list[list[float]]
    label: str
    predicted: str
    ned: float

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "label": self.label, "predicted": self.predicted, "ned": round(self.ned, 4)}


@dataclass
class ImageEval:
    """One image: counts, and what went wrong (care misses, false boxes, misreads)."""

    path: str
    gt_care: int
    det_care: int
    matched: int
    hits: int
    hits_case_insensitive: int
    ned_sum: float
    dont_care_dets: int = 0
    result_path: str | None = None  # the results entry used; None: the image had no results
    misses: list[TextRegion] = field(default_factory=list)
    false_boxes: list[TextRegion] = field(default_factory=list)
    misreads: list[Misread] = field(default_factory=list)

    @property
    def f1(self) -> float:
        """This image's e2e f1, ``2 * hits / (gt_care + det_care)``; 1.0 with neither."""
        total = self.gt_care + self.det_care
        return 1.0 if total == 0 else 2 * self.hits / total

    @property
    def has_results(self) -> bool:
        return self.result_path is not None

    @property
    def errors(self) -> int:
        return len(self.misses) + len(self.false_boxes) + len(self.misreads)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "f1": round(self.f1, 4), "gt_care": self.gt_care, "det_care": self.det_care,
                "matched": self.matched, "hits": self.hits, "hits_case_insensitive": self.hits_case_insensitive,
                "dont_care_dets": self.dont_care_dets, "result_path": self.result_path,
                "misses": [r.to_dict() for r in self.misses],
                "false_boxes": [r.to_dict() for r in self.false_boxes],
                "misreads": [m.to_dict() for m in self.misreads]}


def _prf(hits: int, det: int, gt: int, last: str) -> dict[str, float]:
    precision = hits / det if det else 0.0
    recall = hits / gt if gt else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, last: score}


@dataclass
class E2EResult:
    """Dataset figures (see the module docstring) and the per-image evaluations."""

    images: list[ImageEval]
    unlabelled_results: list[str] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(im, name) for im in self.images)

    @property
    def det(self) -> dict[str, float]:
        return DetectionIoUEvaluator.combine_results(
            ImageResult(im.gt_care, im.det_care, im.matched) for im in self.images)

    @property
    def e2e(self) -> dict[str, float]:
        return _prf(self._sum("hits"), self._sum("det_care"), self._sum("gt_care"), "f1")

    @property
    def e2e_case_insensitive(self) -> dict[str, float]:
        return _prf(self._sum("hits_case_insensitive"), self._sum("det_care"), self._sum("gt_care"), "f1")

    @property
    def char_ned(self) -> float | None:
        matched = self._sum("matched")
        return self._sum("ned_sum") / matched if matched else None

    def worst(self, n: int) -> list[ImageEval]:
        """Up to ``n`` imperfect images, lowest f1 first (then most errors, then path)."""
        bad = [im for im in self.images if im.f1 < 1.0 or im.errors]
        return sorted(bad, key=lambda im: (im.f1, -im.errors, im.path))[:max(0, n)]

    def to_dict(self) -> dict[str, Any]:
        counts = {k: self._sum(k) for k in ("gt_care", "det_care", "matched", "hits", "hits_case_insensitive",
                                            "dont_care_dets")}
        counts["images"] = len(self.images)
        counts["images_without_results"] = sum(not im.has_results for im in self.images)
        return {"det": self.det, "e2e": self.e2e, "e2e_case_insensitive": self.e2e_case_insensitive,
                "char_ned": self.char_ned, "counts": counts, "unlabelled_results": self.unlabelled_results,
                "images": [im.to_dict() for im in self.images]}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _score(value: Any) -> float | None:
    """A result's score: a number, or a numeric string (older upstream results); else None."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    return float(value) if _is_number(value) else None


def _region(item: Any, where: str, labels: bool) -> TextRegion:
    if not isinstance(item, dict):
        raise DataError(f"{where}: expected an object with 'transcription' and 'points', got {type(item).__name__}")
    key = "transcription" if "transcription" in item else "text" if "text" in item else None
    if key is None:
        raise DataError(f"{where}: text instance has neither 'transcription' nor 'text'")
    text = item[key]
    if not isinstance(text, str):
        raise DataError(f"{where}: '{key}' must be a string, got {type(text).__name__}")
    pts = item.get("points")
    if not isinstance(pts, list) or not pts or not all(
            isinstance(p, list) and len(p) == 2 and all(_is_number(v) for v in p) for p in pts):
        raise DataError(f"{where}: 'points' must be a non-empty list of finite [x, y], got {pts!r:.80}")
    ignore = labels and (text in DONT_CARE_TEXTS or item.get("difficult") is True)
    score = _score(item.get("score")) if not labels else None
    return TextRegion([[float(x), float(y)] for x, y in pts], text, ignore, score)


def read_ocr_file(path: str, labels: bool = True) -> dict[str, list[TextRegion]]:
    """``{image path: regions}`` from a label (``labels=True``) or results file.

    Empty lines are skipped and a UTF-8 BOM is dropped; an image with ``[]`` has no text.
    Don't-care flags are read from labels only.

    Raises:
        DataError: naming ``file:line`` for a line without a tab, bad JSON, a bad text
            instance, or an image listed twice.
    """
    what = "label" if labels else "results"
    try:
        with open(path, encoding="utf-8-sig") as f:
            raw = f.read().split("\n")
    except FileNotFoundError:
        raise DataError(f"{what} file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: {what} file is not UTF-8 ({exc})") from exc
    out: dict[str, list[TextRegion]] = {}
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(raw, 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        if "\t" not in line:
            raise DataError(f"{where}: expected 'image_path<TAB>JSON list', found no tab")
        image, payload = line.split("\t", 1)
        try:
            items = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: invalid JSON ({exc})") from None
        if not isinstance(items, list):
            raise DataError(f"{where}: expected a JSON list of text instances, got {type(items).__name__}")
        if image in first_line:
            raise DataError(f"{where}: {image} is listed again (first at line {first_line[image]})")
        first_line[image] = lineno
        out[image] = [_region(item, f"{where} item {i}", labels) for i, item in enumerate(items)]
    return out


def pair_paths(label_paths: list[str], result_paths: list[str], image_root: str | None = None) -> dict[str, str]:
    """Which results entry belongs to each label path.

    Tried in order: the same string; the same file once the label path is joined to
    ``image_root`` (normalised absolute paths); the same base name when it is unique among
    both the labels and the results (upstream writes base names into system_results.txt).
    """
    results = set(result_paths)
    by_abs: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for r in result_paths:
        by_abs.setdefault(os.path.abspath(r), r)
        by_name.setdefault(os.path.basename(r), []).append(r)
    label_names: dict[str, int] = {}
    for p in label_paths:
        label_names[os.path.basename(p)] = label_names.get(os.path.basename(p), 0) + 1
    pairs: dict[str, str] = {}
    for p in label_paths:
        if p in results:
            pairs[p] = p
            continue
        full = os.path.abspath(os.path.join(image_root, p) if image_root else p)
        if full in by_abs:
            pairs[p] = by_abs[full]
            continue
        name = os.path.basename(p)
        if label_names[name] == 1 and len(by_name.get(name, [])) == 1:
            pairs[p] = by_name[name][0]
    return pairs


def evaluate_image(path: str, gts: list[TextRegion], dets: list[TextRegion],
                   evaluator: DetectionIoUEvaluator | None = None, result_path: str | None = None) -> ImageEval:
    """Match one image's detections to its labels (see the module docstring for the rules).

    ``result_path`` names the results entry ``dets`` came from (None: the image had none).
    """
    evaluator = evaluator or DetectionIoUEvaluator()
    gt_geoms = [to_geometry(g.points) for g in gts]
    det_geoms = [to_geometry(d.points) for d in dets]
    dont_care = [geom for geom, g in zip(gt_geoms, gts) if g.ignore]
    care_gt = [i for i, g in enumerate(gts) if not g.ignore]
    care_det = [j for j, geom in enumerate(det_geoms) if not evaluator._in_dont_care(geom, dont_care)]
    iou = _iou_matrix([gt_geoms[i] for i in care_gt], [det_geoms[j] for j in care_det])
    det_used = np.zeros(len(care_det), dtype=bool)
    pairs: list[tuple[int, int]] = []
    for row_index, row in enumerate(iou):
        hit = np.flatnonzero((row > evaluator.iou_constraint) & ~det_used)
        if hit.size:
            det_used[hit[0]] = True
            pairs.append((care_gt[row_index], care_det[int(hit[0])]))
    result = ImageEval(path=path, gt_care=len(care_gt), det_care=len(care_det), matched=len(pairs), hits=0,
                       hits_case_insensitive=0, ned_sum=0.0, dont_care_dets=len(dets) - len(care_det),
                       result_path=result_path)
    matched_gt = {i for i, _ in pairs}
    result.misses = [gts[i] for i in care_gt if i not in matched_gt]
    result.false_boxes = [dets[care_det[k]] for k in np.flatnonzero(~det_used)]
    for i, j in pairs:
        label, predicted = gts[i].text, dets[j].text
        ned = normalized_distance(label, predicted)
        result.ned_sum += ned
        result.hits += label == predicted
        result.hits_case_insensitive += label.casefold() == predicted.casefold()
        if label != predicted:
            result.misreads.append(Misread(gts[i].points, label, predicted, ned))
    return result


def evaluate(labels: dict[str, list[TextRegion]], results: dict[str, list[TextRegion]],
             image_root: str | None = None, iou_constraint: float = 0.5,
             area_precision_constraint: float = 0.5) -> E2EResult:
    """Every labelled image (in label-file order) against its results entry (``pair_paths``).

    A labelled image without results counts with no detections (all its texts missed);
    results of images that are not labelled are listed in ``unlabelled_results``, not counted.
    """
    evaluator = DetectionIoUEvaluator(iou_constraint, area_precision_constraint)
    pairs = pair_paths(list(labels), list(results), image_root)
    images = [evaluate_image(p, gts, results[pairs[p]] if p in pairs else [], evaluator, pairs.get(p))
              for p, gts in labels.items()]
    used = set(pairs.values())
    return E2EResult(images=images, unlabelled_results=[r for r in results if r not in used])
