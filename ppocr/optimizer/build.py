"""``build_optimizer``: the ``Optimizer`` section to a Paddle optimizer and its LR schedule."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import paddle
from paddle.optimizer.lr import LRScheduler

from ppocr.config import parse_number
from ppocr.errors import ConfigError, UnknownComponentError
from ppocr.registry import LR_SCHEDULERS, OPTIMIZERS, REGULARIZERS

# Keys build_optimizer supplies itself; a config setting them would silently replace them.
_INJECTED_LR_KEYS = ("epochs", "step_each_epoch")
_INJECTED_OPTIM_KEYS = ("learning_rate", "grad_clip", "parameters")


def build_optimizer(
    optim_cfg: Mapping[str, Any], epochs: int, step_each_epoch: int, model: paddle.nn.Layer
) -> tuple[paddle.optimizer.Optimizer, LRScheduler]:
    """Build the optimizer over ``model``'s trainable parameters and its LR schedule.

    The schedule counts iterations: call ``lr_scheduler.step()`` once per training
    step (as upstream). ``epochs`` (Global.epoch_num) and ``step_each_epoch`` (batches
    per epoch) are injected into the schedule. The section is not mutated.

    Section layout (upstream PaddleOCR 2.x)::

        name: Adam            # Momentum, Adam, AdamW, RMSProp, Adadelta
        beta1: 0.9            # the optimizer's own parameters
        lr: {name: Cosine, learning_rate: 0.001, warmup_epoch: 2}
        regularizer: {name: L2, factor: 1.0e-05}   # or a top-level weight_decay
        clip_norm: 10         # per-tensor norm clip; clip_norm_global: global-norm clip

    Returns:
        ``(optimizer, lr_scheduler)``; the optimizer reads its LR from the scheduler.
    """
    if not isinstance(optim_cfg, Mapping):
        raise ConfigError(f"Optimizer: expected a mapping with 'name' and 'lr', got {optim_cfg!r}")
    cfg = copy.deepcopy(dict(optim_cfg))
    if "lr" not in cfg:
        raise ConfigError("Optimizer: missing 'lr' (e.g. lr: {name: Cosine, learning_rate: 0.001})")
    lr_scheduler = build_lr_scheduler(cfg.pop("lr"), epochs, step_each_epoch)
    weight_decay = _weight_decay(cfg)
    grad_clip = _grad_clip(cfg)
    for key in _INJECTED_OPTIM_KEYS:
        if key in cfg:
            hint = " (set it under Optimizer.lr)" if key == "learning_rate" else ""
            raise ConfigError(f"Optimizer.{key} is set by ppocr, not by the config{hint}")
    if "name" not in cfg:
        raise ConfigError(f"Optimizer: missing 'name' (one of {', '.join(OPTIMIZERS.names())})")
    spec = _build(OPTIMIZERS, cfg, "Optimizer", learning_rate=lr_scheduler, weight_decay=weight_decay,
                  grad_clip=grad_clip)
    return spec.build(model), lr_scheduler


def build_lr_scheduler(lr_cfg: Any, epochs: int, step_each_epoch: int) -> LRScheduler:
    """The ``Optimizer.lr`` schedule; without ``name`` it is a constant ``learning_rate``."""
    if not isinstance(lr_cfg, Mapping):
        raise ConfigError(f"Optimizer.lr: expected a mapping like {{name: Cosine, learning_rate: 0.001}}, "
                          f"got {lr_cfg!r}")
    lr_cfg = dict(lr_cfg)
    for key in _INJECTED_LR_KEYS:
        if key in lr_cfg:
            source = "Global.epoch_num" if key == "epochs" else "the training data"
            raise ConfigError(f"Optimizer.lr.{key} is taken from {source}; remove it from the config")
    if "name" not in lr_cfg:
        # Upstream then uses the bare float; Const without warmup gives the same LR.
        extra = sorted(set(lr_cfg) - {"learning_rate"})
        if "learning_rate" not in lr_cfg or extra:
            raise ConfigError(
                "Optimizer.lr: without 'name' only 'learning_rate' is allowed"
                + (f", got {', '.join(extra)}" if extra else "; it is missing")
                + f". Schedules: {', '.join(LR_SCHEDULERS.names())}")
        lr_cfg["name"] = "Const"
    return _build(LR_SCHEDULERS, lr_cfg, "Optimizer.lr", epochs=epochs, step_each_epoch=step_each_epoch)


def _weight_decay(cfg: dict[str, Any]) -> Any:
    """Pop ``regularizer`` / ``weight_decay`` and return the optimizer's ``weight_decay``."""
    reg_cfg = cfg.pop("regularizer", None)
    if "weight_decay" in cfg:
        if reg_cfg is not None:
            raise ConfigError("Optimizer: set either 'regularizer' or 'weight_decay', not both")
        return parse_number(cfg.pop("weight_decay"), "Optimizer.weight_decay")
    if reg_cfg is None:
        return None
    if not isinstance(reg_cfg, Mapping):
        raise ConfigError(f"Optimizer.regularizer: expected {{name: L2, factor: ...}}, got {reg_cfg!r}")
    return _build(REGULARIZERS, dict(reg_cfg), "Optimizer.regularizer").to_paddle()


def _grad_clip(cfg: dict[str, Any]) -> Any:
    if "clip_norm" in cfg and "clip_norm_global" in cfg:
        raise ConfigError("Optimizer: set either 'clip_norm' or 'clip_norm_global', not both")
    for key, clip_cls in (("clip_norm", paddle.nn.ClipGradByNorm),
                          ("clip_norm_global", paddle.nn.ClipGradByGlobalNorm)):
        if key in cfg:
            value = parse_number(cfg.pop(key), f"Optimizer.{key}")
            if not value > 0:
                raise ConfigError(f"Optimizer.{key} must be > 0, got {value}")
            return clip_cls(clip_norm=value)
    return None


def _build(registry: Any, cfg: dict[str, Any], where: str, **injected: Any) -> Any:
    """``registry.build`` with the config path in unknown-name errors (``Optimizer.lr.name``)."""
    if "name" in cfg:
        try:
            registry.get(cfg["name"])
        except UnknownComponentError as exc:
            raise UnknownComponentError(f"{where}.name: {exc}") from None
        except ConfigError as exc:
            raise ConfigError(f"{where}.name: {exc}") from None
    return registry.build(cfg, where=where, **injected)
