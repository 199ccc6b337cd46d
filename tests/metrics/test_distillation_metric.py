"""Distillation metric: one base metric per sub-model, the key model's as main."""

import numpy as np
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.metrics import build_metric


def rec_pairs(preds, labels):
    return [(p, 0.9) for p in preds], [(t, 1.0) for t in labels]


def test_rec_key_model_is_plain_others_prefixed():
    m = build_metric({"name": "DistillationMetric", "base_metric_name": "RecMetric",
                      "main_indicator": "acc", "key": "Student"})
    batch = m({"Student": rec_pairs(["ab", "cd"], ["ab", "cd"]),
               "Teacher": rec_pairs(["ab", "xx"], ["ab", "cd"])})
    assert set(batch) == {"Student_acc", "Student_norm_edit_dis", "Teacher_acc", "Teacher_norm_edit_dis"}
    res = m.get_metric()
    assert set(res) == {"acc", "norm_edit_dis", "Teacher_acc", "Teacher_norm_edit_dis"}
    assert res["acc"] == pytest.approx(1.0, abs=1e-4)
    assert res["Teacher_acc"] == pytest.approx(0.5, abs=1e-4)
    assert m.main_indicator in res


def test_unscorable_reaches_every_sub_metric_even_before_the_first_batch():
    m = build_metric({"name": "DistillationMetric", "key": "Student", "ignore_space": False})
    m.add_unscorable(1)
    m({"Student": rec_pairs(["a b"], ["ab"]), "Teacher": rec_pairs(["ab"], ["ab"])})
    res = m.get_metric()
    assert res["acc"] == 0.0  # ignore_space=False reached the base metric; plus 1 unscorable
    assert res["Teacher_acc"] == pytest.approx(0.5, abs=1e-4)


def test_det_base_metric():
    m = build_metric({"name": "DistillationMetric", "base_metric_name": "DetMetric",
                      "main_indicator": "hmean", "key": "Student"})
    gt = np.array([[[[0, 0], [10, 0], [10, 5], [0, 5]]]], dtype=np.float32)
    batch = [None, None, gt, np.array([[False]])]
    m({"Student": [{"points": gt[0]}], "Teacher": [{"points": np.zeros((0, 4, 2))}]}, batch)
    res = m.get_metric()
    assert res["hmean"] == 1.0 and res["Teacher_hmean"] == 0.0


def test_config_errors():
    with pytest.raises(ConfigError, match="key"):
        build_metric({"name": "DistillationMetric"})
    with pytest.raises(ConfigError, match="is_filter"):
        build_metric({"name": "DistillationMetric", "key": "Student", "base_metric_name": "DetMetric",
                      "is_filter": True})
    with pytest.raises(ConfigError, match="RecMetric"):
        build_metric({"name": "DistillationMetric", "key": "Student", "base_metric_name": "RecMetrc"})


def test_missing_key_model_is_a_data_error():
    m = build_metric({"name": "DistillationMetric", "key": "Student"})
    with pytest.raises(DataError, match="'Student' is not among"):
        m({"Teacher": rec_pairs(["a"], ["a"])})
