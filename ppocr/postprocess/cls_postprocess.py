"""Text-direction classifier output as ``(label, score)`` pairs (numpy only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.postprocess.rec_postprocess import to_numpy
from ppocr.registry import POSTPROCESS

__all__ = ["ClsPostProcess"]


@POSTPROCESS.register()
class ClsPostProcess:
    """Argmax over ``[N, class_dim]`` probabilities.

    Args:
        label_list: name of each class, e.g. ``['0', '180']``; ``None`` uses the class
            index itself (as newer upstream versions do).
        key: entry to take when the predictions are a dict.
    """

    global_keys = ("label_list",)  # upstream cls configs set it in Global

    def __init__(self, label_list: Sequence[Any] | None = None, key: str | None = None) -> None:
        if label_list is not None and (isinstance(label_list, str) or not isinstance(label_list, Sequence)):
            raise ConfigError(f"ClsPostProcess.label_list: expected a list such as ['0', '180'], got {label_list!r}")
        self.label_list = list(label_list) if label_list is not None else None
        self.key = key

    def _name(self, idx: int) -> Any:
        if self.label_list is None:
            return idx
        if not 0 <= idx < len(self.label_list):
            raise DataError(f"ClsPostProcess: class {idx} has no entry in label_list {self.label_list}")
        return self.label_list[idx]

    def __call__(self, preds: Any, label: Any = None) -> list[tuple[Any, float]] | tuple[list, list]:
        """Decode ``preds``; with ``label`` (class ids ``[N]``) also return ``(label, 1.0)`` pairs."""
        if self.key is not None:
            if not isinstance(preds, Mapping) or self.key not in preds:
                raise DataError(f"ClsPostProcess.key: '{self.key}' not in the predictions")
            preds = preds[self.key]
        probs = to_numpy(preds)
        if probs.ndim != 2:
            raise DataError(f"ClsPostProcess: predictions must be [N, class_dim], got shape {probs.shape}")
        if self.label_list is not None and probs.shape[1] != len(self.label_list):
            raise DataError(
                f"ClsPostProcess: {probs.shape[1]} classes predicted but label_list has "
                f"{len(self.label_list)} ({self.label_list})"
            )
        idx = probs.argmax(axis=1)
        scores = probs[np.arange(len(idx)), idx]
        decoded = [(self._name(int(i)), float(s)) for i, s in zip(idx, scores)]
        if label is None:
            return decoded
        ids = to_numpy(label).reshape(-1)
        return decoded, [(self._name(int(i)), 1.0) for i in ids]
