"""DB's feature pyramid neck (upstream ``DBFPN``), with the optional DBNet++ ASF block."""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn
from paddle import ParamAttr
from paddle.nn.initializer import KaimingUniform

from ppocr.errors import ConfigError
from ppocr.modeling.necks.upsample import upsample_nearest
from ppocr.registry import NECKS


def _conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Conv2D:
    return nn.Conv2D(in_channels, out_channels, kernel_size, padding=kernel_size // 2,
                     weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=False)


@NECKS.register()
class DBFPN(nn.Layer):
    """Top-down FPN over four backbone stages (1/4 .. 1/32), fused at 1/4 resolution.

    Sub-layers keep upstream's names (``in2_conv`` .. ``in5_conv``, ``p2_conv`` .. ``p5_conv``,
    ``asf``) so pretrained PP-OCR weights load. Nearest upsampling uses
    :func:`upsample_nearest` (identical numbers, exportable to oneDNN).

    Args:
        in_channels: channels of the four backbone outputs, shallowest first.
        out_channels: lateral width; the fused output has ``out_channels`` channels
            (four maps of ``out_channels // 4``).
        use_asf: add DBNet++'s adaptive scale fusion on the fused map.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, use_asf: bool = False) -> None:
        super().__init__()
        if not isinstance(in_channels, (list, tuple)) or len(in_channels) != 4:
            raise ConfigError(f"DBFPN: in_channels must list the 4 backbone stage widths, got {in_channels!r} "
                              "(the backbone must return 4 feature maps)")
        if not isinstance(out_channels, int) or out_channels < 4 or out_channels % 4:
            raise ConfigError(f"Neck DBFPN.out_channels must be a positive multiple of 4, got {out_channels!r}")
        self.out_channels = out_channels
        self.use_asf = bool(use_asf)
        c2, c3, c4, c5 = in_channels
        self.in2_conv = _conv(c2, out_channels, 1)
        self.in3_conv = _conv(c3, out_channels, 1)
        self.in4_conv = _conv(c4, out_channels, 1)
        self.in5_conv = _conv(c5, out_channels, 1)
        self.p5_conv = _conv(out_channels, out_channels // 4, 3)
        self.p4_conv = _conv(out_channels, out_channels // 4, 3)
        self.p3_conv = _conv(out_channels, out_channels // 4, 3)
        self.p2_conv = _conv(out_channels, out_channels // 4, 3)
        if self.use_asf:
            self.asf = ASFBlock(out_channels, out_channels // 4)

    def forward(self, x: Sequence[paddle.Tensor]) -> paddle.Tensor:
        """Four backbone maps ``[N, in_channels[i], H/s, W/s]``, s = 4, 8, 16, 32 of the input
        image's H, W (multiples of 32) → fused ``[N, out_channels, H/4, W/4]``.

        Same in train, eval and export.
        """
        c2, c3, c4, c5 = x
        in5 = self.in5_conv(c5)
        in4 = self.in4_conv(c4)
        in3 = self.in3_conv(c3)
        in2 = self.in2_conv(c2)

        out4 = in4 + upsample_nearest(in5, 2)  # 1/16
        out3 = in3 + upsample_nearest(out4, 2)  # 1/8
        out2 = in2 + upsample_nearest(out3, 2)  # 1/4

        p5 = upsample_nearest(self.p5_conv(in5), 8)
        p4 = upsample_nearest(self.p4_conv(out4), 4)
        p3 = upsample_nearest(self.p3_conv(out3), 2)
        p2 = self.p2_conv(out2)
        fuse = paddle.concat([p5, p4, p3, p2], axis=1)
        if self.use_asf:
            fuse = self.asf(fuse, [p5, p4, p3, p2])
        return fuse


class ASFBlock(nn.Layer):
    """Adaptive scale fusion (DBNet++): per-scale attention weights over the fused maps."""

    def __init__(self, in_channels: int, inter_channels: int, out_features_num: int = 4) -> None:
        super().__init__()
        self.out_features_num = out_features_num
        self.conv = nn.Conv2D(in_channels, inter_channels, 3, padding=1)
        init = ParamAttr(initializer=KaimingUniform())
        self.spatial_scale = nn.Sequential(
            nn.Conv2D(1, 1, 3, padding=1, weight_attr=init, bias_attr=False),
            nn.ReLU(),
            nn.Conv2D(1, 1, 1, weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=False),
            nn.Sigmoid(),
        )
        self.channel_scale = nn.Sequential(
            nn.Conv2D(inter_channels, out_features_num, 1, weight_attr=ParamAttr(initializer=KaimingUniform()),
                      bias_attr=False),
            nn.Sigmoid(),
        )

    def forward(self, fuse_features: paddle.Tensor, features_list: list[paddle.Tensor]) -> paddle.Tensor:
        """Fused map ``[N, C, h, w]`` and its ``out_features_num`` parts ``[N, C / 4, h, w]``
        → the parts reweighted and concatenated, ``[N, C, h, w]`` (any mode)."""
        fuse_features = self.conv(fuse_features)
        spatial_x = paddle.mean(fuse_features, axis=1, keepdim=True)
        scores = self.channel_scale(self.spatial_scale(spatial_x) + fuse_features)
        return paddle.concat([scores[:, i:i + 1] * features_list[i] for i in range(self.out_features_num)],
                             axis=1)
