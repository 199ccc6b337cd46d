"""``ppocr demo``: what it runs (train -> export --verify -> eval on real words -> predict), with the
heavy steps replaced by recorders, so the plan is checked without a 10-minute training."""

from pathlib import Path

import pytest

from ppocr.commands import demo, export_model, predict_rec, train
from ppocr.commands import eval as eval_cmd

REAL_WORDS = Path(__file__).parents[1] / "fixtures" / "real" / "ic15_words"


@pytest.fixture
def calls(monkeypatch):
    """Each step's argv, in call order; each step returns its name, which ends up in the result."""
    record: list[tuple[str, list[str]]] = []
    for name, module in (("train", train), ("export", export_model), ("eval", eval_cmd),
                         ("predict", predict_rec)):
        monkeypatch.setattr(module, "main", lambda argv, name=name: record.append((name, list(argv))) or name)
    return record


def test_defaults_train_then_export_latest_weights(calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no trained weights, no real words, no synthetic val images here
    result = demo.main([])
    assert calls == [
        ("train", ["-c", demo.DEMO_CONFIG]),
        ("export", ["-c", demo.DEMO_CONFIG, "--verify", "-o",
                    "Global.pretrained_model=./output/rec_synth_en_demo/latest",
                    "Global.save_inference_dir=./inference/rec_synth_en_demo"]),
    ]
    assert result == {"train": "train", "export": "export"}


def test_overrides_best_weights_real_eval_and_predict_on_five_images(calls, tmp_path, monkeypatch):
    save, infer, val = tmp_path / "out", tmp_path / "inf", tmp_path / "val"
    save.mkdir()
    (save / "best_accuracy.pdparams").write_bytes(b"")
    val.mkdir()
    for i in range(7):
        (val / f"{i:02d}.jpg").write_bytes(bytes([i]))
    monkeypatch.setattr(demo, "REAL_WORDS", str(REAL_WORDS))
    opts = [f"Global.save_model_dir={save}", f"Global.save_inference_dir={infer}", f"Global.infer_img={val}"]
    result = demo.main(["-c", "my.yml", "-o", *opts])

    best = str(save / "best_accuracy")
    copies = save / "demo_predict_images"
    assert calls == [
        ("train", ["-c", "my.yml", "-o", *opts]),
        ("export", ["-c", "my.yml", "--verify", "-o", *opts, f"Global.pretrained_model={best}",
                    f"Global.save_inference_dir={infer}"]),
        ("eval", ["-c", "my.yml", "-o", *opts, f"Global.checkpoints={best}",
                  f"Eval.dataset.data_dir={REAL_WORDS}", f"Eval.dataset.label_file_list=['{REAL_WORDS}/label.txt']"]),
        ("predict", ["--image_dir", str(copies), "--rec_model_dir", str(infer)]),
    ]
    assert sorted(p.name for p in copies.iterdir()) == [f"{i:02d}.jpg" for i in range(5)]
    assert (copies / "03.jpg").read_bytes() == bytes([3])
    assert result == {"train": "train", "export": "export", "real_ic15_words": "eval", "predict": "predict"}


def test_a_longer_key_with_the_same_prefix_is_not_taken_for_the_save_dir(calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    demo.main(["-o", "Global.save_model_dir_extra=x", "Global.save_model_dir=mine"])
    assert calls[1][1][-2] == "Global.pretrained_model=mine/latest"
