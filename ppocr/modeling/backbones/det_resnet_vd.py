"""ResNet-vd detection backbone (upstream ``ResNet_vd``, det scope): four feature maps.

The "vd" tweaks: a three-conv 3x3 stem instead of one 7x7, and downsampling shortcuts that
average-pool before their 1x1 conv. Attribute names (``conv1_1``, ``bb_<stage>_<block>``,
``_conv``, ``_batch_norm``, ``short``) are upstream's, so the PP-OCR server/teacher weights
load (checked against ``tests/fixtures/compat/ppocrv2_state_dict_manifest.json``).
"""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant
from paddle.vision.ops import DeformConv2D

from ppocr.errors import ConfigError
from ppocr.registry import BACKBONES

DEPTHS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
          152: [3, 8, 36, 3], 200: [3, 12, 48, 3]}
NUM_FILTERS = [64, 128, 256, 512]


class DeformableConvV2(nn.Layer):
    """Modulated deformable conv (DCNv2): a zero-initialised conv predicts offsets and masks."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1) -> None:
        super().__init__()
        self.offset_channel = 2 * kernel_size**2 * groups
        self.mask_channel = kernel_size**2 * groups
        self.conv_dcn = DeformConv2D(in_channels, out_channels, kernel_size, stride=stride,
                                     padding=(kernel_size - 1) // 2, deformable_groups=groups, bias_attr=False)
        self.conv_offset = nn.Conv2D(in_channels, groups * 3 * kernel_size**2, kernel_size, stride=stride,
                                     padding=(kernel_size - 1) // 2,
                                     weight_attr=ParamAttr(initializer=Constant(0.0)),
                                     bias_attr=ParamAttr(initializer=Constant(0.0)))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        offset, mask = paddle.split(self.conv_offset(x), [self.offset_channel, self.mask_channel], axis=1)
        return self.conv_dcn(x, offset, mask=F.sigmoid(mask))


class ConvBNLayer(nn.Layer):
    """[avg-pool 2x2 (vd shortcut)] -> conv (no bias) -> BN -> [ReLU]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 is_vd_mode: bool = False, act: str | None = None, is_dcn: bool = False,
                 dcn_groups: int = 1) -> None:
        super().__init__()
        self.is_vd_mode = is_vd_mode
        self.act = act
        self._pool2d_avg = nn.AvgPool2D(kernel_size=2, stride=2, padding=0, ceil_mode=True)
        if is_dcn:
            self._conv = DeformableConvV2(in_channels, out_channels, kernel_size, stride=stride, groups=dcn_groups)
        else:
            self._conv = nn.Conv2D(in_channels, out_channels, kernel_size, stride=stride,
                                   padding=(kernel_size - 1) // 2, bias_attr=False)
        self._batch_norm = nn.BatchNorm2D(out_channels)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.is_vd_mode:
            x = self._pool2d_avg(x)
        x = self._batch_norm(self._conv(x))
        return F.relu(x) if self.act == "relu" else x


class BasicBlock(nn.Layer):
    """Two 3x3 convs plus identity or (pooled) 1x1 shortcut; ResNet-18/34."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, shortcut: bool,
                 if_first: bool) -> None:
        super().__init__()
        self.conv0 = ConvBNLayer(in_channels, out_channels, 3, stride=stride, act="relu")
        self.conv1 = ConvBNLayer(out_channels, out_channels, 3)
        self.shortcut = shortcut
        if not shortcut:
            self.short = ConvBNLayer(in_channels, out_channels, 1, is_vd_mode=not if_first)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.conv1(self.conv0(x))
        short = x if self.shortcut else self.short(x)
        return F.relu(short + y)


class BottleneckBlock(nn.Layer):
    """1x1 -> 3x3 -> 1x1 (x4 channels) plus shortcut; ResNet-50 and deeper."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, shortcut: bool,
                 if_first: bool, is_dcn: bool = False) -> None:
        super().__init__()
        self.conv0 = ConvBNLayer(in_channels, out_channels, 1, act="relu")
        self.conv1 = ConvBNLayer(out_channels, out_channels, 3, stride=stride, act="relu",
                                 is_dcn=is_dcn, dcn_groups=2)
        self.conv2 = ConvBNLayer(out_channels, out_channels * 4, 1)
        self.shortcut = shortcut
        if not shortcut:
            self.short = ConvBNLayer(in_channels, out_channels * 4, 1, is_vd_mode=not if_first)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.conv2(self.conv1(self.conv0(x)))
        short = x if self.shortcut else self.short(x)
        return F.relu(short + y)


@BACKBONES.register("ResNet_vd", scopes=("det",))
class ResNet_vd(nn.Layer):  # noqa: N801 - upstream's config name
    """ResNet-vd returning the stages listed in ``out_indices`` (strides 4, 8, 16, 32).

    Args:
        in_channels: image channels.
        layers: depth, one of 18, 34, 50, 101, 152, 200.
        dcn_stage: four booleans, deformable 3x3 convs per stage (layers >= 50 only, as
            upstream, which ignores it for the basic-block depths).
        out_indices: stages to return, default all four (what DBFPN needs).
    """

    def __init__(self, in_channels: int = 3, layers: int = 50, dcn_stage: Sequence[bool] | None = None,
                 out_indices: Sequence[int] | None = None) -> None:
        super().__init__()
        if layers not in DEPTHS:
            raise ConfigError(f"Backbone ResNet_vd.layers must be one of {sorted(DEPTHS)}, got {layers!r}")
        self.layers = layers
        self.dcn_stage = list(dcn_stage) if dcn_stage is not None else [False] * 4
        self.out_indices = list(out_indices) if out_indices is not None else [0, 1, 2, 3]
        if len(self.dcn_stage) != 4:
            raise ConfigError(f"Backbone ResNet_vd.dcn_stage must have 4 booleans, got {dcn_stage!r}")
        if not self.out_indices or any(i not in (0, 1, 2, 3) for i in self.out_indices):
            raise ConfigError(f"Backbone ResNet_vd.out_indices must be stage indices 0..3, got {out_indices!r}")
        depth = DEPTHS[layers]
        bottleneck = layers >= 50
        num_channels = [64, 256, 512, 1024] if bottleneck else [64, 64, 128, 256]
        expansion = 4 if bottleneck else 1

        self.conv1_1 = ConvBNLayer(in_channels, 32, 3, stride=2, act="relu")
        self.conv1_2 = ConvBNLayer(32, 32, 3, act="relu")
        self.conv1_3 = ConvBNLayer(32, 64, 3, act="relu")
        self.pool2d_max = nn.MaxPool2D(kernel_size=3, stride=2, padding=1)

        # A plain list, as upstream: blocks register as ``bb_<stage>_<block>`` only.
        self.stages: list[nn.Sequential] = []
        self.out_channels: list[int] = []
        for stage, n_blocks in enumerate(depth):
            blocks = []
            for i in range(n_blocks):
                args = dict(
                    in_channels=num_channels[stage] if i == 0 else NUM_FILTERS[stage] * expansion,
                    out_channels=NUM_FILTERS[stage],
                    stride=2 if i == 0 and stage != 0 else 1,
                    shortcut=i != 0,
                    if_first=stage == i == 0,
                )
                block = (BottleneckBlock(**args, is_dcn=bool(self.dcn_stage[stage])) if bottleneck
                         else BasicBlock(**args))
                blocks.append(self.add_sublayer(f"bb_{stage}_{i}", block))
            if stage in self.out_indices:
                self.out_channels.append(NUM_FILTERS[stage] * expansion)
            self.stages.append(nn.Sequential(*blocks))

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        y = self.conv1_3(self.conv1_2(self.conv1_1(x)))
        y = self.pool2d_max(y)
        outs = []
        for i, stage in enumerate(self.stages):
            y = stage(y)
            if i in self.out_indices:
                outs.append(y)
        return outs
