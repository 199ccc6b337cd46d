"""Fused (re-parameterised) sources -> a trainable model that starts from exactly their function.

Released PP-OCRv4 models hold PPLCNetV3 after ``rep()``: each ``LearnableRepLayer`` (identity
BN + 1x1 conv+BN + kxk conv+BN branches) is one biased conv, ``reparam_conv``. Such a source
is mapped onto a ``rep()``-ed copy of our model (``fused_copy``), one op per layer; then
``unfuse`` writes every fused conv back into the trainable branches of the model we save:

- the first kxk branch takes the fused kernel; its BN computes the identity plus the fused
  bias: running statistics ``(mean, var)`` measured on calibration inputs
  (``conv_statistics``), ``gamma = sqrt(var + eps)`` and ``beta = bias + mean``, which cancel
  them in eval mode (without statistics: gamma 1, mean 0, variance ``1 - eps``, beta = bias);
- the other kxk branches, the 1x1 branch and the identity BN get BN gamma 0 and beta 0
  (mean 0, variance 1): they add nothing, yet gamma still receives gradients, so training
  can grow them. Their conv weights keep a fresh model's initialisation (``fresh``).

In eval mode (BN running statistics) the trainable model computes the released function;
the importer checks that. In training mode BN normalises with batch statistics: with
statistics measured on inputs like the batch, the output stays close to the released one
(without them every branch's output would be standardised per channel, far from it).

Every other tensor (LearnableAffineBlocks, conv1, SE, neck, head) has the same key in both
forms and is copied as is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer


@dataclass
class Unfused:
    """What ``unfuse`` did.

    Attributes:
        renamed: fused state_dict key -> the trainable key it went to.
        initialised: keys set to constants the fused form implies (identity and zeroed BNs).
        fresh: conv weights of zeroed branches, kept as a fresh model initialised them.
        notes: one line per re-parameterised layer, for the report's ``fused`` list.
    """

    renamed: dict[str, str] = field(default_factory=dict)
    initialised: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def rep_layers(model: Any) -> dict[str, LearnableRepLayer]:
    """``name -> layer`` for every re-parameterisable layer of ``model`` (in definition order; ``""``
    for ``model`` itself)."""
    return {name: layer for name, layer in model.named_sublayers(include_self=True)
            if isinstance(layer, LearnableRepLayer)}


def has_unfused_rep_layers(model: Any) -> bool:
    return any(not layer.is_repped for layer in rep_layers(model).values())


def fused_copy(model: Any) -> Any:
    """A deep copy of ``model`` with every re-parameterisable layer fused (``rep()``, eval statistics)."""
    fused = copy.deepcopy(model)
    fused.eval()
    for layer in rep_layers(fused).values():
        layer.rep()
    return fused


def conv_statistics(fused: Any, inputs: list[np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-channel mean and (population) variance of each fused conv's output before its bias,
    over ``inputs`` run through ``fused`` in eval mode: ``path -> (mean, var)``."""
    import paddle

    sums: dict[str, list[Any]] = {}
    handles = []
    for path, layer in rep_layers(fused).items():
        def hook(conv, _inputs, output, path=path):
            z = output - conv.bias.reshape([1, -1, 1, 1])
            count = z.shape[0] * z.shape[2] * z.shape[3]
            acc = sums.setdefault(path, [0.0, 0.0, 0])
            acc[0] = acc[0] + z.mean(axis=[0, 2, 3]).numpy().astype(np.float64) * count
            acc[1] = acc[1] + (z * z).mean(axis=[0, 2, 3]).numpy().astype(np.float64) * count
            acc[2] += count
        handles.append(layer.reparam_conv.register_forward_post_hook(hook))
    fused.eval()
    try:
        with paddle.no_grad():
            for x in inputs:
                fused(paddle.to_tensor(x))
    finally:
        for h in handles:
            h.remove()
    stats = {}
    for path, (total, squares, count) in sums.items():
        mean = total / count
        stats[path] = (mean.astype(np.float32), np.maximum(squares / count - mean * mean, 0.0).astype(np.float32))
    return stats


def _set(param: Any, value: float | np.ndarray) -> None:
    param.set_value(np.broadcast_to(np.asarray(value, dtype=np.float32), param.shape).copy())


def _bn_keys(prefix: str) -> list[str]:
    return [f"{prefix}.{k}" for k in ("weight", "bias", "_mean", "_variance")]


def unfuse(fused: Any, target: Any, key_prefix: str = "",
           stats: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> Unfused:
    """Copy ``fused``'s tensors into ``target`` (same model before ``rep()``), un-fusing each layer.

    ``key_prefix`` (a distillation sub-model's ``Student.``) is prepended to the reported keys.
    With ``stats`` (``conv_statistics``), the first branch's BN gets those running statistics
    and the gamma/beta that cancel them (``gamma = sqrt(var + eps)``, ``beta = bias + mean``):
    the same function in eval mode, and about the same in training mode on similar data.
    """
    result = Unfused()
    ours = target.state_dict()
    for key, value in fused.state_dict().items():
        if key in ours:
            ours[key].set_value(value.numpy())
    fused_layers = rep_layers(fused)
    for path, layer in rep_layers(target).items():
        source = fused_layers[path]
        if layer.is_repped or not source.is_repped:
            continue
        p = key_prefix + (f"{path}." if path else "")
        first = layer.conv_kxk[0]
        first.conv.weight.set_value(source.reparam_conv.weight.numpy())
        eps = float(first.bn._epsilon)
        bias = source.reparam_conv.bias.numpy()
        mean, var = stats[path] if stats and path in stats else (0.0, 1.0 - eps)
        _set(first.bn.weight, np.sqrt(np.asarray(var, np.float64) + eps))
        _set(first.bn.bias, bias + mean)
        _set(first.bn._mean, mean)
        _set(first.bn._variance, var)
        result.renamed[f"{p}reparam_conv.weight"] = f"{p}conv_kxk.0.conv.weight"
        result.renamed[f"{p}reparam_conv.bias"] = f"{p}conv_kxk.0.bn.bias"
        result.initialised += [f"{p}conv_kxk.0.bn.{k}" for k in ("weight", "_mean", "_variance")]
        off: list[tuple[str, Any]] = [(f"conv_kxk.{i}", layer.conv_kxk[i]) for i in range(1, len(layer.conv_kxk))]
        if layer.conv_1x1 is not None:
            off.append(("conv_1x1", layer.conv_1x1))
        for name, branch in off:
            _switch_off(branch.bn)
            result.initialised += _bn_keys(f"{p}{name}.bn")
            result.fresh.append(f"{p}{name}.conv.weight")
        if layer.identity is not None:
            _switch_off(layer.identity)
            result.initialised += _bn_keys(f"{p}identity")
        zeroed = [name for name, _ in off] + (["identity"] if layer.identity is not None else [])
        first_bn = "BN statistics from calibration, cancelled by gamma/beta" if stats and path in stats else \
            "BN identity, beta = bias"
        result.notes.append(f"{p.rstrip('.') or 'the layer'}: fused kernel + bias -> conv_kxk.0 ({first_bn})"
                            + (f"; {', '.join(zeroed)}: BN gamma 0, beta 0" if zeroed else ""))
    return result


def _switch_off(bn: Any) -> None:
    """A BN that outputs 0 in both modes (gamma 0, beta 0) with neutral running statistics."""
    _set(bn.weight, 0.0)
    _set(bn.bias, 0.0)
    _set(bn._mean, 0.0)
    _set(bn._variance, 1.0)
