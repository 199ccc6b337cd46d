"""MobileNetV3 building blocks shared by the det and the rec/cls MobileNetV3.

The block tables (``MV3_ARCHS``), the allowed scales and the inverted residual unit;
the generic conv+BN and SE layers live in :mod:`ppocr.modeling.backbones.layers`.
"""

from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.backbones.layers import ConvBNLayer, SEModule

__all__ = ["MV3_ARCHS", "MV3_SCALES", "MV3_SE_SLOPE", "ResidualUnit"]

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
# use Paddle's default (``layers.PADDLE_HARDSIGMOID_SLOPE``).
MV3_SE_SLOPE = 0.2


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
