"""Direction classifier decoding."""

import numpy as np
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.postprocess import build_post_process
from ppocr.postprocess.cls_postprocess import ClsPostProcess

PROBS = np.array([[0.9, 0.1], [0.3, 0.7]], dtype=np.float32)


def test_argmax_names_and_scores():
    out = ClsPostProcess(label_list=["0", "180"])(PROBS)
    assert [lab for lab, _ in out] == ["0", "180"]
    assert [s for _, s in out] == [pytest.approx(0.9), pytest.approx(0.7)]


def test_with_labels_returns_pairs():
    preds, labels = build_post_process({"name": "ClsPostProcess", "label_list": ["0", "180"]})(
        PROBS, np.array([1, 1]))
    assert labels == [("180", 1.0), ("180", 1.0)]
    assert preds[0][0] == "0"


def test_no_label_list_uses_indices_and_key_selects():
    out = ClsPostProcess(key="res")({"res": PROBS})
    assert [lab for lab, _ in out] == [0, 1]


def test_bad_inputs():
    with pytest.raises(DataError, match="label_list has 2"):
        ClsPostProcess(label_list=["0", "180"])(np.ones((1, 3), np.float32))
    with pytest.raises(DataError, match=r"\[N, class_dim\]"):
        ClsPostProcess(label_list=["0", "180"])(np.ones(2, np.float32))
    with pytest.raises(ConfigError, match="label_list"):
        ClsPostProcess(label_list="0,180")
