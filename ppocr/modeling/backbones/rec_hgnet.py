"""PP-HGNet (upstream ``rec_hgnet.py``): the PP-OCRv4 det teacher's backbone (``PPHGNet_small``,
``det: true``) and the SVTR_HGNet recognisers' (``det: false``).

A stem of three 3x3 conv+BN+ReLU, then four stages; each stage is an optional depthwise 3x3
downsample (conv+BN, no activation) and HG blocks: ``layer_num`` chained 3x3 convs whose
outputs are concatenated with the block input, a 1x1 aggregation conv and an ESE gate
(global pool → 1x1 conv → sigmoid), plus a residual from the second block on. Attribute
names are upstream's (``stem``, ``stages.i.downsample``, ``blocks.j.layers.k``,
``aggregation_conv``, ``att``), so the state_dict matches
``tests/fixtures/compat/ppocrv3v4_state_dict_manifest.json``.
"""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import KaimingNormal

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import ConvBNLayer
from ppocr.registry import BACKBONES

__all__ = ["HGBlock", "HGStage", "PPHGNet", "PPHGNet_small"]

Stride = int | Sequence[int]
# (in, mid, out channels, blocks, downsample, downsample stride) per stage, as upstream.
StageConfig = dict[str, tuple[int, int, int, int, bool, Stride]]


def _conv_bn_act(in_channels: int, out_channels: int, kernel_size: int, stride: Stride = 1, groups: int = 1,
                 use_act: bool = True) -> ConvBNLayer:
    # Upstream's ConvBNAct: no conv bias, BN without weight decay, ReLU; the net initialises
    # every conv Kaiming-normal (its _init_weights), BN to ones/zeros (Paddle's default).
    return ConvBNLayer(in_channels, out_channels, kernel_size, stride, groups, act="relu" if use_act else None,
                       weight_init=KaimingNormal(), bn_no_decay=True)


class ESEModule(nn.Layer):
    """Effective SE: ``x * sigmoid(conv1x1(avgpool(x)))``; ``[N, C, H, W]`` → same shape."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        self.conv = nn.Conv2D(channels, channels, 1, weight_attr=ParamAttr(initializer=KaimingNormal()))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return x * F.sigmoid(self.conv(self.avg_pool(x)))


class HGBlock(nn.Layer):
    """``layer_num`` 3x3 convs (``layers``), concat with the input, 1x1 ``aggregation_conv``,
    ESE ``att``, [+ input]. ``[N, in, H, W]`` → ``[N, out, H, W]``."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, layer_num: int,
                 identity: bool = False) -> None:
        super().__init__()
        self.identity = identity
        self.layers = nn.LayerList([_conv_bn_act(in_channels if i == 0 else mid_channels, mid_channels, 3)
                                    for i in range(layer_num)])
        self.aggregation_conv = _conv_bn_act(in_channels + layer_num * mid_channels, out_channels, 1)
        self.att = ESEModule(out_channels)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        outputs = [x]
        y = x
        for layer in self.layers:
            y = layer(y)
            outputs.append(y)
        y = self.att(self.aggregation_conv(paddle.concat(outputs, axis=1)))
        return y + x if self.identity else y


class HGStage(nn.Layer):
    """[Depthwise 3x3 ``downsample`` (conv+BN) with ``stride``] → ``block_num`` HG blocks."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, block_num: int, layer_num: int,
                 downsample: bool = True, stride: Stride = 2) -> None:
        super().__init__()
        self.downsample = (_conv_bn_act(in_channels, in_channels, 3, stride, groups=in_channels, use_act=False)
                           if downsample else None)
        self.blocks = nn.Sequential(*[HGBlock(in_channels if i == 0 else out_channels, mid_channels, out_channels,
                                              layer_num, identity=i > 0) for i in range(block_num)])

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.downsample is not None:
            x = self.downsample(x)
        return self.blocks(x)


class PPHGNet(nn.Layer):
    """Upstream's ``PPHGNet``: stem, [3x3/2 max pool (det)], four :class:`HGStage`.

    Shapes: det → the ``out_indices`` stages' maps (strides 4, 8, 16, 32 with the det stage
    config); rec → stage 4 pooled to ``[N, C, 1, 40]``: training adaptive ``[1, 40]``,
    eval/export ``avg_pool2d([3, 2])`` (from ``[N, C, 3, 80]`` at a 48x320 input), as upstream.

    Args:
        stem_channels: widths of the three stem convs (the first has stride 2).
        stage_config: ``stage1``..``stage4`` → ``(in, mid, out, blocks, downsample, stride)``.
        layer_num: 3x3 convs per HG block.
        in_channels: image channels.
        det: detection variant (max pool after the stem, list of maps out).
        out_indices: stages returned in det mode (default all four).
    """

    def __init__(self, stem_channels: Sequence[int], stage_config: StageConfig, layer_num: int,
                 in_channels: int = 3, det: bool = False, out_indices: Sequence[int] | None = None) -> None:
        super().__init__()
        if not isinstance(det, bool):
            raise ConfigError(f"Backbone PPHGNet: det must be true or false; got {det!r}")
        self.det = det
        self.out_indices = [0, 1, 2, 3] if out_indices is None else list(out_indices)
        if not self.out_indices or any(isinstance(i, bool) or i not in (0, 1, 2, 3) for i in self.out_indices):
            raise ConfigError(f"Backbone PPHGNet: out_indices must be stage indices 0..3; got {out_indices!r}")
        widths = [in_channels, *stem_channels]
        self.stem = nn.Sequential(*[_conv_bn_act(widths[i], widths[i + 1], 3, stride=2 if i == 0 else 1)
                                    for i in range(len(stem_channels))])
        self.pool = nn.MaxPool2D(kernel_size=3, stride=2, padding=1) if det else None
        self.stages = nn.LayerList()
        self.out_channels: int | list[int] = []
        for i, (c_in, c_mid, c_out, blocks, downsample, stride) in enumerate(stage_config.values()):
            self.stages.append(HGStage(c_in, c_mid, c_out, blocks, layer_num, downsample, stride))
            if i in self.out_indices:
                self.out_channels.append(c_out)
        if not det:
            self.out_channels = stage_config["stage4"][2]

    def forward(self, x: paddle.Tensor) -> paddle.Tensor | list[paddle.Tensor]:
        x = self.stem(x)
        if self.pool is not None:
            x = self.pool(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if self.det and i in self.out_indices:
                outs.append(x)
        if self.det:
            return outs
        if self.training:
            return F.adaptive_avg_pool2d(x, [1, 40])
        return F.avg_pool2d(x, [3, 2])


SMALL_STAGES_DET: StageConfig = {
    "stage1": (128, 128, 256, 1, False, 2),
    "stage2": (256, 160, 512, 1, True, 2),
    "stage3": (512, 192, 768, 2, True, 2),
    "stage4": (768, 224, 1024, 1, True, 2),
}
SMALL_STAGES_REC: StageConfig = {
    "stage1": (128, 128, 256, 1, True, (2, 1)),
    "stage2": (256, 160, 512, 1, True, (1, 2)),
    "stage3": (512, 192, 768, 2, True, (2, 1)),
    "stage4": (768, 224, 1024, 1, True, (2, 1)),
}


@BACKBONES.register("PPHGNet_small", scopes=("det", "rec"))
class PPHGNet_small(PPHGNet):  # noqa: N801 - upstream's config name
    """Upstream's ``PPHGNet_small``: stem [64, 64, 128], six convs per HG block.

    det: stages out [256, 512, 768, 1024] at strides 4..32; rec: 1024 channels, ``[N, 1024, 1, 40]``.

    Args:
        in_channels: image channels (injected by the architecture).
        pretrained: accepted and ignored, as upstream (weights come from ``Global.pretrained_model``).
        use_ssld: accepted and ignored, as upstream.
        det: detection variant (the PP-OCRv4 det teacher).
        out_indices: stages returned in det mode.
    """

    def __init__(self, in_channels: int = 3, pretrained: bool | str | None = False, use_ssld: bool = False,
                 det: bool = False, out_indices: Sequence[int] | None = None) -> None:
        super().__init__(stem_channels=[64, 64, 128], stage_config=SMALL_STAGES_DET if det else SMALL_STAGES_REC,
                         layer_num=6, in_channels=in_channels, det=det, out_indices=out_indices)
