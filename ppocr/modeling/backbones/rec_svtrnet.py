"""SVTR (upstream ``rec_svtrnet.py``): the vision transformer recogniser backbone, here the
PP-OCRv4 distillation teacher's.

A patch embedding (two or three stride-2 conv+BN+GELU, /4 or /8), a learned position
embedding, then three stages of mixing blocks over the token sequence ``[N, H*W, C]``; each
block mixes with global attention (``Global``), attention restricted to a window (``Local``,
a fixed -inf mask) or a grouped convolution (``Conv``). Between stages a patch merging
(``Conv`` stride (2, 1) conv, or ``Pool`` avg+max pool and a linear) halves the height.
With ``last_stage`` the tokens are pooled to ``[1, out_char_num]``, projected by a 1x1 conv to
``out_channels`` and hardswish'ed: ``[N, out_channels, 1, out_char_num]``; without it the
tokens ``[N, H/16 * W/4, embed_dim[-1]]`` (sub_num 2, patch merging) are returned.

Attribute names, parameter shapes and registration order are upstream's (``pos_embed``,
``patch_embed.proj.i.{conv,norm}``, ``blocksK.i.{norm1,mixer,norm2,mlp}``,
``sub_sampleK.{conv|proj,norm}``, ``last_conv``, ``norm``, ``len_conv``), so SVTR weights
trained upstream load. The blocks reuse the SVTR neck's ``Block``/``Attention``/``Mlp``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import paddle
import paddle.nn as nn
from paddle import ParamAttr
from paddle.nn.initializer import Constant, KaimingNormal, KaimingUniform, TruncatedNormal

from ppocr.errors import ConfigError, DataError
from ppocr.modeling.necks.svtr_encoder import Attention, Block, init_svtr_weights
from ppocr.registry import BACKBONES

__all__ = ["SVTRNet", "SVTRBlock", "ConvMixer", "LocalAttention", "PatchEmbed", "SubSample", "DropPath",
           "local_attention_mask"]

MIXERS = ("Global", "Local", "Conv")
# Upstream evaluates these config strings as Python; here they are looked up.
ACTIVATIONS = {"nn.GELU": nn.GELU, "nn.Swish": nn.Swish, "nn.ReLU": nn.ReLU, "nn.Hardswish": nn.Hardswish,
               "nn.Silu": nn.Silu}
NORMS = ("nn.LayerNorm",)
BLOCK_UNITS = ("Block",)

trunc_normal_ = TruncatedNormal(std=0.02)
zeros_ = Constant(0.0)
ones_ = Constant(1.0)


class DropPath(nn.Layer):
    """Stochastic depth: in training, zero a sample's residual branch with probability ``p``
    and scale the kept ones by ``1 / (1 - p)``; identity at eval. Any ``[N, ...]``."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        shape = [x.shape[0]] + [1] * (x.ndim - 1)
        gate = paddle.floor(keep + paddle.rand(shape, dtype=x.dtype))
        return x / keep * gate


def local_attention_mask(hw: Sequence[int], window: Sequence[int]) -> np.ndarray:
    """``[H*W, H*W]`` float32 additive mask: 0 where key j lies in the ``window`` (hk x wk,
    centred) around query i, ``-inf`` elsewhere; upstream's Local mixer, computed directly."""
    h, w = int(hw[0]), int(hw[1])
    hk, wk = int(window[0]), int(window[1])
    rows, cols = np.divmod(np.arange(h * w), w)
    dr = rows[None, :] - rows[:, None]  # key row minus query row
    dc = cols[None, :] - cols[:, None]
    # an even window reaches one step further back than forward, as upstream's crop does
    near = (dr >= -(hk // 2)) & (dr <= hk - 1 - hk // 2) & (dc >= -(wk // 2)) & (dc <= wk - 1 - wk // 2)
    return np.where(near, 0.0, -np.inf).astype(np.float32)


class LocalAttention(Attention):
    """The neck's multi-head attention with a fixed window mask added to the logits.

    ``mask`` is a non-persistable buffer ``[1, 1, H*W, H*W]`` (upstream keeps it out of the
    state_dict too). Tokens ``[N, H*W, dim]`` → same.
    """

    def __init__(self, dim: int, num_heads: int, hw: Sequence[int], local_k: Sequence[int],
                 qkv_bias: bool = False, qk_scale: float | None = None, attn_drop: float = 0.0,
                 proj_drop: float = 0.0) -> None:
        super().__init__(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale, attn_drop=attn_drop,
                         proj_drop=proj_drop)
        mask = paddle.to_tensor(local_attention_mask(hw, local_k))
        self.register_buffer("mask", mask.unsqueeze([0, 1]), persistable=False)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        qkv = self.qkv(x).reshape([0, -1, 3, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q.matmul(k.transpose([0, 1, 3, 2])) + self.mask
        attn = self.attn_drop(nn.functional.softmax(attn, axis=-1))
        x = attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, -1, self.dim])
        return self.proj_drop(self.proj(x))


class ConvMixer(nn.Layer):
    """Grouped (``num_heads`` groups) ``local_k`` conv over the token grid; key ``local_mixer``.

    Tokens ``[N, H*W, dim]`` → reshaped ``[N, dim, H, W]`` → conv (same size) → tokens.
    """

    def __init__(self, dim: int, num_heads: int = 8, hw: Sequence[int] = (8, 25),
                 local_k: Sequence[int] = (3, 3)) -> None:
        super().__init__()
        self.hw = [int(hw[0]), int(hw[1])]
        self.dim = dim
        self.local_mixer = nn.Conv2D(dim, dim, list(local_k), 1, [local_k[0] // 2, local_k[1] // 2],
                                     groups=num_heads, weight_attr=ParamAttr(initializer=KaimingNormal()))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x.transpose([0, 2, 1]).reshape([0, self.dim, self.hw[0], self.hw[1]])
        return self.local_mixer(x).flatten(2).transpose([0, 2, 1])


class SVTRBlock(Block):
    """The neck's block (``norm1``, ``mixer``, ``norm2``, ``mlp``) with upstream's backbone options.

    ``mixer``: ``Global`` (the neck's attention), ``Local`` (windowed) or ``Conv``;
    ``prenorm`` (upstream's name for norm-after): ``x = norm1(x + mixer(x))``,
    ``x = norm2(x + mlp(x))``; otherwise ``x + mixer(norm1(x))``, ``x + mlp(norm2(x))``.
    Residual branches pass a DropPath. Tokens ``[N, H*W, dim]`` → same.
    """

    def __init__(self, dim: int, num_heads: int, mixer: str = "Global", local_mixer: Sequence[int] = (7, 11),
                 hw: Sequence[int] | None = None, mlp_ratio: float = 4.0, qkv_bias: bool = False,
                 qk_scale: float | None = None, drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0,
                 act_layer: type[nn.Layer] = nn.GELU, epsilon: float = 1e-6, prenorm: bool = True) -> None:
        super().__init__(dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop,
                         attn_drop=attn_drop, act_layer=act_layer, epsilon=epsilon)
        # Replacing the sub-layer keeps its registration slot (state_dict order norm1, mixer, norm2, mlp).
        if mixer == "Local":
            self.mixer = LocalAttention(dim, num_heads, hw, local_mixer, qkv_bias=qkv_bias, qk_scale=qk_scale,
                                        attn_drop=attn_drop, proj_drop=drop)
        elif mixer == "Conv":
            self.mixer = ConvMixer(dim, num_heads=num_heads, hw=hw, local_k=local_mixer)
        self.drop_path = DropPath(drop_path)
        self.prenorm = bool(prenorm)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.prenorm:
            x = self.norm1(x + self.drop_path(self.mixer(x)))
            return self.norm2(x + self.drop_path(self.mlp(x)))
        x = x + self.drop_path(self.mixer(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class _PatchConv(nn.Layer):
    """3x3 stride-2 conv (with bias, Kaiming-uniform) → BN → GELU; keys ``conv``, ``norm``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2D(in_channels, out_channels, 3, stride=2, padding=1,
                              weight_attr=ParamAttr(initializer=KaimingUniform()))
        self.norm = nn.BatchNorm2D(out_channels)
        self.act = nn.GELU()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.act(self.norm(self.conv(x)))


class PatchEmbed(nn.Layer):
    """Image ``[N, C, H, W]`` (exactly ``img_size``) → tokens ``[N, H/2^s * W/2^s, embed_dim]``.

    ``sub_num`` s = 2: convs C → embed_dim/2 → embed_dim; s = 3: C → /4 → /2 → embed_dim.
    """

    def __init__(self, img_size: Sequence[int], in_channels: int, embed_dim: int, sub_num: int = 2) -> None:
        super().__init__()
        if sub_num not in (2, 3):
            raise ConfigError(f"Backbone SVTRNet.sub_num must be 2 or 3, got {sub_num!r}")
        self.img_size = [int(img_size[0]), int(img_size[1])]
        self.num_patches = (self.img_size[1] // 2**sub_num) * (self.img_size[0] // 2**sub_num)
        self.embed_dim = embed_dim
        widths = [embed_dim // 2**(sub_num - 1 - i) for i in range(sub_num)]
        self.proj = nn.Sequential(*[_PatchConv(c_in, c_out) for c_in, c_out in zip([in_channels] + widths, widths)])

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        h, w = x.shape[2], x.shape[3]
        # checked in dygraph only: a static export traces with unknown sizes (the graph still
        # holds the fixed patch count, so the exported model too takes img_size only)
        if paddle.in_dynamic_mode() and (h, w) != tuple(self.img_size):
            raise DataError(f"SVTRNet: input image size {h}x{w} does not match the model's img_size "
                            f"{self.img_size[0]}x{self.img_size[1]} (resize to it, e.g. RecResizeImg)")
        return self.proj(x).flatten(2).transpose([0, 2, 1])


class SubSample(nn.Layer):
    """Patch merging between stages: map ``[N, C_in, H, W]`` → tokens ``[N, H/2 * W, C_out]``.

    ``Pool``: (avg + max pool 3x5, stride (2, 1)) / 2 → Linear ``proj``; otherwise (``Conv``)
    3x3 stride (2, 1) conv ``conv``. Then LayerNorm ``norm`` (epsilon 1e-5, as upstream).
    """

    def __init__(self, in_channels: int, out_channels: int, types: str = "Pool",
                 stride: Sequence[int] = (2, 1)) -> None:
        super().__init__()
        self.types = types
        if types == "Pool":
            self.avgpool = nn.AvgPool2D(kernel_size=[3, 5], stride=list(stride), padding=[1, 2])
            self.maxpool = nn.MaxPool2D(kernel_size=[3, 5], stride=list(stride), padding=[1, 2])
            self.proj = nn.Linear(in_channels, out_channels)
        else:
            self.conv = nn.Conv2D(in_channels, out_channels, 3, stride=list(stride), padding=1,
                                  weight_attr=ParamAttr(initializer=KaimingNormal()))
        self.norm = nn.LayerNorm(out_channels)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.types == "Pool":
            x = (self.avgpool(x) + self.maxpool(x)) * 0.5
            return self.norm(self.proj(x.flatten(2).transpose([0, 2, 1])))
        return self.norm(self.conv(x).flatten(2).transpose([0, 2, 1]))


def _choice(value: object, choices: Sequence[str], key: str) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"Backbone SVTRNet.{key} must be one of {', '.join(choices)}, got {value!r}")


def _int_list(value: object, n: int, key: str) -> list[int]:
    ok = isinstance(value, (list, tuple)) and len(value) == n and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    if not ok:
        raise ConfigError(f"Backbone SVTRNet.{key} must be {n} positive ints, got {value!r}")
    return [int(v) for v in value]


@BACKBONES.register("SVTRNet", scopes=("rec",))
class SVTRNet(nn.Layer):
    """SVTR backbone; every parameter and default is upstream's.

    Args:
        img_size: ``[H, W]`` the input must have (positions are learned per patch).
        in_channels: image channels (injected).
        embed_dim, depth, num_heads: per stage (3 each).
        mixer: one of ``Global``/``Local``/``Conv`` per block (``sum(depth)`` entries).
        local_mixer: per stage, the ``[hk, wk]`` window of Local attention / Conv mixer kernel.
        patch_merging: ``Conv`` or ``Pool`` between stages; any other value means none.
        mlp_ratio, qkv_bias, qk_scale: of the blocks.
        drop_rate, attn_drop_rate: dropout after attention/MLP (and on the position-embedded
            tokens) and on attention weights.
        last_drop: dropout after the last stage (``downscale_in_infer``, as upstream).
        drop_path_rate: stochastic depth, rising linearly from 0 to this over the blocks.
        norm_layer, sub_norm: ``nn.LayerNorm`` (the only norm upstream's configs name).
        epsilon: of the blocks' (and the final) LayerNorms.
        out_channels: channels of ``last_conv``; the backbone's ``out_channels`` attribute,
            also without ``last_stage`` (upstream's, though the tokens then have embed_dim[-1]).
        out_char_num: width the last stage pools to.
        block_unit: ``Block`` (upstream's only block).
        act: activation of the MLPs: ``nn.GELU`` (default), ``nn.Swish``, ``nn.ReLU``, ...
        last_stage: pool + 1x1 conv + hardswish + dropout to ``[N, out_channels, 1, out_char_num]``.
        sub_num: patch embedding downsampling exponent (2: /4, 3: /8).
        prenorm: blocks normalise after the residual sum; without it a final LayerNorm ``norm``.
        use_lenhead: also return a length feature ``[N, out_channels]`` (``len_conv``).
    """

    def __init__(self, in_channels: int = 3, img_size: Sequence[int] = (32, 100),
                 embed_dim: Sequence[int] = (64, 128, 256), depth: Sequence[int] = (3, 6, 3),
                 num_heads: Sequence[int] = (2, 4, 8), mixer: Sequence[str] = ("Local",) * 6 + ("Global",) * 6,
                 local_mixer: Sequence[Sequence[int]] = ((7, 11), (7, 11), (7, 11)), patch_merging: str | None = "Conv",
                 mlp_ratio: float = 4, qkv_bias: bool = True, qk_scale: float | None = None, drop_rate: float = 0.0,
                 last_drop: float = 0.1, attn_drop_rate: float = 0.0, drop_path_rate: float = 0.1,
                 norm_layer: str = "nn.LayerNorm", sub_norm: str = "nn.LayerNorm", epsilon: float = 1e-6,
                 out_channels: int = 192, out_char_num: int = 25, block_unit: str = "Block", act: str = "nn.GELU",
                 last_stage: bool = True, sub_num: int = 2, prenorm: bool = True, use_lenhead: bool = False) -> None:
        super().__init__()
        img_size = _int_list(img_size, 2, "img_size")
        embed_dim = _int_list(embed_dim, 3, "embed_dim")
        depth = _int_list(depth, 3, "depth")
        num_heads = _int_list(num_heads, 3, "num_heads")
        mixer = list(mixer) if isinstance(mixer, (list, tuple)) else mixer
        if not isinstance(mixer, list) or len(mixer) != sum(depth):
            raise ConfigError(f"Backbone SVTRNet.mixer must list one mixer per block ({sum(depth)}), got {mixer!r}")
        for i, m in enumerate(mixer):
            _choice(m, MIXERS, f"mixer[{i}]")
        if not isinstance(local_mixer, (list, tuple)) or len(local_mixer) != 3:
            raise ConfigError(f"Backbone SVTRNet.local_mixer must be three [hk, wk] (one per stage), got {local_mixer!r}")
        local_mixer = [_int_list(k, 2, f"local_mixer[{i}]") for i, k in enumerate(local_mixer)]
        _choice(norm_layer, NORMS, "norm_layer")
        _choice(sub_norm, NORMS, "sub_norm")
        _choice(block_unit, BLOCK_UNITS, "block_unit")
        _choice(act, tuple(ACTIVATIONS), "act")
        for stage, (dim, heads) in enumerate(zip(embed_dim, num_heads)):
            if dim % heads:
                raise ConfigError(f"Backbone SVTRNet: embed_dim[{stage}] ({dim}) must be divisible by "
                                  f"num_heads[{stage}] ({heads})")
        self.img_size = img_size
        self.embed_dim = embed_dim
        self.out_channels = out_channels
        self.prenorm = bool(prenorm)
        self.patch_merging = patch_merging if patch_merging in ("Conv", "Pool") else None
        self.patch_embed = PatchEmbed(img_size, in_channels, embed_dim[0], sub_num=sub_num)
        self.HW = [img_size[0] // 2**sub_num, img_size[1] // 2**sub_num]
        self.pos_embed = self.create_parameter(shape=[1, self.patch_embed.num_patches, embed_dim[0]],
                                               default_initializer=zeros_)
        self.pos_drop = nn.Dropout(p=drop_rate)
        act_layer = ACTIVATIONS[act]
        dpr = np.linspace(0, drop_path_rate, sum(depth))
        starts = [0, depth[0], depth[0] + depth[1]]
        # Stage grids: patch merging halves the height before stages 2 and 3.
        grids = [self.HW] + ([[self.HW[0] // 2, self.HW[1]], [self.HW[0] // 4, self.HW[1]]]
                             if self.patch_merging else [self.HW, self.HW])

        def stage(k: int) -> nn.LayerList:
            return nn.LayerList([
                SVTRBlock(embed_dim[k], num_heads[k], mixer=mixer[starts[k] + i], local_mixer=local_mixer[k],
                          hw=grids[k], mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop_rate,
                          attn_drop=attn_drop_rate, drop_path=float(dpr[starts[k] + i]), act_layer=act_layer,
                          epsilon=epsilon, prenorm=prenorm)
                for i in range(depth[k])])

        self.blocks1 = stage(0)
        if self.patch_merging:
            self.sub_sample1 = SubSample(embed_dim[0], embed_dim[1], types=self.patch_merging)
        self.blocks2 = stage(1)
        if self.patch_merging:
            self.sub_sample2 = SubSample(embed_dim[1], embed_dim[2], types=self.patch_merging)
        self.blocks3 = stage(2)
        self.last_stage = bool(last_stage)
        if self.last_stage:
            self.avg_pool = nn.AdaptiveAvgPool2D([1, out_char_num])
            self.last_conv = nn.Conv2D(embed_dim[2], out_channels, 1, bias_attr=False)
            self.hardswish = nn.Hardswish()
            self.dropout = nn.Dropout(p=last_drop, mode="downscale_in_infer")
        if not self.prenorm:
            self.norm = nn.LayerNorm(embed_dim[-1], epsilon=epsilon)
        self.use_lenhead = bool(use_lenhead)
        if self.use_lenhead:
            self.len_conv = nn.Linear(embed_dim[2], out_channels)
            self.hardswish_len = nn.Hardswish()
            self.dropout_len = nn.Dropout(p=last_drop, mode="downscale_in_infer")
        trunc_normal_(self.pos_embed)
        self.apply(init_svtr_weights)


    def _to_map(self, x: paddle.Tensor, channels: int, height: int) -> paddle.Tensor:
        return x.transpose([0, 2, 1]).reshape([0, channels, height, self.HW[1]])

    def forward_features(self, x: paddle.Tensor) -> paddle.Tensor:
        """Image ``[N, C, H, W]`` → tokens ``[N, L, embed_dim[-1]]`` after the three stages."""
        x = self.pos_drop(self.patch_embed(x) + self.pos_embed)
        for blk in self.blocks1:
            x = blk(x)
        if self.patch_merging:
            x = self.sub_sample1(self._to_map(x, self.embed_dim[0], self.HW[0]))
        for blk in self.blocks2:
            x = blk(x)
        if self.patch_merging:
            x = self.sub_sample2(self._to_map(x, self.embed_dim[1], self.HW[0] // 2))
        for blk in self.blocks3:
            x = blk(x)
        return x if self.prenorm else self.norm(x)

    def forward(self, x: paddle.Tensor):
        """``[N, C, *img_size]`` → ``[N, out_channels, 1, out_char_num]`` with ``last_stage``, else
        the tokens ``[N, L, embed_dim[-1]]``; with ``use_lenhead`` also ``[N, out_channels]``."""
        x = self.forward_features(x)
        if self.use_lenhead:
            len_x = self.dropout_len(self.hardswish_len(self.len_conv(x.mean(1))))
        if self.last_stage:
            h = self.HW[0] // 4 if self.patch_merging else self.HW[0]
            x = self.dropout(self.hardswish(self.last_conv(self.avg_pool(self._to_map(x, self.embed_dim[2], h)))))
        if self.use_lenhead:
            return x, len_x
        return x
