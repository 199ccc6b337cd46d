"""Direction-classifier datasets: balanced 0/180 labels that match the image orientation."""

from pathlib import Path

import cv2
import numpy as np

from ppocr.synth.cls_data import ensure_cls_dataset, is_rotated, make_cls_dataset
from ppocr.synth.common import sample_rng
from ppocr.synth.rec_data import LineSynth
from ppocr.synth.writers import read_label_file


def test_labels_balanced_and_deterministic(tmp_path: Path):
    info = make_cls_dataset(tmp_path / "a", 10, 5, seed=2)
    make_cls_dataset(tmp_path / "b", 10, 5, seed=2)
    train = read_label_file(tmp_path / "a" / "train" / "label.txt")
    labels = [label for _, label in train]
    assert set(labels) == {"0", "180"} and labels.count("180") == 5
    val = [label for _, label in read_label_file(tmp_path / "a" / "val" / "label.txt")]
    assert abs(val.count("180") - val.count("0")) == 1
    assert train == read_label_file(tmp_path / "b" / "train" / "label.txt")
    for img, _ in train:
        assert (tmp_path / "a" / "train" / img).read_bytes() == (tmp_path / "b" / "train" / img).read_bytes()
    assert info["train_dir"].endswith("train") and "train_lmdb" not in info
    # pairs: exactly one of (2k, 2k+1) is rotated, for any seed
    for seed in range(5):
        assert all(
            is_rotated(seed, "train", 2 * k) != is_rotated(seed, "train", 2 * k + 1) for k in range(20)
        )


def test_180_images_are_upside_down(tmp_path: Path):
    make_cls_dataset(tmp_path / "c", 6, 0, seed=0, height=48)
    synth = LineSynth(height=48, max_width=320)
    for i, (img_path, label) in enumerate(read_label_file(tmp_path / "c" / "train" / "label.txt")):
        saved = cv2.imdecode(np.fromfile(tmp_path / "c" / "train" / img_path, np.uint8), cv2.IMREAD_COLOR)
        upright, _ = synth.sample(sample_rng(0, "cls", "train", i), min_len=3)
        upright = cv2.cvtColor(upright, cv2.COLOR_RGB2BGR).astype(np.float32)
        err_same = np.abs(saved - upright).mean()
        err_flip = np.abs(saved - upright[::-1, ::-1]).mean()
        assert (err_flip < err_same) == (label == "180"), (i, label, err_same, err_flip)


def test_ensure_cls(tmp_path: Path):
    assert ensure_cls_dataset(tmp_path / "d", 2, 2)["created"]
    assert not ensure_cls_dataset(tmp_path / "d", 2, 2)["created"]
    assert ensure_cls_dataset(tmp_path / "d", 2, 2, seed=1)["created"]
