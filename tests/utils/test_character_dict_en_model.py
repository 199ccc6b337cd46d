"""An en model (en_dict + use_space_char: 97 classes, as official en_PP-OCR rec models) exports
and predicts through deploy/predict_rec without a class-count error."""

import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from ppocr.commands.predict_rec import main as predict_rec
from ppocr.inference.rec import TextRecognizer
from tests.helpers.tiny_models import TINY_REC, export_tiny, text_image


def force_class(cls_id: int):
    """An ``adjust`` for export_tiny: the CTC head says ``cls_id`` at every step."""
    def adjust(model):
        fc = model.head.fc
        fc.weight.set_value(np.zeros(fc.weight.shape, dtype=np.float32))
        bias = np.zeros(fc.bias.shape, dtype=np.float32)
        bias[cls_id] = 20.0
        fc.bias.set_value(bias)
    return adjust


@pytest.fixture(scope="module")
def en_models(tmp_path_factory):
    en_dict = str(Path(__file__).parents[1] / "fixtures" / "dicts" / "en_dict.txt")
    cfg = copy.deepcopy(TINY_REC)
    cfg["Global"].update({"character_dict_path": en_dict, "use_space_char": True})
    root = tmp_path_factory.mktemp("en_rec")
    dirs = {i: export_tiny("rec", str(root / str(i)), config=cfg, adjust=force_class(i))[2] for i in (95, 96)}
    image = root / "line.png"
    cv2.imwrite(str(image), text_image(32, 100, 0))
    return en_dict, dirs, str(image)


def test_exported_settings_list_both_spaces(en_models):
    _, dirs, _ = en_models
    with open(f"{dirs[96]}/inference.yml", encoding="utf-8") as f:
        settings = yaml.safe_load(f)
    chars = settings["PostProcess"]["character_dict"]
    assert len(chars) == 96 and chars[94:] == [" ", " "]
    assert settings["PostProcess"]["use_space_char"] is False
    assert TextRecognizer(dirs[96]).decoder.num_classes == 97


@pytest.mark.parametrize("cls_id", [95, 96])
def test_predict_rec_decodes_either_space_class(en_models, cls_id, capsys):
    _, dirs, image = en_models
    rows = predict_rec(["--image_dir", image, "--rec_model_dir", dirs[cls_id]])
    assert [r["text"] for r in rows] == [" "] and rows[0]["score"] > 0.99


def test_upstream_style_flags_give_the_same_width(en_models):
    en_dict, dirs, image = en_models
    rec = TextRecognizer(dirs[96], char_dict_path=en_dict, use_space_char=True)
    assert rec.decoder.num_classes == 97
    assert rec([cv2.imread(image)]).texts[0].text == " "
