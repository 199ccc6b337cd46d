"""CopyPaste inside SimpleDataSet: the dataset hands it a decoded extra sample (ext_data)."""

import copy
from pathlib import Path

import numpy as np
import pytest

from ppocr.config import load_config
from ppocr.data.loader import build_dataloader
from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.errors import ConfigError
from ppocr.synth import ensure_det_dataset

ROOT = Path(__file__).resolve().parents[2]
LOAD = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None}]
COPY_PASTE = {"CopyPaste": {"objects_paste_ratio": 0.2, "limit_paste": True}}
N_TRAIN = 8


@pytest.fixture(scope="module")
def det_data(tmp_path_factory):
    return ensure_det_dataset(tmp_path_factory.mktemp("cp") / "synth_det", num_train=N_TRAIN, num_val=1, seed=3,
                              size=(160, 160))


def dataset(data, ops, **kwargs):
    return SimpleDataSet(data["train_dir"], [data["train_label_file"]], ops, mode="Train", seed=5, **kwargs)


def test_dataset_supplies_one_decoded_extra_sample(det_data):
    ds = dataset(det_data, LOAD + [COPY_PASTE], ext_op_transform_idx=2)
    assert ds.ext_data_num == 1
    sample = ds[0]
    (ext,) = sample["ext_data"]
    assert ext["image"].dtype == np.uint8 and ext["image"].shape == (160, 160, 3)
    assert ext["polys"].dtype == np.float32 and ext["polys"].ndim == 3 and ext["polys"].shape[1:] == (4, 2)
    assert len(ext["polys"]) == len(ext["texts"]) == len(ext["ignore_tags"]) > 0
    assert "ext_data" not in ext  # the extra sample does not fetch extras of its own


def test_pasted_instances_are_appended_with_aligned_lengths(det_data):
    plain = dataset(det_data, LOAD)
    pasted = dataset(det_data, LOAD + [COPY_PASTE], ext_op_transform_idx=2)
    before, after = [], []
    for i in range(N_TRAIN):
        src, out = plain[i], pasted[i]
        n, m = len(src["polys"]), len(out["polys"])
        assert m == len(out["texts"]) == len(out["ignore_tags"]) >= n
        assert out["polys"].dtype == np.float32 and out["ignore_tags"].dtype == bool
        np.testing.assert_array_equal(out["polys"][:n], src["polys"])  # the image's own instances come first
        assert out["texts"][:n] == src["texts"]
        assert out["ignore_tags"][:n].tolist() == src["ignore_tags"].tolist()
        (ext,) = out["ext_data"]
        usable = {t for t, ig in zip(ext["texts"], ext["ignore_tags"]) if not ig}
        assert set(out["texts"][n:]) <= usable and not out["ignore_tags"][n:].any()
        if m > n:
            assert (out["image"] != src["image"]).any()
        else:
            np.testing.assert_array_equal(out["image"], src["image"])
        before.append(n)
        after.append(m)
    assert np.mean(after) > np.mean(before)


def test_same_seed_epoch_index_pastes_the_same(det_data):
    a = dataset(det_data, LOAD + [COPY_PASTE], ext_op_transform_idx=2)
    b = dataset(det_data, LOAD + [COPY_PASTE], ext_op_transform_idx=2)
    for i in (1, 4):
        x, y = a[i], b[i]
        np.testing.assert_array_equal(x["polys"], y["polys"])
        np.testing.assert_array_equal(x["image"], y["image"])
    a.set_epoch(1)
    assert any(not np.array_equal(a[i]["polys"], b[i]["polys"]) or
               not np.array_equal(a[i]["image"], b[i]["image"]) for i in range(N_TRAIN))


def test_extra_sample_without_labels_is_an_error_naming_the_key(det_data):
    ds = dataset(det_data, LOAD + [COPY_PASTE], ext_op_transform_idx=1)  # DecodeImage only
    with pytest.raises(ConfigError, match="ext_op_transform_idx"):
        ds[0]


def test_copypaste_demo_pipeline_batches(det_data):
    config = load_config(ROOT / "configs" / "det" / "demo" / "det_copypaste_demo.yml")
    train = copy.deepcopy(config["Train"])
    train["dataset"].update(data_dir=det_data["train_dir"], label_file_list=[det_data["train_label_file"]])
    train["loader"].update(batch_size_per_card=2, num_workers=0)
    ops = train["dataset"]["transforms"]
    assert next(iter(ops[2])) == "CopyPaste" and train["dataset"]["ext_op_transform_idx"] == 2
    loader = build_dataloader({"Global": config["Global"], "Train": train}, "Train", seed=0)
    batch = next(iter(loader))
    assert len(batch) == 5  # image, threshold_map, threshold_mask, shrink_map, shrink_mask
    assert list(batch[0].shape) == [2, 3, 320, 320]
    assert all(list(b.shape) == [2, 320, 320] for b in batch[1:])
