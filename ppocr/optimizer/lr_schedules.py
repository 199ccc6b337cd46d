"""Learning-rate schedules of the ``Optimizer.lr`` section, stepped once per iteration.

Each factory takes upstream PaddleOCR 2.x's parameter names and returns a
``paddle.optimizer.lr.LRScheduler`` built from the same Paddle classes upstream uses, so
the LR at every step matches upstream's. ``epochs`` and ``step_each_epoch`` are injected
by ``build_optimizer``; epoch-based settings (``warmup_epoch``, ``decay_epochs``, ...) are
converted to iterations here.

Warmup (all schedules): ``LinearWarmup`` from 0 to the base LR over
``round(warmup_epoch * step_each_epoch)`` iterations; afterwards the wrapped schedule
runs from its own step 0, i.e. it is shifted by the warmup length and still spans
``epochs * step_each_epoch`` steps (upstream does not subtract the warmup).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from paddle.optimizer import lr as paddle_lr

from ppocr.config import parse_number
from ppocr.errors import ConfigError
from ppocr.registry import LR_SCHEDULERS

logger = logging.getLogger("ppocr")

WHERE = "Optimizer.lr"


class ConstantLR(paddle_lr.LRScheduler):
    """A scheduler that always returns its base LR.

    Upstream passes a bare float to the optimizer for ``Const`` without warmup; a
    scheduler gives the trainer one interface (``step``/``state_dict``) for every
    schedule and yields the same value.
    """

    def get_lr(self) -> float:
        return self.base_lr


def _number(value: object, key: str, *, positive: bool = False, non_negative: bool = False) -> float:
    number = parse_number(value, f"{WHERE}.{key}")
    if positive and not number > 0:
        raise ConfigError(f"{WHERE}.{key} must be > 0, got {value!r}")
    if non_negative and not number >= 0:
        raise ConfigError(f"{WHERE}.{key} must be >= 0, got {value!r}")
    return number


def _steps(epochs: float, step_each_epoch: int, key: str) -> int:
    """Epochs (possibly fractional) to iterations, rounded like upstream (Python ``round``)."""
    return round(_number(epochs, key, non_negative=True) * step_each_epoch)


def _check_counts(epochs: int | None, step_each_epoch: int) -> None:
    if isinstance(step_each_epoch, bool) or not isinstance(step_each_epoch, int) or step_each_epoch < 1:
        raise ConfigError(f"{WHERE}: step_each_epoch must be a positive int, got {step_each_epoch!r}")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise ConfigError(f"{WHERE}: epochs (Global.epoch_num) must be a positive int, got {epochs!r}")


def _with_warmup(
    schedule: paddle_lr.LRScheduler | float,
    warmup_epoch: float,
    step_each_epoch: int,
    peak_lr: float,
    last_epoch: int,
) -> paddle_lr.LRScheduler:
    warmup_steps = _steps(warmup_epoch, step_each_epoch, "warmup_epoch")
    if warmup_steps <= 0:
        if isinstance(schedule, paddle_lr.LRScheduler):
            return schedule
        return ConstantLR(learning_rate=schedule, last_epoch=last_epoch)
    if not peak_lr > 0:
        raise ConfigError(f"{WHERE}: warmup needs a learning rate > 0 to warm up to, got {peak_lr}")
    return paddle_lr.LinearWarmup(
        learning_rate=schedule, warmup_steps=warmup_steps, start_lr=0.0, end_lr=peak_lr,
        last_epoch=last_epoch,
    )


@LR_SCHEDULERS.register()
def Cosine(
    learning_rate: float,
    step_each_epoch: int,
    epochs: int,
    warmup_epoch: float = 0,
    last_epoch: int = -1,
) -> paddle_lr.LRScheduler:
    """Cosine annealing from ``learning_rate`` to 0 over ``epochs * step_each_epoch`` steps."""
    _check_counts(epochs, step_each_epoch)
    base = _number(learning_rate, "learning_rate", positive=True)
    schedule = paddle_lr.CosineAnnealingDecay(
        learning_rate=base, T_max=epochs * step_each_epoch, last_epoch=last_epoch)
    return _with_warmup(schedule, warmup_epoch, step_each_epoch, base, last_epoch)


@LR_SCHEDULERS.register()
def Linear(
    learning_rate: float,
    epochs: int,
    step_each_epoch: int,
    end_lr: float = 0.0,
    power: float = 1.0,
    warmup_epoch: float = 0,
    last_epoch: int = -1,
) -> paddle_lr.LRScheduler:
    """Polynomial decay (linear with ``power`` 1) to ``end_lr`` at the last step."""
    _check_counts(epochs, step_each_epoch)
    base = _number(learning_rate, "learning_rate", positive=True)
    schedule = paddle_lr.PolynomialDecay(
        learning_rate=base, decay_steps=epochs * step_each_epoch,
        end_lr=_number(end_lr, "end_lr", non_negative=True), power=_number(power, "power"),
        last_epoch=last_epoch)
    return _with_warmup(schedule, warmup_epoch, step_each_epoch, base, last_epoch)


@LR_SCHEDULERS.register()
def Step(
    learning_rate: float,
    step_size: float,
    step_each_epoch: int,
    gamma: float,
    warmup_epoch: float = 0,
    last_epoch: int = -1,
) -> paddle_lr.LRScheduler:
    """Multiply the LR by ``gamma`` every ``step_size`` epochs."""
    _check_counts(None, step_each_epoch)
    base = _number(learning_rate, "learning_rate", positive=True)
    size = _steps(step_size, step_each_epoch, "step_size")
    if size < 1:
        raise ConfigError(f"{WHERE}.step_size must cover at least one iteration, got {step_size!r}")
    schedule = paddle_lr.StepDecay(learning_rate=base, step_size=size, gamma=_number(gamma, "gamma"),
                                   last_epoch=last_epoch)
    return _with_warmup(schedule, warmup_epoch, step_each_epoch, base, last_epoch)


@LR_SCHEDULERS.register()
def MultiStepDecay(
    learning_rate: float,
    milestones: Sequence[float],
    step_each_epoch: int,
    gamma: float,
    warmup_epoch: float = 0,
    last_epoch: int = -1,
) -> paddle_lr.LRScheduler:
    """Multiply the LR by ``gamma`` at each of the ``milestones`` (epochs)."""
    _check_counts(None, step_each_epoch)
    base = _number(learning_rate, "learning_rate", positive=True)
    steps = _epoch_list(milestones, step_each_epoch, "milestones")
    schedule = paddle_lr.MultiStepDecay(learning_rate=base, milestones=steps,
                                        gamma=_number(gamma, "gamma"), last_epoch=last_epoch)
    return _with_warmup(schedule, warmup_epoch, step_each_epoch, base, last_epoch)


@LR_SCHEDULERS.register()
def Piecewise(
    step_each_epoch: int,
    decay_epochs: Sequence[float],
    values: Sequence[float],
    warmup_epoch: float = 0,
    last_epoch: int = -1,
) -> paddle_lr.LRScheduler:
    """``values[i]`` until ``decay_epochs[i]``; warmup goes up to ``values[0]``.

    Upstream's ``ch_PP-OCRv2_rec_enhanced_ctc_loss.yml`` gives as many values as
    boundaries; Paddle 2.x then kept the last value after the last boundary, Paddle 3
    refuses. We repeat the last value (the 2.x behaviour) and log it.
    """
    _check_counts(None, step_each_epoch)
    boundaries = _epoch_list(decay_epochs, step_each_epoch, "decay_epochs")
    if not boundaries:
        raise ConfigError(f"{WHERE}.decay_epochs must list at least one epoch")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ConfigError(f"{WHERE}.values must be a list of learning rates, got {values!r}")
    lrs = [_number(v, f"values[{i}]", non_negative=True) for i, v in enumerate(values)]
    if len(lrs) == len(boundaries):
        logger.warning("%s: %d decay_epochs but %d values; the last value %g is kept after the last "
                       "boundary (as Paddle 2.x did)", WHERE, len(boundaries), len(lrs), lrs[-1])
        lrs.append(lrs[-1])
    if len(lrs) != len(boundaries) + 1:
        raise ConfigError(f"{WHERE}.values needs len(decay_epochs) + 1 = {len(boundaries) + 1} "
                          f"learning rates, got {len(lrs)}")
    schedule = paddle_lr.PiecewiseDecay(boundaries=boundaries, values=lrs, last_epoch=last_epoch)
    return _with_warmup(schedule, warmup_epoch, step_each_epoch, lrs[0], last_epoch)


@LR_SCHEDULERS.register()
def Const(
    learning_rate: float,
    step_each_epoch: int,
    warmup_epoch: float = 0,
    last_epoch: int = -1,
) -> paddle_lr.LRScheduler:
    """A constant LR (after the optional warmup)."""
    _check_counts(None, step_each_epoch)
    base = _number(learning_rate, "learning_rate", non_negative=True)
    return _with_warmup(base, warmup_epoch, step_each_epoch, base, last_epoch)


def _epoch_list(epochs: Sequence[float], step_each_epoch: int, key: str) -> list[int]:
    if isinstance(epochs, (str, bytes)) or not isinstance(epochs, Sequence):
        raise ConfigError(f"{WHERE}.{key} must be a list of epochs, got {epochs!r}")
    steps = [_steps(e, step_each_epoch, f"{key}[{i}]") for i, e in enumerate(epochs)]
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise ConfigError(f"{WHERE}.{key} must increase, got {list(epochs)!r}")
    return steps
