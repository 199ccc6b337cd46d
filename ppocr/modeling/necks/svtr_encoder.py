"""SVTR global-mixing encoder of the PP-OCRv3/v4 recognisers (upstream ``EncoderWithSVTR``).

Upstream builds it from the blocks of its SVTRNet backbone (``rec_svtrnet.py``); the layers
here keep those blocks' attribute names (``conv``/``norm`` in the conv layer; ``norm1``,
``mixer.qkv``, ``mixer.proj``, ``norm2``, ``mlp.fc1``, ``mlp.fc2`` in a block), so upstream
checkpoints load. ``Mlp`` is shared with the NRTR decoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, KaimingUniform, TruncatedNormal

from ppocr.errors import ConfigError

__all__ = ["SVTRConvBNLayer", "Mlp", "Attention", "Block", "EncoderWithSVTR"]

trunc_normal_ = TruncatedNormal(std=0.02)
zeros_ = Constant(0.0)
ones_ = Constant(1.0)


class SVTRConvBNLayer(nn.Layer):
    """Conv2D (no bias, Kaiming-uniform init) → BatchNorm → activation; keys ``conv``, ``norm``.

    Unlike ``backbones.layers.ConvBNLayer`` the kernel may be rectangular (``[1, 3]``) and the
    padding is given explicitly, as upstream's SVTR layer takes them.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int] = 3,
                 padding: int | Sequence[int] = 0, act: type[nn.Layer] = nn.Swish) -> None:
        super().__init__()
        self.conv = nn.Conv2D(in_channels, out_channels, kernel_size, padding=padding,
                              weight_attr=ParamAttr(initializer=KaimingUniform()), bias_attr=False)
        self.norm = nn.BatchNorm2D(out_channels)
        self.act = act()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.act(self.norm(self.conv(x)))


class Mlp(nn.Layer):
    """fc1 → activation → dropout → fc2 → dropout, over the last axis (any mode)."""

    def __init__(self, in_features: int, hidden_features: int, act_layer: type[nn.Layer] = nn.GELU,
                 drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class Attention(nn.Layer):
    """Global multi-head self-attention over tokens ``[N, L, dim]`` → ``[N, L, dim]``."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, qk_scale: float | None = None,
                 attn_drop: float = 0.0, proj_drop: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ConfigError(f"SVTR attention: hidden_dims ({dim}) must be divisible by num_heads ({num_heads})")
        self.num_heads = num_heads
        self.dim = dim
        self.head_dim = dim // num_heads
        self.scale = qk_scale or self.head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias_attr=None if qkv_bias else False)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        qkv = self.qkv(x).reshape([0, -1, 3, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = self.attn_drop(F.softmax(q.matmul(k.transpose([0, 1, 3, 2])), axis=-1))
        x = attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, -1, self.dim])
        return self.proj_drop(self.proj(x))


class Block(nn.Layer):
    """Pre-norm transformer block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``.

    Only upstream's ``mixer: Global`` / ``prenorm: False`` form, which EncoderWithSVTR uses;
    drop-path is identity (the shipped configs set ``drop_path: 0``).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = False,
                 qk_scale: float | None = None, drop: float = 0.0, attn_drop: float = 0.0,
                 act_layer: type[nn.Layer] = nn.GELU, epsilon: float = 1e-6) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, epsilon=epsilon)
        self.mixer = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale,
                               attn_drop=attn_drop, proj_drop=drop)
        self.norm2 = nn.LayerNorm(dim, epsilon=epsilon)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=drop)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x + self.mixer(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _kernel_pair(kernel_size: int | Sequence[int]) -> list[int]:
    if isinstance(kernel_size, int) and not isinstance(kernel_size, bool):
        kernel_size = [kernel_size, kernel_size]
    ok = isinstance(kernel_size, (list, tuple)) and len(kernel_size) == 2 and all(
        isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in kernel_size)
    if not ok:
        raise ConfigError(f"Neck SequenceEncoder(svtr).kernel_size must be [kh, kw] of positive ints, got {kernel_size!r}")
    return list(kernel_size)


def init_svtr_weights(m: nn.Layer) -> None:
    """Upstream's SVTR initialisation (for ``Layer.apply``): truncated-normal Linear weights, zero
    biases, LayerNorm weight 1 / bias 0."""
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight)
        if m.bias is not None:
            zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        zeros_(m.bias)
        ones_(m.weight)


class EncoderWithSVTR(nn.Layer):
    """Reduce channels, mix all positions with ``depth`` attention blocks, fuse with the input.

    conv1 (``kernel_size``, C → C/8) → conv2 (1x1 → ``hidden_dims``) → ``depth`` blocks over the
    H*W tokens → LayerNorm → conv3 (1x1 → C) → concat with the input (2C) → conv4
    (``kernel_size`` → C/8) → conv1x1 (→ ``dims``). Activations are Swish; Linear layers are
    initialised trunc-normal(0.02) with zero bias, LayerNorms to (1, 0), as upstream.

    Args:
        in_channels: backbone channels C (divisible by 8).
        dims: output channels.
        depth: number of attention blocks.
        hidden_dims: token width inside the blocks (divisible by ``num_heads``).
        use_guide: detach the input, so this branch sends no gradient into the backbone
            (upstream's ``use_guide``: the backbone is trained by the other head).
        num_heads, qkv_bias, mlp_ratio, qk_scale: of the attention blocks.
        drop_rate, attn_drop_rate: dropout after attention/MLP and on attention weights.
        drop_path: stochastic depth; only 0 is supported (all shipped configs).
        kernel_size: ``[kh, kw]`` of conv1 and conv4 (v4: ``[1, 3]``), padded to keep H, W.
    """

    def __init__(self, in_channels: int, dims: int = 64, depth: int = 2, hidden_dims: int = 120,
                 use_guide: bool = False, num_heads: int = 8, qkv_bias: bool = True, mlp_ratio: float = 2.0,
                 drop_rate: float = 0.1, attn_drop_rate: float = 0.1, drop_path: float = 0.0,
                 kernel_size: int | Sequence[int] = (3, 3), qk_scale: float | None = None) -> None:
        super().__init__()
        for key, value in (("dims", dims), ("depth", depth), ("hidden_dims", hidden_dims), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"Neck SequenceEncoder(svtr).{key} must be a positive int, got {value!r}")
        if not isinstance(in_channels, int) or in_channels < 8 or in_channels % 8:
            raise ConfigError(f"Neck SequenceEncoder(svtr): in_channels must be a multiple of 8, got {in_channels!r}")
        if drop_path:
            raise ConfigError(f"Neck SequenceEncoder(svtr).drop_path: only 0 is supported, got {drop_path!r}")
        kh, kw = _kernel_pair(kernel_size)
        pad = [kh // 2, kw // 2]
        self.depth = depth
        self.use_guide = bool(use_guide)
        self.conv1 = SVTRConvBNLayer(in_channels, in_channels // 8, [kh, kw], padding=pad)
        self.conv2 = SVTRConvBNLayer(in_channels // 8, hidden_dims, 1)
        self.svtr_block = nn.LayerList([
            Block(hidden_dims, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale,
                  drop=drop_rate, attn_drop=attn_drop_rate, act_layer=nn.Swish, epsilon=1e-5)
            for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(hidden_dims, epsilon=1e-6)
        self.conv3 = SVTRConvBNLayer(hidden_dims, in_channels, 1)
        self.conv4 = SVTRConvBNLayer(2 * in_channels, in_channels // 8, [kh, kw], padding=pad)
        self.conv1x1 = SVTRConvBNLayer(in_channels // 8, dims, 1)
        self.out_channels = dims
        self.apply(init_svtr_weights)


    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """``[N, C, H, W]`` → ``[N, dims, H, W]`` (any mode; dropout only in training)."""
        z = x.detach() if self.use_guide else x
        h = z
        z = self.conv2(self.conv1(z))
        _, c, height, width = z.shape
        z = z.flatten(2).transpose([0, 2, 1])
        for blk in self.svtr_block:
            z = blk(z)
        z = self.norm(z)
        z = z.reshape([0, height, width, c]).transpose([0, 3, 1, 2])
        z = self.conv3(z)
        z = paddle.concat([h, z], axis=1)
        return self.conv1x1(self.conv4(z))
