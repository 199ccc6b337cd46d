"""Fused (rep()) sources into trainable models: un-fusing, calibration, the auto mode, ONNX patterns."""

from __future__ import annotations

import copy

import numpy as np
import onnx
import paddle
import pytest
from onnx import TensorProto, helper, numpy_helper

from ppocr.engine.components import build_components
from ppocr.errors import ConfigError
from ppocr.export.exporter import export_model
from ppocr.export.importer import import_model
from ppocr.export.importing.onnx_reader import read_onnx
from ppocr.export.importing.reparam import conv_statistics, fused_copy, unfuse
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer
from ppocr.weights.state_dict_io import read_state_dict
from tests.export.test_rep_export import TINY_V3_REC, randomize


def _eval(model, x: np.ndarray) -> np.ndarray:
    model.eval()
    with paddle.no_grad():
        return model(paddle.to_tensor(x)).numpy()


def _train_bn(model, x: np.ndarray) -> np.ndarray:
    """Forward with every BN on batch statistics (training mode), nothing else changed."""
    model.eval()
    for layer in model.sublayers(include_self=True):
        if isinstance(layer, paddle.nn.layer.norm._BatchNormBase):
            layer.train()
    with paddle.no_grad():
        out = model(paddle.to_tensor(x)).numpy()
    model.eval()
    return out


@pytest.fixture
def rep_layer():
    paddle.seed(4)
    layer = LearnableRepLayer(8, 8, 3, 1, groups=8, num_conv_branches=3)
    randomize(layer)
    layer.eval()
    return layer


def test_unfused_layer_computes_the_fused_one_and_keeps_it_under_batch_statistics(rep_layer):
    x = np.random.default_rng(0).normal(0.3, 2.0, (4, 8, 12, 12)).astype(np.float32)
    fused = fused_copy(rep_layer)
    want = _eval(fused, x)
    plain = LearnableRepLayer(8, 8, 3, 1, groups=8, num_conv_branches=3)
    done = unfuse(fused, plain)
    np.testing.assert_allclose(_eval(plain, x), want, atol=1e-5)
    assert float(np.abs(_train_bn(plain, x) - want).max()) > 0.1  # identity-BN constants: not in training
    calibrated = LearnableRepLayer(8, 8, 3, 1, groups=8, num_conv_branches=3)
    unfuse(fused, calibrated, stats=conv_statistics(fused, [x]))
    np.testing.assert_allclose(_eval(calibrated, x), want, atol=1e-5)
    np.testing.assert_allclose(_train_bn(calibrated, x), want, atol=1e-4)  # batch stats = calibration's
    assert done.renamed == {"reparam_conv.weight": "conv_kxk.0.conv.weight", "reparam_conv.bias": "conv_kxk.0.bn.bias"}
    assert done.fresh == ["conv_kxk.1.conv.weight", "conv_kxk.2.conv.weight", "conv_1x1.conv.weight"]
    assert {"identity.weight", "conv_1x1.bn.weight", "conv_kxk.0.bn._variance"} <= set(done.initialised)
    for bn in (calibrated.identity, calibrated.conv_1x1.bn, calibrated.conv_kxk[2].bn):
        assert not bn.weight.numpy().any() and not bn.bias.numpy().any()


def _tiny(config: dict, seed: int):
    paddle.seed(seed)
    model = build_components(copy.deepcopy(config), mode="model").model
    randomize(model)
    model.eval()
    return model


def test_our_fused_export_imports_back_to_the_same_function(tmp_path):
    model = _tiny(TINY_V3_REC, 1)
    x = np.random.default_rng(3).uniform(-1, 1, (2, 3, 48, 96)).astype(np.float32)
    want = _eval(copy.deepcopy(model), x)
    (out,) = export_model(TINY_V3_REC, model, str(tmp_path / "fused"))
    report = import_model(out, copy.deepcopy(TINY_V3_REC), str(tmp_path / "back"))
    assert report.source_format == "paddle-pir" and report.reparam == "fused"
    assert {m.source_op.split(" ")[0] for m in report.mapping} >= {"conv2d", "depthwise_conv2d", "elementwise_mul"}
    back = _tiny(TINY_V3_REC, 9)
    back.set_state_dict(read_state_dict(tmp_path / "back.pdparams"))
    np.testing.assert_allclose(_eval(back, x), want, atol=1e-5)
    with pytest.raises(ConfigError, match="op kinds differ"):
        import_model(out, copy.deepcopy(TINY_V3_REC), str(tmp_path / "x"), reparam="unfused")
    with pytest.raises(ConfigError, match="reparam must be one of auto, fused, unfused"):
        import_model(out, copy.deepcopy(TINY_V3_REC), str(tmp_path / "x"), reparam="yes")


def test_an_unfused_export_maps_onto_the_branches_bit_for_bit(tmp_path):
    from paddle.static import InputSpec

    model = _tiny(TINY_V3_REC, 2)
    static = paddle.jit.to_static(model, input_spec=[InputSpec([None, 3, 48, None], "float32", "x")],
                                  full_graph=True)
    paddle.jit.save(static, str(tmp_path / "unfused" / "inference"))  # no rep(): the branches are in the graph
    report = import_model(str(tmp_path / "unfused"), copy.deepcopy(TINY_V3_REC), str(tmp_path / "back"))
    assert report.reparam == "unfused" and report.fresh == [] and report.keys_mapped == report.keys_total
    got = read_state_dict(tmp_path / "back.pdparams")
    for key, value in model.state_dict().items():
        assert np.array_equal(got[key], value.numpy()), key


def test_fused_source_fills_a_distillation_student_under_its_prefix(tmp_path):
    sub = copy.deepcopy(TINY_V3_REC["Architecture"])
    config = copy.deepcopy(TINY_V3_REC)
    config["Architecture"] = {"model_type": "rec", "name": "DistillationModel", "algorithm": "Distillation",
                              "Models": {"Teacher": copy.deepcopy(sub), "Student": copy.deepcopy(sub)}}
    (out,) = export_model(TINY_V3_REC, _tiny(TINY_V3_REC, 5), str(tmp_path / "fused"))
    report = import_model(out, config, str(tmp_path / "student"))
    assert report.sub_model == "Student" and report.reparam == "fused"
    assert report.fresh and all(k.startswith("Student.backbone.") for k in report.fresh)
    assert all(k.startswith("Student.") for k in read_state_dict(tmp_path / "student.pdparams"))


def _const(name: str, value) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, np.float32)))


def _onnx(nodes, path, opset: int = 12) -> str:
    rng = np.random.default_rng(0)
    conv_w = numpy_helper.from_array(rng.normal(size=(4, 3, 1, 1)).astype(np.float32), "conv_w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "conv_w"], ["c"])] + nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [conv_w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return str(path)


def test_onnx_affine_blocks_and_layer_norms_are_read(tmp_path):
    affine = [_const("s", [1.5]), _const("b", [0.25]), helper.make_node("Mul", ["s", "c"], ["m"]),
              helper.make_node("Add", ["m", "b"], ["a"]),
              # hardswish's scalar constants (0-d) are no affine block
              _const("three", 3.0), helper.make_node("Add", ["a", "three"], ["h"]),
              _const("six", 6.0), helper.make_node("Div", ["h", "six"], ["y0"]),
              helper.make_node("Identity", ["y0"], ["y"])]
    graph = read_onnx(_onnx(affine, tmp_path / "affine.onnx"))
    assert [op.kind for op in graph.ops] == ["conv", "affine"] and not graph.unmapped
    assert graph.ops[1].tensors["scale"].tolist() == [1.5] and graph.ops[1].input == "c"
    decomposed = [helper.make_node("ReduceMean", ["c"], ["mu"], axes=[-1]), helper.make_node("Sub", ["c", "mu"], ["d"]),
                  _const("two", 2.0), helper.make_node("Pow", ["d", "two"], ["p"]),
                  helper.make_node("ReduceMean", ["p"], ["v"], axes=[-1]), _const("eps", 1e-6),
                  helper.make_node("Add", ["v", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["sd"]),
                  helper.make_node("Div", ["d", "sd"], ["n"]), _const("w", [1, 2, 3, 4]), _const("bb", [0, 1, 0, 1]),
                  helper.make_node("Mul", ["n", "w"], ["nw"]), helper.make_node("Add", ["nw", "bb"], ["y"])]
    graph = read_onnx(_onnx(decomposed, tmp_path / "ln.onnx"))
    assert [op.kind for op in graph.ops] == ["conv", "layer_norm"] and not graph.unmapped
    ln = graph.ops[1]
    assert ln.input == "c" and ln.attrs["epsilon"] == pytest.approx(1e-6) and ln.tensors["scale"].tolist() == [1, 2, 3, 4]
    native = [_const("w", [1, 2, 3, 4]), _const("bb", [0, 1, 0, 1]),
              helper.make_node("LayerNormalization", ["c", "w", "bb"], ["y"], epsilon=1e-5)]
    graph = read_onnx(_onnx(native, tmp_path / "ln17.onnx", opset=17))
    assert [op.kind for op in graph.ops] == ["conv", "layer_norm"] and graph.ops[1].attrs["epsilon"] == pytest.approx(1e-5)
