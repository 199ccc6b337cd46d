"""Generic layers of the mobile backbones (MobileNetV3 det/rec/cls, MobileNetV1Enhance, PP-LCNet).

Upstream PaddleOCR repeats a ``ConvBNLayer`` (and a ``DepthwiseSeparable``) in every
backbone file; here there is one of each, and each backbone passes the sub-layer names
its pretrained weights use (``conv``/``bn`` for MobileNetV3 and PP-LCNet,
``_conv``/``_batch_norm`` for MobileNetV1Enhance), so state_dict keys match upstream's
exactly (``tests/fixtures/compat/ppocrv2_state_dict_manifest.json`` decides).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Initializer, KaimingNormal
from paddle.regularizer import L2Decay

from ppocr.errors import ConfigError

__all__ = [
    "ACTIVATIONS",
    "PADDLE_HARDSIGMOID_SLOPE",
    "ConvBNLayer",
    "DepthwiseSeparable",
    "DepthwiseSeparableNames",
    "SEModule",
    "check_choice",
    "get_activation",
    "hardswish_conv_bn",
    "make_divisible",
]

# Paddle's default ``hardsigmoid`` slope (1/6 as Paddle spells it): the SE gate of
# MobileNetV1Enhance and PP-LCNet. MobileNetV3 uses its own (see mobilenet_v3_blocks).
PADDLE_HARDSIGMOID_SLOPE = 0.1666667

ACTIVATIONS: dict[str, Callable[[paddle.Tensor], paddle.Tensor]] = {
    "relu": F.relu,
    "hardswish": F.hardswish,
}


def get_activation(name: str | None) -> Callable[[paddle.Tensor], paddle.Tensor] | None:
    """Activation function for a config name; ``None`` means linear."""
    if name is None:
        return None
    if name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)} or None")
    return ACTIVATIONS[name]


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a scaled channel count to a multiple of ``divisor`` (never more than 10% down).

    Same rounding as upstream, so scaled widths (and hence weight shapes) match.
    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def check_choice(value: Any, choices: Sequence[Any], key: str) -> None:
    """Raise ConfigError naming ``key`` when ``value`` is not one of ``choices``."""
    if isinstance(value, bool) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{key} must be one of {listed}; got {value!r}")


class ConvBNLayer(nn.Layer):
    """Conv2D (no bias) → BatchNorm → optional activation, padding ``(k - 1) // 2``.

    ``[N, in_channels, H, W]`` → ``[N, out_channels, ceil(H / sh), ceil(W / sw)]``.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: square kernel size.
        stride: int or (h, w) stride.
        groups: convolution groups (``in_channels`` for depthwise).
        act: ``"relu"``, ``"hardswish"`` or ``None``.
        weight_init: conv weight initializer (Paddle's default when ``None``).
        bn_no_decay: exempt BN scale/offset from weight decay (upstream's ``L2Decay(0.0)``).
        conv_name: attribute (state_dict key part) of the conv, as the pretrained weights name it.
        bn_name: attribute of the BatchNorm.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int | Sequence[int] = 1,
        groups: int = 1,
        act: str | None = None,
        weight_init: Initializer | None = None,
        bn_no_decay: bool = False,
        conv_name: str = "conv",
        bn_name: str = "bn",
    ) -> None:
        super().__init__()
        conv = nn.Conv2D(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=(kernel_size - 1) // 2,
            groups=groups,
            weight_attr=ParamAttr(initializer=weight_init) if weight_init is not None else None,
            bias_attr=False,
        )
        if bn_no_decay:
            bn = nn.BatchNorm2D(
                out_channels,
                weight_attr=ParamAttr(regularizer=L2Decay(0.0)),
                bias_attr=ParamAttr(regularizer=L2Decay(0.0)),
            )
        else:
            bn = nn.BatchNorm2D(out_channels)
        self.conv_name = conv_name
        self.bn_name = bn_name
        setattr(self, conv_name, conv)
        setattr(self, bn_name, bn)
        self.act_fn = get_activation(act)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = getattr(self, self.conv_name)(x)
        x = getattr(self, self.bn_name)(x)
        if self.act_fn is not None:
            x = self.act_fn(x)
        return x


def hardswish_conv_bn(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int | Sequence[int] = 1,
    groups: int = 1,
    conv_name: str = "conv",
    bn_name: str = "bn",
) -> ConvBNLayer:
    """Conv → BN → hardswish as PaddleClas-style nets (PP-LCNet, MobileNetV1Enhance) build it:
    Kaiming-normal conv init and no weight decay on BN, as their upstream training used."""
    return ConvBNLayer(in_channels, out_channels, kernel_size, stride, groups, act="hardswish",
                       weight_init=KaimingNormal(), bn_no_decay=True, conv_name=conv_name, bn_name=bn_name)


class SEModule(nn.Layer):
    """Squeeze-and-excitation: global pool → 1x1 conv → relu → 1x1 conv → hardsigmoid gate.

    ``[N, C, H, W]`` → same shape (each channel scaled by its gate in [0, 1]).

    Args:
        channels: channels of the gated feature map.
        reduction: bottleneck ratio (upstream: 4).
        slope: hardsigmoid slope (``MV3_SE_SLOPE`` for MobileNetV3, Paddle's default
            ``PADDLE_HARDSIGMOID_SLOPE`` for MobileNetV1Enhance and PP-LCNet); offset is 0.5.
    """

    def __init__(self, channels: int, reduction: int = 4, slope: float = PADDLE_HARDSIGMOID_SLOPE) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        self.conv1 = nn.Conv2D(channels, channels // reduction, 1)
        self.conv2 = nn.Conv2D(channels // reduction, channels, 1)
        self.slope = slope

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        gate = self.avg_pool(x)
        gate = F.relu(self.conv1(gate))
        gate = F.hardsigmoid(self.conv2(gate), slope=self.slope, offset=0.5)
        return x * gate


class DepthwiseSeparableNames(NamedTuple):
    """Sub-layer names of a :class:`DepthwiseSeparable` block (upstream's, per backbone)."""

    depthwise: str
    se: str
    pointwise: str
    conv: str
    bn: str


class DepthwiseSeparable(nn.Layer):
    """Depthwise kxk conv → [SE] → pointwise 1x1 conv, each conv → BN → hardswish.

    The block of PP-LCNet and MobileNetV1Enhance; only the sub-layer names differ, so
    each backbone passes its own ``names`` (registration order, hence state_dict order, is
    depthwise, se, pointwise). ``[N, in_channels, H, W]`` →
    ``[N, out_channels, ceil(H / sh), ceil(W / sw)]``.

    Args:
        in_channels: input (and depthwise) channels.
        out_channels: channels of the pointwise conv.
        stride: depthwise stride, int or (h, w).
        dw_size: depthwise kernel size.
        use_se: add an SE gate (Paddle's default hardsigmoid, as upstream) after the depthwise conv.
        names: sub-layer names, e.g. ``("dw_conv", "se", "pw_conv", "conv", "bn")``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int | Sequence[int], dw_size: int,
                 use_se: bool, names: DepthwiseSeparableNames) -> None:
        super().__init__()
        self.use_se = use_se
        self.names = names
        setattr(self, names.depthwise, hardswish_conv_bn(in_channels, in_channels, dw_size, stride,
                                                         groups=in_channels, conv_name=names.conv,
                                                         bn_name=names.bn))
        if use_se:
            setattr(self, names.se, SEModule(in_channels))
        setattr(self, names.pointwise, hardswish_conv_bn(in_channels, out_channels, 1, conv_name=names.conv,
                                                         bn_name=names.bn))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = getattr(self, self.names.depthwise)(x)
        if self.use_se:
            x = getattr(self, self.names.se)(x)
        return getattr(self, self.names.pointwise)(x)
