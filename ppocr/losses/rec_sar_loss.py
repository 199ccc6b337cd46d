"""Cross-entropy of the SAR head (upstream ``SARLoss``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import ConfigError, DataError
from ppocr.registry import LOSSES
from ppocr.utils.character_dict import CharacterDict

__all__ = ["SARLoss", "sar_padding_index"]


def sar_padding_index(character_dict_path: str | None, use_space_char: bool) -> int:
    """SAR's padding class for a dictionary: CTC classes + 1 (= dictionary + unknown + start/end),
    the ``ignore_index`` upstream's train.py gives SARLoss."""
    return CharacterDict(character_dict_path, use_space_char).ctc_num_classes + 1


@LOSSES.register()
class SARLoss(nn.Layer):
    """Mean cross-entropy over the steps of the label, padding ignored.

    Reads ``batch[1]``: the SAR label ``[N, L]`` int64 (``<start> text <end> <pad>...``), so
    with MultiLabelEncode's KeepKeys ``[image, label_ctc, label_sar, length, valid_ratio]`` it
    is given ``batch[:1] + batch[2:]`` (MultiLoss does that). ``predicts``: SARHead training
    logits ``[N, L, C]``; step ``t`` predicts label token ``t + 1``, so the last step and the
    first token are dropped. Returns ``{"loss"}``.

    Args:
        ignore_index: the padding class. Unset: derived from Global's dictionary
            (``sar_padding_index``), which is what upstream's train.py writes into the config
            for MultiHead models; upstream's own default (92) fits only a 90-character dict.
        character_dict_path, use_space_char: Global settings for that derivation.
    """

    global_keys = ("character_dict_path", "use_space_char")

    def __init__(self, ignore_index: int | None = None, character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        super().__init__()
        if ignore_index is None:
            ignore_index = sar_padding_index(character_dict_path, use_space_char)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise ConfigError(f"SARLoss.ignore_index must be an int, got {ignore_index!r}")
        self.ignore_index = ignore_index

    def forward(self, predicts: paddle.Tensor, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        if not isinstance(predicts, paddle.Tensor) or predicts.ndim != 3:
            got = list(predicts.shape) if isinstance(predicts, paddle.Tensor) else type(predicts).__name__
            raise DataError(f"SARLoss: expected SARHead logits [N, L, C], got {got}")
        if len(batch) < 2:
            raise DataError(f"SARLoss: expected batch [image, label_sar, ...], got {len(batch)} item(s)")
        label = paddle.cast(batch[1], "int64")
        if label.ndim != 2 or label.shape[0] != predicts.shape[0] or label.shape[1] != predicts.shape[1]:
            raise DataError(f"SARLoss: label {list(label.shape)} does not match predictions {list(predicts.shape)}")
        logits = predicts[:, :-1, :].reshape([-1, predicts.shape[2]])
        target = label[:, 1:].reshape([-1])
        loss = F.cross_entropy(logits, target, ignore_index=self.ignore_index, reduction="mean")
        return {"loss": loss}
