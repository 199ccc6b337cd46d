"""PPLCNetV3 (PP-OCRv4 rec/det backbone): upstream's state_dict, shapes, rep() fusion, lr multipliers, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle
import pytest

import ppocr.modeling.architectures  # noqa: F401  (registers every backbone)
from ppocr.errors import ConfigError
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer, PPLCNetV3
from ppocr.registry import BACKBONES

MANIFEST = Path(__file__).parents[1] / "fixtures" / "compat" / "ppocrv3v4_state_dict_manifest.json"
# Upstream's Backbone sections (configs/{rec/PP-OCRv4,det/ch_PP-OCRv4}/*.yml).
REC = {"name": "PPLCNetV3", "scale": 0.95}
DET = {"name": "PPLCNetV3", "scale": 0.75, "det": True}
DET_CML = {"name": "PPLCNetV3", "scale": 0.75, "pretrained": True, "det": True}

CASES = [
    ("ch_PP-OCRv4_rec", "backbone.", "rec", REC),
    ("en_PP-OCRv4_rec", "backbone.", "rec", REC),
    ("ch_PP-OCRv4_det_student", "backbone.", "det", DET),
    ("ch_PP-OCRv4_det_cml", "Student.backbone.", "det", DET_CML),
    ("ch_PP-OCRv4_det_cml", "Student2.backbone.", "det", DET_CML),
]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def layout(layer: paddle.nn.Layer, prefix: str = "") -> list[list]:
    return [[prefix + k, list(v.shape), str(v.dtype).replace("paddle.", "")] for k, v in layer.state_dict().items()]


def randomize(layer: paddle.nn.Layer, seed: int = 0) -> None:
    """Non-trivial BN statistics, affine blocks and conv weights with activations of order 0.1-1."""
    rng = np.random.default_rng(seed)
    for name, p in layer.state_dict().items():
        shape = p.shape
        if name.endswith("_variance"):
            v = rng.uniform(0.5, 1.5, shape)
        elif name.endswith("_mean"):
            v = rng.normal(0, 0.1, shape)
        elif name.endswith("lab.scale"):
            v = rng.uniform(0.8, 1.2, shape)
        elif len(shape) == 4:
            v = rng.normal(0, 0.5 / np.sqrt(np.prod(shape[1:])), shape)
        elif name.endswith("weight"):  # BN gamma (several branches are summed)
            v = rng.uniform(0.2, 0.4, shape)
        else:
            v = rng.normal(0, 0.05, shape)
        p.set_value(v.astype("float32"))


@pytest.mark.parametrize(("entry", "prefix", "scope", "cfg"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_state_dict_matches_upstream(manifest, entry, prefix, scope, cfg):
    backbone = BACKBONES.build(cfg, scope=scope, in_channels=3)
    expected = [p for p in manifest[entry]["params"] if p[0].startswith(prefix)]
    assert layout(backbone, prefix) == expected


def test_rec_shapes_train_and_eval():
    backbone = BACKBONES.build(REC, scope="rec", in_channels=3)
    assert backbone.out_channels == 480
    x = paddle.rand([1, 3, 48, 320])
    backbone.train()
    assert backbone(x).shape == [1, 480, 1, 40]  # adaptive pool
    backbone.eval()
    assert backbone(x).shape == [1, 480, 1, 40]  # avg_pool2d([3, 2]) of [1, 480, 3, 80]


def test_det_shapes():
    backbone = BACKBONES.build(DET, scope="det", in_channels=3)
    assert backbone.out_channels == [12, 18, 42, 360]
    backbone.eval()
    outs = backbone(paddle.rand([1, 3, 64, 96]))
    assert [o.shape for o in outs] == [[1, 12, 16, 24], [1, 18, 8, 12], [1, 42, 4, 6], [1, 360, 2, 3]]


@pytest.mark.parametrize(("det", "scale", "shape"), [(False, 0.95, [2, 3, 48, 96]), (True, 0.75, [2, 3, 64, 64])])
def test_rep_keeps_outputs(det, scale, shape):
    paddle.seed(0)
    model = PPLCNetV3(scale=scale, det=det)
    randomize(model)
    model.eval()
    x = paddle.to_tensor(np.random.default_rng(1).uniform(-1, 1, shape).astype("float32"))
    before = model(x)
    before = [t.numpy() for t in (before if det else [before])]
    model.rep()
    assert model.is_repped
    after = model(x)
    after = [t.numpy() for t in (after if det else [after])]
    for a, b in zip(before, after):
        assert a.std() > 1e-2  # the comparison is not between near-constant maps
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)
    model.rep()  # idempotent
    again = model(x)
    np.testing.assert_array_equal((again if det else [again])[0].numpy(), after[0])


def test_rep_state_dict_is_the_fused_layout():
    model = PPLCNetV3(scale=0.95)
    model.eval()
    model.rep()
    keys = layout(model)
    assert not [k for k, _, _ in keys if ".conv_kxk." in k or ".conv_1x1." in k or ".identity." in k]
    shapes = {k: s for k, s, _ in keys}
    # Per LearnableRepLayer: lab (2), act.lab (2), reparam_conv weight + bias; conv1 and SE stay.
    assert len(keys) == 5 + 28 * 6 + 2 * 4
    assert keys[5:11] == [
        ["blocks2.0.dw_conv.lab.scale", [1], "float32"],
        ["blocks2.0.dw_conv.lab.bias", [1], "float32"],
        ["blocks2.0.dw_conv.act.lab.scale", [1], "float32"],
        ["blocks2.0.dw_conv.act.lab.bias", [1], "float32"],
        ["blocks2.0.dw_conv.reparam_conv.weight", [16, 1, 3, 3], "float32"],
        ["blocks2.0.dw_conv.reparam_conv.bias", [16], "float32"],
    ]
    assert shapes["blocks6.3.dw_conv.reparam_conv.weight"] == [480, 1, 5, 5]
    assert shapes["blocks6.3.pw_conv.reparam_conv.weight"] == [480, 480, 1, 1]
    assert shapes["blocks6.0.se.conv1.weight"] == [60, 240, 1, 1]  # as the official model


def _branches(layer: LearnableRepLayer, x: paddle.Tensor) -> paddle.Tensor:
    out = sum(conv(x) for conv in layer.conv_kxk)
    if layer.conv_1x1 is not None:
        out = out + layer.conv_1x1(x)
    if layer.identity is not None:
        out = out + layer.identity(x)
    return layer.lab.scale * out + layer.lab.bias


@pytest.mark.parametrize(("stride", "identity", "act"), [(1, True, True), (2, False, False), ((2, 1), False, True),
                                                         ((1, 2), False, True)])
def test_rep_layer_branches_and_activation(stride, identity, act):
    """Identity BN only for stride 1 (not for tuple strides); activation skipped only for stride 2."""
    layer = LearnableRepLayer(8, 8, 3, stride, groups=8, num_conv_branches=2)
    randomize(layer, seed=3)
    layer.eval()
    assert (layer.identity is not None) == identity
    x = paddle.to_tensor(np.random.default_rng(2).normal(0, 3, [1, 8, 8, 8]).astype("float32"))
    pre = _branches(layer, x)
    expected = layer.act.lab.scale * paddle.nn.functional.hardswish(pre) + layer.act.lab.bias if act else pre
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    layer.rep()
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=0, atol=1e-5)


def test_pointwise_rep_layer_with_identity():
    layer = LearnableRepLayer(6, 6, 1, 1, num_conv_branches=3)
    assert layer.conv_1x1 is None and layer.identity is not None
    randomize(layer, seed=4)
    layer.eval()
    x = paddle.to_tensor(np.random.default_rng(5).normal(0, 1, [2, 6, 5, 7]).astype("float32"))
    before = layer(x).numpy()
    layer.rep()
    assert layer.reparam_conv.weight.shape == [6, 6, 1, 1]
    np.testing.assert_allclose(layer(x).numpy(), before, rtol=0, atol=1e-5)


def test_learning_rates_follow_upstream():
    model = PPLCNetV3(scale=0.5, lr_mult_list=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], lab_lr=0.5)
    params = dict(model.named_parameters())
    lr = {k: p.optimize_attr["learning_rate"] for k, p in params.items()}
    assert lr["conv1.conv.weight"] == pytest.approx(0.1)
    assert lr["blocks2.0.dw_conv.identity.weight"] == pytest.approx(0.2)
    assert lr["blocks6.0.se.conv2.bias"] == pytest.approx(0.6)
    assert lr["blocks6.3.pw_conv.lab.scale"] == pytest.approx(0.3)  # lr_mult * lab_lr
    assert lr["blocks6.3.pw_conv.act.lab.bias"] == pytest.approx(0.3)
    # BN of the conv branches has no weight decay; the identity BN keeps the global one (as upstream).
    assert params["blocks3.0.dw_conv.conv_kxk.0.bn.weight"].regularizer._coeff == 0.0
    assert params["blocks2.0.dw_conv.identity.weight"].regularizer is None


@pytest.mark.parametrize(("cfg", "message"), [
    ({"lr_mult_list": [1.0] * 5}, "lr_mult_list must be a list of 6 numbers"),
    ({"scale": 0}, "scale must be a number > 0"),
    ({"conv_kxk_num": 0}, "conv_kxk_num must be an int >= 1"),
    ({"det": "yes"}, "det must be true or false"),
    ({"lab_lr": -1}, "lab_lr must be a number >= 0"),
    ({"sclae": 0.5}, "has no parameter 'sclae'"),
])
def test_config_errors(cfg, message):
    with pytest.raises(ConfigError, match=message):
        BACKBONES.build({"name": "PPLCNetV3", **cfg}, scope="rec", in_channels=3)
