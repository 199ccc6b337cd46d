"""CenterLoss value, fixed centers, and the .npz center file (round trip, every mismatch)."""

import os
import pickle

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.losses import build_loss
from ppocr.losses.center_loss import CenterLoss, load_centers, save_centers
from ppocr.utils.character_dict import CharacterDict

DIGEST = CharacterDict().digest()  # the default dictionary (no character_dict_path)


def write(tmp_path, centers, digest=DIGEST, name="centers.npz"):
    path = tmp_path / name
    save_centers(path, np.asarray(centers, dtype=np.float64), digest)
    return str(path)


def test_round_trip_is_atomic_and_exact(tmp_path):
    centers = np.arange(12, dtype=np.float64).reshape(4, 3) / 7
    path = write(tmp_path, centers)
    assert os.listdir(tmp_path) == ["centers.npz"]  # no temp file left behind
    np.testing.assert_array_equal(load_centers(path, 4, 3, DIGEST), centers)
    save_centers(path, centers * 2, DIGEST)  # overwrite in place
    np.testing.assert_array_equal(load_centers(path, 4, 3), centers * 2)


def test_mismatches_name_both_values(tmp_path):
    path = write(tmp_path, np.zeros((4, 3)))
    with pytest.raises(ConfigError, match=r"4 classes.*num_classes is 5"):
        load_centers(path, 5, 3)
    with pytest.raises(ConfigError, match=r"feat_dim 3.*feat_dim is 8"):
        load_centers(path, 4, 8)
    with pytest.raises(ConfigError, match=rf"digest {DIGEST}.*digest abc"):
        load_centers(path, 4, 3, dict_digest="abc")


def test_pickle_and_missing_files_are_refused(tmp_path):
    pkl = tmp_path / "train_center.pkl"
    pkl.write_bytes(pickle.dumps({1: [0.0, 1.0, 2.0]}))
    with pytest.raises(ConfigError, match="pickle.*tools/export_center.py"):
        load_centers(str(pkl), 4, 3)
    with pytest.raises(ConfigError, match="not found"):
        load_centers(str(tmp_path / "nope.npz"), 4, 3)
    partial = tmp_path / "partial.npz"
    np.savez(partial, centers=np.zeros((4, 3)))
    with pytest.raises(ConfigError, match="lacks dict_digest, feat_dim"):
        load_centers(str(partial), 4, 3)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ConfigError, match="unreadable center file"):
        load_centers(str(corrupt), 4, 3)
    with pytest.raises(DataError, match="num_classes, feat_dim"):
        save_centers(tmp_path / "bad.npz", np.zeros(3), DIGEST)


def _predicts(features, labels, num_classes):
    logits = np.full(labels.shape + (num_classes,), -5.0, dtype=np.float32)
    np.put_along_axis(logits, labels[..., None], 5.0, axis=-1)
    feats = paddle.to_tensor(np.asarray(features, dtype=np.float32), stop_gradient=False)
    return feats, paddle.to_tensor(logits)


def test_loss_value_with_loaded_centers(tmp_path):
    centers = np.array([[0, 0], [1, 1], [2, 0]], dtype=np.float64)
    loss = CenterLoss(num_classes=3, feat_dim=2, center_file_path=write(tmp_path, centers))
    feats, logits = _predicts([[[1, 2], [2, 2]]], np.array([[1, 2]]), 3)  # N=1, T=2
    out = loss((feats, logits), None)
    # |(1,2)-(1,1)|^2 = 1, |(2,2)-(2,0)|^2 = 4 -> mean 2.5
    assert float(out["loss_center"]) == pytest.approx(2.5, rel=1e-6)
    assert float(out["loss"]) == pytest.approx(2.5, rel=1e-6)
    out["loss"].backward()
    assert feats.grad is not None and float(paddle.abs(feats.grad).sum()) > 0


def test_centers_are_seeded_random_fixed_and_nan_rows_keep_them(tmp_path):
    paddle.seed(7)
    random_centers = CenterLoss(num_classes=3, feat_dim=2).centers.numpy()
    paddle.seed(7)
    assert np.array_equal(CenterLoss(num_classes=3, feat_dim=2).centers.numpy(), random_centers)
    paddle.seed(7)
    partial = np.array([[np.nan, np.nan], [5.0, 6.0], [np.nan, np.nan]])
    loss = CenterLoss(num_classes=3, feat_dim=2, init_center=True, center_file_path=write(tmp_path, partial))
    expected = random_centers.copy()
    expected[1] = [5.0, 6.0]
    np.testing.assert_array_equal(loss.centers.numpy(), expected)
    feats, logits = _predicts([[[1, 2]]], np.array([[1]]), 3)
    loss((feats, logits), None)["loss"].backward()
    np.testing.assert_array_equal(loss.centers.numpy(), expected)  # not learned, not updated


def test_init_center_switch(tmp_path):
    # PP-OCRv2's config: init_center false next to a pickle path -> the path is ignored
    CenterLoss(num_classes=3, feat_dim=2, init_center=False, center_file_path="./train_center.pkl")
    with pytest.raises(ConfigError, match="center_file_path is not set"):
        CenterLoss(num_classes=3, feat_dim=2, init_center=True)


def test_digest_comes_from_global_dict(tmp_path):
    path = write(tmp_path, np.zeros((3, 2)))
    cfg = {"name": "CenterLoss", "num_classes": 3, "feat_dim": 2, "center_file_path": path}
    build_loss(cfg, global_cfg={"use_space_char": False})  # default dict: digest matches
    with pytest.raises(ConfigError, match="digest"):
        build_loss(cfg, global_cfg={"character_dict_path": "en_dict.txt"})


def test_forward_checks_head_shapes():
    loss = CenterLoss(num_classes=3, feat_dim=2)
    feats, logits = _predicts([[[1, 2]]], np.array([[1]]), 3)
    with pytest.raises(DataError, match="return_feats"):
        loss(logits, None)
    with pytest.raises(ConfigError, match="num_classes is 4 but the head outputs 3"):
        CenterLoss(num_classes=4, feat_dim=2)((feats, logits), None)
    with pytest.raises(ConfigError, match="feat_dim is 5 but the head's features have 2"):
        CenterLoss(num_classes=3, feat_dim=5)((feats, logits), None)
