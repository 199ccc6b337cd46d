"""SVTRNet (the PP-OCRv4 distillation teacher's backbone): upstream's state_dict keys, shapes and
order, output shapes per option, the Local mixer's mask, drop-path, errors.

The expected keys are built by ``upstream_keys`` below from upstream's module tree
(``ppocr/modeling/backbones/rec_svtrnet.py``: PatchEmbed → ConvBNLayer(conv, norm), Block(norm1,
mixer, norm2, mlp), SubSample(conv | proj, norm), last_conv, norm, len_conv), written
independently of ours. Paddle lists a layer's own parameters (``pos_embed``) before its
sub-layers' ones.
"""

from __future__ import annotations

import copy

import numpy as np
import paddle
import pytest

import ppocr.modeling.architectures  # noqa: F401  (registers every backbone)
from ppocr.errors import ConfigError, DataError
from ppocr.modeling.backbones.rec_svtrnet import DropPath, SVTRNet, local_attention_mask
from ppocr.registry import BACKBONES

# Teacher Backbone of configs/rec/PP-OCRv4/ch_PP-OCRv4_rec_distill.yml (last_stage as upstream wrote it).
TEACHER = {"img_size": [48, 320], "out_char_num": 40, "out_channels": 192, "patch_merging": "Conv",
           "embed_dim": [64, 128, 256], "depth": [3, 6, 3], "num_heads": [2, 4, 8],
           "mixer": ["Conv"] * 6 + ["Global"] * 6, "local_mixer": [[5, 5], [5, 5], [5, 5]],
           "last_stage": False, "prenorm": True}
UPSTREAM_DEFAULTS = {"img_size": [32, 100], "in_channels": 3, "embed_dim": [64, 128, 256], "depth": [3, 6, 3],
                     "num_heads": [2, 4, 8], "mixer": ["Local"] * 6 + ["Global"] * 6,
                     "local_mixer": [[7, 11]] * 3, "patch_merging": "Conv", "mlp_ratio": 4, "qkv_bias": True,
                     "out_channels": 192, "out_char_num": 25, "last_stage": True, "sub_num": 2,
                     "prenorm": True, "use_lenhead": False}


def upstream_keys(cfg: dict) -> list[tuple[str, list[int]]]:
    c = {**UPSTREAM_DEFAULTS, **cfg}
    e, s = c["embed_dim"], c["sub_num"]
    h, w = c["img_size"][0] // 2**s, c["img_size"][1] // 2**s
    keys = [("pos_embed", [1, h * w, e[0]])]
    widths = [e[0] // 2, e[0]] if s == 2 else [e[0] // 4, e[0] // 2, e[0]]
    for i, (ci, co) in enumerate(zip([c["in_channels"]] + widths, widths)):
        p = f"patch_embed.proj.{i}."
        keys += [(p + "conv.weight", [co, ci, 3, 3]), (p + "conv.bias", [co])]
        keys += [(p + f"norm.{n}", [co]) for n in ("weight", "bias", "_mean", "_variance")]
    merging = c["patch_merging"] in ("Conv", "Pool")
    block = 0
    for k in range(3):
        d, hid = e[k], int(e[k] * c["mlp_ratio"])
        kh, kw = c["local_mixer"][k]
        for i in range(c["depth"][k]):
            p = f"blocks{k + 1}.{i}."
            keys += [(p + "norm1.weight", [d]), (p + "norm1.bias", [d])]
            if c["mixer"][block] == "Conv":
                keys += [(p + "mixer.local_mixer.weight", [d, d // c["num_heads"][k], kh, kw]),
                         (p + "mixer.local_mixer.bias", [d])]
            else:
                keys += [(p + "mixer.qkv.weight", [d, 3 * d])]
                keys += [(p + "mixer.qkv.bias", [3 * d])] if c["qkv_bias"] else []
                keys += [(p + "mixer.proj.weight", [d, d]), (p + "mixer.proj.bias", [d])]
            keys += [(p + "norm2.weight", [d]), (p + "norm2.bias", [d]),
                     (p + "mlp.fc1.weight", [d, hid]), (p + "mlp.fc1.bias", [hid]),
                     (p + "mlp.fc2.weight", [hid, d]), (p + "mlp.fc2.bias", [d])]
            block += 1
        if k < 2 and merging:
            p, nxt = f"sub_sample{k + 1}.", e[k + 1]
            if c["patch_merging"] == "Conv":
                keys += [(p + "conv.weight", [nxt, d, 3, 3]), (p + "conv.bias", [nxt])]
            else:
                keys += [(p + "proj.weight", [d, nxt]), (p + "proj.bias", [nxt])]
            keys += [(p + "norm.weight", [nxt]), (p + "norm.bias", [nxt])]
    if c["last_stage"]:
        keys += [("last_conv.weight", [c["out_channels"], e[2], 1, 1])]
    if not c["prenorm"]:
        keys += [("norm.weight", [e[2]]), ("norm.bias", [e[2]])]
    if c["use_lenhead"]:
        keys += [("len_conv.weight", [e[2], c["out_channels"]]), ("len_conv.bias", [c["out_channels"]])]
    return keys


def _keys(model: paddle.nn.Layer) -> list[tuple[str, list[int]]]:
    return [(k, list(v.shape)) for k, v in model.state_dict().items()]


@pytest.mark.parametrize("cfg", [
    TEACHER,
    {**TEACHER, "last_stage": True},  # the shipped config's teacher
    {},  # upstream's defaults (Local + Global mixers)
    {"patch_merging": "Pool", "prenorm": False, "use_lenhead": True, "qkv_bias": False, "sub_num": 3,
     "img_size": [64, 256], "mixer": ["Global"] * 12},
], ids=["teacher_as_upstream", "teacher_shipped", "defaults", "pool_norm_lenhead_sub3"])
def test_state_dict_matches_upstream_in_order(cfg):
    paddle.seed(0)
    assert _keys(SVTRNet(**copy.deepcopy(cfg))) == upstream_keys(cfg)


def test_teacher_key_count_and_registry():
    model = BACKBONES.build({"name": "SVTRNet", **copy.deepcopy(TEACHER)}, scope="rec", in_channels=3)
    assert isinstance(model, SVTRNet) and model.out_channels == 192
    assert len(model.state_dict()) == 153
    with pytest.raises(KeyError):
        BACKBONES.build({"name": "SVTRNet"}, scope="det", in_channels=3)


def test_forward_48x320_teacher_shapes():
    paddle.seed(1)
    x = paddle.rand([2, 3, 48, 320])
    tokens = SVTRNet(**copy.deepcopy(TEACHER))
    tokens.eval()
    assert list(tokens(x).shape) == [2, 3 * 80, 256]  # (48/16) x (320/4) tokens, embed_dim[-1]
    pooled = SVTRNet(**{**copy.deepcopy(TEACHER), "last_stage": True})
    pooled.eval()
    out = pooled(x)
    assert list(out.shape) == [2, 192, 1, 40]
    assert float(out.min()) >= -0.375 - 1e-6  # hardswish's minimum
    pooled.train()
    assert list(pooled(x).shape) == [2, 192, 1, 40]


def test_prenorm_false_normalises_the_tokens_and_defaults_forward():
    paddle.seed(2)
    model = SVTRNet(prenorm=False, last_stage=False)
    model.eval()
    out = model(paddle.rand([1, 3, 32, 100])).numpy()
    assert out.shape == (1, 2 * 25, 256)
    np.testing.assert_allclose(out.mean(-1), 0.0, atol=1e-4)  # final LayerNorm (weight 1, bias 0)
    np.testing.assert_allclose(out.std(-1), 1.0, atol=1e-2)
    default = SVTRNet()
    default.eval()
    assert list(default(paddle.rand([1, 3, 32, 100])).shape) == [1, 192, 1, 25]


def test_lenhead_returns_length_features():
    model = SVTRNet(use_lenhead=True, out_channels=96)
    model.eval()
    x, length = model(paddle.rand([2, 3, 32, 100]))
    assert list(x.shape) == [2, 96, 1, 25] and list(length.shape) == [2, 96]


def _upstream_mask(h, w, hk, wk):
    # upstream's construction: a padded (H + hk - 1) x (W + wk - 1) grid per query, its window
    # zeroed, cropped back to H x W; 1 -> -inf
    mask = np.ones([h * w, h + hk - 1, w + wk - 1], np.float32)
    for i in range(h):
        for j in range(w):
            mask[i * w + j, i:i + hk, j:j + wk] = 0.0
    mask = mask[:, hk // 2:h + hk // 2, wk // 2:w + wk // 2].reshape(h * w, -1)
    return np.where(mask < 1, mask, -np.inf).astype(np.float32)


@pytest.mark.parametrize("hw, k", [((8, 25), (7, 11)), ((3, 5), (3, 3)), ((4, 6), (2, 4)), ((2, 3), (5, 5))])
def test_local_mask_equals_upstream_construction(hw, k):
    np.testing.assert_array_equal(local_attention_mask(hw, k), _upstream_mask(*hw, *k))


def test_local_mixer_mask_is_used_and_not_saved():
    paddle.seed(3)
    model = SVTRNet()  # blocks1/2 Local
    assert not any("mask" in k for k in model.state_dict())
    attn = model.blocks1[0].mixer
    assert list(attn.mask.shape) == [1, 1, 200, 200]
    # a token far outside every window cannot influence token 0 through one Local attention layer
    x = paddle.rand([1, 200, 64])
    y = paddle.concat([x[:, :199], x[:, 199:] + 5.0], axis=1)
    attn.eval()
    np.testing.assert_allclose(attn(x)[0, 0].numpy(), attn(y)[0, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_drop_path_is_per_sample_and_train_only():
    layer = DropPath(0.5)
    x = paddle.ones([400, 3])
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    layer.train()
    paddle.seed(4)
    out = layer(x).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and (out[:, 0:1] == out).all()
    assert 120 < (out[:, 0] == 0).sum() < 280
    model = SVTRNet()
    rates = [float(b.drop_path.drop_prob) for b in list(model.blocks1) + list(model.blocks2) + list(model.blocks3)]
    np.testing.assert_allclose(rates, np.linspace(0, 0.1, 12))


def test_wrong_input_size_and_bad_config_are_errors():
    model = SVTRNet(**copy.deepcopy(TEACHER))
    with pytest.raises(DataError, match="48x320"):
        model(paddle.rand([1, 3, 32, 320]))
    with pytest.raises(ConfigError, match="mixer"):
        SVTRNet(mixer=["Global"] * 11)
    with pytest.raises(ConfigError, match="mixer\\[0\\]"):
        SVTRNet(mixer=["Attn"] + ["Global"] * 11)
    with pytest.raises(ConfigError, match="act"):
        SVTRNet(act="os.system")
    with pytest.raises(ConfigError, match="norm_layer"):
        SVTRNet(norm_layer="nn.BatchNorm")
    with pytest.raises(ConfigError, match="divisible"):
        SVTRNet(num_heads=[3, 4, 8])
    with pytest.raises(ConfigError, match="no parameter .embed_dims.*Did you mean .embed_dim."):
        BACKBONES.build({"name": "SVTRNet", "embed_dims": [64, 128, 256]}, scope="rec", in_channels=3)
