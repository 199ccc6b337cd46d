"""SmoothedValues (the windowed means in training log lines) and format_eta."""

import numpy as np
import pytest

from ppocr.engine.meters import SmoothedValues, format_eta


def test_mean_is_over_the_last_window_values_per_key():
    meter = SmoothedValues(window=3)
    for step, loss in enumerate([10.0, 1.0, 2.0, 3.0]):
        meter.update({"loss": loss, "lr": 0.1 * (step + 1)})
    assert meter.mean("loss") == pytest.approx(2.0)  # 10.0 fell out of the window
    assert meter.mean("lr") == pytest.approx((0.2 + 0.3 + 0.4) / 3)
    meter.update({"loss": 6.0})  # keys update independently
    assert meter.mean("loss") == pytest.approx(11.0 / 3)
    assert meter.mean("lr") == pytest.approx(0.3)


def test_unknown_key_means_zero_and_values_become_floats():
    meter = SmoothedValues()
    assert meter.mean("loss") == 0.0
    meter.update({"acc": np.float32(0.5), "steps": np.int64(3)})
    assert meter.mean("acc") == 0.5 and isinstance(meter.mean("steps"), float)


def test_format_lists_known_keys_in_order_with_precision():
    meter = SmoothedValues(window=2)
    meter.update({"loss": 1.0, "acc": 0.25})
    meter.update({"loss": 2.0, "acc": 0.5})
    assert meter.format() == "loss: 1.50000, acc: 0.37500"
    assert meter.format(["acc", "missing", "loss"], precision=2) == "acc: 0.38, loss: 1.50"
    assert SmoothedValues().format() == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00:00"), (59.9, "0:00:59"), (3661.7, "1:01:01"), (90000, "1 day, 1:00:00"), (-5, "0:00:00")],
)
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text
