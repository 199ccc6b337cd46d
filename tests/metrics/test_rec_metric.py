"""Recognition accuracy and normalised edit similarity."""

import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.metrics import build_metric
from ppocr.metrics.rec_metric import RecMetric


def pairs(preds, labels):
    return [(p, 0.9) for p in preds], [(t, 1.0) for t in labels]


def test_accuracy_and_edit_similarity():
    m = RecMetric()
    batch = m(pairs(["abc", "ab"], ["abc", "abd"]))
    assert batch["acc"] == pytest.approx(0.5, abs=1e-5)
    res = m.get_metric()
    assert res["acc"] == pytest.approx(0.5, abs=1e-5)
    assert res["norm_edit_dis"] == pytest.approx(1 - (0 + 1 / 3) / 2, abs=1e-5)
    assert m.main_indicator == "acc"


def test_accumulates_over_batches_and_resets():
    m = RecMetric()
    m(pairs(["a"], ["a"]))
    m(pairs(["b", "c"], ["x", "c"]))
    assert m.get_metric()["acc"] == pytest.approx(2 / 3, abs=1e-5)
    assert m.get_metric() == {"acc": 0.0, "norm_edit_dis": 0.0}


def test_ignore_space():
    assert RecMetric()(pairs(["a b"], ["ab"]))["acc"] == pytest.approx(1, abs=1e-4)
    assert RecMetric(ignore_space=False)(pairs(["a b"], ["ab"]))["acc"] == 0


def test_is_filter_keeps_ascii_alnum_lowercased():
    assert RecMetric(is_filter=True)(pairs(["A-b!9"], ["ab9"]))["acc"] == pytest.approx(1, abs=1e-4)
    assert RecMetric()(pairs(["A-b!9"], ["ab9"]))["acc"] == 0


def test_unscorable_samples_count_as_wrong():
    m = RecMetric()
    m(pairs(["ab", "cd"], ["ab", "cd"]))
    m.add_unscorable(2)
    res = m.get_metric()
    assert res["acc"] == pytest.approx(0.5, abs=1e-5)
    assert res["norm_edit_dis"] == pytest.approx(0.5, abs=1e-5)
    with pytest.raises(ValueError):
        m.add_unscorable(-1)


def test_bad_inputs():
    with pytest.raises(DataError, match="2 predictions for 1 labels"):
        RecMetric()(pairs(["a", "b"], ["a"]))
    with pytest.raises(DataError, match="labels"):
        RecMetric()([("a", 1.0)])
    with pytest.raises(ConfigError, match="is_filter"):
        build_metric({"name": "RecMetric", "is_filtr": True})
