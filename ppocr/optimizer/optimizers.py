"""Optimizers of the ``Optimizer`` section (upstream PaddleOCR 2.x names and parameters).

Each registered class holds the validated settings; ``build(model)`` creates the Paddle
optimizer over the model's trainable parameters. ``learning_rate`` (the LR schedule),
``weight_decay`` (from ``regularizer`` or a top-level ``weight_decay``) and
``grad_clip`` (from ``clip_norm`` / ``clip_norm_global``) are injected by
``build_optimizer``; the config does not set them under these names.
"""

from __future__ import annotations

from typing import Any

import paddle

from ppocr.config import parse_number
from ppocr.errors import ConfigError
from ppocr.registry import OPTIMIZERS

WHERE = "Optimizer"

WeightDecay = float | paddle.regularizer.L1Decay | paddle.regularizer.L2Decay | None


def _num(value: object, key: str, low: float | None = None, high: float | None = None) -> float:
    number = parse_number(value, f"{WHERE}.{key}")
    if (low is not None and number < low) or (high is not None and number >= high):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'})"
        raise ConfigError(f"{WHERE}.{key} must be in {bounds}, got {value!r}")
    return number


def _trainable(model: paddle.nn.Layer) -> list[paddle.Tensor]:
    params = [p for p in model.parameters() if p.trainable]
    if not params:
        raise ConfigError(f"{WHERE}: the model has no trainable parameter to optimize")
    return params


class _OptimizerSpec:
    """Validated settings; subclasses turn them into a Paddle optimizer."""

    def __init__(self, learning_rate: Any, weight_decay: WeightDecay, grad_clip: Any) -> None:
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip

    def build(self, model: paddle.nn.Layer) -> paddle.optimizer.Optimizer:
        """The Paddle optimizer over ``model``'s trainable parameters."""
        raise NotImplementedError


@OPTIMIZERS.register()
class Momentum(_OptimizerSpec):
    """SGD with momentum; an L2 ``weight_decay`` is fused into the update (Paddle)."""

    def __init__(
        self,
        learning_rate: Any,
        momentum: float,
        weight_decay: WeightDecay = None,
        grad_clip: Any = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, grad_clip)
        self.momentum = _num(momentum, "momentum", 0.0)

    def build(self, model: paddle.nn.Layer) -> paddle.optimizer.Optimizer:
        return paddle.optimizer.Momentum(
            learning_rate=self.learning_rate, momentum=self.momentum, weight_decay=self.weight_decay,
            grad_clip=self.grad_clip, parameters=_trainable(model))


@OPTIMIZERS.register()
class Adam(_OptimizerSpec):
    """Adam; ``weight_decay`` is coupled (added to the gradient), as upstream.

    ``parameter_list`` is upstream's and ignored there too: the parameters are always
    the model's trainable ones.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-08,
        parameter_list: Any = None,
        weight_decay: WeightDecay = None,
        grad_clip: Any = None,
        name: str | None = None,
        lazy_mode: bool = False,
    ) -> None:
        super().__init__(learning_rate, weight_decay, grad_clip)
        self.beta1 = _num(beta1, "beta1", 0.0, 1.0)
        self.beta2 = _num(beta2, "beta2", 0.0, 1.0)
        self.epsilon = _num(epsilon, "epsilon", 0.0)
        self.name = name
        self.lazy_mode = bool(lazy_mode)

    def build(self, model: paddle.nn.Layer) -> paddle.optimizer.Optimizer:
        return paddle.optimizer.Adam(
            learning_rate=self.learning_rate, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
            weight_decay=self.weight_decay, grad_clip=self.grad_clip, name=self.name,
            lazy_mode=self.lazy_mode, parameters=_trainable(model))


@OPTIMIZERS.register()
class RMSProp(_OptimizerSpec):
    """RMSProp with optional momentum."""

    def __init__(
        self,
        learning_rate: Any,
        momentum: float = 0.0,
        rho: float = 0.95,
        epsilon: float = 1e-6,
        weight_decay: WeightDecay = None,
        grad_clip: Any = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, grad_clip)
        self.momentum = _num(momentum, "momentum", 0.0)
        self.rho = _num(rho, "rho", 0.0)
        self.epsilon = _num(epsilon, "epsilon", 0.0)

    def build(self, model: paddle.nn.Layer) -> paddle.optimizer.Optimizer:
        return paddle.optimizer.RMSProp(
            learning_rate=self.learning_rate, momentum=self.momentum, rho=self.rho, epsilon=self.epsilon,
            weight_decay=self.weight_decay, grad_clip=self.grad_clip, parameters=_trainable(model))


@OPTIMIZERS.register()
class Adadelta(_OptimizerSpec):
    """Adadelta. ``parameter_list`` is upstream's and ignored (see ``Adam``)."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        epsilon: float = 1e-08,
        rho: float = 0.95,
        parameter_list: Any = None,
        weight_decay: WeightDecay = None,
        grad_clip: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay, grad_clip)
        self.epsilon = _num(epsilon, "epsilon", 0.0)
        self.rho = _num(rho, "rho", 0.0)
        self.name = name

    def build(self, model: paddle.nn.Layer) -> paddle.optimizer.Optimizer:
        return paddle.optimizer.Adadelta(
            learning_rate=self.learning_rate, epsilon=self.epsilon, rho=self.rho,
            weight_decay=self.weight_decay, grad_clip=self.grad_clip, name=self.name,
            parameters=_trainable(model))


@OPTIMIZERS.register()
class AdamW(_OptimizerSpec):
    """Adam with decoupled weight decay (param -= lr * coeff * param).

    ``weight_decay`` is the coefficient (default 0.01, as upstream, when neither
    ``weight_decay`` nor an L2 ``regularizer`` is given). Parameters whose structured
    name contains one of the space-separated ``no_weight_decay_name`` substrings, and
    with ``one_dim_param_no_weight_decay`` every 1-D parameter (biases, norms), are not
    decayed.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: WeightDecay = 0.01,
        multi_precision: bool = False,
        grad_clip: Any = None,
        no_weight_decay_name: str | None = None,
        one_dim_param_no_weight_decay: bool = False,
        name: str | None = None,
        lazy_mode: bool = False,
    ) -> None:
        if weight_decay is None:
            weight_decay = 0.01
        if not isinstance(weight_decay, (int, float, str)) or isinstance(weight_decay, bool):
            raise ConfigError(f"{WHERE}: AdamW decays with a coefficient; use 'regularizer: {{name: L2, "
                              f"factor: ...}}' or 'weight_decay: <float>', not {weight_decay!r}")
        super().__init__(learning_rate, _num(weight_decay, "weight_decay", 0.0), grad_clip)
        self.beta1 = _num(beta1, "beta1", 0.0, 1.0)
        self.beta2 = _num(beta2, "beta2", 0.0, 1.0)
        self.epsilon = _num(epsilon, "epsilon", 0.0)
        self.multi_precision = bool(multi_precision)
        if no_weight_decay_name is not None and not isinstance(no_weight_decay_name, str):
            raise ConfigError(f"{WHERE}.no_weight_decay_name must be a space-separated string, "
                              f"got {no_weight_decay_name!r}")
        self.no_weight_decay_names = (no_weight_decay_name or "").split()
        self.one_dim_param_no_weight_decay = bool(one_dim_param_no_weight_decay)
        self.name = name
        self.lazy_mode = bool(lazy_mode)

    def no_decay_param_names(self, model: paddle.nn.Layer) -> set[str]:
        """Paddle names (``param.name``) of the parameters excluded from decay."""
        skip = set()
        for structured, param in model.named_parameters():
            if any(part in structured for part in self.no_weight_decay_names):
                skip.add(param.name)
            elif self.one_dim_param_no_weight_decay and len(param.shape) == 1:
                skip.add(param.name)
        return skip

    def build(self, model: paddle.nn.Layer) -> paddle.optimizer.Optimizer:
        skip = self.no_decay_param_names(model)
        return paddle.optimizer.AdamW(
            learning_rate=self.learning_rate, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
            parameters=_trainable(model), weight_decay=self.weight_decay,
            multi_precision=self.multi_precision, grad_clip=self.grad_clip, name=self.name,
            lazy_mode=self.lazy_mode, apply_decay_param_fun=lambda pname: pname not in skip)
