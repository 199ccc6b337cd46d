"""Map losses DB detection builds on: Dice, masked L1, BCE, and OHEM balancing.

These compare one predicted map with one target map under a mask, so they are
building blocks (``forward(pred, gt, mask)``, all three ``[N, H, W]`` float32, read no
batch), not config-level losses: they are not registered. ``DBLoss`` and the
distillation losses compose them.
"""

from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import ConfigError, DataError

__all__ = ["BalanceLoss", "DiceLoss", "MaskL1Loss", "BCELoss", "MAIN_LOSS_TYPES"]

MAIN_LOSS_TYPES = ("DiceLoss", "BCELoss", "MaskL1Loss")
# Upstream lists these too, but their forward does not accept the mask it is called
# with, so they never ran; say so instead of failing at the first step.
_BROKEN_UPSTREAM_TYPES = ("CrossEntropy", "Euclidean")


def _check_same_shape(owner: str, **tensors: paddle.Tensor) -> None:
    shapes = {name: list(t.shape) for name, t in tensors.items()}
    if len({tuple(s) for s in shapes.values()}) > 1:
        described = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise DataError(f"{owner}: maps must have the same shape, got {described}")


class DiceLoss(nn.Layer):
    """``1 - 2|P∩G| / (|P| + |G|)`` over the masked region: insensitive to how much
    of the image is text, which is why DB uses it for the binary map."""

    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor,
                weights: paddle.Tensor | None = None) -> paddle.Tensor:
        _check_same_shape("DiceLoss", pred=pred, gt=gt, mask=mask)
        if weights is not None:
            _check_same_shape("DiceLoss", weights=weights, mask=mask)
            mask = weights * mask
        intersection = paddle.sum(pred * gt * mask)
        union = paddle.sum(pred * mask) + paddle.sum(gt * mask) + self.eps
        return 1 - 2.0 * intersection / union


class MaskL1Loss(nn.Layer):
    """Mean absolute error over the masked pixels (the threshold map's border band)."""

    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor) -> paddle.Tensor:
        _check_same_shape("MaskL1Loss", pred=pred, gt=gt, mask=mask)
        return (paddle.abs(pred - gt) * mask).sum() / (mask.sum() + self.eps)


class BCELoss(nn.Layer):
    """Binary cross-entropy on probabilities; ``mask`` is accepted and ignored, as
    upstream: ``BalanceLoss`` applies the mask itself."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ConfigError(f"BCELoss.reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor,
                mask: paddle.Tensor | None = None) -> paddle.Tensor:
        return F.binary_cross_entropy(pred, gt, reduction=self.reduction)


class BalanceLoss(nn.Layer):
    """A main loss with online hard negative mining (OHEM).

    Only the ``negative_ratio`` x (positive pixel count) hardest negatives count, so
    the vast background does not swamp the few text pixels. With a scalar main loss
    (``DiceLoss``, upstream's default) every pixel carries the same value and the
    result is that loss scaled by ``(P + K) / (P + K + eps)``, as upstream.

    Args:
        balance_loss: False returns the main loss unbalanced.
        main_loss_type: one of ``DiceLoss``, ``BCELoss``, ``MaskL1Loss``.
        negative_ratio: negatives kept per positive pixel.
        return_origin: also return the unbalanced loss.
        eps: avoids division by zero (also the main loss's eps).
    """

    def __init__(self, balance_loss: bool = True, main_loss_type: str = "DiceLoss",
                 negative_ratio: float = 3, return_origin: bool = False, eps: float = 1e-6) -> None:
        super().__init__()
        self.balance_loss = balance_loss
        self.main_loss_type = main_loss_type
        self.negative_ratio = negative_ratio
        self.return_origin = return_origin
        self.eps = eps
        if main_loss_type == "DiceLoss":
            self.loss = DiceLoss(eps)
        elif main_loss_type == "BCELoss":
            self.loss = BCELoss(reduction="none")
        elif main_loss_type == "MaskL1Loss":
            self.loss = MaskL1Loss(eps)
        elif main_loss_type in _BROKEN_UPSTREAM_TYPES:
            raise ConfigError(
                f"main_loss_type '{main_loss_type}' is not supported: upstream's version cannot take "
                f"the mask it is given. Use one of {', '.join(MAIN_LOSS_TYPES)}."
            )
        else:
            raise ConfigError(f"main_loss_type must be one of {', '.join(MAIN_LOSS_TYPES)}, got {main_loss_type!r}")

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor):
        positive = gt * mask
        negative = (1 - gt) * mask
        positive_count = int(positive.sum())
        negative_count = int(min(float(negative.sum()), positive_count * self.negative_ratio))
        loss = self.loss(pred, gt, mask=mask)
        if not self.balance_loss:
            return loss
        positive_loss = (positive * loss).sum()
        if negative_count > 0:
            negative_loss = paddle.reshape(negative * loss, [-1])
            hardest, _ = paddle.topk(negative_loss, k=negative_count)
            balanced = (positive_loss + hardest.sum()) / (positive_count + negative_count + self.eps)
        else:
            balanced = positive_loss / (positive_count + self.eps)
        if self.return_origin:
            return balanced, loss
        return balanced
