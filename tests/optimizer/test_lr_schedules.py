"""LR schedules: values at hand-computed iterations, warmup, upstream quirks, bad configs."""

import logging

import pytest
from paddle.optimizer import lr as paddle_lr

from ppocr.errors import ConfigError, UnknownComponentError
from ppocr.optimizer import build_lr_scheduler


def lrs(cfg, epochs=10, step_each_epoch=5, n=80):
    sched = build_lr_scheduler(cfg, epochs, step_each_epoch)
    values = []
    for _ in range(n):
        values.append(sched())
        sched.step()
    return values


def test_cosine_with_warmup_ramps_then_decays_over_the_full_span():
    # warmup round(2 * 5) = 10 steps 0 -> 1e-3, then cosine with T_max = 10 * 5 = 50 from its step 0
    v = lrs({"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 2})
    assert v[0] == 0.0
    assert v[5] == pytest.approx(0.0005, rel=1e-12)
    assert v[10] == pytest.approx(0.001, rel=1e-12)
    assert v[10 + 25] == pytest.approx(0.0005, rel=1e-9)  # cosine midpoint, shifted by the warmup
    assert v[10 + 50] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(v[10:60], v[11:60]))


def test_cosine_without_warmup_starts_at_base_lr():
    v = lrs({"name": "Cosine", "learning_rate": 0.002}, epochs=4, step_each_epoch=5)
    assert v[0] == 0.002
    assert v[10] == pytest.approx(0.001, rel=1e-9)
    assert v[20] == pytest.approx(0.0, abs=1e-12)
    assert isinstance(build_lr_scheduler({"name": "Cosine", "learning_rate": 1.0}, 2, 2),
                      paddle_lr.CosineAnnealingDecay)


def test_fractional_warmup_rounds_like_python():
    sched = build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 0.5}, 4, 3)
    assert isinstance(sched, paddle_lr.LinearWarmup) and sched.warmup_steps == 2  # round(1.5) == 2


def test_piecewise_boundaries_in_epochs():
    cfg = {"name": "Piecewise", "decay_epochs": [2, 4], "values": [0.1, 0.01, 0.001]}
    v = lrs(cfg, step_each_epoch=3, n=20)
    assert v[:6] == [0.1] * 6 and v[6:12] == [0.01] * 6 and v[12:] == [0.001] * 8


def test_piecewise_warmup_goes_to_first_value_and_shifts_boundaries():
    cfg = {"name": "Piecewise", "decay_epochs": [2], "values": [0.1, 0.01], "warmup_epoch": 1}
    v = lrs(cfg, step_each_epoch=3, n=12)
    assert v[0] == 0.0 and v[1] == pytest.approx(0.1 / 3) and v[3] == 0.1
    assert v[8] == 0.1 and v[9] == 0.01  # boundary 6 counted after the 3 warmup steps


def test_piecewise_as_many_values_as_boundaries_keeps_last(caplog):
    # upstream ch_PP-OCRv2_rec_enhanced_ctc_loss.yml: decay_epochs [700, 800], values [0.001, 0.0001]
    cfg = {"name": "Piecewise", "decay_epochs": [2, 3], "values": [0.1, 0.01]}
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        v = lrs(cfg, step_each_epoch=2, n=10)
    assert v[:4] == [0.1] * 4 and v[4:] == [0.01] * 6
    assert "last value" in caplog.text


def test_piecewise_bad_values_count():
    with pytest.raises(ConfigError, match=r"Optimizer.lr.values needs .* 3 learning rates, got 1"):
        build_lr_scheduler({"name": "Piecewise", "decay_epochs": [1, 2], "values": [0.1]}, 3, 2)
    with pytest.raises(ConfigError, match="decay_epochs must increase"):
        build_lr_scheduler({"name": "Piecewise", "decay_epochs": [2, 1], "values": [1, 2, 3]}, 3, 2)


def test_linear_reaches_end_lr_at_last_step():
    v = lrs({"name": "Linear", "learning_rate": 0.1, "end_lr": 0.0}, epochs=2, step_each_epoch=5, n=14)
    assert v[0] == 0.1 and v[5] == pytest.approx(0.05) and v[10] == pytest.approx(0.0)
    assert v[13] == pytest.approx(0.0)


def test_const_and_warmup_and_nameless_lr():
    assert lrs({"name": "Const", "learning_rate": 0.01}, n=5) == [0.01] * 5
    v = lrs({"name": "Const", "learning_rate": 0.01, "warmup_epoch": 1}, step_each_epoch=4, n=8)
    assert v[2] == pytest.approx(0.005) and v[4:] == [0.01] * 4
    # upstream: an lr section without name is a constant learning_rate
    assert lrs({"learning_rate": 0.02}, n=3) == [0.02] * 3


def test_step_and_multistep():
    v = lrs({"name": "Step", "learning_rate": 0.1, "step_size": 1, "gamma": 0.5}, step_each_epoch=4, n=9)
    assert v[3] == 0.1 and v[4] == pytest.approx(0.05) and v[8] == pytest.approx(0.025)
    v = lrs({"name": "MultiStepDecay", "learning_rate": 1.0, "milestones": [1, 3], "gamma": 0.1},
            step_each_epoch=2, n=8)
    assert v[1] == 1.0 and v[2] == pytest.approx(0.1) and v[6] == pytest.approx(0.01)


def test_numbers_written_as_strings_are_parsed():
    # YAML reads 1e-3 (no dot) as a string
    assert lrs({"name": "Cosine", "learning_rate": "1e-3"}, n=1) == [0.001]


@pytest.mark.parametrize(
    ("cfg", "match"),
    [
        ({"name": "Cosin", "learning_rate": 0.1}, r"Optimizer.lr.name: unknown lr schedule 'Cosin'.*Cosine"),
        ({"name": "Cosine", "learning_rate": 0.1, "warmup": 1}, r"Optimizer.lr: .*no parameter 'warmup'"),
        ({"name": "Cosine"}, r"Optimizer.lr: .*needs parameter\(s\): learning_rate"),
        ({"name": "Cosine", "learning_rate": 0.1, "epochs": 5}, r"Optimizer.lr.epochs is taken from"),
        ({"name": "Cosine", "learning_rate": "fast"}, r"Optimizer.lr.learning_rate: expected a number"),
        ({"name": "Cosine", "learning_rate": -1}, r"Optimizer.lr.learning_rate must be > 0"),
        ({"learning_rate": 0.1, "warmup_epoch": 1}, r"without 'name' only 'learning_rate'.*warmup_epoch"),
        ("Cosine", r"Optimizer.lr: expected a mapping"),
    ],
)
def test_bad_lr_configs_name_the_key(cfg, match):
    with pytest.raises(ConfigError, match=match):
        build_lr_scheduler(cfg, 3, 2)


def test_unknown_lr_name_is_unknown_component_error():
    with pytest.raises(UnknownComponentError):
        build_lr_scheduler({"name": "OneCycle", "max_lr": 0.1}, 3, 2)


def test_bad_step_each_epoch():
    with pytest.raises(ConfigError, match="step_each_epoch must be a positive int"):
        build_lr_scheduler({"name": "Cosine", "learning_rate": 0.1}, 3, 0)
