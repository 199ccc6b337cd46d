"""Differentiable Binarization heads (upstream ``DBHead``, https://arxiv.org/abs/1911.08947,
and the PP-OCRv4 server/teacher ``PFHeadLocal``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, KaimingUniform, Uniform

from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import ConvBNLayer
from ppocr.modeling.necks.upsample import upsample_nearest
from ppocr.registry import HEADS


def _bn(channels: int) -> nn.BatchNorm2D:
    return nn.BatchNorm2D(channels, weight_attr=ParamAttr(initializer=Constant(1.0)),
                          bias_attr=ParamAttr(initializer=Constant(1e-4)))


def _bias(k: int) -> ParamAttr:
    stdv = 1.0 / math.sqrt(k * 1.0)
    return ParamAttr(initializer=Uniform(-stdv, stdv))


class Head(nn.Layer):
    """conv-BN-ReLU, then two stride-2 transposed convs back to input resolution, sigmoid.

    Attribute names (``conv1``, ``conv_bn1``, ``conv2``, ``conv_bn2``, ``conv3``) are
    upstream's, so PP-OCR detection weights load.
    """

    def __init__(self, in_channels: int, kernel_list: Sequence[int] = (3, 2, 2)) -> None:
        super().__init__()
        mid = in_channels // 4
        self.conv1 = nn.Conv2D(in_channels, mid, kernel_list[0], padding=int(kernel_list[0] // 2),
                               weight_attr=ParamAttr(), bias_attr=False)
        self.conv_bn1 = _bn(mid)
        self.conv2 = nn.Conv2DTranspose(mid, mid, kernel_list[1], stride=2,
                                        weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=_bias(mid))
        self.conv_bn2 = _bn(mid)
        self.conv3 = nn.Conv2DTranspose(mid, 1, kernel_list[2], stride=2,
                                        weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=_bias(mid))

    def forward(self, x: paddle.Tensor, return_f: bool = False):
        """``[N, in_channels, h, w]`` → sigmoid map ``[N, 1, 4h, 4w]`` (any mode); with
        ``return_f`` also the features before ``conv3``, ``[N, in_channels / 4, 2h, 2w]``."""
        x = F.relu(self.conv_bn1(self.conv1(x)))
        f = F.relu(self.conv_bn2(self.conv2(x)))
        x = F.sigmoid(self.conv3(f))
        return (x, f) if return_f else x


@HEADS.register()
class DBHead(nn.Layer):
    """Shrink (probability) and threshold maps, combined by a steep sigmoid step.

    Training returns ``{"maps": concat([shrink, threshold, binary], axis=1)}`` (what DBLoss
    reads); eval returns ``{"maps": shrink}`` only, as upstream's exported models do.

    Args:
        in_channels: neck channels (divisible by 4).
        k: steepness of the approximate binarization ``1 / (1 + exp(-k (P - T)))``.
        kernel_list: kernel sizes of ``conv1``, ``conv2``, ``conv3``.
    """

    def __init__(self, in_channels: int, k: float = 50, kernel_list: Sequence[int] = (3, 2, 2)) -> None:
        super().__init__()
        if not isinstance(in_channels, int) or in_channels < 4:
            raise ConfigError(f"Head DBHead: in_channels must be an int >= 4, got {in_channels!r}")
        if not isinstance(kernel_list, (list, tuple)) or len(kernel_list) != 3:
            raise ConfigError(f"Head DBHead.kernel_list must have 3 kernel sizes, got {kernel_list!r}")
        self.k = k
        self.binarize = Head(in_channels, kernel_list)
        self.thresh = Head(in_channels, kernel_list)

    def step_function(self, x: paddle.Tensor, y: paddle.Tensor) -> paddle.Tensor:
        return paddle.reciprocal(1 + paddle.exp(-self.k * (x - y)))

    def forward(self, x: paddle.Tensor, targets=None) -> dict[str, paddle.Tensor]:
        """Neck map ``[N, in_channels, H/4, W/4]`` → maps at the input image's ``H, W``.

        H, W are those of the network input (multiples of 32, as the det backbones and
        DBFPN need). Values are probabilities in [0, 1]; ``targets`` is unused.

        - train: ``{"maps": [N, 3, H, W]}``, channels shrink | threshold | binary (DBLoss).
        - eval / export: ``{"maps": [N, 1, H, W]}``, the shrink map (DBPostProcess).
        """
        shrink_maps = self.binarize(x)
        if not self.training:
            return {"maps": shrink_maps}
        threshold_maps = self.thresh(x)
        binary_maps = self.step_function(shrink_maps, threshold_maps)
        return {"maps": paddle.concat([shrink_maps, threshold_maps, binary_maps], axis=1)}


class LocalModule(nn.Layer):
    """Refines a map from ``[map, features]``: 3x3 conv-BN-ReLU (``last_3``) then a 1x1 conv (``last_1``).

    ``use_distance`` is upstream's parameter and unused there too.
    """

    def __init__(self, in_c: int, mid_c: int, use_distance: bool = True) -> None:
        super().__init__()
        self.last_3 = ConvBNLayer(in_c + 1, mid_c, 3, act="relu")
        self.last_1 = nn.Conv2D(mid_c, 1, 1, 1, 0)

    def forward(self, x: paddle.Tensor, init_map: paddle.Tensor, distance_map=None) -> paddle.Tensor:
        """``x`` ``[N, in_c, H, W]``, ``init_map`` ``[N, 1, H, W]`` → logits ``[N, 1, H, W]``."""
        return self.last_1(self.last_3(paddle.concat([init_map, x], axis=1)))


@HEADS.register()
class PFHeadLocal(DBHead):
    """DBHead plus a local refinement of the shrink map (PP-OCRv4 det teacher / server).

    The binarize branch's ``conv3`` input features, upsampled 2x, are refined together with
    the shrink map by ``cbn_layer`` into a second probability map ``cbn``.

    Args:
        in_channels, k, kernel_list: as DBHead.
        mode: ``large`` (``cbn_layer`` width ``in_channels / 4``) or ``small`` (``/ 8``).
    """

    MODES = ("large", "small")

    def __init__(self, in_channels: int, k: float = 50, mode: str = "small",
                 kernel_list: Sequence[int] = (3, 2, 2)) -> None:
        super().__init__(in_channels, k=k, kernel_list=kernel_list)
        if mode not in self.MODES:
            raise ConfigError(f"Head PFHeadLocal.mode must be one of {', '.join(self.MODES)}, got {mode!r}")
        self.mode = mode
        self.cbn_layer = LocalModule(in_channels // 4, in_channels // 4 if mode == "large" else in_channels // 8)

    def forward(self, x: paddle.Tensor, targets=None) -> dict[str, paddle.Tensor]:
        """Neck map ``[N, in_channels, H/4, W/4]`` → maps at the input's ``H, W`` (as upstream):

        - train: ``{"maps": concat([cbn, threshold, binary]) [N, 3, H, W], "distance_maps": cbn,
          "cbn_maps": binary}`` (channel 0 of ``maps`` is the refined map, which DBLoss trains;
          ``binary`` is still from the plain shrink map).
        - eval / export: ``{"maps": (shrink + cbn) / 2 [N, 1, H, W], "cbn_maps": cbn}``.
        """
        shrink_maps, f = self.binarize(x, return_f=True)
        cbn_maps = F.sigmoid(self.cbn_layer(upsample_nearest(f, 2), shrink_maps, None))
        if not self.training:
            return {"maps": 0.5 * (shrink_maps + cbn_maps), "cbn_maps": cbn_maps}
        threshold_maps = self.thresh(x)
        binary_maps = self.step_function(shrink_maps, threshold_maps)
        maps = paddle.concat([cbn_maps, threshold_maps, binary_maps], axis=1)
        return {"maps": maps, "distance_maps": cbn_maps, "cbn_maps": binary_maps}
