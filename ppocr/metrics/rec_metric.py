"""Recognition metric: word accuracy and 1 - normalised edit distance, as upstream computes them."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from ppocr.errors import DataError
from ppocr.registry import METRICS
from ppocr.utils.edit_distance import normalized_distance

__all__ = ["RecMetric"]

_ALNUM = frozenset(string.digits + string.ascii_letters)
EPS = 1e-5  # upstream divides by (count + 1e-5); kept so the printed figures agree


@METRICS.register()
class RecMetric:
    """Accuracy and normalised edit similarity of ``(pred, label)`` text pairs.

    Args:
        main_indicator: the figure that selects the best checkpoint.
        is_filter: compare only digits and ASCII letters, lowercased.
        ignore_space: remove spaces before comparing.
    """

    def __init__(self, main_indicator: str = "acc", is_filter: bool = False, ignore_space: bool = True) -> None:
        self.main_indicator = main_indicator
        self.is_filter = bool(is_filter)
        self.ignore_space = bool(ignore_space)
        self.eps = EPS
        self.reset()

    def _normalize(self, text: str) -> str:
        if self.ignore_space:
            text = text.replace(" ", "")
        if self.is_filter:
            text = "".join(ch for ch in text if ch in _ALNUM).lower()
        return text

    def __call__(self, pred_label: tuple[Sequence[Any], Sequence[Any]], batch: Any = None) -> dict[str, float]:
        """Add a batch of ``(preds, labels)`` from ``CTCLabelDecode(preds, label)``; returns its figures.

        ``batch`` is accepted for the common metric signature and not used.
        """
        if not isinstance(pred_label, (tuple, list)) or len(pred_label) != 2:
            raise DataError("RecMetric: expected (preds, labels) from the post-process called with labels")
        preds, labels = pred_label
        if len(preds) != len(labels):
            raise DataError(f"RecMetric: {len(preds)} predictions for {len(labels)} labels")
        correct, total, dist = 0, 0, 0.0
        for (pred, _), (target, _) in zip(preds, labels):
            pred, target = self._normalize(pred), self._normalize(target)
            dist += normalized_distance(pred, target)
            correct += pred == target
            total += 1
        self.correct_num += correct
        self.all_num += total
        self.norm_edit_dis += dist
        return {"acc": correct / (total + self.eps), "norm_edit_dis": 1 - dist / (total + self.eps)}

    def add_unscorable(self, n: int) -> None:
        """Count ``n`` samples whose label could not be encoded as wrong (acc 0, similarity 0).

        The dataset drops them at load; counting them here keeps eval from looking
        better than it is.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"RecMetric.add_unscorable: expected a count >= 0, got {n!r}")
        self.all_num += n
        self.norm_edit_dis += n

    def get_metric(self) -> dict[str, float]:
        """``{"acc", "norm_edit_dis"}`` over everything seen; then resets.

        An empty run gives 0.0 for both (upstream reports a similarity of 1.0 for it).
        """
        if self.all_num == 0:
            return {"acc": 0.0, "norm_edit_dis": 0.0}
        acc = self.correct_num / (self.all_num + self.eps)
        norm_edit_dis = 1 - self.norm_edit_dis / (self.all_num + self.eps)
        self.reset()
        return {"acc": acc, "norm_edit_dis": norm_edit_dis}

    def reset(self) -> None:
        self.correct_num = 0
        self.all_num = 0
        self.norm_edit_dis = 0.0
