"""Classifier metric: accuracy of ``(pred, label)`` pairs from ``ClsPostProcess``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ppocr.errors import DataError
from ppocr.registry import METRICS

__all__ = ["ClsMetric"]


@METRICS.register()
class ClsMetric:
    """Accuracy.

    Args:
        main_indicator: the figure that selects the best checkpoint.
    """

    def __init__(self, main_indicator: str = "acc") -> None:
        self.main_indicator = main_indicator
        self.reset()

    def __call__(self, pred_label: tuple[Sequence[Any], Sequence[Any]], batch: Any = None) -> dict[str, float]:
        """Add a batch of ``(preds, labels)``; ``batch`` is accepted and not used."""
        if not isinstance(pred_label, (tuple, list)) or len(pred_label) != 2:
            raise DataError("ClsMetric: expected (preds, labels) from the post-process called with labels")
        preds, labels = pred_label
        if len(preds) != len(labels):
            raise DataError(f"ClsMetric: {len(preds)} predictions for {len(labels)} labels")
        correct = sum(pred == target for (pred, _), (target, _) in zip(preds, labels))
        self.correct_num += correct
        self.all_num += len(preds)
        return {"acc": _ratio(correct, len(preds))}

    def add_unscorable(self, n: int) -> None:
        """Count ``n`` samples whose label could not be used as wrong."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"ClsMetric.add_unscorable: expected a count >= 0, got {n!r}")
        self.all_num += n

    def get_metric(self) -> dict[str, float]:
        """``{"acc"}`` over everything seen; then resets."""
        acc = _ratio(self.correct_num, self.all_num)
        self.reset()
        return {"acc": acc}

    def reset(self) -> None:
        self.correct_num = 0
        self.all_num = 0


def _ratio(num: int, den: int) -> float:
    """Exact ratio as upstream; 0.0 for an empty eval (upstream raises ZeroDivisionError)."""
    return num / den if den else 0.0
