"""``ppocr predict_cls``: prints and writes each image's direction; unreadable files are listed, not fatal."""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import paddle
import pytest

from ppocr.commands import predict_cls
from ppocr.data.imaug.rec_img_aug import resize_norm_img
from tests.helpers.tiny_models import export_tiny

SHAPE = [3, 32, 96]  # TINY_CLS's eval shape, which the exporter writes to inference.yml
BIAS = np.array([0.0, 3.0], np.float32)  # random features barely move the logits: '180' wins by ~3


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny exported classifier leaning to '180', and a folder of 3 real word crops + 1 broken file."""
    root = tmp_path_factory.mktemp("predict_cls")

    def lean(model):
        model.head.fc.bias.set_value(BIAS)

    _, model, out = export_tiny("cls", str(root / "model"), seed=2, adjust=lean)
    fixtures = Path(__file__).parents[1] / "fixtures" / "real"
    images = root / "images"
    images.mkdir()
    for src in sorted((fixtures / "ic15_words" / "imgs").glob("*.jpg"))[:3]:
        shutil.copy(src, images / src.name)
    shutil.copy(fixtures / "broken" / "broken.jpg", images / "broken.jpg")
    return model, out, images


def dygraph_probs(model, paths: list[str]) -> np.ndarray:
    x = np.stack([resize_norm_img(cv2.imread(p), SHAPE)[0] for p in paths])
    with paddle.no_grad():
        return model(paddle.to_tensor(x)).numpy()


def test_prints_and_writes_label_and_score_per_readable_image(exported, tmp_path, capsys):
    model, out, images = exported
    predict_cls.main(["--image_dir", str(images), "--cls_model_dir", out, "--output", str(tmp_path / "r.json")])
    written = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    rows = written["results"]
    readable = sorted(str(p) for p in images.glob("*.jpg") if p.name != "broken.jpg")
    assert [r["path"] for r in rows] == readable
    assert len(written["unreadable"]) == 1 and "broken.jpg" in written["unreadable"][0]
    probs = dygraph_probs(model, readable)
    for row, p in zip(rows, probs):
        assert row["label"] == "180"
        assert row["score"] == pytest.approx(float(p[1]), abs=2e-3) and row["score"] > 0.9
    printed = [line.split("\t") for line in capsys.readouterr().out.splitlines() if "\t" in line]
    assert printed == [[r["path"], r["label"], f"{r['score']:.4f}"] for r in rows]


def test_label_list_flag_renames_the_classes(exported, capsys):
    _, out, images = exported
    one = sorted(images.glob("1*.jpg"))[0]
    predict_cls.main(["--image_dir", str(one), "--cls_model_dir", out, "--label_list", "up", "down"])
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "\t" in line]
    path, label, score = line.split("\t")
    assert path == str(one) and label == "down" and 0.9 < float(score) <= 1.0


def test_missing_model_dir_is_an_argument_error(exported, capsys):
    _, _, images = exported
    with pytest.raises(SystemExit) as exc:
        predict_cls.main(["--image_dir", str(images)])
    assert exc.value.code == 2 and "--cls_model_dir" in capsys.readouterr().err
