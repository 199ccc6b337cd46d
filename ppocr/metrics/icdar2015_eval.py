"""ICDAR 2015 detection protocol (IoU matching with don't-care regions), numpy + shapely.

Per image: a detection mostly inside a don't-care ground truth (intersection over the
detection's own area > ``area_precision_constraint``) is dropped from the detection
count; then ground truths and detections are matched one-to-one, greedily in order
(ground truth outer loop, detection inner loop, as the official script does), when their
IoU is strictly above ``iou_constraint``. Totals are summed over images before
precision/recall/hmean are computed.

Polygon validity: upstream silently drops self-intersecting polygons from both counts,
which lets a broken ground truth vanish from the recall denominator. Here an invalid
polygon is repaired with ``shapely.make_valid`` (a bow-tie keeps both lobes) and takes
part like any other; one with no area after repair still counts but can never match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

__all__ = ["DetectionIoUEvaluator", "ImageResult", "to_geometry"]


@dataclass(frozen=True)
class ImageResult:
    """Counts of one image: care ground truths, care detections, matched pairs."""

    gt_care: int
    det_care: int
    matched: int


def to_geometry(points: Any) -> BaseGeometry:
    """A polygon from ``[n, 2]`` points; invalid ones repaired, too few points → empty."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3 or not np.isfinite(pts).all():
        return Polygon()
    poly = Polygon(pts)
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
    return poly


class DetectionIoUEvaluator:
    """Evaluates one image at a time; ``combine_results`` gives the dataset figures.

    Args:
        iou_constraint: a pair matches when IoU is strictly above this.
        area_precision_constraint: a detection whose area is more than this fraction
            inside a don't-care ground truth is not counted.
    """

    def __init__(self, iou_constraint: float = 0.5, area_precision_constraint: float = 0.5) -> None:
        self.iou_constraint = iou_constraint
        self.area_precision_constraint = area_precision_constraint

    def evaluate_image(self, gt_polys: Sequence[Any], gt_ignore: Sequence[bool],
                       det_polys: Sequence[Any]) -> ImageResult:
        """Match the detections of one image against its ground truth.

        Args:
            gt_polys: ground-truth polygons, each ``[n, 2]``.
            gt_ignore: don't-care flag per ground truth (``###`` texts).
            det_polys: detected polygons, each ``[n, 2]``.
        """
        gts = [to_geometry(p) for p in gt_polys]
        dets = [to_geometry(p) for p in det_polys]
        ignore = [bool(x) for x in gt_ignore]
        if len(ignore) != len(gts):
            raise ValueError(f"{len(gts)} ground-truth polygons but {len(ignore)} ignore flags")
        dont_care = [g for g, ign in zip(gts, ignore) if ign]
        det_ignored = [self._in_dont_care(d, dont_care) for d in dets]
        gt_care = [i for i, ign in enumerate(ignore) if not ign]
        det_care = [j for j, ign in enumerate(det_ignored) if not ign]

        matched = 0
        if gt_care and det_care:
            iou = _iou_matrix([gts[i] for i in gt_care], [dets[j] for j in det_care])
            det_used = np.zeros(len(det_care), dtype=bool)
            for row in iou:
                hits = np.flatnonzero((row > self.iou_constraint) & ~det_used)
                if hits.size:
                    det_used[hits[0]] = True
                    matched += 1
        return ImageResult(gt_care=len(gt_care), det_care=len(det_care), matched=matched)

    def _in_dont_care(self, det: BaseGeometry, dont_care: list[BaseGeometry]) -> bool:
        area = det.area
        if area == 0:
            return False
        for gt in dont_care:
            if not _bounds_overlap(det.bounds, gt.bounds):
                continue
            if det.intersection(gt).area / area > self.area_precision_constraint:
                return True
        return False

    @staticmethod
    def combine_results(results: Iterable[ImageResult]) -> dict[str, float]:
        """Precision, recall and hmean over all images (sums first, then ratios)."""
        gt_care = det_care = matched = 0
        for r in results:
            gt_care += r.gt_care
            det_care += r.det_care
            matched += r.matched
        recall = matched / gt_care if gt_care else 0.0
        precision = matched / det_care if det_care else 0.0
        hmean = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "hmean": hmean}


def _bounds_overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def _iou_matrix(gts: list[BaseGeometry], dets: list[BaseGeometry]) -> np.ndarray:
    """IoU of every (gt, det) pair; pairs whose bounding boxes are apart are 0 without shapely."""
    iou = np.zeros((len(gts), len(dets)))
    if not gts or not dets:
        return iou
    gb = np.array([g.bounds if not g.is_empty else (np.inf, np.inf, -np.inf, -np.inf) for g in gts])
    db = np.array([d.bounds if not d.is_empty else (np.inf, np.inf, -np.inf, -np.inf) for d in dets])
    overlap = ((gb[:, None, 0] <= db[None, :, 2]) & (db[None, :, 0] <= gb[:, None, 2])
               & (gb[:, None, 1] <= db[None, :, 3]) & (db[None, :, 1] <= gb[:, None, 3]))
    for i, j in zip(*np.nonzero(overlap)):
        inter = gts[i].intersection(dets[j]).area
        if inter == 0:
            continue
        union = gts[i].union(dets[j]).area  # as upstream, not a+b-inter: same rounding at 0.5
        iou[i, j] = inter / union if union > 0 else 0.0
    return iou
