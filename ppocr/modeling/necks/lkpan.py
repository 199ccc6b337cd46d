"""Large-kernel PAN neck (upstream ``LKPAN``): the PP-OCRv3/v4 det teachers' FPN + bottom-up path."""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import KaimingUniform

from ppocr.errors import ConfigError
from ppocr.modeling.necks.intracl import IntraCLBlock
from ppocr.modeling.necks.rse_fpn import apply_intracl, check_fpn_channels, fuse_quarter, lateral_pyramid
from ppocr.registry import NECKS

__all__ = ["DSConv", "LKPAN"]


def _conv(in_channels: int, out_channels: int, kernel_size: int, padding: int, stride: int = 1) -> nn.Conv2D:
    return nn.Conv2D(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                     weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=False)


class DSConv(nn.Layer):
    """Depthwise conv-BN, 1x1 expand (x4)-BN-act, 1x1 project; a 1x1 residual when widths differ.

    ``[N, in_channels, H, W]`` → ``[N, out_channels, H / stride, W / stride]``. Upstream's
    ``DSConv`` of ``db_fpn.py`` (LKPAN's ``lite`` mode), sub-layers ``conv1``, ``bn1``, ``conv2``,
    ``bn2``, ``conv3``, ``conv_end``. Its convs use Paddle's default initialisation (upstream
    drops the ``weight_attr`` LKPAN passes).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int, stride: int = 1,
                 groups: int | None = None, if_act: bool = True, act: str = "relu") -> None:
        super().__init__()
        if act not in ("relu", "hardswish"):
            raise ConfigError(f"DSConv.act must be 'relu' or 'hardswish', got {act!r}")
        self.if_act = if_act
        self.act = act
        self.conv1 = nn.Conv2D(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                               groups=in_channels if groups is None else groups, bias_attr=False)
        self.bn1 = nn.BatchNorm2D(in_channels)
        self.conv2 = nn.Conv2D(in_channels, in_channels * 4, 1, bias_attr=False)
        self.bn2 = nn.BatchNorm2D(in_channels * 4)
        self.conv3 = nn.Conv2D(in_channels * 4, out_channels, 1, bias_attr=False)
        self.residual = in_channels != out_channels
        if self.residual:
            self.conv_end = nn.Conv2D(in_channels, out_channels, 1, bias_attr=False)

    def forward(self, inputs: paddle.Tensor) -> paddle.Tensor:
        x = self.bn2(self.conv2(self.bn1(self.conv1(inputs))))
        if self.if_act:
            x = F.relu(x) if self.act == "relu" else F.hardswish(x)
        x = self.conv3(x)
        return x + self.conv_end(inputs) if self.residual else x


@NECKS.register()
class LKPAN(nn.Layer):
    """FPN top-down sums, 9x9 convs to ``out_channels // 4``, then a PAN bottom-up path.

    Sub-layers (upstream's names and order): ``ins_conv.0..3`` (1x1 laterals),
    ``inp_conv.0..3`` (9x9), ``pan_head_conv.0..2`` (3x3 stride 2, 1/4 → 1/8 → 1/16 → 1/32),
    ``pan_lat_conv.0..3`` (9x9) and, with ``intracl``, ``incl1..4`` (IntraCL on each output,
    ``incl1`` on the 1/4 map). Upsampling is oneDNN-safe (:func:`fuse_quarter`).

    Args:
        in_channels: the four backbone stage widths, shallowest first (injected).
        out_channels: lateral width; the output has ``out_channels`` channels.
        mode: ``large`` (plain 9x9 convs) or ``lite`` (:class:`DSConv` instead).
        intracl: add IntraCL blocks (upstream reads it from ``**kwargs``; v4 teachers set it).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, mode: str = "large",
                 intracl: bool = False) -> None:
        super().__init__()
        check_fpn_channels("LKPAN", in_channels, out_channels)
        if not isinstance(mode, str) or mode.lower() not in ("large", "lite"):
            raise ConfigError(f"Neck LKPAN.mode must be 'large' or 'lite', got {mode!r}")
        self.out_channels = out_channels
        quarter = out_channels // 4
        p_layer = DSConv if mode.lower() == "lite" else _conv
        self.ins_conv = nn.LayerList()
        self.inp_conv = nn.LayerList()
        self.pan_head_conv = nn.LayerList()
        self.pan_lat_conv = nn.LayerList()
        for i, c in enumerate(in_channels):
            self.ins_conv.append(_conv(c, out_channels, 1, 0))
            self.inp_conv.append(p_layer(out_channels, quarter, 9, 4))
            if i > 0:
                self.pan_head_conv.append(_conv(quarter, quarter, 3, 1, stride=2))
            self.pan_lat_conv.append(p_layer(quarter, quarter, 9, 4))
        self.intracl = intracl is True
        if self.intracl:
            for i in range(1, 5):
                setattr(self, f"incl{i}", IntraCLBlock(quarter, reduce_factor=2))

    def forward(self, x: Sequence[paddle.Tensor]) -> paddle.Tensor:
        """Four backbone maps ``[N, in_channels[i], H/s, W/s]``, s = 4, 8, 16, 32 (H, W multiples
        of 32) → fused ``[N, out_channels, H/4, W/4]``. Same in train, eval and export."""
        f2, f3, f4, f5 = lateral_pyramid(self.ins_conv, self.inp_conv, x)
        pan3 = f3 + self.pan_head_conv[0](f2)
        pan4 = f4 + self.pan_head_conv[1](pan3)
        pan5 = f5 + self.pan_head_conv[2](pan4)
        p2 = self.pan_lat_conv[0](f2)
        p3 = self.pan_lat_conv[1](pan3)
        p4 = self.pan_lat_conv[2](pan4)
        p5 = self.pan_lat_conv[3](pan5)
        return fuse_quarter(*apply_intracl(self, [p2, p3, p4, p5]))
