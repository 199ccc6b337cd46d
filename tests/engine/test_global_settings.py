"""Global values the trainer reads are checked before anything is built."""

from pathlib import Path

import pytest

from ppocr.config import load_config
from ppocr.engine.global_settings import check_global_settings, parse_eval_step
from ppocr.engine.trainer import Trainer
from ppocr.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_values():
    s = check_global_settings({})
    assert (s.epoch_num, s.print_batch_step, s.save_epoch_step, s.seed) == (1, 10, 1, 1024)
    assert (s.eval_start, s.eval_interval, s.save_model_dir, s.max_keep_checkpoints) == (0, 0, "./output", 3)
    s = check_global_settings({"epoch_num": 3.0, "eval_batch_step": [3000, 2000], "max_keep_checkpoints": 0,
                               "seed": None})
    assert (s.epoch_num, s.eval_start, s.eval_interval, s.max_keep_checkpoints, s.seed) == (3, 3000, 2000, 0, 1024)


@pytest.mark.parametrize("key,value,expected", [
    ("epoch_num", "three", "Global.epoch_num: expected a positive integer, got 'three'"),
    ("epoch_num", 0, "Global.epoch_num: expected a positive integer, got 0"),
    ("epoch_num", 2.5, "Global.epoch_num: expected a positive integer, got 2.5"),
    ("print_batch_step", 0, "Global.print_batch_step: expected a positive integer, got 0"),
    ("save_epoch_step", 0, "Global.save_epoch_step: expected a positive integer, got 0"),
    ("save_epoch_step", -1, "Global.save_epoch_step: expected a positive integer, got -1"),
    ("log_smooth_window", True, "Global.log_smooth_window: expected a positive integer, got True"),
    ("max_nonfinite_steps", 0, "Global.max_nonfinite_steps: expected a positive integer, got 0"),
    ("max_keep_checkpoints", -2, "Global.max_keep_checkpoints: expected a non-negative integer (0 keeps all), "
                                 "got -2"),
    ("seed", 2**32, "Global.seed: expected an integer in [0, 2**32), got 4294967296"),
    ("seed", "x", "Global.seed: expected an integer in [0, 2**32), got 'x'"),
    ("eval_batch_step", "often", "Global.eval_batch_step: expected a non-negative integer interval or "
                                 "[start, interval], got 'often'"),
    ("eval_batch_step", [0, -5], "Global.eval_batch_step: expected a non-negative integer interval or "
                                 "[start, interval], got [0, -5]"),
    ("eval_batch_step", [1, 2, 3], "Global.eval_batch_step: expected a non-negative integer interval or "
                                   "[start, interval], got [1, 2, 3]"),
    ("use_gpu", "false", "Global.use_gpu: expected true or false, got 'false'"),
    ("save_model_dir", None, "Global.save_model_dir: expected a directory path, got None"),
])
def test_bad_values_name_key_expectation_and_value(key, value, expected):
    with pytest.raises(ConfigError) as info:
        check_global_settings({key: value})
    assert str(info.value) == expected


def test_eval_step_forms():
    assert parse_eval_step(500) == (0, 500)
    assert parse_eval_step((10, 20)) == (10, 20)
    with pytest.raises(ConfigError, match="eval_batch_step"):
        parse_eval_step([True, 1])


def test_shipped_configs_pass():
    for path in sorted((ROOT / "configs").rglob("*.yml")):
        check_global_settings(load_config(path)["Global"])


def test_trainer_checks_before_building_anything(tmp_path):
    # no Architecture/Train sections: a check after building would fail differently
    with pytest.raises(ConfigError, match="^Global.save_epoch_step: expected a positive integer, got 0$"):
        Trainer({"Global": {"save_epoch_step": 0, "save_model_dir": str(tmp_path / "out")}})
    assert not (tmp_path / "out").exists()
