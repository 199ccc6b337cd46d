"""Export fuses re-parameterisable layers (PPLCNetV3's rep()) first, as upstream's export does.

The exported graph holds one conv per LearnableRepLayer, runs under oneDNN and gives what the
unfused dygraph model gives in eval mode; the model is left fused, so ``verify_export`` (what
``export_model.py --verify`` runs) compares against the fused dygraph model.
"""

import copy
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.engine.components import build_components
from ppocr.export.exporter import export_model, fuse_rep_layers
from ppocr.export.verify import verify_export
from ppocr.inference.predictor import Predictor
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer
from tests.helpers.tiny_models import DECODE

LCNET = {"name": "PPLCNetV3", "scale": 0.25, "conv_kxk_num": 2}
TINY_V3_REC = {
    "Global": {"character_dict_path": None, "max_text_length": 25, "use_space_char": False},
    "Architecture": {"model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None, "Backbone": LCNET,
                     "Neck": {"name": "SequenceEncoder", "encoder_type": "reshape"},
                     "Head": {"name": "CTCHead"}},
    "PostProcess": {"name": "CTCLabelDecode"},
    "Eval": {"dataset": {"transforms": [DECODE, {"CTCLabelEncode": None},
                                        {"RecResizeImg": {"image_shape": [3, 48, 96]}},
                                        {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]}},
}


def randomize(model) -> None:
    """Non-trivial BN statistics and affine blocks, so every branch matters to the fused conv."""
    rng = np.random.default_rng(7)
    for name, tensor in model.state_dict().items():
        shape = tensor.shape
        if name.endswith("_variance"):
            tensor.set_value(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif name.endswith("_mean") or name.endswith(".bias"):
            tensor.set_value(rng.normal(0, 0.1, shape).astype("float32"))
        elif name.endswith("lab.scale") or name.endswith("bn.weight") or name.endswith("identity.weight"):
            tensor.set_value(rng.uniform(0.5, 1.5, shape).astype("float32"))


def _rep_layers(model) -> list:
    return [layer for layer in model.sublayers() if isinstance(layer, LearnableRepLayer)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cfg = copy.deepcopy(TINY_V3_REC)
    paddle.seed(1)
    model = build_components(cfg, mode="model").model
    randomize(model)
    model.eval()
    unfused = copy.deepcopy(model)
    assert _rep_layers(model) and not any(layer.is_repped for layer in _rep_layers(model))
    (out,) = export_model(cfg, model, str(tmp_path_factory.mktemp("rep") / "rec"))
    return cfg, unfused, model, out


def test_export_fuses_the_model_in_place(exported):
    _, unfused, model, _ = exported
    assert all(layer.is_repped for layer in _rep_layers(model)) and model.backbone.is_repped
    keys = list(model.state_dict())
    assert not any("conv_kxk" in k or "conv_1x1" in k or ".identity." in k for k in keys)
    assert any(k.endswith("reparam_conv.weight") for k in keys)
    assert len(keys) < len(unfused.state_dict())
    assert fuse_rep_layers(model) == 0  # idempotent: nothing left to fuse


@pytest.mark.parametrize("width", [96, 160])
def test_onednn_export_equals_unfused_dygraph(exported, width):
    _, unfused, _, out = exported
    x = np.random.default_rng(width).uniform(-1, 1, (2, 3, 48, width)).astype("float32")
    predictor = Predictor(out, enable_mkldnn=True, cpu_threads=1)
    (got,) = predictor.run(x)
    assert predictor.enable_mkldnn  # ran under oneDNN, no fallback
    with paddle.no_grad():
        want = unfused(paddle.to_tensor(x)).numpy()
    assert got.shape == want.shape == (2, width // 8, 37)
    assert float(want.std()) > 1e-3  # the outputs are not flat
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def test_graph_has_one_conv_per_rep_layer(exported):
    _, unfused, _, out = exported
    graph = (Path(out) / "inference.json").read_text(encoding="utf-8")
    convs = graph.count('"1.conv2d"') + graph.count('"1.depthwise_conv2d"')
    se_convs = 2 * sum(1 for name, _ in unfused.named_sublayers() if name.endswith(".se"))
    # conv1 (conv + BN kept), the SE blocks' convs and one conv per LearnableRepLayer; no branch survives
    assert se_convs == 4 and convs == 1 + se_convs + len(_rep_layers(unfused))
    assert graph.count('"1.batch_norm') == 1


def test_verify_compares_with_the_fused_model(exported):
    cfg, _, model, out = exported
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 96)).astype("float32")
    report = verify_export(model, out, [[paddle.to_tensor(x)]], atol=1e-5)
    assert report["ok"] and report["onednn"] and report["max_abs_diff"] <= 1e-5


def test_distillation_sub_models_are_fused_each(tmp_path):
    student = {"model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None, "Backbone": dict(LCNET),
               "Neck": {"name": "SequenceEncoder", "encoder_type": "reshape"}, "Head": {"name": "CTCHead"}}
    cfg = copy.deepcopy(TINY_V3_REC)
    cfg["Architecture"] = {"model_type": "rec", "name": "DistillationModel", "algorithm": "Distillation",
                           "Models": {"Teacher": copy.deepcopy(student), "Student": copy.deepcopy(student)}}
    cfg["PostProcess"] = {"name": "DistillationCTCLabelDecode", "model_name": ["Student"], "key": "head_out"}
    paddle.seed(2)
    model = build_components(cfg, mode="model").model
    dirs = export_model(cfg, model, str(tmp_path / "distill"))
    assert [Path(d).name for d in dirs] == ["Teacher", "Student"]
    assert _rep_layers(model) and all(layer.is_repped for layer in _rep_layers(model))
