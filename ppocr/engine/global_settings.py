"""Checks on the ``Global`` values the trainer reads, done before anything is built.

Upstream reads these with ``int(...)`` deep inside the loop, so ``epoch_num: three`` is a
bare ``ValueError`` and ``save_epoch_step: 0`` a ``ZeroDivisionError`` after a whole epoch
of training. Here every value is checked once, at ``Trainer.__init__``, and a bad one is a
``ConfigError`` naming ``Global.<key>``, what was expected and what was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ppocr.errors import ConfigError

__all__ = ["GlobalSettings", "check_global_settings", "parse_eval_step"]

# key -> (default, smallest allowed value, what the message says is expected)
_INTEGERS: dict[str, tuple[int, int, str]] = {
    "epoch_num": (1, 1, "a positive integer"),
    "print_batch_step": (10, 1, "a positive integer"),
    "save_epoch_step": (1, 1, "a positive integer"),
    "log_smooth_window": (20, 1, "a positive integer"),
    "max_nonfinite_steps": (5, 1, "a positive integer"),
    "max_keep_checkpoints": (3, 0, "a non-negative integer (0 keeps all)"),
    "seed": (1024, 0, "an integer in [0, 2**32)"),
}
_BOOLEANS: dict[str, bool] = {"use_gpu": False, "allow_shape_mismatch": False, "cal_metric_during_train": False}
_MAX_SEED = 2**32  # numpy's RandomState refuses larger seeds


@dataclass(frozen=True)
class GlobalSettings:
    """The checked values (defaults filled in) the training loop uses."""

    epoch_num: int
    print_batch_step: int
    save_epoch_step: int
    log_smooth_window: int
    max_nonfinite_steps: int
    max_keep_checkpoints: int
    seed: int
    eval_start: int
    eval_interval: int
    save_model_dir: str


def _integer(value: Any) -> int | None:
    """``value`` as an int when it is one (``3`` or ``3.0``), else None (bools are not ints here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def parse_eval_step(value: Any) -> tuple[int, int]:
    """``eval_batch_step``: ``[start, interval]`` as upstream, or a bare interval (0 = never).

    Raises:
        ConfigError: not one non-negative integer or a list of two.
    """
    items = value if isinstance(value, (list, tuple)) and len(value) == 2 else [0, value]
    parsed = [_integer(v) for v in items]
    if any(v is None or v < 0 for v in parsed):
        raise ConfigError(f"Global.eval_batch_step: expected a non-negative integer interval or [start, interval], "
                          f"got {value!r}")
    return parsed[0], parsed[1]


def check_global_settings(global_cfg: dict[str, Any] | None) -> GlobalSettings:
    """Check the ``Global`` keys the trainer reads; missing keys get upstream's defaults.

    Raises:
        ConfigError: ``Global.<key>: expected ..., got ...`` for the first bad value.
    """
    g = global_cfg or {}
    if not isinstance(g, dict):
        raise ConfigError(f"Global: expected a mapping of settings, got {type(g).__name__}")
    ints: dict[str, int] = {}
    for key, (default, low, expected) in _INTEGERS.items():
        raw = g.get(key)
        value = default if raw is None else _integer(raw)
        if value is None or value < low or (key == "seed" and value >= _MAX_SEED):
            raise ConfigError(f"Global.{key}: expected {expected}, got {raw!r}")
        ints[key] = value
    for key in _BOOLEANS:
        raw = g.get(key)
        if raw is not None and not isinstance(raw, bool):  # bool("false") would be True
            raise ConfigError(f"Global.{key}: expected true or false, got {raw!r}")
    save_dir = g.get("save_model_dir", "./output")
    if not isinstance(save_dir, str) or not save_dir.strip():
        raise ConfigError(f"Global.save_model_dir: expected a directory path, got {save_dir!r}")
    eval_start, eval_interval = parse_eval_step(g.get("eval_batch_step") or [0, 0])
    return GlobalSettings(eval_start=eval_start, eval_interval=eval_interval, save_model_dir=save_dir, **ints)
