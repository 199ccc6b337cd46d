"""PP-LCNet (PaddleClas' CPU-friendly net): multi-scale for det, last map for cls."""

from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import (
    DepthwiseSeparable,
    DepthwiseSeparableNames,
    check_choice,
    hardswish_conv_bn,
    make_divisible,
)
from ppocr.registry import BACKBONES

__all__ = ["PPLCNet", "PPLCNetCls", "LCNET_SCALES"]

# Scales PaddleClas publishes PP-LCNet weights for.
LCNET_SCALES = (0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5)

# Per stage: (kernel, base in width, base out width, stride, SE) of each block.
NET_CONFIG: dict[str, tuple[tuple[int, int, int, int, bool], ...]] = {
    "blocks2": ((3, 16, 32, 1, False),),
    "blocks3": ((3, 32, 64, 2, False), (3, 64, 64, 1, False)),
    "blocks4": ((3, 64, 128, 2, False), (3, 128, 128, 1, False)),
    "blocks5": ((3, 128, 256, 2, False),) + ((5, 256, 256, 1, False),) * 5,
    "blocks6": ((5, 256, 512, 2, True), (5, 512, 512, 1, True)),
}


# Upstream PP-LCNet's sub-layer names of a depthwise-separable block.
LCNET_BLOCK_NAMES = DepthwiseSeparableNames(depthwise="dw_conv", se="se", pointwise="pw_conv",
                                            conv="conv", bn="bn")


class _PPLCNetBody(nn.Layer):
    """Stem ``conv1`` (3x3/2) and stages ``blocks2``..``blocks6`` (strides 2, 4, 8, 16, 32)."""

    def __init__(self, in_channels: int, scale: float, pretrained: bool | str, use_ssld: bool,
                 owner: str) -> None:
        super().__init__()
        check_choice(scale, LCNET_SCALES, f"Backbone {owner}: scale")
        if pretrained:
            raise ConfigError(
                f"Backbone {owner}: pretrained={pretrained!r} is not supported (ppocr never downloads "
                "weights). Set pretrained to false and load weights with Global.pretrained_model "
                "(or a sub-model's `pretrained` path in a DistillationModel)."
            )
        self.scale = scale
        self.use_ssld = use_ssld  # only chose the download URL upstream
        self.conv1 = hardswish_conv_bn(in_channels, make_divisible(16 * scale), 3, stride=2)
        for name, rows in NET_CONFIG.items():
            blocks = [
                DepthwiseSeparable(make_divisible(in_c * scale), make_divisible(out_c * scale), s, k, se,
                                   LCNET_BLOCK_NAMES)
                for k, in_c, out_c, s, se in rows
            ]
            self.add_sublayer(name, nn.Sequential(*blocks))
        self.stage_channels = [make_divisible(rows[-1][2] * scale) for rows in NET_CONFIG.values()]

    def features(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        """Outputs of ``blocks3``..``blocks6`` (strides 4, 8, 16, 32)."""
        x = self.conv1(x)
        x = self.blocks2(x)
        outs = []
        for name in ("blocks3", "blocks4", "blocks5", "blocks6"):
            x = getattr(self, name)(x)
            outs.append(x)
        return outs


@BACKBONES.register("PPLCNet", scopes=("det",))
class PPLCNet(_PPLCNetBody):
    """Upstream's det PP-LCNet (``det_pp_lcnet.py``): four maps at strides 4/8/16/32.

    Args:
        in_channels: input image channels.
        scale: width multiplier, one of 0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5.
        pretrained: upstream downloads ImageNet weights when true; ppocr cannot (no
            network) and raises ConfigError — use ``Global.pretrained_model``.
        use_ssld: upstream's choice of the SSLD download; kept for config compatibility.
    """

    def __init__(self, in_channels: int = 3, scale: float = 1.0, pretrained: bool | str = False,
                 use_ssld: bool = False) -> None:
        super().__init__(in_channels, scale, pretrained, use_ssld, "PPLCNet (det)")
        # Upstream computes int(base * scale), which disagrees with the real widths at
        # scale 0.35; these are the widths the layers actually have.
        self.out_channels = self.stage_channels[1:]

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        return self.features(x)


@BACKBONES.register("PPLCNet", scopes=("cls",))
class PPLCNetCls(_PPLCNetBody):
    """PP-LCNet for the direction classifier: the stride-32 map of ``blocks6`` only.

    Not in upstream PaddleOCR 2.x (its cls model_type only offers MobileNetV3); same
    layers and keys as the det variant. Arguments as :class:`PPLCNet`.
    """

    def __init__(self, in_channels: int = 3, scale: float = 1.0, pretrained: bool | str = False,
                 use_ssld: bool = False) -> None:
        super().__init__(in_channels, scale, pretrained, use_ssld, "PPLCNet (cls)")
        self.out_channels = self.stage_channels[-1]

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.features(x)[-1]
