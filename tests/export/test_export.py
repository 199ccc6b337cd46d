"""Export: static graph equals dygraph; predictor reads our inference.yml or upstream-style dirs."""

import copy
import os

import numpy as np
import paddle
import pytest
import yaml

from ppocr.engine.components import build_components
from ppocr.errors import ConfigError
from ppocr.export.exporter import export_model
from ppocr.export.verify import verify_export
from ppocr.inference.images import list_images, read_image
from ppocr.inference.predictor import Predictor, find_model_files
from ppocr.inference.rec import TextRecognizer
from ppocr.postprocess import build_post_process

IMGS = os.path.join(os.path.dirname(__file__), "..", "fixtures", "real", "ic15_words", "imgs")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from tests.engine.conftest import TINY_REC

    cfg = copy.deepcopy(TINY_REC)
    tmp = tmp_path_factory.mktemp("export")
    cfg["Global"]["save_inference_dir"] = str(tmp / "rec")
    paddle.seed(3)
    parts = build_components(cfg, mode="eval")
    dirs = export_model(cfg, parts.model, cfg["Global"]["save_inference_dir"])
    return cfg, parts, dirs[0]


def test_export_writes_graph_params_and_settings(exported):
    cfg, _, out = exported
    assert sorted(os.listdir(out)) == ["inference.json", "inference.pdiparams", "inference.yml"]
    settings = yaml.safe_load(open(os.path.join(out, "inference.yml"), encoding="utf-8"))
    assert settings["Global"]["model_type"] == "rec" and settings["Global"]["image_shape"] == [3, 32, 64]
    assert settings["PostProcess"]["name"] == "CTCLabelDecode"
    assert settings["PostProcess"]["character_dict"] == list("0123456789abcdefghijklmnopqrstuvwxyz")
    ops = [next(iter(op)) for op in settings["PreProcess"]["transform_ops"]]
    assert ops == ["DecodeImage", "RecResizeImg"]  # no label or KeepKeys ops


@pytest.mark.parametrize("onednn", [True, False])
def test_exported_matches_dygraph_logits_and_strings(exported, onednn):
    cfg, parts, out = exported
    batches = [b for _, b in zip(range(2), parts.eval_loader)]
    post = build_post_process(cfg["PostProcess"], cfg["Global"])
    report = verify_export(parts.model, out, batches, post, enable_mkldnn=onednn)
    assert report["ok"], report
    assert report["samples"] == 8 and report["max_abs_diff"] < 1e-4 and report["onednn"] is onednn


@pytest.mark.parametrize("native_shift, onednn_shift, ok", [
    (0.0, 5e-4, True),     # oneDNN's own rounding, within its looser tolerance
    (5e-4, 0.0, False),    # the export itself is off: the native pass catches it
    (0.0, 2e-3, False),    # oneDNN beyond its tolerance
])
def test_verify_checks_the_export_natively_and_onednn_on_its_own_tolerance(monkeypatch, native_shift,
                                                                           onednn_shift, ok):
    import ppocr.export.verify as verify

    class Model(paddle.nn.Layer):
        def forward(self, x):
            return paddle.nn.functional.softmax(x, axis=-1)

    class ShiftedPredictor:  # the dygraph function plus a pass-specific offset
        def __init__(self, save_dir, enable_mkldnn=True):
            self.enable_mkldnn = enable_mkldnn
            self.shift = onednn_shift if enable_mkldnn else native_shift

        def run(self, x):
            e = np.exp(x - x.max(-1, keepdims=True))
            return [e / e.sum(-1, keepdims=True) + self.shift]

    monkeypatch.setattr(verify, "Predictor", ShiftedPredictor)
    x = np.random.default_rng(0).normal(size=(2, 5, 7)).astype("float32")
    report = verify.verify_export(Model(), "unused", [[paddle.to_tensor(x)]], atol=1e-4, onednn_atol=1e-3)
    assert report["ok"] is ok and report["onednn"] is True and report["samples"] == 2
    assert report["max_abs_diff"] == pytest.approx(native_shift, abs=1e-6)
    assert report["onednn_max_abs_diff"] == pytest.approx(onednn_shift, abs=1e-6)


def test_predictor_handles_dynamic_width_and_matches_dygraph(exported):
    cfg, parts, out = exported
    recognizer = TextRecognizer(out, batch_num=3)
    images = [read_image(p) for p in list_images(IMGS)]
    result = recognizer(images)
    results, times = result.texts, result.times
    assert len(results) == 10 and set(times) == {"preprocess", "inference", "postprocess"}
    post = build_post_process(cfg["PostProcess"], cfg["Global"])
    from ppocr.data.imaug.rec_img_aug import resize_norm_img

    parts.model.eval()
    for img, (text, score) in zip(images, results):  # one image at a time, its own width
        w = int(np.ceil(32 * max(64 / 32, img.shape[1] / img.shape[0])))
        x = resize_norm_img(img, [3, 32, w])[0][None]
        with paddle.no_grad():
            ref_text, ref_score = post(parts.model(paddle.to_tensor(x)))[0]
        assert text == ref_text
        assert score == pytest.approx(ref_score, abs=1e-4)


def test_upstream_style_dir_needs_dict_flag(exported, tmp_path):
    _, _, out = exported
    upstream = tmp_path / "upstream_rec"
    upstream.mkdir()
    for name in ("inference.json", "inference.pdiparams"):
        (upstream / name).write_bytes(open(os.path.join(out, name), "rb").read())
    with pytest.raises(ConfigError, match="rec_char_dict_path"):
        TextRecognizer(str(upstream))
    dict_file = tmp_path / "dict.txt"
    dict_file.write_text("\n".join("0123456789abcdefghijklmnopqrstuvwxyz") + "\n")
    recognizer = TextRecognizer(str(upstream), char_dict_path=str(dict_file), use_space_char=False,
                                rec_image_shape="3, 32, 64")
    ours = TextRecognizer(out)
    images = [read_image(p) for p in list_images(IMGS)[:4]]
    assert recognizer(images).texts == ours(images).texts


def test_model_dir_errors(tmp_path):
    with pytest.raises(ConfigError, match="model dir not found"):
        find_model_files(str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="no inference.json or inference.pdmodel"):
        find_model_files(str(tmp_path))
    (tmp_path / "inference.json").write_text("{}")
    with pytest.raises(ConfigError, match="no inference.pdiparams"):
        find_model_files(str(tmp_path))


def test_predictor_falls_back_without_onednn_when_a_run_fails(exported, monkeypatch, caplog):
    _, _, out = exported
    predictor = Predictor(out, enable_mkldnn=True)
    real_run = predictor._run
    calls = {"n": 0}

    def failing_once(inputs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("ConvertPirAttribute2RuntimeAttribute not support")
        return real_run(inputs)

    monkeypatch.setattr(predictor, "_run", failing_once)
    x = np.zeros((1, 3, 32, 64), dtype=np.float32)
    outputs = predictor.run(x)
    assert predictor.enable_mkldnn is False and outputs[0].shape[0] == 1


def test_predictor_is_thread_safe(exported):
    from concurrent.futures import ThreadPoolExecutor

    _, _, out = exported
    recognizer = TextRecognizer(out, batch_num=2)
    images = [read_image(p) for p in list_images(IMGS)]
    sequential = [recognizer([img]).texts[0] for img in images]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda img: recognizer([img]).texts[0], images * 3))
    assert concurrent == sequential * 3
