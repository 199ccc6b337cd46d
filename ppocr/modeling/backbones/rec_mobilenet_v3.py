"""MobileNetV3 for recognition and the direction classifier: one feature map.

Downsampling blocks stride only the height (``(s, 1)``) so a text line keeps its
horizontal resolution; a final 2x2 max pool halves both.
"""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import ConvBNLayer, check_choice, make_divisible
from ppocr.modeling.backbones.mobilenet_v3_blocks import MV3_ARCHS, MV3_SCALES, ResidualUnit
from ppocr.registry import BACKBONES

__all__ = ["MobileNetV3"]


def _check_strides(value: Sequence[int] | None, default: list[int], key: str) -> list[int]:
    if value is None:
        return list(default)
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 4
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
    ):
        raise ConfigError(f"Backbone MobileNetV3 (rec/cls): {key} must be a list of 4 positive ints "
                          f"(default {default}); got {value!r}")
    return list(value)


def _block_strides(model_name: str, large_stride: list[int], small_stride: list[int]) -> dict[int, object]:
    """Which block of the table gets which stride (others use stride 1).

    As upstream: the first large block takes ``large_stride[0]`` as a plain int (so with
    1 it keeps its shortcut); every other configured stride is ``(s, 1)``.
    """
    if model_name == "large":
        return {0: large_stride[0], 1: (large_stride[1], 1), 3: (large_stride[2], 1),
                12: (large_stride[3], 1)}
    return {0: (small_stride[0], 1), 1: (small_stride[1], 1), 3: (small_stride[2], 1),
            8: (small_stride[3], 1)}


@BACKBONES.register("MobileNetV3", scopes=("rec", "cls"))
class MobileNetV3(nn.Layer):
    """Upstream's rec MobileNetV3 (``rec_mobilenet_v3.py``), used for ``rec`` and ``cls``.

    Sub-layers ``conv1``, ``blocks``, ``conv2`` (keys match upstream's ``cls_mv3``).
    Output ``[N, out_channels, H/32-ish, W/4]``: e.g. small/0.35 on ``3x48x192`` gives
    ``[N, 200, 1, 48]``; large/0.5 on ``3x32x100`` gives ``[N, 480, 1, 25]``.

    Args:
        in_channels: input image channels.
        model_name: ``"small"`` or ``"large"``.
        scale: width multiplier, one of 0.35, 0.5, 0.75, 1.0, 1.25.
        large_stride: height strides of the 4 downsampling blocks of ``large``
            (default ``[1, 2, 2, 2]``).
        small_stride: the same for ``small`` (default ``[2, 2, 2, 2]``).
        disable_se: drop every SE module.
    """

    def __init__(
        self,
        in_channels: int = 3,
        model_name: str = "small",
        scale: float = 0.5,
        large_stride: list[int] | None = None,
        small_stride: list[int] | None = None,
        disable_se: bool = False,
    ) -> None:
        super().__init__()
        large_stride = _check_strides(large_stride, [1, 2, 2, 2], "large_stride")
        small_stride = _check_strides(small_stride, [2, 2, 2, 2], "small_stride")
        check_choice(model_name, tuple(MV3_ARCHS), "Backbone MobileNetV3 (rec/cls): model_name")
        check_choice(scale, MV3_SCALES, "Backbone MobileNetV3 (rec/cls): scale")
        self.disable_se = disable_se
        rows, last_width = MV3_ARCHS[model_name]
        strides = _block_strides(model_name, large_stride, small_stride)

        inplanes = make_divisible(16 * scale)
        self.conv1 = ConvBNLayer(in_channels, inplanes, 3, stride=2, act="hardswish")
        blocks = []
        for i, (k, exp, c, se, act, _) in enumerate(rows):
            out = make_divisible(scale * c)
            blocks.append(ResidualUnit(inplanes, make_divisible(scale * exp), out, k, strides.get(i, 1),
                                       use_se=se and not disable_se, act=act))
            inplanes = out
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = make_divisible(scale * last_width)
        self.conv2 = ConvBNLayer(inplanes, self.out_channels, 1, act="hardswish")
        self.pool = nn.MaxPool2D(kernel_size=2, stride=2, padding=0)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.conv1(x)
        x = self.blocks(x)
        x = self.conv2(x)
        return self.pool(x)
