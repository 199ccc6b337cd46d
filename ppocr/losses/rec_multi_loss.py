"""Loss of a MultiHead recogniser: CTC on the CTC branch + SAR or NRTR on the guide (upstream ``MultiLoss``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError, DataError
from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.losses.rec_nrtr_loss import NRTRLoss
from ppocr.losses.rec_sar_loss import SARLoss
from ppocr.registry import LOSSES, check_params

__all__ = ["MultiLoss", "branch_batch", "BRANCH_OF_LOSS"]

# Each loss reads one output of MultiHead's training dict.
BRANCH_OF_LOSS = {"CTCLoss": "ctc", "SARLoss": "sar", "NRTRLoss": "nrtr"}
LOSS_CLASSES = {"CTCLoss": CTCLoss, "SARLoss": SARLoss, "NRTRLoss": NRTRLoss}


def branch_batch(branch: str, batch: Sequence[Any]) -> list[Any]:
    """The batch one branch's loss reads, from MultiLabelEncode's KeepKeys order
    ``[image, label_ctc, label_sar|label_gtc, length, valid_ratio]``.

    ``ctc``: ``[image, label_ctc, length, valid_ratio]`` (CTCLoss reads positions 1, 2);
    ``sar`` / ``nrtr``: ``[image, label_sar|label_gtc, length, valid_ratio]`` (positions 1, 2).
    """
    if len(batch) < 4:
        raise DataError(f"{branch} loss of a multi-head model: expected batch [image, label_ctc, "
                        f"label_sar|label_gtc, length, valid_ratio], got {len(batch)} item(s)")
    batch = list(batch)
    return batch[:2] + batch[3:] if branch == "ctc" else batch[:1] + batch[2:]


def branch_output(owner: str, predicts: Any, branch: str) -> Any:
    if not isinstance(predicts, Mapping) or branch not in predicts:
        have = ", ".join(map(str, predicts)) if isinstance(predicts, Mapping) else type(predicts).__name__
        raise DataError(f"{owner}: expected MultiHead's training outputs with '{branch}' (have: {have})")
    return predicts[branch]


@LOSSES.register()
class MultiLoss(nn.Layer):
    """``weight_1 * CTCLoss(ctc) + weight_2 * (SARLoss(sar) | NRTRLoss(nrtr))``.

    ``predicts``: MultiHead's training dict (``ctc``, ``sar`` or ``nrtr``). ``batch``: KeepKeys
    ``[image, label_ctc, label_sar|label_gtc, length, valid_ratio]``; CTCLoss reads
    ``label_ctc`` and ``length``, SARLoss ``label_sar``, NRTRLoss ``label_gtc`` and ``length``
    (see ``branch_batch``). Returns each weighted part under its loss name (``CTCLoss``,
    ``SARLoss``/``NRTRLoss``, as upstream logs them) and the sum under ``loss``.

    Args:
        loss_config_list: ``[{CTCLoss: null | {...}}, {SARLoss: ...} | {NRTRLoss: ...}]``.
            Unlike upstream, one loss's parameters do not leak into the next one.
        weight_1: weight of CTCLoss; weight_2: weight of SARLoss / NRTRLoss.
        character_dict_path, use_space_char: Global settings, handed to SARLoss (its
            padding ``ignore_index`` comes from the dictionary, as upstream's train.py sets it).
    """

    global_keys = ("character_dict_path", "use_space_char")

    def __init__(self, loss_config_list: list[dict[str, Any]], weight_1: float = 1.0, weight_2: float = 1.0,
                 character_dict_path: str | None = None, use_space_char: bool = False) -> None:
        super().__init__()
        if not isinstance(loss_config_list, list) or not loss_config_list:
            raise ConfigError(f"MultiLoss.loss_config_list must be a non-empty list, got {loss_config_list!r}")
        global_values = {"character_dict_path": character_dict_path, "use_space_char": use_space_char}
        self.loss_names: list[str] = []
        funcs = []
        for idx, item in enumerate(loss_config_list):
            where = f"Loss.loss_config_list[{idx}]"
            if not isinstance(item, Mapping) or len(item) != 1:
                raise ConfigError(f"{where}: expected one mapping {{LossName: {{...}} | null}}, got {item!r}")
            (name, params), = item.items()
            if name not in LOSS_CLASSES:
                raise ConfigError(f"{where}: MultiLoss supports {', '.join(LOSS_CLASSES)}, got {name!r}")
            if name in self.loss_names:
                raise ConfigError(f"{where}: {name} is listed twice")
            if params is not None and not isinstance(params, Mapping):
                raise ConfigError(f"{where}: {name} parameters must be a mapping or null, got {params!r}")
            factory = LOSS_CLASSES[name]
            injected = {k: global_values[k] for k in getattr(factory, "global_keys", ())}
            kwargs = check_params(factory, {**injected, **(params or {})}, f"loss '{name}'", where,
                                  injected_keys=set(injected))
            funcs.append(factory(**kwargs))
            self.loss_names.append(name)
        self.loss_funcs = nn.LayerList(funcs)
        self.weight_1 = float(weight_1)
        self.weight_2 = float(weight_2)

    def forward(self, predicts: Any, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        losses: dict[str, paddle.Tensor] = {}
        for name, func in zip(self.loss_names, self.loss_funcs):
            branch = BRANCH_OF_LOSS[name]
            weight = self.weight_1 if branch == "ctc" else self.weight_2
            out = branch_output("MultiLoss", predicts, branch)
            losses[name] = func(out, branch_batch(branch, batch))["loss"] * weight
        values = list(losses.values())
        losses["loss"] = sum(values[1:], values[0])
        return losses
