"""A weighted sum of losses, configured as upstream's ``loss_config_list``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError, DataError
from ppocr.registry import LOSSES, check_params

__all__ = ["CombinedLoss"]


@LOSSES.register()
class CombinedLoss(nn.Layer):
    """Sum of ``weight * loss`` over ``loss_config_list``.

    Each item is ``{LossName: {weight: w, **params}}``. ``predicts`` and ``batch`` go to
    every listed loss unchanged, so it reads what they read. Every part a loss reports is
    kept under its own name, multiplied by its weight, as upstream; the weighted
    total goes under ``loss``. Two additions: a loss that reports only ``loss`` (e.g.
    ``CTCLoss``) also appears as ``{LossName}_{idx}`` (upstream drops it from the log),
    and a part name reported twice is kept as ``{part}_{idx}`` instead of being
    overwritten (the total is right either way).

    Args:
        loss_config_list: the losses and their parameters.
        character_dict_path, use_space_char: Global settings, handed to the listed
            losses that declare them in ``global_keys`` (their own values win).
    """

    global_keys = ("character_dict_path", "use_space_char")

    def __init__(self, loss_config_list: list[dict[str, Any]], character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        super().__init__()
        if not isinstance(loss_config_list, list) or not loss_config_list:
            raise ConfigError(f"CombinedLoss.loss_config_list must be a non-empty list, got {loss_config_list!r}")
        global_values = {"character_dict_path": character_dict_path, "use_space_char": use_space_char}
        self.loss_names: list[str] = []
        self.loss_weight: list[float] = []
        funcs = []
        for idx, item in enumerate(loss_config_list):
            where = f"Loss.loss_config_list[{idx}]"
            if not isinstance(item, Mapping) or len(item) != 1:
                raise ConfigError(f"{where}: expected one mapping {{LossName: {{weight: ..., ...}}}}, got {item!r}")
            (name, params), = item.items()
            if not isinstance(params, Mapping) or "weight" not in params:
                raise ConfigError(f"{where}: {name} needs a 'weight' (got {params!r})")
            params = dict(params)  # never mutate the user's config
            weight = params.pop("weight")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise ConfigError(f"{where}: {name}.weight must be a number, got {weight!r}")
            try:
                factory = LOSSES.get(name)
            except ConfigError as exc:  # keep the type: UnknownComponentError is also a KeyError
                raise type(exc)(f"{where}: {exc}") from exc
            injected = {k: global_values[k] for k in getattr(factory, "global_keys", ()) if k in global_values}
            kwargs = check_params(factory, {**injected, **params}, f"loss '{name}'", where,
                                  injected_keys=set(injected))
            try:
                funcs.append(factory(**kwargs))
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from exc
            self.loss_names.append(name)
            self.loss_weight.append(float(weight))
        self.loss_func = nn.LayerList(funcs)

    def forward(self, predicts: Any, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        losses: dict[str, paddle.Tensor] = {}
        total = None
        for idx, (name, func, weight) in enumerate(zip(self.loss_names, self.loss_func, self.loss_weight)):
            out = func(predicts, batch)
            if not isinstance(out, dict) or "loss" not in out:
                raise DataError(f"CombinedLoss: {name} (item {idx}) must return a dict with 'loss'")
            weighted = {key: value * weight for key, value in out.items()}
            total = weighted["loss"] if total is None else total + weighted["loss"]
            parts = {k: v for k, v in weighted.items() if k != "loss"} or {f"{name}_{idx}": weighted["loss"]}
            for key, value in parts.items():
                losses[f"{key}_{idx}" if key in losses else key] = value
        losses["loss"] = total
        return losses
