"""TextClassifier: exported model equals dygraph, flips confident '180' crops, reads inference.yml."""

import copy
import json
import os
import shutil

import cv2
import numpy as np
import paddle
import pytest
import yaml

from ppocr.data.imaug.rec_img_aug import resize_norm_img
from ppocr.errors import ConfigError
from ppocr.inference.cls import TextClassifier
from tests.helpers.tiny_models import TINY_CLS, balance_cls, export_tiny

SHAPE = [3, 32, 96]  # not upstream's 3,48,192: proves the shape comes from inference.yml


def make_crops(count: int = 12, seed: int = 5) -> list[np.ndarray]:
    """Noise-textured crops of different heights and aspect ratios (some wider than 3:1)."""
    rng = np.random.default_rng(seed)
    crops = []
    for i in range(count):
        h = int(rng.integers(16, 48))
        w = int(h * rng.uniform(0.8, 8))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        img[: h // 3] = img[: h // 3] // (1 + i % 4)  # crops differ in structure, not only noise
        crops.append(img)
    return crops


def dygraph_probs(model, crops: list[np.ndarray]) -> np.ndarray:
    x = np.stack([resize_norm_img(c, SHAPE)[0] for c in crops])
    with paddle.no_grad():
        return model(paddle.to_tensor(x)).numpy()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Random weights, with the head's bias moved so that half of the crops come out '180'."""
    crops = make_crops()
    _, model, out = export_tiny("cls", str(tmp_path_factory.mktemp("cls")), seed=1,
                                adjust=lambda m: balance_cls(m, crops, SHAPE))
    return model, out, crops


def test_settings_come_from_inference_yml(exported):
    _, out, _ = exported
    classifier = TextClassifier(out)
    assert classifier.image_shape == SHAPE
    assert classifier.label_list == ["0", "180"]
    overridden = TextClassifier(out, cls_image_shape="3, 32, 96", label_list=["a", "b"])
    assert overridden.label_list == ["a", "b"]


@pytest.mark.parametrize("onednn", [True, False])
def test_batched_predictions_equal_dygraph_softmax(exported, onednn):
    model, out, crops = exported
    ref = dygraph_probs(model, crops)
    classifier = TextClassifier(out, batch_num=5, cls_thresh=2.0, enable_mkldnn=onednn)  # never flip
    batch = np.stack([resize_norm_img(c, SHAPE)[0] for c in crops])
    np.testing.assert_allclose(classifier.predictor.run(batch)[0], ref, atol=1e-5)
    result = classifier(crops)
    returned, results = result.crops, result.labels
    assert set(result.times) == {"preprocess", "inference", "postprocess"}
    assert [label for label, _ in results] == [["0", "180"][k] for k in ref.argmax(1)]
    np.testing.assert_allclose([score for _, score in results], ref.max(1), atol=1e-5)
    assert all(r is c for r, c in zip(returned, crops))


def test_confident_180_crops_are_rotated(exported):
    model, out, crops = exported
    ref = dygraph_probs(model, crops)
    upside_down = ref[:, 1] > 0.5
    assert 0 < upside_down.sum() < len(crops)  # the fixture balanced the classes
    thresh = float(np.median(ref[upside_down, 1]))  # some '180' crops above it, some not
    classifier = TextClassifier(out, batch_num=4, cls_thresh=thresh)
    originals = [c.copy() for c in crops]
    result = classifier(crops)
    returned, results = result.crops, result.labels
    flipped = 0
    for orig, crop, (label, score), p in zip(originals, returned, results, ref):
        assert label == ["0", "180"][int(p.argmax())]
        if label == "180" and score > thresh:
            np.testing.assert_array_equal(crop, cv2.rotate(orig, cv2.ROTATE_180))
            flipped += 1
        else:
            np.testing.assert_array_equal(crop, orig)
    assert 0 < flipped < upside_down.sum()
    assert all(np.array_equal(c, o) for c, o in zip(crops, originals))  # inputs untouched


def test_label_list_in_inference_yml_decides_which_class_is_180(exported, tmp_path):
    model, out, crops = exported
    swapped = tmp_path / "swapped"
    shutil.copytree(out, swapped)
    yml = swapped / "inference.yml"
    settings = yaml.safe_load(yml.read_text())
    settings["PostProcess"]["label_list"] = ["180", "0"]
    yml.write_text(yaml.safe_dump(settings))
    ref = dygraph_probs(model, crops)
    originals = [c.copy() for c in crops]
    result = TextClassifier(str(swapped), cls_thresh=0.0)(crops)
    returned, results = result.crops, result.labels
    assert [label for label, _ in results] == [["180", "0"][k] for k in ref.argmax(1)]
    for orig, crop, k in zip(originals, returned, ref.argmax(1)):
        expected = cv2.rotate(orig, cv2.ROTATE_180) if k == 0 else orig
        np.testing.assert_array_equal(crop, expected)


def test_empty_input_and_wrong_model_type(exported, tmp_path):
    _, out, _ = exported
    empty = TextClassifier(out)([])
    assert (empty.crops, empty.labels, empty.rotated) == ([], [], [])
    assert empty.times == {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
    wrong = tmp_path / "wrong"
    shutil.copytree(out, wrong)
    settings = yaml.safe_load((wrong / "inference.yml").read_text())
    settings["Global"]["model_type"] = "rec"
    (wrong / "inference.yml").write_text(yaml.safe_dump(settings))
    with pytest.raises(ConfigError, match="rec model, not cls"):
        TextClassifier(str(wrong))


def test_upstream_style_dir_uses_flags_and_default_labels(exported, tmp_path):
    _, out, crops = exported
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    for name in ("inference.json", "inference.pdiparams"):
        shutil.copy(os.path.join(out, name), upstream / name)
    classifier = TextClassifier(str(upstream), cls_image_shape="3,32,96")
    assert classifier.label_list == ["0", "180"] and classifier.image_shape == SHAPE
    assert classifier(crops).labels == TextClassifier(out)(crops).labels


def test_global_label_list_is_exported(tmp_path):
    cfg = copy.deepcopy(TINY_CLS)
    cfg["Global"]["label_list"] = ["180", "0"]
    del cfg["PostProcess"]["label_list"]
    _, _, out = export_tiny("cls", str(tmp_path), config=cfg)
    assert TextClassifier(out).label_list == ["180", "0"]


def test_predict_cls_cli_prints_and_writes_label_and_rounded_score(exported, tmp_path, capsys):
    from ppocr.commands.predict_cls import main as predict_cls

    model, out, crops = exported
    images = tmp_path / "images"
    images.mkdir()
    for i, crop in enumerate(crops[:5]):
        cv2.imwrite(str(images / f"{i:02d}.png"), crop)
    out_json = tmp_path / "cls.json"
    rows = predict_cls(["--image_dir", str(images), "--cls_model_dir", out, "--output", str(out_json)])
    ref = dygraph_probs(model, crops[:5])
    assert [os.path.basename(r["path"]) for r in rows] == [f"{i:02d}.png" for i in range(5)]
    assert [r["label"] for r in rows] == [["0", "180"][k] for k in ref.argmax(1)]
    assert [r["score"] for r in rows] == pytest.approx([round(float(p), 4) for p in ref.max(1)], abs=1e-4)
    assert all(set(r) == {"path", "label", "score"} and r["score"] == round(r["score"], 4) for r in rows)
    assert json.loads(out_json.read_text()) == {"results": rows, "unreadable": []}
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"{r['path']}\t{r['label']}\t{r['score']:.4f}" for r in rows]
