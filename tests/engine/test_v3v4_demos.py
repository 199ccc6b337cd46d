"""The PP-OCRv3/v4 CPU demos through the user's commands: train one step -> export --verify -> predict.

As tests/engine/test_trick_demos_cli.py: each demo config is shrunk to tiny synthetic data
(``smoke_config``), written back to YAML and driven through the ``main`` functions behind
``tools/train.py``, ``tools/export_model.py --verify`` and ``deploy/predict_*.py``.
"""

import json
import os
import re

import pytest
import yaml

from ppocr.commands import predict_det, predict_rec
from tests.engine.test_trick_demos_cli import train_export, write_tiny


def _batch_norms(model_dir) -> int:
    with open(os.path.join(model_dir, "inference.json"), encoding="utf-8") as f:
        return f.read().count('"1.batch_norm')


# BatchNorms in the exported graph: v3's MobileNetV1Enhance keeps its 27 (conv1 + 13 blocks x 2) and
# the SVTR neck has 5; v4's PPLCNetV3 is fused (rep()) down to conv1's, where unfused it has 6 per block.
# Both start from released weights (Global.pretrained_model, pulled into the session's zoo home):
# v3 all of PP-OCRv2's backbone (its heads start fresh); v4 en_PP-OCRv4_rec's backbone and CTC neck (its
# zero-gamma branches 2-3 are dropped, the heads' widths differ).
@pytest.mark.parametrize("name, batch_norms, loaded", [
    ("rec_ppocrv3_demo.yml", 27 + 5, r"ch_PP-OCRv2_rec/train/model\.pdparams: loaded 143, missing 96 \(head\."),
    ("rec_ppocrv4_demo.yml", 1 + 5,
     r"en_PP-OCRv4_rec/train/model\.pdparams: loaded 602, unexpected 340 \(backbone\.blocks2\.0\.dw_conv\.conv_kxk\.2"),
])
def test_rec_demo_trains_exports_and_predicts(name, batch_norms, loaded, tmp_path, zoo_home, monkeypatch, caplog):
    monkeypatch.setenv("PPOCR_HOME", str(zoo_home))
    out = tmp_path / name.removesuffix(".yml")
    cfg_path = write_tiny(f"configs/rec/demo/{name}", tmp_path / "data", out)
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    if "sampler" in cfg["Train"]:  # the multi-scale sampler batches on its own: tiny batches too
        cfg["Train"]["sampler"]["first_bs"] = 2
        cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    with caplog.at_level("INFO", logger="ppocr"):
        result = train_export(cfg_path, out)
    assert re.search(loaded, caplog.text), [r.message for r in caplog.records if "pretrained" in r.message]
    assert [os.path.relpath(d, out) for d in result["dirs"]] == ["inference"]
    assert _batch_norms(out / "inference") == batch_norms
    image_dir = tmp_path / "data" / "rec" / "val" / "images"
    json_out = out / "predict.json"
    rows = predict_rec.main(["--image_dir", str(image_dir), "--rec_model_dir", str(out / "inference"),
                             "--output", str(json_out)])
    assert len(rows) == 2 and all(0.0 <= r["score"] <= 1.0 and isinstance(r["text"], str) for r in rows)
    saved = json.loads(json_out.read_text(encoding="utf-8"))
    assert [r["path"] for r in saved["results"]] == [r["path"] for r in rows]


def test_det_v4_demo_trains_exports_and_predicts(tmp_path):
    out = tmp_path / "det_ppocrv4_demo"
    cfg_path = write_tiny("configs/det/demo/det_ppocrv4_demo.yml", tmp_path / "data", out)
    result = train_export(cfg_path, out)
    assert [os.path.relpath(d, out) for d in result["dirs"]] == ["inference"]
    image_dir = tmp_path / "data" / "det" / "val" / "images"
    rows = predict_det.main(["--image_dir", str(image_dir), "--det_model_dir", str(out / "inference"),
                             "--draw_img_save_dir", str(out / "vis"), "--output", str(out / "predict.json")])
    images = sorted(os.listdir(image_dir))
    assert [os.path.basename(r["path"]) for r in rows] == images
    assert sorted(os.listdir(out / "vis")) == sorted(["det_results.txt"] + [f"det_res_{i}" for i in images])
