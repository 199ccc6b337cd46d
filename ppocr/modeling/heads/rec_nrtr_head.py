"""NRTR transformer decoder (upstream ``Transformer`` in ``rec_nrtr_head.py``).

PP-OCRv4 trains it as the guidance (GTC) branch of ``MultiHead`` and drops it at export.
Sub-layer names are upstream's (``embedding.embedding``, ``positional_encoding.pe``,
``decoder.{i}.self_attn.qkv``, ``cross_attn.q``/``kv``, ``out_proj``, ``norm1..3``,
``mlp.fc1``/``fc2``, ``tgt_word_prj``), so v4 checkpoints load.

Class layout (upstream's ``NRTRLabelEncode``): 0 padding (``blank``), 1 unknown, 2 start
``<s>``, 3 end ``</s>``, then the dictionary. The embedding and the projection have
``out_channels + 1`` rows, as upstream.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, Normal, XavierNormal

from ppocr.errors import ConfigError, DataError
from ppocr.modeling.necks.svtr_encoder import Mlp
from ppocr.registry import HEADS

__all__ = ["Transformer", "TransformerBlock", "MultiheadAttention", "PositionalEncoding", "Embeddings"]

BOS, EOS = 2, 3


class MultiheadAttention(nn.Layer):
    """Self-attention (one ``qkv`` projection) or cross-attention (``q`` and ``kv``)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, self_attn: bool = False) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ConfigError(f"NRTR attention: d_model ({embed_dim}) must be divisible by nhead ({num_heads})")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.scale = self.head_dim**-0.5
        self.self_attn = self_attn
        if self_attn:
            self.qkv = nn.Linear(embed_dim, embed_dim * 3)
        else:
            self.q = nn.Linear(embed_dim, embed_dim)
            self.kv = nn.Linear(embed_dim, embed_dim * 2)
        self.attn_drop = nn.Dropout(dropout)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query: paddle.Tensor, key: paddle.Tensor | None = None,
                attn_mask: paddle.Tensor | None = None) -> paddle.Tensor:
        """``query`` ``[B, Lq, E]`` (and ``key`` ``[B, Lk, E]``) → ``[B, Lq, E]``."""
        q_len = query.shape[1]
        if self.self_attn:
            qkv = self.qkv(query).reshape([0, q_len, 3, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            q = self.q(query).reshape([0, q_len, self.num_heads, self.head_dim]).transpose([0, 2, 1, 3])
            kv = self.kv(key).reshape([0, key.shape[1], 2, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
            k, v = kv[0], kv[1]
        attn = q.matmul(k.transpose([0, 1, 3, 2])) * self.scale
        if attn_mask is not None:
            attn = attn + attn_mask
        attn = self.attn_drop(F.softmax(attn, axis=-1))
        x = attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, q_len, self.embed_dim])
        return self.out_proj(x)


class TransformerBlock(nn.Layer):
    """Post-norm block: self-attention (norm1), cross-attention (norm2), ReLU MLP (norm3)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, attention_dropout_rate: float = 0.0,
                 residual_dropout_rate: float = 0.1, with_self_attn: bool = True, with_cross_attn: bool = False,
                 epsilon: float = 1e-5) -> None:
        super().__init__()
        self.with_self_attn = with_self_attn
        if with_self_attn:
            self.self_attn = MultiheadAttention(d_model, nhead, dropout=attention_dropout_rate, self_attn=True)
            self.norm1 = nn.LayerNorm(d_model, epsilon=epsilon)
            self.dropout1 = nn.Dropout(residual_dropout_rate)
        self.with_cross_attn = with_cross_attn
        if with_cross_attn:
            self.cross_attn = MultiheadAttention(d_model, nhead, dropout=attention_dropout_rate)
            self.norm2 = nn.LayerNorm(d_model, epsilon=epsilon)
            self.dropout2 = nn.Dropout(residual_dropout_rate)
        self.mlp = Mlp(d_model, dim_feedforward, act_layer=nn.ReLU, drop=residual_dropout_rate)
        self.norm3 = nn.LayerNorm(d_model, epsilon=epsilon)
        self.dropout3 = nn.Dropout(residual_dropout_rate)

    def forward(self, tgt: paddle.Tensor, memory: paddle.Tensor | None = None,
                self_mask: paddle.Tensor | None = None, cross_mask: paddle.Tensor | None = None) -> paddle.Tensor:
        if self.with_self_attn:
            tgt = self.norm1(tgt + self.dropout1(self.self_attn(tgt, attn_mask=self_mask)))
        if self.with_cross_attn:
            tgt = self.norm2(tgt + self.dropout2(self.cross_attn(tgt, key=memory, attn_mask=cross_mask)))
        return self.norm3(tgt + self.dropout3(self.mlp(tgt)))


class PositionalEncoding(nn.Layer):
    """Adds the sinusoidal table ``pe`` (a persistable buffer ``[max_len, 1, dim]``) to ``[B, L, dim]``."""

    def __init__(self, dropout: float, dim: int, max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = np.arange(max_len, dtype=np.float32)[:, None]
        div_term = np.exp(np.arange(0, dim, 2, dtype=np.float32) * (-math.log(10000.0) / dim))
        pe = np.zeros([max_len, dim], dtype=np.float32)
        pe[:, 0::2] = np.sin(position * div_term)
        pe[:, 1::2] = np.cos(position * div_term)[:, : dim // 2]
        self.register_buffer("pe", paddle.to_tensor(pe[:, None, :]))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x.transpose([1, 0, 2])
        x = x + self.pe[: x.shape[0], :]
        return self.dropout(x).transpose([1, 0, 2])


class Embeddings(nn.Layer):
    """Token embedding (N(0, d_model^-0.5) init), scaled by ``sqrt(d_model)`` when ``scale_embedding``."""

    def __init__(self, d_model: int, vocab: int, padding_idx: int | None = None, scale_embedding: bool = True) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, d_model, padding_idx=padding_idx,
                                      weight_attr=ParamAttr(initializer=Normal(0.0, d_model**-0.5)))
        self.d_model = d_model
        self.scale_embedding = scale_embedding

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.embedding(x)
        return x * math.sqrt(self.d_model) if self.scale_embedding else x


@HEADS.register()
class Transformer(nn.Layer):
    """NRTR decoder over a feature sequence; inside ``MultiHead`` it is the ``NRTRHead`` branch.

    Args:
        d_model: token width (MultiHead: ``nrtr_dim``).
        nhead: attention heads (MultiHead: ``nrtr_dim // 32``).
        num_encoder_layers: self-attention layers over the source; <= 0 for none (MultiHead).
        beam_size: > 0 asks upstream's beam search, which ppocr does not implement (error);
            0 or -1 decode greedily.
        num_decoder_layers: decoder blocks.
        max_len: greedy decoding steps at eval (MultiHead: ``max_text_length``).
        dim_feedforward: MLP width (MultiHead: ``4 * nrtr_dim``).
        attention_dropout_rate, residual_dropout_rate: dropouts.
        in_channels: ignored (upstream's signature; the source must already be ``d_model`` wide).
        out_channels: NRTR classes (dictionary + 4); the vocabulary is ``out_channels + 1``.
        scale_embedding: scale token embeddings by ``sqrt(d_model)``.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, beam_size: int = 0,
                 num_decoder_layers: int = 6, max_len: int = 25, dim_feedforward: int = 1024,
                 attention_dropout_rate: float = 0.0, residual_dropout_rate: float = 0.1, in_channels: int = 0,
                 out_channels: int = 0, scale_embedding: bool = True) -> None:
        super().__init__()
        if isinstance(out_channels, bool) or not isinstance(out_channels, int) or out_channels < 5:
            raise ConfigError(f"Head NRTRHead/Transformer.out_channels must be an int >= 5 (4 special "
                              f"tokens + dictionary), got {out_channels!r}")
        if beam_size > 0:
            raise ConfigError(f"Head Transformer.beam_size: beam search is not implemented, got {beam_size}")
        self.out_channels = out_channels + 1
        self.max_len = max_len
        self.beam_size = beam_size
        self.d_model = d_model
        self.nhead = nhead
        self.embedding = Embeddings(d_model, self.out_channels, padding_idx=0, scale_embedding=scale_embedding)
        self.positional_encoding = PositionalEncoding(dropout=residual_dropout_rate, dim=d_model)
        block_args = (d_model, nhead, dim_feedforward, attention_dropout_rate, residual_dropout_rate)
        self.encoder = None
        if num_encoder_layers > 0:
            self.encoder = nn.LayerList([TransformerBlock(*block_args, with_self_attn=True, with_cross_attn=False)
                                         for _ in range(num_encoder_layers)])
        self.decoder = nn.LayerList([TransformerBlock(*block_args, with_self_attn=True, with_cross_attn=True)
                                     for _ in range(num_decoder_layers)])
        self.tgt_word_prj = nn.Linear(d_model, self.out_channels, bias_attr=False)
        self.apply(self._init_weights)  # upstream re-initialises every Linear, tgt_word_prj included

    @staticmethod
    def _init_weights(m: nn.Layer) -> None:
        if isinstance(m, nn.Linear):
            XavierNormal()(m.weight)
            if m.bias is not None:
                Constant(0.0)(m.bias)

    @staticmethod
    def generate_square_subsequent_mask(size: int) -> paddle.Tensor:
        """``[1, 1, size, size]``: 0 on and below the diagonal, -inf above (no peeking ahead)."""
        mask = paddle.triu(paddle.full([size, size], float("-inf"), dtype="float32"), diagonal=1)
        return mask.unsqueeze([0, 1])

    def _memory(self, src: paddle.Tensor) -> paddle.Tensor:
        if self.encoder is None:
            return src
        src = self.positional_encoding(src)
        for layer in self.encoder:
            src = layer(src)
        return src

    def _decode(self, tgt_ids: paddle.Tensor, memory: paddle.Tensor) -> paddle.Tensor:
        tgt = self.positional_encoding(self.embedding(tgt_ids))
        mask = self.generate_square_subsequent_mask(tgt.shape[1])
        for layer in self.decoder:
            tgt = layer(tgt, memory, self_mask=mask)
        return self.tgt_word_prj(tgt)

    def forward(self, src: paddle.Tensor, targets: Sequence[Any] | None = None):
        """Source ``[B, S, d_model]`` (MultiHead: the backbone map flattened and projected).

        ``targets`` (training) is ``[label_gtc [B, L] int64, length [B], ...]``: the label is
        ``<s> text </s>`` 0-padded; the batch's longest text sets the steps.

        - train: logits ``[B, max(length) + 1, out_channels + 1]``, teacher forcing on
          ``label[:, :max(length) + 1]`` (predicting ``label[:, 1:max(length) + 2]``).
        - eval: ``[ids [B, T], probs [B, T]]`` of greedy decoding from ``<s>`` (ids start with
          2; stops early when every sample's argmax is ``</s>``), T <= ``max_len``.
        """
        if self.training:
            if not targets or len(targets) < 2:
                raise DataError("NRTRHead: training needs targets [label_gtc, length, ...]")
            max_len = int(paddle.max(targets[1]))
            tgt = targets[0][:, : 2 + max_len].astype("int64")
            return self._decode(tgt[:, :-1], self._memory(src))
        return self.forward_test(src)

    def forward_test(self, src: paddle.Tensor) -> list[paddle.Tensor]:
        memory = self._memory(src)
        bs = src.shape[0]
        dec_seq = paddle.full([bs, 1], BOS, dtype="int64")
        dec_prob = paddle.full([bs, 1], 1.0, dtype="float32")
        for _ in range(1, self.max_len):
            word_prob = F.softmax(self._decode(dec_seq, memory)[:, -1, :], axis=-1)
            preds_idx = paddle.argmax(word_prob, axis=-1)
            if bool(paddle.all(preds_idx == EOS)):
                break
            dec_seq = paddle.concat([dec_seq, preds_idx.reshape([-1, 1])], axis=1)
            dec_prob = paddle.concat([dec_prob, paddle.max(word_prob, axis=-1).reshape([-1, 1])], axis=1)
        return [dec_seq, dec_prob]
