"""RSEFPN, LKPAN and IntraCLBlock: upstream's keys and order, F.upsample-equal numerics, RSE values."""

import json
from pathlib import Path

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from ppocr.errors import ConfigError
from ppocr.modeling.necks.intracl import IntraCLBlock
from ppocr.modeling.necks.lkpan import LKPAN
from ppocr.modeling.necks.rse_fpn import RSEFPN, RSELayer
from ppocr.registry import NECKS

MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "compat"
                       / "ppocrv3v4_state_dict_manifest.json").read_text(encoding="utf-8"))
CHANNELS = [4, 6, 8, 10]


def _pyramid(n=2, h=64, w=96, channels=CHANNELS, seed=0):
    rng = np.random.default_rng(seed)
    return [paddle.to_tensor(rng.standard_normal((n, c, h // s, w // s)).astype("float32"))
            for c, s in zip(channels, (4, 8, 16, 32))]


def _keys(layer, prefix="neck."):
    return [[prefix + k, list(v.shape), "float32"] for k, v in layer.state_dict().items()]


def _manifest_neck(name, prefix="neck."):
    return [p for p in MANIFEST[name]["params"] if p[0].startswith(prefix)]


def _lateral_widths(params):
    """Backbone widths from the manifest's ``ins_conv.i`` weights ([out, in, 1, 1])."""
    return [next(s[1] for k, s, _ in params if k.endswith(f"ins_conv.{i}.weight") or
                 k.endswith(f"ins_conv.{i}.in_conv.weight")) for i in range(4)]


def _up(x, f):
    return F.upsample(x, scale_factor=f, mode="nearest", align_mode=1)


def test_registered_under_upstream_names():
    assert {"RSEFPN", "LKPAN"} <= set(NECKS.names())


def test_rsefpn_keys_match_v3_and_v4_students():
    for name in ("ch_PP-OCRv3_det_student", "ch_PP-OCRv4_det_student"):
        expected = _manifest_neck(name)
        neck = RSEFPN(_lateral_widths(expected), out_channels=96, shortcut=True)
        assert _keys(neck) == expected, name


def test_lkpan_keys_match_v3_cml_teacher_and_v4_teacher_with_intracl():
    v3 = _manifest_neck("ch_PP-OCRv3_det_cml", "Teacher.neck.")
    assert _keys(LKPAN(_lateral_widths(v3), out_channels=256), "Teacher.neck.") == v3
    v4 = _manifest_neck("ch_PP-OCRv4_det_teacher")
    neck = LKPAN(_lateral_widths(v4), out_channels=256, intracl=True)
    assert _keys(neck) == v4
    assert [k for k in dict.fromkeys(p[0].split(".")[1] for p in v4)][-4:] == ["incl1", "incl2", "incl3", "incl4"]


def test_rsefpn_intracl_blocks_follow_the_lists():
    neck = RSEFPN(CHANNELS, out_channels=16, intracl=True)
    tops = list(dict.fromkeys(k.split(".")[0] for k in neck.state_dict()))
    assert tops == ["ins_conv", "inp_conv", "incl1", "incl2", "incl3", "incl4"]
    assert neck(_pyramid()).shape == [2, 16, 16, 24]


def test_rse_layer_values():
    paddle.seed(1)
    layer = RSELayer(3, 8, 1, shortcut=True)
    x = paddle.randn([2, 3, 5, 7])
    conv = layer.in_conv(x).numpy()
    pooled = conv.mean(axis=(2, 3))  # [N, C]
    w1, b1 = layer.se_block.conv1.weight.numpy()[:, :, 0, 0], layer.se_block.conv1.bias.numpy()
    w2, b2 = layer.se_block.conv2.weight.numpy()[:, :, 0, 0], layer.se_block.conv2.bias.numpy()
    hidden = np.maximum(pooled @ w1.T + b1, 0)
    gate = np.clip(0.2 * (hidden @ w2.T + b2) + 0.5, 0, 1)  # MobileNetV3's hardsigmoid
    gated = conv * gate[:, :, None, None]
    np.testing.assert_allclose(layer(x).numpy(), conv + gated, rtol=1e-5, atol=1e-6)
    layer.shortcut = False
    np.testing.assert_allclose(layer(x).numpy(), gated, rtol=1e-5, atol=1e-6)


def _rsefpn_reference(neck, x):
    """Upstream's RSEFPN forward with F.upsample."""
    in5, in4, in3, in2 = (neck.ins_conv[i](x[i]) for i in (3, 2, 1, 0))
    out4 = in4 + _up(in5, 2)
    out3 = in3 + _up(out4, 2)
    out2 = in2 + _up(out3, 2)
    p5, p4, p3, p2 = (neck.inp_conv[i](t) for i, t in zip((3, 2, 1, 0), (in5, out4, out3, out2)))
    if neck.intracl:
        p5, p4, p3, p2 = neck.incl4(p5), neck.incl3(p4), neck.incl2(p3), neck.incl1(p2)
    return paddle.concat([_up(p5, 8), _up(p4, 4), _up(p3, 2), p2], axis=1)


def _lkpan_reference(neck, x):
    """Upstream's LKPAN forward with F.upsample."""
    in5, in4, in3, in2 = (neck.ins_conv[i](x[i]) for i in (3, 2, 1, 0))
    out4 = in4 + _up(in5, 2)
    out3 = in3 + _up(out4, 2)
    out2 = in2 + _up(out3, 2)
    f5, f4, f3, f2 = (neck.inp_conv[i](t) for i, t in zip((3, 2, 1, 0), (in5, out4, out3, out2)))
    pan3 = f3 + neck.pan_head_conv[0](f2)
    pan4 = f4 + neck.pan_head_conv[1](pan3)
    pan5 = f5 + neck.pan_head_conv[2](pan4)
    p2, p3, p4, p5 = (neck.pan_lat_conv[i](t) for i, t in enumerate((f2, pan3, pan4, pan5)))
    if neck.intracl:
        p5, p4, p3, p2 = neck.incl4(p5), neck.incl3(p4), neck.incl2(p3), neck.incl1(p2)
    return paddle.concat([_up(p5, 8), _up(p4, 4), _up(p3, 2), p2], axis=1)


@pytest.mark.parametrize("shortcut,intracl", [(True, False), (False, False), (True, True)])
def test_rsefpn_equals_upstream_forward(shortcut, intracl):
    paddle.seed(2)
    neck = RSEFPN(CHANNELS, out_channels=16, shortcut=shortcut, intracl=intracl)
    neck.eval()
    x = _pyramid()
    got = neck(x)
    assert got.shape == [2, 16, 16, 24]
    np.testing.assert_array_equal(got.numpy(), _rsefpn_reference(neck, x).numpy())


@pytest.mark.parametrize("mode,intracl", [("large", False), ("lite", False), ("large", True)])
def test_lkpan_equals_upstream_forward(mode, intracl):
    paddle.seed(3)
    neck = LKPAN(CHANNELS, out_channels=16, mode=mode, intracl=intracl)
    neck.eval()
    x = _pyramid(n=1, h=96, w=64)
    got = neck(x)
    assert got.shape == [1, 16, 24, 16]
    np.testing.assert_array_equal(got.numpy(), _lkpan_reference(neck, x).numpy())


def test_lkpan_lite_uses_dsconv_with_residual_only_when_widths_differ():
    keys = list(LKPAN(CHANNELS, out_channels=16, mode="lite").state_dict())
    assert [k for k in keys if k.startswith("inp_conv.0.")] == [
        "inp_conv.0.conv1.weight", "inp_conv.0.bn1.weight", "inp_conv.0.bn1.bias", "inp_conv.0.bn1._mean",
        "inp_conv.0.bn1._variance", "inp_conv.0.conv2.weight", "inp_conv.0.bn2.weight", "inp_conv.0.bn2.bias",
        "inp_conv.0.bn2._mean", "inp_conv.0.bn2._variance", "inp_conv.0.conv3.weight", "inp_conv.0.conv_end.weight"]
    assert not any(k.startswith("pan_lat_conv.0.conv_end") for k in keys)  # 4 -> 4 channels


def test_intracl_block_is_a_residual():
    paddle.seed(4)
    block = IntraCLBlock(8, reduce_factor=2)
    block.eval()
    x = paddle.randn([1, 8, 12, 10])
    y = block(x)
    assert y.shape == x.shape
    assert float((y - x).min()) >= 0  # x + relu(...)
    block.bn.weight.set_value(paddle.zeros([8]))
    block.bn.bias.set_value(paddle.zeros([8]))
    np.testing.assert_array_equal(block(x).numpy(), x.numpy())


@pytest.mark.parametrize("cls", [RSEFPN, LKPAN])
def test_bad_channels_are_config_errors(cls):
    with pytest.raises(ConfigError, match="in_channels"):
        cls([4, 6, 8], out_channels=16)
    with pytest.raises(ConfigError, match="out_channels"):
        cls(CHANNELS, out_channels=18)


def test_lkpan_bad_mode():
    with pytest.raises(ConfigError, match="mode"):
        LKPAN(CHANNELS, out_channels=16, mode="huge")
