"""Detection metric: ICDAR 2015 precision / recall / hmean accumulated over an eval run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ppocr.errors import DataError
from ppocr.metrics.icdar2015_eval import DetectionIoUEvaluator, ImageResult
from ppocr.registry import METRICS

__all__ = ["DetMetric"]


def _as_numpy(x: Any) -> Any:
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return x.numpy()
    return x


@METRICS.register()
class DetMetric:
    """ICDAR 2015 protocol (see ``icdar2015_eval``) over all images seen since the last reset.

    Args:
        main_indicator: the figure that selects the best checkpoint.
    """

    def __init__(self, main_indicator: str = "hmean") -> None:
        self.main_indicator = main_indicator
        self.evaluator = DetectionIoUEvaluator()
        self.results: list[ImageResult] = []

    def __call__(self, preds: Sequence[Mapping[str, Any]], batch: Sequence[Any]) -> dict[str, float]:
        """Score one batch and keep its counts; returns this batch's figures.

        Args:
            preds: ``DBPostProcess`` output, ``[{"points": [K, n, 2]}]`` per image.
            batch: eval batch in ``KeepKeys`` order ``image, shape, polys, ignore_tags``:
                ``batch[2]`` ground-truth polygons per image ``[K, n, 2]``, ``batch[3]``
                ignore flags per image ``[K]``.
        """
        if not isinstance(batch, Sequence) or len(batch) < 4:
            raise DataError("DetMetric: batch must be [image, shape, polys, ignore_tags] (det eval KeepKeys)")
        gt_polys, gt_ignores = _as_numpy(batch[2]), _as_numpy(batch[3])
        if not (len(preds) == len(gt_polys) == len(gt_ignores)):
            raise DataError(f"DetMetric: {len(preds)} predictions for {len(gt_polys)} images "
                            f"({len(gt_ignores)} ignore-tag rows)")
        batch_results = []
        for pred, polys, ignores in zip(preds, gt_polys, gt_ignores):
            if not isinstance(pred, Mapping) or "points" not in pred:
                raise DataError(f"DetMetric: each prediction must be a dict with 'points', got {type(pred).__name__}")
            ignores = np.asarray(_as_numpy(ignores)).reshape(-1)
            polys = list(_as_numpy(polys))
            if len(polys) != len(ignores):
                raise DataError(f"DetMetric: {len(polys)} ground-truth polygons but {len(ignores)} ignore tags")
            batch_results.append(self.evaluator.evaluate_image(polys, ignores, list(_as_numpy(pred["points"]))))
        self.results.extend(batch_results)
        return self.evaluator.combine_results(batch_results)

    def get_metric(self) -> dict[str, float]:
        """``{"precision", "recall", "hmean"}`` over everything seen; then resets."""
        metrics = self.evaluator.combine_results(self.results)
        self.reset()
        return metrics

    def reset(self) -> None:
        self.results = []
