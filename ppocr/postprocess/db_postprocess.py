"""Boxes from a DB probability map (Differentiable Binarization), numpy + OpenCV only.

Same steps and numerics as upstream PaddleOCR's ``DBPostProcess``: threshold the map,
take contours, score each candidate on the map, expand it by the DB offset
``area * unclip_ratio / perimeter`` (pyclipper) and map it to source-image pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import cv2
import numpy as np
import pyclipper
from shapely.geometry import Polygon

from ppocr.errors import ConfigError, DataError
from ppocr.postprocess.rec_postprocess import to_numpy
from ppocr.registry import POSTPROCESS

__all__ = ["DBPostProcess", "DistillationDBPostProcess", "get_mini_boxes"]

SCORE_MODES = ("fast", "slow")
BOX_TYPES = ("quad", "poly")


def get_mini_boxes(contour: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum-area rectangle as float32 ``[4, 2]`` (top-left, top-right, bottom-right,
    bottom-left, ordered as upstream does) and its shorter side."""
    rect = cv2.minAreaRect(contour)
    pts = cv2.boxPoints(rect)
    pts = pts[np.argsort(pts[:, 0], kind="stable")]  # left pair, then right pair
    top_left, bottom_left = (0, 1) if pts[1, 1] > pts[0, 1] else (1, 0)
    top_right, bottom_right = (2, 3) if pts[3, 1] > pts[2, 1] else (3, 2)
    return pts[[top_left, top_right, bottom_right, bottom_left]], float(min(rect[1]))


def _mean_in_polygon(pred: np.ndarray, poly: np.ndarray) -> float:
    """Mean of ``pred`` inside ``poly``, rasterised on the polygon's bounding-box crop only."""
    h, w = pred.shape
    xmin = int(np.clip(np.floor(poly[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(poly[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(poly[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(poly[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = poly.copy()  # same dtype as the input, so truncation matches upstream
    shifted[:, 0] -= xmin
    shifted[:, 1] -= ymin
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(pred[ymin:ymax + 1, xmin:xmax + 1], mask)[0]


def _unclip(points: np.ndarray, unclip_ratio: float) -> list[np.ndarray]:
    """Expand a polygon by the DB offset distance; returns pyclipper's paths (maybe none)."""
    poly = Polygon(points)
    if poly.length == 0:
        return []
    distance = poly.area * unclip_ratio / poly.length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(points, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return [np.asarray(p).reshape(-1, 2) for p in offset.Execute(distance) if len(p)]


@POSTPROCESS.register()
class DBPostProcess:
    """DB probability map → text boxes in source-image pixels.

    Args:
        thresh: binarisation threshold on the probability map.
        box_thresh: candidates whose mean probability is below this are dropped.
        max_candidates: at most this many contours per image are examined.
        unclip_ratio: expansion ratio (the shrink used at training time undone).
        use_dilation: dilate the binary map with a 2x2 kernel first.
        score_mode: ``fast`` (mean inside the bounding quad) or ``slow`` (inside the contour).
        box_type: ``quad`` (rotated rectangles, ``[K, 4, 2]``) or ``poly`` (polygons).
    """

    def __init__(
        self,
        thresh: float = 0.3,
        box_thresh: float = 0.7,
        max_candidates: int = 1000,
        unclip_ratio: float = 2.0,
        use_dilation: bool = False,
        score_mode: str = "fast",
        box_type: str = "quad",
    ) -> None:
        name = type(self).__name__
        for key, value in (("thresh", thresh), ("box_thresh", box_thresh), ("unclip_ratio", unclip_ratio)):
            if not isinstance(value, Real) or isinstance(value, bool):
                raise ConfigError(f"{name}.{key}: expected a number, got {value!r}")
        if not isinstance(max_candidates, int) or isinstance(max_candidates, bool) or max_candidates < 1:
            raise ConfigError(f"{name}.max_candidates: expected a positive integer, got {max_candidates!r}")
        if unclip_ratio <= 0:
            raise ConfigError(f"{name}.unclip_ratio: expected > 0, got {unclip_ratio!r}")
        if score_mode not in SCORE_MODES:
            raise ConfigError(f"{name}.score_mode: expected one of {SCORE_MODES}, got {score_mode!r}")
        if box_type not in BOX_TYPES:
            raise ConfigError(f"{name}.box_type: expected one of {BOX_TYPES}, got {box_type!r}")
        self.thresh = float(thresh)
        self.box_thresh = float(box_thresh)
        self.max_candidates = max_candidates
        self.unclip_ratio = float(unclip_ratio)
        self.min_size = 3
        self.score_mode = score_mode
        self.box_type = box_type
        self.dilation_kernel = np.ones((2, 2), dtype=np.uint8) if use_dilation else None

    def __call__(self, outs_dict: Mapping[str, Any], shape_list: Any) -> list[dict[str, Any]]:
        """Boxes per image.

        Args:
            outs_dict: ``{"maps": [N, C, H, W]}``; channel 0 is the probability map.
            shape_list: ``[N, 4]`` rows ``(src_h, src_w, ratio_h, ratio_w)``; boxes are
                scaled from the map to ``src_w x src_h`` and clipped to it.

        Returns:
            ``[{"points": int32 [K, 4, 2]}]`` for quads; for polygons ``points`` is a list
            of int32 ``[n, 2]`` arrays.
        """
        if not isinstance(outs_dict, Mapping) or "maps" not in outs_dict:
            raise DataError(f"{type(self).__name__}: expected a dict with 'maps', got {_describe(outs_dict)}")
        maps = to_numpy(outs_dict["maps"])
        if maps.ndim != 4 or maps.shape[1] < 1:
            raise DataError(f"{type(self).__name__}: 'maps' must be [N, C, H, W], got shape {maps.shape}")
        pred = np.ascontiguousarray(maps[:, 0], dtype=np.float32)
        shapes = to_numpy(shape_list)
        if shapes.ndim != 2 or shapes.shape[1] < 2 or shapes.shape[0] < pred.shape[0]:
            raise DataError(
                f"{type(self).__name__}: shape_list must be [N, 4] (src_h, src_w, ratio_h, ratio_w) "
                f"for {pred.shape[0]} maps, got shape {shapes.shape}"
            )
        segmentation = pred > self.thresh
        results = []
        for i in range(pred.shape[0]):
            src_h, src_w = shapes[i][0], shapes[i][1]
            mask = segmentation[i].astype(np.uint8)
            if self.dilation_kernel is not None:
                mask = cv2.dilate(mask, self.dilation_kernel)
            if self.box_type == "quad":
                points: Any = self.boxes_from_bitmap(pred[i], mask, src_w, src_h)
            else:
                points = self.polygons_from_bitmap(pred[i], mask, src_w, src_h)
            results.append({"points": points})
        return results

    def _contours(self, bitmap: np.ndarray) -> Sequence[np.ndarray]:
        contours, _ = cv2.findContours(bitmap * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        return contours[: self.max_candidates]

    def _score(self, pred: np.ndarray, box: np.ndarray, contour: np.ndarray) -> float:
        if self.score_mode == "fast":
            return _mean_in_polygon(pred, box)
        return _mean_in_polygon(pred, contour.reshape(-1, 2))

    def boxes_from_bitmap(self, pred: np.ndarray, bitmap: np.ndarray, dest_width: Any,
                          dest_height: Any) -> np.ndarray:
        """Rotated rectangles ``int32 [K, 4, 2]`` from one binary map ``bitmap`` (uint8 0/1)."""
        height, width = bitmap.shape
        boxes = []
        for contour in self._contours(bitmap):
            points, sside = get_mini_boxes(contour)
            if sside < self.min_size:
                continue
            score = self._score(pred, points, contour)
            if self.box_thresh > score:
                continue
            paths = _unclip(points, self.unclip_ratio)
            if not paths:
                continue
            expanded = np.concatenate(paths).astype(np.int32).reshape(-1, 1, 2)
            box, sside = get_mini_boxes(expanded)
            if sside < self.min_size + 2:
                continue
            box[:, 0] = np.clip(np.round(box[:, 0] / width * dest_width), 0, dest_width)
            box[:, 1] = np.clip(np.round(box[:, 1] / height * dest_height), 0, dest_height)
            boxes.append(box.astype(np.int32))
        if not boxes:
            return np.zeros((0, 4, 2), dtype=np.int32)
        return np.stack(boxes)

    def polygons_from_bitmap(self, pred: np.ndarray, bitmap: np.ndarray, dest_width: Any,
                             dest_height: Any) -> list[np.ndarray]:
        """Polygons (``int32 [n, 2]`` each) from one binary map, simplified by approxPolyDP."""
        height, width = bitmap.shape
        polys = []
        for contour in self._contours(bitmap):
            epsilon = 0.002 * cv2.arcLength(contour, True)
            points = cv2.approxPolyDP(contour, epsilon, True).reshape(-1, 2)
            if points.shape[0] < 4:
                continue
            score = _mean_in_polygon(pred, points)  # upstream scores polygons "fast" always
            if self.box_thresh > score:
                continue
            paths = _unclip(points, self.unclip_ratio)
            if len(paths) != 1:  # the expansion split or vanished
                continue
            poly = paths[0].astype(np.int64)
            _, sside = get_mini_boxes(poly.astype(np.int32).reshape(-1, 1, 2))
            if sside < self.min_size + 2:
                continue
            poly[:, 0] = np.clip(np.round(poly[:, 0] / width * dest_width), 0, dest_width)
            poly[:, 1] = np.clip(np.round(poly[:, 1] / height * dest_height), 0, dest_height)
            polys.append(poly.astype(np.int32))
        return polys


@POSTPROCESS.register()
class DistillationDBPostProcess:
    """``DBPostProcess`` applied to each sub-model of a distillation model: ``{name: boxes}``.

    Defaults are upstream's for this class (``box_thresh=0.6``, ``unclip_ratio=1.5``).

    Args:
        model_name: sub-model(s) to post-process.
        key: entry of each sub-model's output holding the ``maps`` dict. Upstream accepts
            and ignores it (its det sub-models return ``{"maps": ...}`` directly, as ours
            do), so it is used only when the sub-model output actually has that entry.
        thresh, box_thresh, max_candidates, unclip_ratio, use_dilation, score_mode,
            box_type: see ``DBPostProcess``.
    """

    def __init__(
        self,
        model_name: Sequence[str] | str = ("student",),
        key: str | None = None,
        thresh: float = 0.3,
        box_thresh: float = 0.6,
        max_candidates: int = 1000,
        unclip_ratio: float = 1.5,
        use_dilation: bool = False,
        score_mode: str = "fast",
        box_type: str = "quad",
    ) -> None:
        names = [model_name] if isinstance(model_name, str) else list(model_name)
        if not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"DistillationDBPostProcess.model_name: expected names, got {model_name!r}")
        self.model_name = names
        self.key = key
        self.post_process = DBPostProcess(
            thresh=thresh, box_thresh=box_thresh, max_candidates=max_candidates,
            unclip_ratio=unclip_ratio, use_dilation=use_dilation, score_mode=score_mode,
            box_type=box_type,
        )

    def __call__(self, predicts: Mapping[str, Any], shape_list: Any) -> dict[str, list[dict[str, Any]]]:
        if not isinstance(predicts, Mapping):
            raise DataError(f"DistillationDBPostProcess: expected a dict of sub-model outputs, got {_describe(predicts)}")
        results = {}
        for name in self.model_name:
            if name not in predicts:
                raise DataError(f"DistillationDBPostProcess.model_name: '{name}' not in the model output "
                                f"({sorted(predicts)})")
            pred = predicts[name]
            if self.key is not None and isinstance(pred, Mapping) and "maps" not in pred and self.key in pred:
                pred = pred[self.key]
            results[name] = self.post_process(pred, shape_list)
        return results


def _describe(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return f"a dict with keys {sorted(obj)}"
    return type(obj).__name__
