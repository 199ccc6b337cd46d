"""MobileNetV3 for text detection: four feature maps at strides 4/8/16/32 for DBFPN."""

from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.backbones.layers import ConvBNLayer, check_choice, make_divisible
from ppocr.modeling.backbones.mobilenet_v3_blocks import MV3_ARCHS, MV3_SCALES, ResidualUnit
from ppocr.registry import BACKBONES

__all__ = ["MobileNetV3"]


@BACKBONES.register("MobileNetV3", scopes=("det",))
class MobileNetV3(nn.Layer):
    """Upstream's det MobileNetV3 (``det_mobilenet_v3.py``), same layers and keys.

    Sub-layers: ``conv`` (stem), then ``stage0``..``stage3``. A new stage starts at
    every stride-2 block after the first few (block index > 2 for large, > 0 for
    small); the last stage ends with the final 1x1 conv. The classifier (``cls``
    model_type) uses the rec variant, as upstream does.

    Args:
        in_channels: input image channels.
        model_name: ``"large"`` or ``"small"``.
        scale: width multiplier, one of 0.35, 0.5, 0.75, 1.0, 1.25.
        disable_se: drop every SE module (PP-OCRv2's det student sets it).
    """

    def __init__(
        self,
        in_channels: int = 3,
        model_name: str = "large",
        scale: float = 0.5,
        disable_se: bool = False,
    ) -> None:
        super().__init__()
        check_choice(model_name, tuple(MV3_ARCHS), "Backbone MobileNetV3 (det): model_name")
        check_choice(scale, MV3_SCALES, "Backbone MobileNetV3 (det): scale")
        self.disable_se = disable_se
        rows, last_width = MV3_ARCHS[model_name]
        first_split = 2 if model_name == "large" else 0

        inplanes = make_divisible(16 * scale)
        self.conv = ConvBNLayer(in_channels, inplanes, 3, stride=2, act="hardswish")

        stages: list[list[nn.Layer]] = []
        self.out_channels: list[int] = []
        blocks: list[nn.Layer] = []
        for i, (k, exp, c, se, act, s) in enumerate(rows):
            if s == 2 and i > first_split:
                self.out_channels.append(inplanes)
                stages.append(blocks)
                blocks = []
            out = make_divisible(scale * c)
            blocks.append(ResidualUnit(inplanes, make_divisible(scale * exp), out, k, s,
                                       use_se=se and not disable_se, act=act))
            inplanes = out
        last = make_divisible(scale * last_width)
        blocks.append(ConvBNLayer(inplanes, last, 1, act="hardswish"))
        stages.append(blocks)
        self.out_channels.append(last)

        self._stage_names = []
        for i, stage_blocks in enumerate(stages):
            name = f"stage{i}"
            self.add_sublayer(name, nn.Sequential(*stage_blocks))
            self._stage_names.append(name)

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        x = self.conv(x)
        outs = []
        for name in self._stage_names:
            x = getattr(self, name)(x)
            outs.append(x)
        return outs
