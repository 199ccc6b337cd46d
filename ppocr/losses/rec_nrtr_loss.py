"""Cross-entropy of the NRTR head, optionally label-smoothed (upstream ``NRTRLoss``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import DataError
from ppocr.registry import LOSSES

__all__ = ["NRTRLoss", "nrtr_targets"]


def nrtr_targets(batch: Sequence[Any], owner: str = "NRTRLoss") -> paddle.Tensor:
    """``batch[1][:, 1 : 2 + max(batch[2])]`` flattened: what the decoder's steps predict
    (text and ``</s>``; the longest text in the batch sets the width)."""
    if len(batch) < 3:
        raise DataError(f"{owner}: expected batch [image, label_gtc, length, ...], got {len(batch)} item(s)")
    max_len = int(paddle.max(batch[2]))
    return paddle.cast(batch[1], "int64")[:, 1 : 2 + max_len].reshape([-1])


@LOSSES.register()
class NRTRLoss(nn.Layer):
    """Mean cross-entropy over the non-padding target tokens.

    Reads ``batch[1]``: the NRTR label ``[N, L]`` int64 (``<s>=2 text </s>=3``, 0-padded) and
    ``batch[2]``: text lengths ``[N]``, so with MultiLabelEncode's KeepKeys ``[image,
    label_ctc, label_gtc, length, valid_ratio]`` it is given ``batch[:1] + batch[2:]``
    (MultiLoss does that). ``predicts``: the NRTR head's training logits
    ``[N, max(length) + 1, C]``. Returns ``{"loss"}``.

    Args:
        smoothing: label smoothing with eps 0.1 (target 0.9, the rest spread over C - 1
            classes), averaged over tokens that are not padding (class 0).
        ignore_index: without smoothing, the class left out of the mean (padding, 0); a
            negative value keeps every token (upstream then has no loss at all).
    """

    def __init__(self, smoothing: bool = True, ignore_index: int = 0) -> None:
        super().__init__()
        self.smoothing = bool(smoothing)
        self.ignore_index = ignore_index

    def forward(self, pred: paddle.Tensor, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        if not isinstance(pred, paddle.Tensor) or pred.ndim != 3:
            got = list(pred.shape) if isinstance(pred, paddle.Tensor) else type(pred).__name__
            raise DataError(f"NRTRLoss: expected NRTR head logits [N, T, C], got {got}")
        tgt = nrtr_targets(batch)
        logits = pred.reshape([-1, pred.shape[2]])
        if logits.shape[0] != tgt.shape[0]:
            raise DataError(f"NRTRLoss: {list(pred.shape)} predictions for {tgt.shape[0]} target tokens "
                            "(steps must be max(length) + 1)")
        if self.smoothing:
            eps, n_class = 0.1, logits.shape[1]
            one_hot = F.one_hot(tgt, n_class)
            soft = one_hot * (1 - eps) + (1 - one_hot) * eps / (n_class - 1)
            loss = -(soft * F.log_softmax(logits, axis=1)).sum(axis=1)
            return {"loss": loss.masked_select(tgt != 0).mean()}
        ignore = self.ignore_index if self.ignore_index >= 0 else -100
        return {"loss": F.cross_entropy(logits, tgt, ignore_index=ignore, reduction="mean")}
