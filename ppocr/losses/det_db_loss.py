"""DB (Differentiable Binarization) detection loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paddle
import paddle.nn as nn

from ppocr.errors import DataError
from ppocr.losses.det_basic_loss import BalanceLoss, DiceLoss, MaskL1Loss
from ppocr.registry import LOSSES

__all__ = ["DBLoss", "split_db_maps", "db_targets"]


def split_db_maps(predicts: Any, owner: str = "DBLoss", channels: int = 3) -> paddle.Tensor:
    """The ``[N, C, H, W]`` maps (shrink, threshold, binary) of a DBHead output.

    ``channels`` is how many of them the caller reads: a training head gives 3, a
    head in eval mode (e.g. a frozen teacher) only the shrink map.
    """
    maps = predicts.get("maps") if isinstance(predicts, dict) else predicts
    if not isinstance(maps, paddle.Tensor) or maps.ndim != 4 or maps.shape[1] < channels:
        got = list(maps.shape) if isinstance(maps, paddle.Tensor) else type(maps).__name__
        raise DataError(
            f"{owner}: expected DBHead maps [N, {channels}+, H, W] (shrink, threshold, binary), got {got}. "
            "A DBHead in eval mode outputs only the shrink map: is the model in train mode?"
        )
    return maps


def db_targets(batch: Sequence[Any], owner: str = "DBLoss") -> tuple[paddle.Tensor, ...]:
    """``(threshold_map, threshold_mask, shrink_map, shrink_mask)`` from a det train batch."""
    if len(batch) < 5:
        raise DataError(
            f"{owner}: expected batch [image, threshold_map, threshold_mask, shrink_map, shrink_mask] "
            f"(KeepKeys order of det training), got {len(batch)} item(s)"
        )
    return tuple(batch[1:5])


@LOSSES.register()
class DBLoss(nn.Layer):
    """``alpha * shrink + beta * threshold + binary`` as in the DB paper and upstream.

    Reads ``batch[1:5]`` (det train KeepKeys): threshold_map, threshold_mask, shrink_map,
    shrink_mask, each float32 ``[N, H, W]`` at the input image's size. ``predicts``: the
    training DBHead output ``{"maps": [N, 3, H, W]}`` (shrink | threshold | binary).
    The shrink map uses ``BalanceLoss`` (OHEM with ``ohem_ratio`` negatives per
    positive) around ``main_loss_type``; the threshold map masked L1; the binary map Dice.
    Returns ``loss_shrink_maps`` and ``loss_threshold_maps`` already weighted by
    alpha/beta, ``loss_binary_maps`` and the total ``loss``. Upstream 2.6+ also returns
    a ``loss_cbn`` that is always 0 without CBN heads; it is left out.

    Args:
        balance_loss: use OHEM on the shrink map.
        main_loss_type: the shrink map's loss: ``DiceLoss``, ``BCELoss`` or ``MaskL1Loss``.
        alpha: shrink map weight.
        beta: threshold map weight.
        ohem_ratio: negatives kept per positive pixel.
        eps: of the Dice and L1 losses (the balanced loss keeps its own 1e-6, as upstream).
    """

    def __init__(self, balance_loss: bool = True, main_loss_type: str = "DiceLoss", alpha: float = 5,
                 beta: float = 10, ohem_ratio: float = 3, eps: float = 1e-6) -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.dice_loss = DiceLoss(eps=eps)
        self.l1_loss = MaskL1Loss(eps=eps)
        self.bce_loss = BalanceLoss(balance_loss=balance_loss, main_loss_type=main_loss_type,
                                    negative_ratio=ohem_ratio)

    def forward(self, predicts: Any, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        maps = split_db_maps(predicts)
        threshold_map, threshold_mask, shrink_map, shrink_mask = db_targets(batch)
        loss_shrink_maps = self.alpha * self.bce_loss(maps[:, 0], shrink_map, shrink_mask)
        loss_threshold_maps = self.beta * self.l1_loss(maps[:, 1], threshold_map, threshold_mask)
        loss_binary_maps = self.dice_loss(maps[:, 2], shrink_map, shrink_mask)
        return {
            "loss": loss_shrink_maps + loss_threshold_maps + loss_binary_maps,
            "loss_shrink_maps": loss_shrink_maps,
            "loss_threshold_maps": loss_threshold_maps,
            "loss_binary_maps": loss_binary_maps,
        }
