"""CTC recognition head (upstream ``CTCHead``): one or two linear layers over the sequence."""

from __future__ import annotations

import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.regularizer import L2Decay

from ppocr.errors import ConfigError
from ppocr.registry import HEADS


def get_para_bias_attr(l2_decay: float, k: int) -> tuple[ParamAttr, ParamAttr]:
    """Weight and bias attrs: U(-1/sqrt(k), 1/sqrt(k)) init with their own L2 decay.

    A parameter-level regularizer overrides the optimizer's global one, which is how
    upstream gives the head a different decay (``fc_decay``) from the rest of the model.
    """
    stdv = 1.0 / math.sqrt(k * 1.0)
    weight = ParamAttr(regularizer=L2Decay(l2_decay), initializer=nn.initializer.Uniform(-stdv, stdv))
    bias = ParamAttr(regularizer=L2Decay(l2_decay), initializer=nn.initializer.Uniform(-stdv, stdv))
    return weight, bias


@HEADS.register()
class CTCHead(nn.Layer):
    """Per-timestep class scores for CTC.

    Training returns logits ``[N, T, out_channels]`` (or ``(feats, logits)`` with
    ``return_feats``, feats being the ``fc1`` output, or the input without ``mid_channels``,
    as CenterLoss needs). Eval returns softmax probabilities only, as upstream's exported
    models do.

    Args:
        in_channels: sequence feature width.
        out_channels: number of classes (blank + dictionary [+ space]); set from the
            dictionary by ``resolve_architecture``.
        fc_decay: L2 decay of the head's weights and biases.
        mid_channels: width of an intermediate ``fc1`` (no activation between, as upstream).
        return_feats: also return the features before the last layer in training.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int = 6625,
        fc_decay: float = 0.0004,
        mid_channels: int | None = None,
        return_feats: bool = False,
    ) -> None:
        super().__init__()
        for key, value in (("out_channels", out_channels), ("mid_channels", mid_channels)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"Head CTCHead.{key} must be a positive int, got {value!r}")
        self.out_channels = out_channels
        self.mid_channels = mid_channels
        self.return_feats = bool(return_feats)
        if mid_channels is None:
            w, b = get_para_bias_attr(fc_decay, in_channels)
            self.fc = nn.Linear(in_channels, out_channels, weight_attr=w, bias_attr=b)
        else:
            w1, b1 = get_para_bias_attr(fc_decay, in_channels)
            self.fc1 = nn.Linear(in_channels, mid_channels, weight_attr=w1, bias_attr=b1)
            w2, b2 = get_para_bias_attr(fc_decay, mid_channels)
            self.fc2 = nn.Linear(mid_channels, out_channels, weight_attr=w2, bias_attr=b2)

    def features_and_logits(self, x: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
        """``(features, logits)``: the features are what CenterLoss pulls to the centers (``fc1``'s
        output with ``mid_channels``, else the head's input), in any mode."""
        if self.mid_channels is None:
            return x, self.fc(x)
        feats = self.fc1(x)
        return feats, self.fc2(feats)

    def forward(self, x: paddle.Tensor, targets=None):
        """Sequence ``[N, T, in_channels]`` from SequenceEncoder (T = W/4 of the input image
        with the PP-OCRv2 rec backbones, e.g. 80 for 32x320) → per-step scores, C = out_channels.

        - train: logits ``[N, T, C]``; with ``return_feats`` the pair ``(feats, logits)``,
          feats ``[N, T, mid_channels]`` (or ``[N, T, in_channels]`` without ``fc1``).
        - eval / export: softmax probs ``[N, T, C]`` (``return_feats`` ignored).

        ``targets`` is unused.
        """
        x, predicts = self.features_and_logits(x)
        if not self.training:
            return F.softmax(predicts, axis=2)
        if self.return_feats:
            return x, predicts
        return predicts
