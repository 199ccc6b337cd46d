"""PPLCNetV3: the PP-OCRv4 backbone (rec, and det with ``det: true``), with re-parameterisable blocks.

Each conv of the net is a :class:`LearnableRepLayer`: in training the sum of ``conv_kxk_num``
kxk conv+BN branches, a 1x1 conv+BN branch (when k > 1) and an identity BN (when the shape is
kept), then a learnable affine (``lab``) and hardswish + affine (``act``). :meth:`rep` folds
the branches into one biased conv (``reparam_conv``) for export, as upstream's exporter does
(it calls ``rep()`` on every sub-layer that has one), so the official inference models hold
the fused weights. Attribute names are upstream's (``rec_lcnetv3.py``): state_dict keys match
``tests/fixtures/compat/ppocrv3v4_state_dict_manifest.json``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, KaimingNormal

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import (
    PADDLE_HARDSIGMOID_SLOPE,
    ConvBNLayer,
    SEModule,
    check_choice,
    make_divisible,
)
from ppocr.registry import BACKBONES

__all__ = ["NET_CONFIG_DET", "NET_CONFIG_REC", "LCNetV3Block", "LearnableAffineBlock",
           "LearnableRepLayer", "PPLCNetV3"]

Stride = int | tuple[int, int]
# Per stage: (kernel, base in channels, base out channels, stride, SE) of each block, as
# upstream's NET_CONFIG_det / NET_CONFIG_rec; widths are scaled and rounded to 16.
NET_CONFIG_DET: dict[str, list[tuple[int, int, int, Stride, bool]]] = {
    "blocks2": [(3, 16, 32, 1, False)],
    "blocks3": [(3, 32, 64, 2, False), (3, 64, 64, 1, False)],
    "blocks4": [(3, 64, 128, 2, False), (3, 128, 128, 1, False)],
    "blocks5": [(3, 128, 256, 2, False)] + [(5, 256, 256, 1, False)] * 4,
    "blocks6": [(5, 256, 512, 2, True), (5, 512, 512, 1, True), (5, 512, 512, 1, False),
                (5, 512, 512, 1, False)],
}
NET_CONFIG_REC: dict[str, list[tuple[int, int, int, Stride, bool]]] = {
    "blocks2": [(3, 16, 32, 1, False)],
    "blocks3": [(3, 32, 64, 1, False), (3, 64, 64, 1, False)],
    "blocks4": [(3, 64, 128, (2, 1), False), (3, 128, 128, 1, False)],
    "blocks5": [(3, 128, 256, (1, 2), False)] + [(5, 256, 256, 1, False)] * 4,
    "blocks6": [(5, 256, 512, (2, 1), True), (5, 512, 512, 1, True), (5, 512, 512, (2, 1), False),
                (5, 512, 512, 1, False)],
}
# Widths of the det variant's 1x1 output convs (``layer_list``), scaled by ``int(c * scale)``.
DET_OUT_CHANNELS = (16, 24, 56, 480)


def _set_lr(layer: nn.Layer, lr_mult: float) -> nn.Layer:
    """Give every parameter of ``layer`` upstream's ``ParamAttr(learning_rate=lr_mult)``."""
    for param in layer.parameters():
        param.optimize_attr["learning_rate"] = lr_mult
    return layer


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride: Stride, groups: int,
             lr_mult: float) -> ConvBNLayer:
    # Upstream's ConvBNLayer here: Kaiming conv, no bias, BN without weight decay, no activation.
    layer = ConvBNLayer(in_channels, out_channels, kernel_size, stride, groups, act=None,
                        weight_init=KaimingNormal(), bn_no_decay=True)
    return _set_lr(layer, lr_mult)


class LearnableAffineBlock(nn.Layer):
    """``scale * x + bias`` with two learnable scalars (shape ``[1]``), learning rate
    ``lr_mult * lab_lr``. Any shape in, same shape out."""

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0, lr_mult: float = 1.0,
                 lab_lr: float = 0.1) -> None:
        super().__init__()
        attr = {"learning_rate": lr_mult * lab_lr}
        self.scale = self.create_parameter([1], attr=ParamAttr(**attr),
                                           default_initializer=Constant(scale_value))
        self.bias = self.create_parameter([1], attr=ParamAttr(**attr),
                                          default_initializer=Constant(bias_value))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.scale * x + self.bias


class Act(nn.Layer):
    """Activation (``"hswish"`` or ``"relu"``) followed by a :class:`LearnableAffineBlock`."""

    def __init__(self, act: str = "hswish", lr_mult: float = 1.0, lab_lr: float = 0.1) -> None:
        super().__init__()
        check_choice(act, ("hswish", "relu"), "PPLCNetV3 Act: act")
        self.act = nn.Hardswish() if act == "hswish" else nn.ReLU()
        self.lab = LearnableAffineBlock(lr_mult=lr_mult, lab_lr=lab_lr)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.lab(self.act(x))


def _fuse(kernel: paddle.Tensor, bn: nn.BatchNorm2D) -> tuple[paddle.Tensor, paddle.Tensor]:
    """Kernel and bias of ``bn(conv(x))`` (eval statistics) as one biased conv."""
    std = (bn._variance + bn._epsilon).sqrt()
    gamma = bn.weight / std
    return kernel * gamma.reshape([-1, 1, 1, 1]), bn.bias - bn._mean * gamma


class LearnableRepLayer(nn.Layer):
    """Sum of conv branches → ``lab`` → ``act`` (skipped when ``stride == 2``, as upstream: the
    rec net's tuple strides keep it), re-parameterisable into one conv.

    Branches: ``identity`` BN (only when ``in == out`` and ``stride == 1``), ``conv_kxk``
    (``num_conv_branches`` kxk conv+BN), ``conv_1x1`` (only when k > 1). ``[N, in, H, W]`` →
    ``[N, out, ceil(H / sh), ceil(W / sw)]``; after :meth:`rep` the same function (eval-mode BN)
    is one ``reparam_conv`` (``[out, in / groups, k, k]`` weight and ``[out]`` bias) and the
    branch layers are gone from the state_dict (upstream's current ``rep``; 2.x left them in).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: Stride = 1,
                 groups: int = 1, num_conv_branches: int = 1, lr_mult: float = 1.0,
                 lab_lr: float = 0.1) -> None:
        super().__init__()
        self.is_repped = False
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.groups = groups
        self.num_conv_branches = num_conv_branches
        self.padding = (kernel_size - 1) // 2
        # `stride == 1` is False for tuple strides such as (1, 2), exactly as upstream.
        self.identity = (_set_lr(nn.BatchNorm2D(in_channels), lr_mult)
                         if out_channels == in_channels and stride == 1 else None)
        self.conv_kxk = nn.LayerList([_conv_bn(in_channels, out_channels, kernel_size, stride, groups, lr_mult)
                                      for _ in range(num_conv_branches)])
        self.conv_1x1 = (_conv_bn(in_channels, out_channels, 1, stride, groups, lr_mult)
                         if kernel_size > 1 else None)
        self.lab = LearnableAffineBlock(lr_mult=lr_mult, lab_lr=lab_lr)
        self.act = Act(lr_mult=lr_mult, lab_lr=lab_lr)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.is_repped:
            out = self.reparam_conv(x)
        else:
            out = 0
            if self.identity is not None:
                out = out + self.identity(x)
            if self.conv_1x1 is not None:
                out = out + self.conv_1x1(x)
            for conv in self.conv_kxk:
                out = out + conv(x)
        out = self.lab(out)
        if self.stride != 2:
            out = self.act(out)
        return out

    @paddle.no_grad()
    def rep(self) -> None:
        """Fold every branch into ``reparam_conv`` (uses BN running statistics); idempotent."""
        if self.is_repped:
            return
        kernel, bias = self._fused_kernel_bias()
        self.reparam_conv = nn.Conv2D(self.in_channels, self.out_channels, self.kernel_size,
                                      stride=self.stride, padding=self.padding, groups=self.groups)
        self.reparam_conv.weight.set_value(kernel)
        self.reparam_conv.bias.set_value(bias)
        del self.conv_kxk
        if self.conv_1x1 is not None:
            del self.conv_1x1
        if self.identity is not None:
            del self.identity
        self.conv_1x1 = None
        self.identity = None
        self.is_repped = True

    def _fused_kernel_bias(self) -> tuple[paddle.Tensor, paddle.Tensor]:
        k = self.kernel_size
        kernel = paddle.zeros([self.out_channels, self.in_channels // self.groups, k, k], dtype="float32")
        bias = paddle.zeros([self.out_channels], dtype="float32")
        for branch in self.conv_kxk:
            w, b = _fuse(branch.conv.weight, branch.bn)
            kernel, bias = kernel + w, bias + b
        if self.conv_1x1 is not None:
            w, b = _fuse(self.conv_1x1.conv.weight, self.conv_1x1.bn)
            kernel, bias = kernel + F.pad(w, [k // 2] * 4), bias + b
        if self.identity is not None:
            # A conv that copies channel i: 1 at the centre of input slot i % (in / groups).
            in_per_group = self.in_channels // self.groups
            eye = np.zeros(kernel.shape, dtype="float32")
            channels = np.arange(self.in_channels)
            eye[channels, channels % in_per_group, k // 2, k // 2] = 1.0
            w, b = _fuse(paddle.to_tensor(eye), self.identity)
            kernel, bias = kernel + w, bias + b
        return kernel, bias


class LCNetV3Block(nn.Layer):
    """Depthwise :class:`LearnableRepLayer` (``dw_conv``) → [SE] → pointwise one (``pw_conv``)."""

    def __init__(self, in_channels: int, out_channels: int, stride: Stride, dw_size: int,
                 use_se: bool = False, conv_kxk_num: int = 4, lr_mult: float = 1.0,
                 lab_lr: float = 0.1) -> None:
        super().__init__()
        self.use_se = use_se
        self.dw_conv = LearnableRepLayer(in_channels, in_channels, dw_size, stride, groups=in_channels,
                                         num_conv_branches=conv_kxk_num, lr_mult=lr_mult, lab_lr=lab_lr)
        if use_se:
            # Upstream's SELayer: same sub-layer names and Paddle's default hardsigmoid.
            self.se = _set_lr(SEModule(in_channels, slope=PADDLE_HARDSIGMOID_SLOPE), lr_mult)
        self.pw_conv = LearnableRepLayer(in_channels, out_channels, 1, 1, num_conv_branches=conv_kxk_num,
                                         lr_mult=lr_mult, lab_lr=lab_lr)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.dw_conv(x)
        if self.use_se:
            x = self.se(x)
        return self.pw_conv(x)


def _check_number(value: object, key: str, allow_zero: bool = False) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or value < 0 or (value == 0 and not allow_zero)):
        raise ConfigError(f"Backbone PPLCNetV3: {key} must be a number {'>=' if allow_zero else '>'} 0; "
                          f"got {value!r}")
    return float(value)


@BACKBONES.register("PPLCNetV3", scopes=("det", "rec"))
class PPLCNetV3(nn.Layer):
    """Upstream's ``PPLCNetV3``: stem 3x3/2 conv (``conv1``), then ``blocks2``..``blocks6``.

    Shapes (``[N, 3, H, W]`` in):
      - rec (``det: false``): strides (2,1)/(1,2) keep width; ``[N, 3, 48, 320]`` → blocks6
        ``[N, C, 3, 80]`` → ``[N, C, 1, 40]`` with ``C = make_divisible(512 * scale, 16)``
        (480 at 0.95). Training pools adaptively to ``[1, 40]``; eval/export average-pools
        ``[3, 2]`` (kernel = stride), as upstream, so they agree at height 48.
      - det (``det: true``): list of four maps at strides 4, 8, 16, 32 after 1x1 convs
        (``layer_list``) to ``int([16, 24, 56, 480] * scale)`` channels ([12, 18, 42, 360] at 0.75).

    Args:
        in_channels: image channels (upstream hard-codes 3; injected by the architecture).
        scale: width multiplier (PP-OCRv4: rec 0.95, det 0.75).
        conv_kxk_num: kxk branches of each :class:`LearnableRepLayer`.
        lr_mult_list: six learning-rate multipliers, for ``conv1`` and ``blocks2``..``blocks6``.
        lab_lr: learning-rate factor of the learnable affine blocks (times the stage's lr_mult).
        det: build the detection variant.
        pretrained: accepted and ignored, as upstream (its ``**kwargs`` swallows it; the v4 CML
            config passes it). Weights come from ``Global.pretrained_model`` or a sub-model's
            ``pretrained``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        scale: float = 1.0,
        conv_kxk_num: int = 4,
        lr_mult_list: Sequence[float] | None = None,
        lab_lr: float = 0.1,
        det: bool = False,
        pretrained: bool | str | None = False,
    ) -> None:
        super().__init__()
        scale = _check_number(scale, "scale")
        lab_lr = _check_number(lab_lr, "lab_lr", allow_zero=True)
        if isinstance(conv_kxk_num, bool) or not isinstance(conv_kxk_num, int) or conv_kxk_num < 1:
            raise ConfigError(f"Backbone PPLCNetV3: conv_kxk_num must be an int >= 1; got {conv_kxk_num!r}")
        lr_mults = [1.0] * 6 if lr_mult_list is None else lr_mult_list
        if not isinstance(lr_mults, (list, tuple)) or len(lr_mults) != 6:
            raise ConfigError(f"Backbone PPLCNetV3: lr_mult_list must be a list of 6 numbers "
                              f"(conv1, blocks2..blocks6); got {lr_mult_list!r}")
        lr_mults = [_check_number(v, f"lr_mult_list[{i}]", allow_zero=True) for i, v in enumerate(lr_mults)]
        if not isinstance(det, bool):
            raise ConfigError(f"Backbone PPLCNetV3: det must be true or false; got {det!r}")
        self.scale = scale
        self.det = det
        self.lr_mult_list = lr_mults
        self.net_config = NET_CONFIG_DET if det else NET_CONFIG_REC

        def width(c: int) -> int:
            return make_divisible(c * scale, divisor=16)

        self.conv1 = _conv_bn(in_channels, width(16), 3, 2, 1, lr_mults[0])
        for i, stage in enumerate(("blocks2", "blocks3", "blocks4", "blocks5", "blocks6")):
            blocks = [LCNetV3Block(width(c_in), width(c_out), s, k, se, conv_kxk_num, lr_mults[i + 1], lab_lr)
                      for k, c_in, c_out, s, se in self.net_config[stage]]
            setattr(self, stage, nn.Sequential(*blocks))
        self.out_channels: int | list[int] = width(512)
        if det:
            stage_out = [width(self.net_config[s][-1][2]) for s in ("blocks3", "blocks4", "blocks5", "blocks6")]
            outs = [int(c * scale) for c in DET_OUT_CHANNELS]
            self.layer_list = nn.LayerList([nn.Conv2D(c_in, c_out, 1) for c_in, c_out in zip(stage_out, outs)])
            self.out_channels = outs

    @property
    def is_repped(self) -> bool:
        """Whether every :class:`LearnableRepLayer` has been fused."""
        return all(layer.is_repped for layer in self.sublayers() if isinstance(layer, LearnableRepLayer))

    def rep(self) -> None:
        """Fuse every :class:`LearnableRepLayer` (for export; call in eval mode after loading weights)."""
        for layer in self.sublayers():
            if isinstance(layer, LearnableRepLayer):
                layer.rep()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor | list[paddle.Tensor]:
        x = self.blocks2(self.conv1(x))
        feats = []
        for stage in (self.blocks3, self.blocks4, self.blocks5, self.blocks6):
            x = stage(x)
            feats.append(x)
        if self.det:
            return [conv(f) for conv, f in zip(self.layer_list, feats)]
        if self.training:
            return F.adaptive_avg_pool2d(x, [1, 40])
        return F.avg_pool2d(x, [3, 2])
