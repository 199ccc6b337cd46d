"""Layers shared by the mobile backbones (MobileNetV3 det/rec/cls, MobileNetV1Enhance, PP-LCNet).

Upstream PaddleOCR repeats a ``ConvBNLayer`` in every backbone file; here there is one,
and each backbone keeps the sub-layer names its pretrained weights use (``conv``/``bn``
for MobileNetV3 and PP-LCNet, ``_conv``/``_batch_norm`` for MobileNetV1Enhance), so
state_dict keys match upstream's exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Initializer, KaimingNormal
from paddle.regularizer import L2Decay

from ppocr.errors import ConfigError

__all__ = [
    "ACTIVATIONS",
    "ConvBNLayer",
    "LCNetConvBNLayer",
    "ResidualUnit",
    "SEModule",
    "check_choice",
    "get_activation",
    "make_divisible",
    "MV3_ARCHS",
    "MV3_SCALES",
    "MV3_SE_SLOPE",
    "PADDLE_HARDSIGMOID_SLOPE",
]

# MobileNetV3 block tables with the detection strides: rows are
# (kernel, expand channels, out channels, use SE, activation, stride); the second item
# is the width of the final 1x1 conv. The rec/cls variant replaces some strides.
MV3_ARCHS: dict[str, tuple[tuple[tuple[int, int, int, bool, str, int], ...], int]] = {
    "large": (
        (
            (3, 16, 16, False, "relu", 1),
            (3, 64, 24, False, "relu", 2),
            (3, 72, 24, False, "relu", 1),
            (5, 72, 40, True, "relu", 2),
            (5, 120, 40, True, "relu", 1),
            (5, 120, 40, True, "relu", 1),
            (3, 240, 80, False, "hardswish", 2),
            (3, 200, 80, False, "hardswish", 1),
            (3, 184, 80, False, "hardswish", 1),
            (3, 184, 80, False, "hardswish", 1),
            (3, 480, 112, True, "hardswish", 1),
            (3, 672, 112, True, "hardswish", 1),
            (5, 672, 160, True, "hardswish", 2),
            (5, 960, 160, True, "hardswish", 1),
            (5, 960, 160, True, "hardswish", 1),
        ),
        960,
    ),
    "small": (
        (
            (3, 16, 16, True, "relu", 2),
            (3, 72, 24, False, "relu", 2),
            (3, 88, 24, False, "relu", 1),
            (5, 96, 40, True, "hardswish", 2),
            (5, 240, 40, True, "hardswish", 1),
            (5, 240, 40, True, "hardswish", 1),
            (5, 120, 48, True, "hardswish", 1),
            (5, 144, 48, True, "hardswish", 1),
            (5, 288, 96, True, "hardswish", 2),
            (5, 576, 96, True, "hardswish", 1),
            (5, 576, 96, True, "hardswish", 1),
        ),
        576,
    ),
}
MV3_SCALES = (0.35, 0.5, 0.75, 1.0, 1.25)

# Upstream's MobileNetV3 SE gate is ``hardsigmoid(x, slope=0.2, offset=0.5)`` (the
# pretrained MobileNetV3 weights were trained with it); MobileNetV1Enhance and PP-LCNet
# use Paddle's default ``hardsigmoid`` (slope 1/6 as Paddle spells it).
MV3_SE_SLOPE = 0.2
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

    Subclasses rename the sub-layers through ``conv_key``/``bn_key`` so that each
    backbone's state_dict keys stay those of its upstream pretrained weights.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: square kernel size.
        stride: int or (h, w) stride.
        groups: convolution groups (``in_channels`` for depthwise).
        act: ``"relu"``, ``"hardswish"`` or ``None``.
        weight_init: conv weight initializer (Paddle's default when ``None``).
        bn_no_decay: exempt BN scale/offset from weight decay (upstream's ``L2Decay(0.0)``).
    """

    conv_key = "conv"
    bn_key = "bn"

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
        setattr(self, self.conv_key, conv)
        setattr(self, self.bn_key, bn)
        self.act_fn = get_activation(act)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = getattr(self, self.conv_key)(x)
        x = getattr(self, self.bn_key)(x)
        if self.act_fn is not None:
            x = self.act_fn(x)
        return x


class LCNetConvBNLayer(ConvBNLayer):
    """ConvBNLayer as PaddleClas-style nets build it: Kaiming init, no decay on BN, hardswish."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int | Sequence[int] = 1,
        groups: int = 1,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, groups, act="hardswish",
                         weight_init=KaimingNormal(), bn_no_decay=True)


class SEModule(nn.Layer):
    """Squeeze-and-excitation: global pool → 1x1 conv → relu → 1x1 conv → hardsigmoid gate.

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


class ResidualUnit(nn.Layer):
    """MobileNetV3 inverted residual: 1x1 expand → depthwise kxk → [SE] → 1x1 linear (+ input).

    The shortcut is used only when ``stride == 1`` (the int; a tuple stride such as
    ``(1, 1)`` disables it, as upstream) and the channel count is unchanged.
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int | tuple[int, int],
        use_se: bool,
        act: str | None = None,
    ) -> None:
        super().__init__()
        self.if_shortcut = stride == 1 and in_channels == out_channels
        self.if_se = use_se
        self.expand_conv = ConvBNLayer(in_channels, mid_channels, 1, act=act)
        self.bottleneck_conv = ConvBNLayer(mid_channels, mid_channels, kernel_size, stride,
                                           groups=mid_channels, act=act)
        if use_se:
            self.mid_se = SEModule(mid_channels, slope=MV3_SE_SLOPE)
        self.linear_conv = ConvBNLayer(mid_channels, out_channels, 1, act=None)

    def forward(self, inputs: paddle.Tensor) -> paddle.Tensor:
        x = self.expand_conv(inputs)
        x = self.bottleneck_conv(x)
        if self.if_se:
            x = self.mid_se(x)
        x = self.linear_conv(x)
        if self.if_shortcut:
            x = inputs + x
        return x
