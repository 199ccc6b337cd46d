"""MobileNetV1Enhance: PP-OCRv2's recognition backbone (a PP-LCNet-style MobileNetV1)."""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import (
    DepthwiseSeparable,
    DepthwiseSeparableNames,
    check_choice,
    hardswish_conv_bn,
)
from ppocr.registry import BACKBONES

__all__ = ["MobileNetV1Enhance"]

# (base in/depthwise width, base out width, stride, depthwise kernel, SE) of the
# depthwise-separable blocks; widths are multiplied by ``scale``. The last block's
# stride is ``last_conv_stride``.
_BLOCKS: tuple[tuple[int, int, int | tuple[int, int], int, bool], ...] = (
    (32, 64, 1, 3, False),
    (64, 128, 1, 3, False),
    (128, 128, 1, 3, False),
    (128, 256, (2, 1), 3, False),
    (256, 256, 1, 3, False),
    (256, 512, (2, 1), 3, False),
    *((512, 512, 1, 5, False),) * 5,
    (512, 1024, (2, 1), 5, True),
    (1024, 1024, None, 5, True),  # stride: last_conv_stride
)


# Upstream MobileNetV1Enhance's sub-layer names (of its blocks and of its stem's conv/BN).
MV1_BLOCK_NAMES = DepthwiseSeparableNames(depthwise="_depthwise_conv", se="_se", pointwise="_pointwise_conv",
                                          conv="_conv", bn="_batch_norm")


def _as_stride(value: int | Sequence[int], key: str) -> int | tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        return (value[0], value[1])
    raise ConfigError(f"Backbone MobileNetV1Enhance: {key} must be a positive int or [h, w] of "
                      f"positive ints; got {value!r}")


@BACKBONES.register("MobileNetV1Enhance", scopes=("rec",))
class MobileNetV1Enhance(nn.Layer):
    """Upstream's ``rec_mv1_enhance.py`` network, same layers and state_dict keys.

    Stem 3x3/2 conv (``conv1``), 13 depthwise-separable blocks (``block_list``; three
    ``(2, 1)`` strides keep the width, SE in the last two, 5x5 depthwise in the last
    seven), then a pool. ``[N, 3, 32, 100]`` → ``[N, 1024 * scale, 1, 25]`` with the
    defaults (max 2x2 pool).

    Args:
        in_channels: input image channels.
        scale: width multiplier (PP-OCRv2: 0.5).
        last_conv_stride: stride of the last block, int or ``[h, w]`` (PP-OCRv3 uses ``[1, 2]``).
        last_pool_type: ``"max"`` (2x2, stride 2) or ``"avg"``.
        last_pool_kernel_size: kernel and stride of the ``"avg"`` pool (upstream's
            parameter; unused by the max pool).
    """

    def __init__(
        self,
        in_channels: int = 3,
        scale: float = 0.5,
        last_conv_stride: int | list[int] = 1,
        last_pool_type: str = "max",
        last_pool_kernel_size: list[int] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or int(32 * scale) < 1:
            raise ConfigError(f"Backbone MobileNetV1Enhance: scale must be a number >= 1/32 "
                              f"(every layer needs channels; PP-OCRv2 uses 0.5); got {scale!r}")
        check_choice(last_pool_type, ("max", "avg"), "Backbone MobileNetV1Enhance: last_pool_type")
        last_stride = _as_stride(last_conv_stride, "last_conv_stride")
        pool_kernel = _as_stride([3, 2] if last_pool_kernel_size is None else last_pool_kernel_size,
                                 "last_pool_kernel_size")
        self.scale = scale

        self.conv1 = hardswish_conv_bn(in_channels, int(32 * scale), 3, stride=2,
                                       conv_name=MV1_BLOCK_NAMES.conv, bn_name=MV1_BLOCK_NAMES.bn)
        blocks = []
        for width, out, stride, dw_size, use_se in _BLOCKS:
            blocks.append(DepthwiseSeparable(int(width * scale), int(out * scale),
                                             last_stride if stride is None else stride, dw_size, use_se,
                                             MV1_BLOCK_NAMES))
        self.block_list = nn.Sequential(*blocks)
        if last_pool_type == "avg":
            self.pool = nn.AvgPool2D(kernel_size=pool_kernel, stride=pool_kernel, padding=0)
        else:
            self.pool = nn.MaxPool2D(kernel_size=2, stride=2, padding=0)
        self.out_channels = int(1024 * scale)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.conv1(x)
        x = self.block_list(x)
        return self.pool(x)
