"""Text-direction classifier head (upstream ``ClsHead``): global pool + linear + softmax."""

from __future__ import annotations

import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Uniform

from ppocr.errors import ConfigError
from ppocr.registry import HEADS


@HEADS.register()
class ClsHead(nn.Layer):
    """Softmax probabilities ``[N, class_dim]`` in training and eval alike.

    Upstream applies the softmax in training too (ClsLoss then takes the cross entropy of
    probabilities); kept so weights and exported models behave the same.

    Args:
        in_channels: backbone channels.
        class_dim: number of classes (2 for 0/180 degrees).
    """

    def __init__(self, in_channels: int, class_dim: int) -> None:
        super().__init__()
        if isinstance(class_dim, bool) or not isinstance(class_dim, int) or class_dim < 1:
            raise ConfigError(f"Head ClsHead.class_dim must be a positive int, got {class_dim!r}")
        self.pool = nn.AdaptiveAvgPool2D(1)
        stdv = 1.0 / math.sqrt(in_channels * 1.0)
        self.fc = nn.Linear(in_channels, class_dim, weight_attr=ParamAttr(initializer=Uniform(-stdv, stdv)),
                            bias_attr=ParamAttr())

    def forward(self, x: paddle.Tensor, targets=None) -> paddle.Tensor:
        """Backbone map ``[N, in_channels, h, w]`` (any h, w) → probs ``[N, class_dim]``.

        Same in train, eval and export (softmax always); ``targets`` is unused.
        """
        x = self.pool(x).flatten(1)
        return F.softmax(self.fc(x), axis=1)
