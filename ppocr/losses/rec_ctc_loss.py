"""CTC loss for CRNN-style recognisers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import DataError
from ppocr.registry import LOSSES

__all__ = ["CTCLoss", "ctc_logits"]


def ctc_logits(predicts: Any, owner: str = "CTCLoss") -> paddle.Tensor:
    """The ``[N, T, C]`` logits of a CTC head output.

    A head built with ``return_feats`` returns ``(feats, logits)`` in training: the
    logits are the last item, as upstream reads them.
    """
    if isinstance(predicts, (list, tuple)):
        if not predicts:
            raise DataError(f"{owner}: got an empty prediction tuple")
        predicts = predicts[-1]
    if not isinstance(predicts, paddle.Tensor) or predicts.ndim != 3:
        got = list(predicts.shape) if isinstance(predicts, paddle.Tensor) else type(predicts).__name__
        raise DataError(f"{owner}: expected CTC head logits [N, T, C], got {got}")
    return predicts


@LOSSES.register()
class CTCLoss(nn.Layer):
    """CTC (blank = class 0) over every time step, averaged over the batch.

    Reads (KeepKeys ``["image", "label", "length"]``): ``batch[1]`` labels
    ``[N, max_text_length]`` int64 (class ids, 0-padded) and ``batch[2]`` lengths ``[N]``
    int64. ``predicts``: CTCHead training logits ``[N, T, C]``, or its
    ``(feats, logits)`` pair (the last item is used). Paddle's CTC applies the softmax
    itself, so the logits go in as they are. Returns ``{"loss"}``.

    Args:
        use_focal_loss: weight each sample's loss by ``(1 - exp(-loss))**2`` so that
            already-easy words contribute less (upstream's focal CTC).
    """

    def __init__(self, use_focal_loss: bool = False) -> None:
        super().__init__()
        self.use_focal_loss = use_focal_loss

    def forward(self, predicts: Any, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        logits = ctc_logits(predicts)
        if len(batch) < 3:
            raise DataError(
                f"CTCLoss: expected batch [image, label, length] (KeepKeys order), got {len(batch)} item(s)"
            )
        steps, n = logits.shape[1], logits.shape[0]
        labels = paddle.cast(batch[1], "int32")
        label_lengths = paddle.cast(batch[2], "int64").reshape([-1])
        if labels.ndim != 2 or labels.shape[0] != n or label_lengths.shape[0] != n:
            raise DataError(
                f"CTCLoss: labels {list(labels.shape)} and lengths {list(label_lengths.shape)} "
                f"do not match a batch of {n} predictions"
            )
        pred_lengths = paddle.full([n], steps, dtype="int64")
        loss = F.ctc_loss(logits.transpose([1, 0, 2]), labels, pred_lengths, label_lengths,
                          blank=0, reduction="none")
        if self.use_focal_loss:
            loss = loss * paddle.square(1.0 - paddle.exp(-loss))
        return {"loss": loss.mean()}
