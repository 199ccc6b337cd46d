"""Classifier accuracy."""

import pytest

from ppocr.errors import DataError
from ppocr.metrics import build_metric


def test_accuracy_accumulates_and_resets():
    m = build_metric({"name": "ClsMetric"})
    assert m.main_indicator == "acc"
    assert m(([("0", 0.9), ("180", 0.8)], [("0", 1.0), ("0", 1.0)])) == {"acc": 0.5}
    m(([("180", 0.6)], [("180", 1.0)]))
    assert m.get_metric() == {"acc": pytest.approx(2 / 3)}
    assert m.get_metric() == {"acc": 0.0}


def test_unscorable_and_bad_input():
    m = build_metric({"name": "ClsMetric"})
    m(([("0", 0.9)], [("0", 1.0)]))
    m.add_unscorable(1)
    assert m.get_metric() == {"acc": 0.5}
    with pytest.raises(DataError):
        m(([("0", 0.9)], []))
