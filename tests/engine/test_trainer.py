"""Trainer: outputs on disk, exact resume, non-finite losses, pretrained weights."""

import copy
import os

import numpy as np
import paddle
import pytest

from ppocr.engine.checkpoint import load_checkpoint
from ppocr.engine.trainer import Trainer, parse_eval_step
from ppocr.errors import ConfigError


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_training_writes_checkpoints_config_and_log(rec_config):
    rec_config["Global"]["eval_batch_step"] = [0, 4]
    summary = Trainer(rec_config).train()
    out = rec_config["Global"]["save_model_dir"]
    # 9 encodable words (one has '/'), batch 2, drop_last -> 4 steps per epoch, 2 epochs
    assert summary["global_step"] == 8 and summary["epoch"] == 3
    for name in ("latest", "best_accuracy", "iter_epoch_1", "iter_epoch_2"):
        for ext in (".pdparams", ".pdopt", ".states"):
            assert os.path.isfile(os.path.join(out, name + ext)), name + ext
    assert os.path.isfile(os.path.join(out, "config.yml"))
    log = open(os.path.join(out, "train.log"), encoding="utf-8").read()
    assert "global_step: 8" in log and "eta:" in log and "ips:" in log and "evaluated 9/10" in log
    assert not [f for f in os.listdir(out) if ".tmp" in f]


def test_resume_mid_epoch_matches_uninterrupted_run(rec_config, tmp_path):
    straight = copy.deepcopy(rec_config)
    straight["Global"]["save_model_dir"] = str(tmp_path / "straight")
    t_full = Trainer(straight)
    t_full.train()

    t_first = Trainer(rec_config)
    t_first.train(stop_after_steps=3)  # stops inside epoch 1 (4 steps per epoch)
    resumed = copy.deepcopy(rec_config)
    resumed["Global"]["checkpoints"] = os.path.join(rec_config["Global"]["save_model_dir"], "latest")
    t_second = Trainer(resumed)
    assert (t_second.state["epoch"], t_second.state["step_in_epoch"], t_second.state["global_step"]) == (1, 3, 3)
    t_second.train()

    assert t_second.state["global_step"] == t_full.state["global_step"] == 8
    assert t_second.optimizer.get_lr() == pytest.approx(t_full.optimizer.get_lr())
    a, b = weights(t_full.model), weights(t_second.model)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_non_finite_losses_skip_then_stop_with_checkpoint(rec_config, caplog):
    rec_config["Global"]["max_nonfinite_steps"] = 3
    trainer = Trainer(rec_config)
    before = weights(trainer.model)
    real_loss = trainer.loss_fn

    def nan_loss(preds, batch):
        out = real_loss(preds, batch)
        return {"loss": out["loss"] * float("nan")}

    trainer.loss_fn = nan_loss
    with pytest.raises(FloatingPointError, match="3 non-finite losses in a row"):
        trainer.train()
    after = weights(trainer.model)
    for key in before:  # skipped steps never touch the weights
        np.testing.assert_array_equal(before[key], after[key])
    state = load_checkpoint(os.path.join(rec_config["Global"]["save_model_dir"], "latest"),
                            trainer.model, None, None)
    assert state["global_step"] == 3


def test_non_finite_warning_names_the_samples(rec_config, caplog):
    rec_config["Global"]["max_nonfinite_steps"] = 1
    trainer = Trainer(rec_config)
    trainer.loss_fn = lambda preds, batch: {"loss": paddle.to_tensor(float("inf"))}
    import logging

    logger = logging.getLogger("ppocr")
    logger.propagate = True
    try:
        with caplog.at_level(logging.WARNING, logger="ppocr"), pytest.raises(FloatingPointError):
            trainer.train()
    finally:
        logger.propagate = False
    assert "non-finite loss" in caplog.text and "ic15_words/imgs/" in caplog.text


def test_pretrained_model_loads_weights_only(rec_config):
    Trainer(rec_config).train(stop_after_steps=2)
    cfg = copy.deepcopy(rec_config)
    cfg["Global"]["pretrained_model"] = os.path.join(rec_config["Global"]["save_model_dir"], "latest")
    cfg["Global"]["save_model_dir"] += "_2"
    trainer = Trainer(cfg)
    assert trainer.state["global_step"] == 0
    saved = paddle.load(cfg["Global"]["pretrained_model"] + ".pdparams")
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), np.asarray(saved[key]))


def test_pretrained_shape_mismatch_fails_unless_allowed(rec_config):
    Trainer(rec_config).train(stop_after_steps=1)
    cfg = copy.deepcopy(rec_config)
    cfg["Global"]["pretrained_model"] = os.path.join(rec_config["Global"]["save_model_dir"], "latest")
    cfg["Architecture"]["Neck"]["hidden_size"] = 24
    with pytest.raises(ConfigError, match="shape"):
        Trainer(cfg)
    cfg["Global"]["allow_shape_mismatch"] = True
    Trainer(cfg)


def test_eval_step_parsing():
    assert parse_eval_step([0, 2000]) == (0, 2000)
    assert parse_eval_step(500) == (0, 500)
    with pytest.raises(ConfigError, match="eval_batch_step"):
        parse_eval_step("often")
