"""PP-OCRv3/v4 det student neck (upstream ``RSEFPN``): DBFPN with residual SE on every conv."""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn
from paddle import ParamAttr
from paddle.nn.initializer import KaimingUniform

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import SEModule
from ppocr.modeling.backbones.mobilenet_v3_blocks import MV3_SE_SLOPE
from ppocr.modeling.necks.intracl import IntraCLBlock
from ppocr.modeling.necks.upsample import upsample_nearest
from ppocr.registry import NECKS

__all__ = ["RSEFPN", "RSELayer", "apply_intracl", "check_fpn_channels", "fuse_quarter", "lateral_pyramid"]


def check_fpn_channels(name: str, in_channels: Sequence[int], out_channels: int) -> None:
    """Raise ConfigError unless there are 4 backbone widths and ``out_channels`` splits in 4."""
    if not isinstance(in_channels, (list, tuple)) or len(in_channels) != 4:
        raise ConfigError(f"{name}: in_channels must list the 4 backbone stage widths, got {in_channels!r} "
                          "(the backbone must return 4 feature maps)")
    if isinstance(out_channels, bool) or not isinstance(out_channels, int) or out_channels < 4 or out_channels % 4:
        raise ConfigError(f"Neck {name}.out_channels must be a positive multiple of 4, got {out_channels!r}")


def lateral_pyramid(ins_conv: Sequence[nn.Layer], inp_conv: Sequence[nn.Layer], x: Sequence[paddle.Tensor]
                    ) -> list[paddle.Tensor]:
    """Laterals, FPN top-down sums, then the per-level convs, each applied deepest level first
    (upstream's call order, so exported graphs list ops as upstream's do).

    ``x``: four backbone maps at 1/4..1/32; ``ins_conv[i]`` / ``inp_conv[i]`` act on level i
    (shallowest first). Returns the four conv outputs ``[f2, f3, f4, f5]``, shallowest first.
    """
    c2, c3, c4, c5 = x
    in5, in4, in3, in2 = ins_conv[3](c5), ins_conv[2](c4), ins_conv[1](c3), ins_conv[0](c2)
    out4 = in4 + upsample_nearest(in5, 2)
    out3 = in3 + upsample_nearest(out4, 2)
    out2 = in2 + upsample_nearest(out3, 2)
    f5, f4, f3, f2 = inp_conv[3](in5), inp_conv[2](out4), inp_conv[1](out3), inp_conv[0](out2)
    return [f2, f3, f4, f5]


def apply_intracl(neck: nn.Layer, maps: Sequence[paddle.Tensor]) -> list[paddle.Tensor]:
    """``neck.incl1..4`` on ``maps`` (1/4..1/32, shallowest first) when ``neck.intracl``, deepest first."""
    if not neck.intracl:
        return list(maps)
    p2, p3, p4, p5 = maps
    p5, p4, p3, p2 = neck.incl4(p5), neck.incl3(p4), neck.incl2(p3), neck.incl1(p2)
    return [p2, p3, p4, p5]


def fuse_quarter(p2: paddle.Tensor, p3: paddle.Tensor, p4: paddle.Tensor, p5: paddle.Tensor) -> paddle.Tensor:
    """Maps at 1/4, 1/8, 1/16, 1/32 → upsampled to 1/4 and concatenated as ``[p5, p4, p3, p2]``."""
    return paddle.concat([upsample_nearest(p5, 8), upsample_nearest(p4, 4), upsample_nearest(p3, 2), p2], axis=1)


class RSELayer(nn.Layer):
    """Conv (no bias) then a squeeze-excitation gate, the gated map added back when ``shortcut``.

    ``[N, in_channels, H, W]`` → ``[N, out_channels, H, W]``. The SE gate is upstream's
    MobileNetV3 one (reduction 4, ``hardsigmoid`` slope 0.2), which RSEFPN imports from there;
    sub-layers ``in_conv`` and ``se_block`` (``conv1``/``conv2``) keep upstream's names.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, shortcut: bool = True) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.in_conv = nn.Conv2D(in_channels, out_channels, kernel_size, padding=kernel_size // 2,
                                 weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=False)
        self.se_block = SEModule(out_channels, reduction=4, slope=MV3_SE_SLOPE)
        self.shortcut = bool(shortcut)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.in_conv(x)
        return x + self.se_block(x) if self.shortcut else self.se_block(x)


@NECKS.register()
class RSEFPN(nn.Layer):
    """Residual-SE FPN of the PP-OCRv3 and PP-OCRv4 mobile detectors.

    DBFPN's topology (1x1 laterals, top-down sums, 3x3 convs to ``out_channels // 4``,
    everything brought to 1/4 and concatenated) with each conv an :class:`RSELayer`.
    Sub-layers: ``ins_conv.0..3`` (laterals, shallowest first), ``inp_conv.0..3`` and, with
    ``intracl``, ``incl1..4`` (an :class:`IntraCLBlock` on each output before upsampling;
    ``incl1`` on the 1/4 map), registered in upstream's order so state_dict keys match.
    Nearest upsampling is :func:`upsample_nearest` (equal to ``F.upsample``, and exportable
    to oneDNN).

    Args:
        in_channels: the four backbone stage widths, shallowest first (injected).
        out_channels: lateral width; the output has ``out_channels`` channels.
        shortcut: add each SE-gated map to its conv output (the residual in "RSE").
        intracl: add IntraCL blocks (upstream reads it from ``**kwargs``; v4 configs may set it).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, shortcut: bool = True,
                 intracl: bool = False) -> None:
        super().__init__()
        check_fpn_channels("RSEFPN", in_channels, out_channels)
        self.out_channels = out_channels
        self.ins_conv = nn.LayerList()
        self.inp_conv = nn.LayerList()
        self.intracl = intracl is True
        if self.intracl:
            for i in range(1, 5):
                setattr(self, f"incl{i}", IntraCLBlock(out_channels // 4, reduce_factor=2))
        for c in in_channels:
            self.ins_conv.append(RSELayer(c, out_channels, 1, shortcut=shortcut))
            self.inp_conv.append(RSELayer(out_channels, out_channels // 4, 3, shortcut=shortcut))

    def forward(self, x: Sequence[paddle.Tensor]) -> paddle.Tensor:
        """Four backbone maps ``[N, in_channels[i], H/s, W/s]``, s = 4, 8, 16, 32 (H, W multiples
        of 32) → fused ``[N, out_channels, H/4, W/4]``. Same in train, eval and export."""
        return fuse_quarter(*apply_intracl(self, lateral_pyramid(self.ins_conv, self.inp_conv, x)))
