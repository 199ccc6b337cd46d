"""Upstream's ``ppocr.data`` API: create_operators, transform, build_dataloader."""

from __future__ import annotations

import copy
import logging

import cv2
import numpy as np
import pytest

import ppocr.data
from ppocr.data import build_dataloader, create_operators, transform
from ppocr.errors import ConfigError, DataError


def test_exports_upstream_names():
    assert sorted(ppocr.data.__all__) == ["build_dataloader", "create_operators", "transform"]


def test_create_operators_fills_declared_global_keys_only(data_dir):
    glob = {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "use_space_char": True,
            "max_text_length": 7, "epoch_num": 3}
    before = copy.deepcopy(glob)
    ops = create_operators([{"CTCLabelEncode": None}, {"CTCLabelEncode": {"max_text_length": 3}},
                            {"KeepKeys": {"keep_keys": ["label", "length"]}}], glob)
    assert [type(op).__name__ for op in ops] == ["CTCLabelEncode", "CTCLabelEncode", "KeepKeys"]
    assert ops[0].max_text_len == 7 and ops[0].num_classes == 97  # en_dict + appended space
    assert ops[1].max_text_len == 3  # the op's own value wins over Global (upstream: Global wins)
    assert glob == before


def test_create_operators_without_global_and_bad_lists():
    (op,) = create_operators([{"ClsLabelEncode": {"label_list": ["0", "180"]}}])
    assert op({"label": "180"})["label"] == 1
    with pytest.raises(ConfigError, match="create_operators: expected a list"):
        create_operators({"ClsLabelEncode": None})
    with pytest.raises(ConfigError, match=r"create_operators\[0\]: expected one"):
        create_operators([{"A": None, "B": None}])
    with pytest.raises(ConfigError, match="no parameter 'labels'"):
        create_operators([{"ClsLabelEncode": {"labels": ["0"]}}])


def test_transform_applies_in_order_and_stops_at_none():
    calls = []

    def add(key):
        def op(data):
            calls.append(key)
            data[key] = len(calls)
            return data
        return op

    assert transform({"x": 0}, [add("a"), add("b")]) == {"x": 0, "a": 1, "b": 2}
    calls.clear()
    assert transform({"x": 0}, [add("a"), lambda d: None, add("b")]) is None
    assert calls == ["a"]
    assert transform({"x": 0}) == {"x": 0} and transform({"x": 0}, None) == {"x": 0}


def test_transform_with_created_ops_decodes_and_encodes(data_dir):
    words = data_dir / "real/ic15_words"
    path, label = (words / "label.txt").read_text(encoding="utf-8").splitlines()[0].split("\t")
    ops = create_operators([{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
                            {"CTCLabelEncode": None}, {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}],
                           {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "max_text_length": 25})
    image_bytes = (words / path).read_bytes()
    image, ids, length = transform({"image": image_bytes, "label": label}, ops)
    assert image.shape == cv2.imread(str(words / path)).shape and int(length) == len(label)
    with pytest.raises(DataError, match="characters outside dictionary"):
        transform({"image": image_bytes, "label": "€"}, ops)


def loader_config(data_dir) -> dict:
    words = data_dir / "real/ic15_words"
    transforms = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"CTCLabelEncode": None},
                  {"RecResizeImg": {"image_shape": [3, 32, 100]}},
                  {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]
    section = {"dataset": {"name": "SimpleDataSet", "data_dir": str(words),
                           "label_file_list": [str(words / "label.txt")], "transforms": transforms},
               "loader": {"batch_size_per_card": 4, "shuffle": False, "drop_last": False, "num_workers": 0}}
    return {"Global": {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "max_text_length": 25,
                       "seed": 11},
            "Train": copy.deepcopy(section), "Eval": section}


def test_build_dataloader_upstream_signature(data_dir, caplog):
    cfg = loader_config(data_dir)
    before = copy.deepcopy(cfg)
    logger = logging.getLogger("test_module_api")
    with caplog.at_level(logging.INFO, logger="test_module_api"):
        loader = build_dataloader(cfg, "Eval", "cpu", logger)
    assert "Eval data" in caplog.text and "10 valid of 10 samples" in caplog.text
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert list(batches[0][0].shape) == [4, 3, 32, 100] and list(batches[0][1].shape) == [4, 25]
    assert cfg == before
    assert loader.dataset.seed == 11
    train = build_dataloader(cfg, "Train", None, None, seed=5)
    assert train.dataset.seed == 5 and len(train) == 3
    first = [np.asarray(t) for t in next(iter(train))]
    assert first[1].shape == (4, 25)


def test_build_dataloader_bad_mode(data_dir):
    with pytest.raises(ConfigError, match="mode must be Train, Eval or Test"):
        build_dataloader(loader_config(data_dir), "Valid", None, None)
    with pytest.raises(ConfigError, match="no 'Test' section"):
        build_dataloader(loader_config(data_dir), "Test", None, None)
