"""``ppocr infer_rec``: dygraph recognition with saved weights, printed and written as JSON."""

import copy
import json
from pathlib import Path

import cv2
import paddle
import pytest
import yaml

from ppocr.commands import infer_rec
from ppocr.data.imaug.rec_img_aug import resize_norm_img
from ppocr.engine.components import build_components
from ppocr.errors import ConfigError
from ppocr.postprocess import build_post_process
from tests.helpers.tiny_models import TINY_REC, sharpen_rec

IMAGES = Path(__file__).parents[1] / "fixtures" / "real" / "ic15_words" / "imgs"
SHAPE = TINY_REC["Eval"]["dataset"]["transforms"][2]["RecResizeImg"]["image_shape"]


def save_tiny_rec(tmp_path: Path, seed: int) -> tuple[Path, object]:
    """A config file pointing at random (sharpened) weights saved as ``w.pdparams``; and the model."""
    cfg = copy.deepcopy(TINY_REC)
    paddle.seed(seed)
    model = build_components(cfg, mode="model").model
    sharpen_rec(model)
    model.eval()
    paddle.save(model.state_dict(), str(tmp_path / f"w{seed}.pdparams"))
    cfg["Global"].update({"pretrained_model": str(tmp_path / f"w{seed}"), "infer_img": str(IMAGES)})
    path = tmp_path / f"cfg{seed}.yml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path, model


def expected(model, paths: list[str]) -> list[tuple[str, float]]:
    """What the model says on each image, preprocessed like the eval pipeline (BGR, resize-normalise)."""
    post = build_post_process(TINY_REC["PostProcess"], TINY_REC["Global"])
    out = []
    for p in paths:
        x = resize_norm_img(cv2.imread(p), SHAPE)[0][None]
        with paddle.no_grad():
            out.append(post(model(paddle.to_tensor(x)))[0])
    return out


def test_rows_match_the_saved_weights_and_are_printed_and_written(tmp_path, capsys):
    cfg, model = save_tiny_rec(tmp_path, seed=3)
    first = sorted(IMAGES.glob("*.jpg"))[0]
    rows = infer_rec.main(["-c", str(cfg), "-o", f"Global.infer_img={first}"])  # one file, not a folder
    assert [r["path"] for r in rows] == [str(first)] and not (tmp_path / "r.json").exists()
    capsys.readouterr()
    all_rows = infer_rec.main(["-c", str(cfg), "--output", str(tmp_path / "r.json")])
    written = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    paths = sorted(str(p) for p in IMAGES.glob("*.jpg"))
    assert [r["path"] for r in written] == paths and len(all_rows) == 10
    for row, (text, score) in zip(written, expected(model, paths)):
        assert row["text"] == text and row["score"] == pytest.approx(float(score), abs=1e-4)
    printed = [line.split("\t") for line in capsys.readouterr().out.splitlines() if "\t" in line]
    assert printed == [[r["path"], r["text"], f"{r['score']:.4f}"] for r in written]


def test_other_weights_give_other_results(tmp_path):
    texts = []
    for seed in (3, 4):
        cfg, _ = save_tiny_rec(tmp_path, seed)
        texts.append([(r["text"], r["score"]) for r in infer_rec.main(["-c", str(cfg)])])
    assert texts[0] != texts[1]


@pytest.mark.parametrize(("override", "message"), [("Global.infer_img=", "Global.infer_img"),
                                                   ("Global.pretrained_model=", "Global.checkpoints")])
def test_missing_input_or_weights_is_a_config_error(tmp_path, override, message):
    cfg, _ = save_tiny_rec(tmp_path, seed=3)
    with pytest.raises(ConfigError, match=message):
        infer_rec.main(["-c", str(cfg), "-o", override])


def test_unreadable_entries_are_skipped_and_reported(tmp_path):
    """A folder named like an image and an undecodable file become error rows; the rest run."""
    cfg, model = save_tiny_rec(tmp_path, seed=5)
    folder = tmp_path / "imgs"
    folder.mkdir()
    good = sorted(IMAGES.glob("*.jpg"))[0]
    (folder / "a_good.jpg").write_bytes(good.read_bytes())
    (folder / "b_dir.jpg").mkdir()
    (folder / "c_broken.jpg").write_bytes(b"not a jpeg")
    rows = infer_rec.main(["-c", str(cfg), "-o", f"Global.infer_img={folder}"])
    by_name = {Path(r["path"]).name: r for r in rows}
    assert set(by_name) == {"a_good.jpg", "b_dir.jpg", "c_broken.jpg"}
    assert by_name["a_good.jpg"]["text"] == expected(model, [str(good)])[0][0]
    assert by_name["b_dir.jpg"]["error"] == "is a directory, not an image"
    assert "error" in by_name["c_broken.jpg"] and "text" not in by_name["c_broken.jpg"]
