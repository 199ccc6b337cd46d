"""Show, Attend and Read head (upstream ``SARHead``, https://arxiv.org/abs/1811.00751).

PP-OCRv3 trains it beside the CTC branch of ``MultiHead`` (guided training) and drops it at
export. Sub-layer names are upstream's (``encoder.rnn_encoder``, ``encoder.linear``,
``decoder.conv1x1_1``, ``conv3x3_1``, ``conv1x1_2``, ``rnn_decoder``, ``embedding``,
``prediction``), so v3 checkpoints load.

Class layout (upstream's ``SARLabelEncode``): ``out_channels`` = dictionary + unknown +
start/end + padding; start/end is ``out_channels - 2``, padding ``out_channels - 1``. The
prediction layer has ``out_channels - 1`` classes (padding is never predicted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import ConfigError, DataError
from ppocr.registry import HEADS

__all__ = ["SAREncoder", "ParallelSARDecoder", "SARHead"]


def _rnn(gru: bool, input_size: int, hidden_size: int, dropout: float, bidirectional: bool) -> nn.Layer:
    cls = nn.GRU if gru else nn.LSTM
    return cls(input_size, hidden_size, num_layers=2, time_major=False, dropout=dropout,
               direction="bidirectional" if bidirectional else "forward")


def _valid_ratios(img_metas: Sequence[Any] | None, mask: bool, n: int) -> paddle.Tensor | None:
    """``valid_ratio`` ``[N]`` (the last item of the head's targets) or None."""
    if img_metas is None or not mask:
        return None
    ratios = img_metas[-1]
    if not isinstance(ratios, paddle.Tensor):
        ratios = paddle.to_tensor(ratios, dtype="float32")
    ratios = ratios.reshape([-1]).astype("float32")
    if ratios.shape[0] != n:
        raise DataError(f"SARHead: valid_ratio has {ratios.shape[0]} values for a batch of {n}")
    return ratios


class SAREncoder(nn.Layer):
    """Column-max-pool the map, run a 2-layer RNN over W, keep the last valid step.

    ``feat`` ``[N, d_model, H, W]`` → holistic feature ``[N, d_enc * (1 + enc_bi_rnn)]``; the
    step kept is ``min(W, ceil(valid_ratio * W)) - 1`` when valid ratios are given (``mask``).
    """

    def __init__(self, enc_bi_rnn: bool = False, enc_drop_rnn: float = 0.1, enc_gru: bool = False,
                 d_model: int = 512, d_enc: int = 512, mask: bool = True) -> None:
        super().__init__()
        if not 0 <= enc_drop_rnn < 1:
            raise ConfigError(f"Head SARHead.enc_drop_rnn must be in [0, 1), got {enc_drop_rnn!r}")
        self.enc_bi_rnn = enc_bi_rnn
        self.mask = mask
        self.rnn_encoder = _rnn(enc_gru, d_model, d_enc, enc_drop_rnn, enc_bi_rnn)
        out_size = d_enc * (int(enc_bi_rnn) + 1)
        self.linear = nn.Linear(out_size, out_size)

    def forward(self, feat: paddle.Tensor, img_metas: Sequence[Any] | None = None) -> paddle.Tensor:
        feat_v = F.max_pool2d(feat, kernel_size=(feat.shape[2], 1), stride=1, padding=0)
        feat_v = feat_v.squeeze(2).transpose([0, 2, 1])  # N, W, C
        holistic = self.rnn_encoder(feat_v)[0]  # N, W, C
        ratios = _valid_ratios(img_metas, self.mask, feat.shape[0])
        if ratios is None:
            last = holistic[:, -1, :]
        else:
            steps = holistic.shape[1]
            idx = paddle.clip(paddle.ceil(ratios * steps), max=steps).astype("int64") - 1
            idx = paddle.clip(idx, min=0)
            last = paddle.take_along_axis(holistic, idx.reshape([-1, 1, 1]).expand([-1, 1, holistic.shape[2]]),
                                          axis=1).squeeze(1)
        return self.linear(last)


class ParallelSARDecoder(nn.Layer):
    """2-D attention LSTM decoder; see ``SARHead`` for the parameters."""

    def __init__(self, out_channels: int, enc_bi_rnn: bool = False, dec_bi_rnn: bool = False,
                 dec_drop_rnn: float = 0.0, dec_gru: bool = False, d_model: int = 512, d_enc: int = 512,
                 d_k: int = 64, pred_dropout: float = 0.1, max_text_length: int = 30, mask: bool = True,
                 pred_concat: bool = True) -> None:
        super().__init__()
        self.num_classes = out_channels
        self.start_idx = out_channels - 2
        self.padding_idx = out_channels - 1
        self.max_seq_len = max_text_length
        self.mask = mask
        self.pred_concat = pred_concat
        enc_out = d_enc * (int(enc_bi_rnn) + 1)
        dec_out = enc_out * (int(dec_bi_rnn) + 1)
        self.conv1x1_1 = nn.Linear(dec_out, d_k)
        self.conv3x3_1 = nn.Conv2D(d_model, d_k, kernel_size=3, stride=1, padding=1)
        self.conv1x1_2 = nn.Linear(d_k, 1)
        self.rnn_decoder = _rnn(dec_gru, enc_out, enc_out, dec_drop_rnn, dec_bi_rnn)
        self.embedding = nn.Embedding(out_channels, enc_out, padding_idx=self.padding_idx)
        self.pred_dropout = nn.Dropout(pred_dropout)
        fc_in = dec_out + d_model + enc_out if pred_concat else d_model
        self.prediction = nn.Linear(fc_in, out_channels - 1)

    def _2d_attention(self, decoder_input: paddle.Tensor, feat: paddle.Tensor, holistic: paddle.Tensor,
                      valid_ratios: paddle.Tensor | None) -> paddle.Tensor:
        """``decoder_input`` ``[N, T, E]`` → class scores ``[N, T, out_channels - 1]``."""
        y = self.rnn_decoder(decoder_input)[0]  # N, T, H
        query = self.conv1x1_1(y).unsqueeze([3, 4])  # N, T, d_k, 1, 1
        key = self.conv3x3_1(feat).unsqueeze(1)  # N, 1, d_k, h, w
        weight = self.conv1x1_2(paddle.tanh(key + query).transpose([0, 1, 3, 4, 2]))  # N, T, h, w, 1
        n, steps, h, w, _ = weight.shape
        if valid_ratios is not None:
            valid_width = paddle.clip(paddle.ceil(valid_ratios * w), max=w).astype("int64")  # N
            cols = paddle.arange(w, dtype="int64").reshape([1, 1, 1, w, 1])
            masked = cols >= valid_width.reshape([-1, 1, 1, 1, 1])
            weight = paddle.where(masked, paddle.full_like(weight, float("-inf")), weight)
        weight = F.softmax(weight.reshape([n, steps, -1]), axis=-1)
        weight = weight.reshape([n, steps, h, w, 1]).transpose([0, 1, 4, 2, 3])  # N, T, 1, h, w
        attn_feat = paddle.sum(feat.unsqueeze(1) * weight, axis=[3, 4])  # N, T, C
        if self.pred_concat:
            hol = holistic.expand([n, steps, holistic.shape[-1]])
            out = self.prediction(paddle.concat([y, attn_feat.astype(y.dtype), hol.astype(y.dtype)], axis=2))
        else:
            out = self.prediction(attn_feat)
        return self.pred_dropout(out) if self.training else out

    def forward_train(self, feat: paddle.Tensor, out_enc: paddle.Tensor, label: paddle.Tensor,
                      img_metas: Sequence[Any] | None) -> paddle.Tensor:
        ratios = _valid_ratios(img_metas, self.mask, feat.shape[0])
        lab_embedding = self.embedding(label.astype("int64"))  # N, L, E
        out_enc = out_enc.unsqueeze(1).astype(lab_embedding.dtype)  # N, 1, E
        in_dec = paddle.concat([out_enc, lab_embedding], axis=1)
        return self._2d_attention(in_dec, feat, out_enc, ratios)[:, 1:, :]

    def forward_test(self, feat: paddle.Tensor, out_enc: paddle.Tensor,
                     img_metas: Sequence[Any] | None) -> paddle.Tensor:
        """Greedy decoding of ``max_text_length`` steps, each fed the previous argmax.

        The RNN is causal and the attention per step, so step ``i`` is computed from the first
        ``i + 1`` inputs only; upstream runs the whole start-padded sequence each step and
        gets the same values.
        """
        ratios = _valid_ratios(img_metas, self.mask, feat.shape[0])
        n = feat.shape[0]
        out_enc = out_enc.unsqueeze(1)
        inputs = [out_enc, self.embedding(paddle.full([n, 1], self.start_idx, dtype="int64"))]
        outputs = []
        for i in range(1, self.max_seq_len + 1):
            step = self._2d_attention(paddle.concat(inputs, axis=1), feat, out_enc, ratios)[:, i, :]
            prob = F.softmax(step, axis=-1)
            outputs.append(prob)
            inputs.append(self.embedding(paddle.argmax(prob, axis=1, keepdim=True)))
        return paddle.stack(outputs, axis=1)


@HEADS.register()
class SARHead(nn.Layer):
    """SAR encoder + parallel 2-D attention decoder.

    Args:
        in_channels: backbone channels (``d_model``).
        out_channels: SAR classes (dictionary + 3; ``MultiHead`` gets it from
            ``out_channels_list['SARLabelDecode']``).
        enc_dim: encoder RNN width.
        max_text_length: decoding steps at eval.
        enc_bi_rnn, enc_drop_rnn, enc_gru: encoder RNN direction, dropout, GRU instead of LSTM.
        dec_bi_rnn, dec_drop_rnn, dec_gru: the same for the decoder RNN.
        d_k: attention width.
        pred_dropout: dropout on the class scores in training.
        pred_concat: predict from [rnn output, glimpse, holistic] (else the glimpse only).
    """

    def __init__(self, in_channels: int, out_channels: int, enc_dim: int = 512, max_text_length: int = 30,
                 enc_bi_rnn: bool = False, enc_drop_rnn: float = 0.1, enc_gru: bool = False,
                 dec_bi_rnn: bool = False, dec_drop_rnn: float = 0.0, dec_gru: bool = False, d_k: int = 512,
                 pred_dropout: float = 0.1, pred_concat: bool = True) -> None:
        super().__init__()
        for key, value in (("out_channels", out_channels), ("enc_dim", enc_dim),
                           ("max_text_length", max_text_length), ("d_k", d_k)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"Head SARHead.{key} must be a positive int, got {value!r}")
        if out_channels < 3:
            raise ConfigError(f"Head SARHead.out_channels must be >= 3 (start/end and padding), got {out_channels}")
        self.out_channels = out_channels
        self.encoder = SAREncoder(enc_bi_rnn=enc_bi_rnn, enc_drop_rnn=enc_drop_rnn, enc_gru=enc_gru,
                                  d_model=in_channels, d_enc=enc_dim)
        self.decoder = ParallelSARDecoder(out_channels, enc_bi_rnn=enc_bi_rnn, dec_bi_rnn=dec_bi_rnn,
                                          dec_drop_rnn=dec_drop_rnn, dec_gru=dec_gru, d_model=in_channels,
                                          d_enc=enc_dim, d_k=d_k, pred_dropout=pred_dropout,
                                          max_text_length=max_text_length, pred_concat=pred_concat)

    def forward(self, feat: paddle.Tensor, targets: Sequence[Any] | None = None) -> paddle.Tensor:
        """Backbone map ``[N, in_channels, H, W]`` → per-step scores ``[N, L, out_channels - 1]``.

        ``targets`` is ``[label, ..., valid_ratio]``: inside MultiHead the batch from
        ``label_sar`` on (``[label_sar [N, L] int64, length, valid_ratio [N]]``).

        - train: logits with teacher forcing on ``label``, L = its length (max_text_length).
        - eval: softmax probabilities of greedy decoding, L = ``max_text_length``
          (``targets`` optional; its valid_ratio masks the attention).
        """
        holistic = self.encoder(feat, targets)
        if self.training:
            if not targets:
                raise DataError("SARHead: training needs targets [label, ..., valid_ratio]")
            return self.decoder.forward_train(feat, holistic, targets[0], targets)
        return self.decoder.forward_test(feat, holistic, targets)
