"""Weight-decay regularizers of the ``Optimizer.regularizer`` section.

Upstream configs say ``name: L2`` (the builder appends ``Decay``), so both spellings
are registered. What each builds is what upstream hands to the Paddle optimizer as
``weight_decay``:

- ``L2``: the bare float factor. Paddle turns a float into ``L2Decay`` for Adam/RMSProp
  (grad += factor * param), fuses it into the Momentum update, and uses it as the
  decoupled decay coefficient for AdamW.
- ``L1``: ``paddle.regularizer.L1Decay(factor)``.

Either way a parameter whose ``ParamAttr`` carries its own regularizer (several heads
do) keeps that one: Paddle applies the optimizer-wide decay only to the others.
"""

from __future__ import annotations

import paddle

from ppocr.config import parse_number
from ppocr.errors import ConfigError
from ppocr.registry import REGULARIZERS

WHERE = "Optimizer.regularizer"


def _factor(value: object) -> float:
    factor = parse_number(value, f"{WHERE}.factor")
    if factor < 0:
        raise ConfigError(f"{WHERE}.factor must be >= 0, got {value!r}")
    return factor


@REGULARIZERS.register("L1")
@REGULARIZERS.register("L1Decay")
class L1Decay:
    """L1 decay (pushes weights to exactly zero)."""

    def __init__(self, factor: float = 0.0) -> None:
        self.factor = _factor(factor)

    def to_paddle(self) -> paddle.regularizer.L1Decay:
        """The ``weight_decay`` argument for a Paddle optimizer."""
        return paddle.regularizer.L1Decay(self.factor)


@REGULARIZERS.register("L2")
@REGULARIZERS.register("L2Decay")
class L2Decay:
    """L2 decay; built as a float so AdamW can use it as its decoupled coefficient."""

    def __init__(self, factor: float = 0.0) -> None:
        self.factor = _factor(factor)

    def to_paddle(self) -> float:
        """The ``weight_decay`` argument for a Paddle optimizer."""
        return self.factor
