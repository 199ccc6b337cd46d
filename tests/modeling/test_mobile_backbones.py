"""Mobile backbones: upstream state_dict layout, output shapes, numerics of shared layers, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import paddle
import pytest

import ppocr.modeling.architectures  # noqa: F401  (registers every backbone)
from ppocr.errors import ConfigError
from ppocr.modeling.backbones.layers import (
    ConvBNLayer,
    DepthwiseSeparable,
    DepthwiseSeparableNames,
    SEModule,
    make_divisible,
)
from ppocr.modeling.backbones.mobilenet_v3_blocks import ResidualUnit
from ppocr.modeling.backbones.rec_mv1_enhance import MobileNetV1Enhance
from ppocr.registry import BACKBONES

MANIFEST = Path(__file__).parents[1] / "fixtures" / "compat" / "ppocrv2_state_dict_manifest.json"

DET_MV3 = {"name": "MobileNetV3", "model_name": "large", "scale": 0.5, "disable_se": True}
REC_MV1 = {"name": "MobileNetV1Enhance", "scale": 0.5}
CLS_MV3 = {"name": "MobileNetV3", "model_name": "small", "scale": 0.35}

# (manifest entry, key prefix of the backbone, scope, backbone config)
MANIFEST_CASES = [
    ("ch_PP-OCRv2_det_student", "backbone.", "det", DET_MV3),
    ("ch_PP-OCRv2_det_dml", "Student.backbone.", "det", DET_MV3),
    ("ch_PP-OCRv2_det_dml", "Teacher.backbone.", "det", DET_MV3),
    ("ch_PP-OCRv2_det_cml", "Student.backbone.", "det", DET_MV3),
    ("ch_PP-OCRv2_det_cml", "Student2.backbone.", "det", DET_MV3),
    ("ch_PP-OCRv2_det_distill", "Student.backbone.", "det", DET_MV3),
    ("ch_PP-OCRv2_rec", "backbone.", "rec", REC_MV1),
    ("ch_PP-OCRv2_rec_enhanced_ctc_loss", "backbone.", "rec", REC_MV1),
    ("ch_PP-OCRv2_rec_distillation", "Teacher.backbone.", "rec", REC_MV1),
    ("ch_PP-OCRv2_rec_distillation", "Student.backbone.", "rec", REC_MV1),
    ("cls_mv3", "backbone.", "cls", CLS_MV3),
]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def build(cfg: dict, scope: str, **injected):
    return BACKBONES.build(cfg, scope=scope, in_channels=3, **injected)


def layout(layer) -> list[tuple[str, list[int], str]]:
    return [(k, list(v.shape), str(v.dtype).replace("paddle.", "")) for k, v in layer.state_dict().items()]


@pytest.mark.parametrize(("entry", "prefix", "scope", "cfg"), MANIFEST_CASES)
def test_state_dict_matches_upstream_manifest(manifest, entry, prefix, scope, cfg):
    want = [(k[len(prefix):], s, d) for k, s, d in manifest[entry]["params"] if k.startswith(prefix)]
    assert want, f"no {prefix} keys in {entry}"
    assert layout(build(cfg, scope)) == want


def test_det_mobilenet_v3_returns_four_strided_maps():
    paddle.seed(0)
    net = build(DET_MV3, "det").eval()
    assert net.out_channels == [16, 24, 56, 480]
    outs = net(paddle.rand([1, 3, 64, 64]))
    assert [list(o.shape) for o in outs] == [[1, c, 64 // s, 64 // s]
                                             for c, s in zip(net.out_channels, (4, 8, 16, 32))]


def test_det_mobilenet_v3_small_with_se():
    net = build({"name": "MobileNetV3", "model_name": "small", "scale": 1.0}, "det").eval()
    assert net.out_channels == [16, 24, 48, 576]
    assert any(".mid_se." in k for k in net.state_dict())
    outs = net(paddle.rand([1, 3, 64, 64]))
    assert [o.shape[2] for o in outs] == [16, 8, 4, 2]
    assert [o.shape[1] for o in outs] == net.out_channels


def test_rec_mv1_enhance_output_shape():
    net = build(REC_MV1, "rec").eval()
    assert net.out_channels == 512
    assert net(paddle.rand([1, 3, 32, 100])).shape == [1, 512, 1, 25]


def test_rec_mv1_enhance_v3_options_change_pooling():
    net = build({**REC_MV1, "last_conv_stride": [1, 2], "last_pool_type": "avg",
                 "last_pool_kernel_size": [2, 2]}, "rec").eval()
    # 48x320 → stem 24x160 → three (2,1) strides 3x160 → last (1,2) 3x80 → avg 2x2 1x40
    assert net(paddle.rand([1, 3, 48, 320])).shape == [1, 512, 1, 40]


def test_rec_mobilenet_v3_large_and_small_shapes():
    large = build({"name": "MobileNetV3", "model_name": "large", "scale": 0.5}, "rec").eval()
    assert large.out_channels == 480
    assert large(paddle.rand([1, 3, 32, 100])).shape == [1, 480, 1, 25]
    small = build({"name": "MobileNetV3", "model_name": "small", "scale": 0.5,
                   "small_stride": [1, 2, 2, 2]}, "rec").eval()
    assert small.out_channels == 288
    assert small(paddle.rand([1, 3, 32, 100])).shape == [1, 288, 1, 25]


def test_cls_mobilenet_v3_is_the_rec_variant():
    net = build(CLS_MV3, "cls").eval()
    assert BACKBONES.get("MobileNetV3", "cls") is BACKBONES.get("MobileNetV3", "rec")
    assert BACKBONES.get("MobileNetV3", "det") is not BACKBONES.get("MobileNetV3", "cls")
    assert net.out_channels == 200
    assert net(paddle.rand([2, 3, 48, 192])).shape == [2, 200, 1, 48]


@pytest.mark.parametrize(("scale", "channels"), [(0.5, [32, 64, 128, 256]), (1.0, [64, 128, 256, 512])])
def test_pplcnet_det_and_cls_shapes(scale, channels):
    det = build({"name": "PPLCNet", "scale": scale}, "det").eval()
    assert det.out_channels == channels
    x = paddle.rand([1, 3, 64, 64])
    outs = det(x)
    assert [list(o.shape) for o in outs] == [[1, c, 64 // s, 64 // s] for c, s in zip(channels, (4, 8, 16, 32))]
    cls = build({"name": "PPLCNet", "scale": scale}, "cls").eval()
    assert cls.out_channels == channels[-1]
    assert cls(paddle.rand([1, 3, 48, 192])).shape == [1, channels[-1], 2, 6]
    assert list(cls.state_dict()) == list(det.state_dict())


def test_pplcnet_keys_follow_upstream_names():
    keys = list(build({"name": "PPLCNet", "scale": 0.25}, "det").state_dict())
    assert keys[0] == "conv1.conv.weight"
    assert "blocks2.0.dw_conv.bn._variance" in keys
    assert "blocks6.1.se.conv2.bias" in keys and "blocks5.0.se.conv1.weight" not in keys
    assert keys[-1] == "blocks6.1.pw_conv.bn._variance"


def test_pplcnet_scale_035_out_channels_are_real_widths():
    net = build({"name": "PPLCNet", "scale": 0.35}, "det").eval()
    outs = net(paddle.rand([1, 3, 32, 32]))
    assert net.out_channels == [o.shape[1] for o in outs] == [24, 48, 88, 176]


def test_make_divisible_rounds_like_upstream():
    assert [make_divisible(v) for v in (4, 5.6, 8, 12, 201.6, 22.4, 44.8)] == [8, 8, 8, 16, 200, 24, 48]
    assert make_divisible(10, divisor=8) == 16  # 8 would drop more than 10%


def _gate(se: SEModule, bias: float) -> float:
    for p in (se.conv1.weight, se.conv1.bias, se.conv2.weight):
        p.set_value(paddle.zeros_like(p))
    se.conv2.bias.set_value(paddle.full_like(se.conv2.bias, bias))
    x = paddle.ones([1, se.conv2.weight.shape[0], 2, 2])
    return float(se(x)[0, 0, 0, 0])


def test_se_gates_use_upstream_hardsigmoid_slopes():
    mv3_se = ResidualUnit(8, 16, 8, 3, 1, use_se=True, act="relu").mid_se
    assert _gate(mv3_se, 1.0) == pytest.approx(0.7)  # 0.2 * 1 + 0.5
    assert _gate(mv3_se, 5.0) == pytest.approx(1.0)  # clipped
    mv1_se = MobileNetV1Enhance(scale=0.5).block_list[11]._se
    assert _gate(mv1_se, 1.0) == pytest.approx(1 / 6 + 0.5, abs=1e-6)
    lcnet_se = build({"name": "PPLCNet", "scale": 0.25}, "det").blocks6[0].se
    assert _gate(lcnet_se, -1.0) == pytest.approx(0.5 - 1 / 6, abs=1e-6)


def test_conv_bn_layer_matches_numpy_reference():
    rng = np.random.default_rng(0)
    layer = ConvBNLayer(2, 3, 3, stride=2, act="hardswish").eval()
    w = rng.normal(size=(3, 2, 3, 3)).astype("float32")
    gamma, beta = np.array([1.0, 2.0, 0.5], "float32"), np.array([0.1, -0.2, 0.3], "float32")
    mean, var = np.array([0.5, -1.0, 0.0], "float32"), np.array([4.0, 1.0, 0.25], "float32")
    layer.conv.weight.set_value(w)
    for p, v in zip((layer.bn.weight, layer.bn.bias, layer.bn._mean, layer.bn._variance),
                    (gamma, beta, mean, var)):
        p.set_value(v)
    x = rng.normal(size=(1, 2, 5, 5)).astype("float32")
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((1, 3, 3, 3), "float32")
    for o in range(3):
        for i in range(3):
            for j in range(3):
                conv[0, o, i, j] = (padded[0, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] * w[o]).sum()
    bn = (conv - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) * gamma[:, None, None] \
        + beta[:, None, None]
    want = bn * np.clip(bn + 3, 0, 6) / 6
    np.testing.assert_allclose(layer(paddle.to_tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)


def test_depthwise_separable_registers_the_names_it_is_given():
    names = DepthwiseSeparableNames("dw", "gate", "pw", "c", "n")
    block = DepthwiseSeparable(4, 6, (2, 1), 5, True, names)
    assert list(block.state_dict()) == [
        "dw.c.weight", "dw.n.weight", "dw.n.bias", "dw.n._mean", "dw.n._variance",
        "gate.conv1.weight", "gate.conv1.bias", "gate.conv2.weight", "gate.conv2.bias",
        "pw.c.weight", "pw.n.weight", "pw.n.bias", "pw.n._mean", "pw.n._variance",
    ]
    assert block.dw.c.weight.shape == [4, 1, 5, 5] and block.pw.c.weight.shape == [6, 4, 1, 1]
    assert block(paddle.rand([1, 4, 8, 8])).shape == [1, 6, 4, 8]
    plain = DepthwiseSeparable(4, 6, 1, 3, False, names)
    assert not any(k.startswith("gate.") for k in plain.state_dict())


def test_depthwise_separable_is_dw_then_se_then_pw():
    paddle.seed(0)
    names = DepthwiseSeparableNames("dw", "se", "pw", "conv", "bn")
    block = DepthwiseSeparable(4, 6, 1, 3, True, names).eval()
    x = paddle.rand([2, 4, 6, 6])
    np.testing.assert_allclose(block(x).numpy(), block.pw(block.se(block.dw(x))).numpy())


def test_lcnet_and_mv1_enhance_share_one_block_class():
    lcnet = build({"name": "PPLCNet", "scale": 0.25}, "det")
    mv1 = build(REC_MV1, "rec")
    assert type(lcnet.blocks6[0]) is type(mv1.block_list[12]) is DepthwiseSeparable
    assert "blocks6.0.pw_conv.bn._variance" in lcnet.state_dict()
    assert "block_list.12._pointwise_conv._batch_norm._variance" in mv1.state_dict()
    # PaddleClas-style conv: Kaiming init and no weight decay on BN, in both.
    for conv_bn in (lcnet.conv1, mv1.conv1):
        bn = getattr(conv_bn, conv_bn.bn_name)
        assert bn.weight.regularizer is not None and bn.weight.regularizer._coeff == 0.0


def test_residual_shortcut_only_for_int_stride_one():
    assert ResidualUnit(8, 16, 8, 3, 1, use_se=False).if_shortcut
    assert not ResidualUnit(8, 16, 8, 3, (1, 1), use_se=False).if_shortcut  # upstream quirk kept
    assert not ResidualUnit(8, 16, 16, 3, 1, use_se=False).if_shortcut
    unit = ResidualUnit(8, 16, 8, 3, 1, use_se=False).eval()
    for sub in (unit.linear_conv.bn.weight, unit.linear_conv.bn.bias):
        sub.set_value(paddle.zeros_like(sub))
    x = paddle.rand([1, 8, 4, 4])
    np.testing.assert_allclose(unit(x).numpy(), x.numpy())  # zeroed branch → identity


@pytest.mark.parametrize(
    ("scope", "cfg", "message"),
    [
        ("det", {"name": "MobileNetV3", "model_name": "medium"}, "model_name must be one of 'large', 'small'"),
        ("det", {"name": "MobileNetV3", "scale": 0.6}, "scale must be one of 0.35, 0.5, 0.75, 1.0, 1.25"),
        ("rec", {"name": "MobileNetV3", "model_name": "tiny"}, "model_name must be one of"),
        ("cls", {"name": "MobileNetV3", "scale": 2.0}, "scale must be one of"),
        ("rec", {"name": "MobileNetV3", "small_stride": [2, 2, 2]}, "small_stride must be a list of 4"),
        ("rec", {"name": "MobileNetV3", "large_stride": "2222"}, "large_stride must be a list of 4"),
        ("rec", {"name": "MobileNetV1Enhance", "last_pool_type": "mean"}, "last_pool_type must be one of"),
        ("rec", {"name": "MobileNetV1Enhance", "scale": 0}, "scale must be a number"),
        ("rec", {"name": "MobileNetV1Enhance", "last_conv_stride": [1, 2, 3]}, "last_conv_stride must be"),
        ("det", {"name": "PPLCNet", "scale": 3.0}, "scale must be one of 0.25, 0.35"),
        ("det", {"name": "PPLCNet", "pretrained": True}, "Global.pretrained_model"),
        ("cls", {"name": "PPLCNet", "pretrained": "https://x/y.pdparams"}, "never downloads"),
        ("det", {"name": "MobileNetV3", "disable_SE": True}, "has no parameter 'disable_SE'"),
        ("rec", {"name": "MobileNetV1Enhance", "last_pool": "max"}, "has no parameter 'last_pool'"),
    ],
)
def test_bad_configs_raise_config_error(scope, cfg, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        build(cfg, scope)


def test_det_mobilenet_v3_exports_to_static_with_same_outputs(tmp_path):
    net = build({**DET_MV3, "disable_se": False}, "det").eval()
    x = paddle.rand([1, 3, 64, 64])
    ref = [o.numpy() for o in net(x)]
    spec = [paddle.static.InputSpec([None, 3, None, None], "float32")]
    paddle.jit.save(paddle.jit.to_static(net, input_spec=spec, full_graph=True), str(tmp_path / "mv3"))
    outs = paddle.jit.load(str(tmp_path / "mv3"))(x)
    assert len(outs) == 4
    for got, want in zip(outs, ref):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
