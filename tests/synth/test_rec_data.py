"""Recognition datasets: determinism, charset, label file == LMDB, ensure semantics, atomicity."""

import json
import string
from pathlib import Path

import cv2
import numpy as np
import pytest

import ppocr.synth.common as common
from ppocr.errors import ConfigError, DataError
from ppocr.synth.rec_data import ensure_rec_dataset, make_rec_dataset
from ppocr.synth.writers import read_label_file, read_lmdb


def _split_contents(split_dir: Path) -> list[tuple[str, str, bytes]]:
    return [
        (img, label, (split_dir / img).read_bytes())
        for img, label in read_label_file(split_dir / "label.txt")
    ]


def test_layout_and_determinism(tmp_path: Path):
    info = make_rec_dataset(tmp_path / "a", 12, 4, seed=3, height=32, max_width=160)
    make_rec_dataset(tmp_path / "b", 12, 4, seed=3, height=32, max_width=160)
    make_rec_dataset(tmp_path / "c", 12, 4, seed=4, height=32, max_width=160)
    assert info["created"] and info["num_train"] == 12 and info["num_val"] == 4
    for split in ("train", "val"):
        a = _split_contents(tmp_path / "a" / split)
        assert a == _split_contents(tmp_path / "b" / split)  # same labels, names and JPEG bytes
        assert [x[1] for x in a] != [x[1] for x in _split_contents(tmp_path / "c" / split)]
    train = _split_contents(tmp_path / "a" / "train")
    assert len(train) == 12 and train[0][0] == "images/000000.jpg"
    for _, label, jpeg in train:
        img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert img.shape[0] == 32 and img.shape[1] <= 160
        assert set(label) <= set(string.digits + string.ascii_letters) and 1 <= len(label) <= 25
    params = json.loads((tmp_path / "a" / "params.json").read_text())
    assert params["kind"] == "rec" and params["seed"] == 3 and params["max_width"] == 160
    assert not list(tmp_path.glob(".*tmp*"))  # no temp dir left behind


def test_sample_does_not_depend_on_dataset_size(tmp_path: Path):
    make_rec_dataset(tmp_path / "small", 3, 1, seed=0)
    make_rec_dataset(tmp_path / "big", 6, 2, seed=0)
    small = _split_contents(tmp_path / "small" / "train")
    assert small == _split_contents(tmp_path / "big" / "train")[:3]


def test_label_file_and_lmdb_hold_the_same_samples(tmp_path: Path):
    make_rec_dataset(tmp_path / "d", 10, 3, seed=1)
    for split in ("train", "val"):
        files = [(jpeg, label) for _, label, jpeg in _split_contents(tmp_path / "d" / split)]
        assert list(read_lmdb(tmp_path / "d" / f"{split}_lmdb")) == files


def test_labels_follow_dict(tmp_path: Path, data_dir: Path):
    make_rec_dataset(
        tmp_path / "ic", 30, 0, dict_path=str(data_dir / "dicts" / "ic15_dict.txt"), max_text_len=6
    )
    labels = [label for _, label in read_label_file(tmp_path / "ic" / "train" / "label.txt")]
    assert set("".join(labels)) <= set(string.digits + string.ascii_lowercase)
    assert all(1 <= len(t) <= 6 for t in labels)


def test_ensure_is_idempotent_and_rebuilds_on_change(tmp_path: Path):
    out = tmp_path / "e"
    first = ensure_rec_dataset(out, 4, 2, seed=0)
    assert first["created"]
    stamp = (out / "train" / "label.txt").stat().st_mtime_ns
    again = ensure_rec_dataset(out, 4, 2, seed=0)
    assert not again["created"] and again["train_lmdb"] == first["train_lmdb"]
    assert (out / "train" / "label.txt").stat().st_mtime_ns == stamp
    changed = ensure_rec_dataset(out, 5, 2, seed=0)
    assert changed["created"]
    assert len(read_label_file(out / "train" / "label.txt")) == 5
    assert ensure_rec_dataset(out, 5, 2, seed=0, height=48)["created"]


def test_interrupted_run_leaves_previous_dataset(tmp_path: Path, monkeypatch):
    out = tmp_path / "f"
    make_rec_dataset(out, 3, 1, seed=0)
    before = _split_contents(out / "train")
    calls = {"n": 0}
    real = common.encode_jpeg

    def failing(img, quality):
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt
        return real(img, quality)

    monkeypatch.setattr(common, "encode_jpeg", failing)
    with pytest.raises(KeyboardInterrupt):
        make_rec_dataset(out, 8, 1, seed=9)
    assert _split_contents(out / "train") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_refuses_to_overwrite_foreign_dir_and_bad_counts(tmp_path: Path):
    foreign = tmp_path / "real_data"
    foreign.mkdir()
    (foreign / "label.txt").write_text("a.jpg\tx\n")
    with pytest.raises(DataError, match="not a synthetic dataset"):
        make_rec_dataset(foreign, 2, 1)
    assert (foreign / "label.txt").exists()
    with pytest.raises(ConfigError, match="num_train"):
        make_rec_dataset(tmp_path / "g", -1, 1)
    with pytest.raises(ConfigError, match="nothing to generate"):
        make_rec_dataset(tmp_path / "g", 0, 0)
    with pytest.raises(ConfigError, match="height"):
        make_rec_dataset(tmp_path / "g", 1, 1, height=4)
