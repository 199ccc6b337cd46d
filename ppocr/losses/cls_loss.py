"""Text-direction classifier loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import DataError
from ppocr.registry import LOSSES

__all__ = ["ClsLoss"]


@LOSSES.register()
class ClsLoss(nn.Layer):
    """Negative log-likelihood of the label under the ClsHead's probabilities.

    Reads ``batch[1]`` labels ``[N]`` int64 class ids (KeepKeys ``["image", "label"]``).
    ``predicts``: ClsHead probabilities ``[N, class_dim]``. Returns ``{"loss"}``. Takes
    no parameters, as upstream (whose configs give none).

    Deviation from upstream: ``ClsHead`` outputs softmax probabilities, and upstream
    feeds them to ``CrossEntropyLoss``, which applies a second softmax. That squashes
    the loss into a narrow band (for 2 classes it can never go below ~0.31) and weakens
    the gradient. Here the loss is ``-log(clip(p[label], eps))``, the cross-entropy of
    the probabilities the head actually gives; ``eps`` only guards ``log(0)``.
    """

    eps = 1e-10

    def forward(self, predicts: Any, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        if not isinstance(predicts, paddle.Tensor) or predicts.ndim != 2:
            got = list(predicts.shape) if isinstance(predicts, paddle.Tensor) else type(predicts).__name__
            raise DataError(f"ClsLoss: expected ClsHead probabilities [N, class_dim], got {got}")
        if len(batch) < 2:
            raise DataError(f"ClsLoss: expected batch [image, label] (KeepKeys order), got {len(batch)} item(s)")
        label = paddle.cast(batch[1], "int64").reshape([-1])
        if label.shape[0] != predicts.shape[0]:
            raise DataError(f"ClsLoss: {label.shape[0]} labels for {predicts.shape[0]} predictions")
        log_probs = paddle.log(paddle.clip(predicts, min=self.eps))
        return {"loss": F.nll_loss(log_probs, label, reduction="mean")}
