"""Optimizers and regularizers from upstream-style Optimizer sections: types, one-step numerics, errors."""

import copy
from pathlib import Path

import numpy as np
import paddle
import pytest
import yaml

from ppocr.errors import ConfigError, UnknownComponentError
from ppocr.optimizer import build_optimizer
from ppocr.registry import REGULARIZERS

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def upstream_cfg(name="Adam", **extra):
    cfg = {"name": name, "lr": {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 2},
           "regularizer": {"name": "L2", "factor": 1.0e-05}}
    cfg.update(extra)
    return cfg


@pytest.mark.parametrize(
    ("name", "extra", "cls"),
    [
        ("Adam", {"beta1": 0.9, "beta2": 0.999}, paddle.optimizer.Adam),
        ("Momentum", {"momentum": 0.9}, paddle.optimizer.Momentum),
        ("RMSProp", {"momentum": 0.9, "rho": 0.9, "epsilon": 1.0e-6}, paddle.optimizer.RMSProp),
        ("Adadelta", {"rho": 0.9}, paddle.optimizer.Adadelta),
        ("AdamW", {"beta1": 0.9, "beta2": 0.99, "epsilon": 8.0e-8, "no_weight_decay_name": "norm pos_embed",
                   "one_dim_param_no_weight_decay": True}, paddle.optimizer.AdamW),
    ],
)
def test_each_optimizer_builds_and_reads_lr_from_the_schedule(name, extra, cls):
    model = paddle.nn.Linear(3, 2)
    cfg = upstream_cfg(name, **extra)
    if name == "AdamW":
        del cfg["regularizer"]
        cfg["weight_decay"] = 0.05
    before = copy.deepcopy(cfg)
    opt, sched = build_optimizer(cfg, epochs=4, step_each_epoch=5, model=model)
    assert cfg == before  # the section is not mutated
    assert isinstance(opt, cls) and opt._learning_rate is sched
    assert opt.get_lr() == 0.0  # warmup starts at 0
    for _ in range(10):
        sched.step()
    assert opt.get_lr() == pytest.approx(0.001)


def test_shipped_configs_optimizer_sections_build():
    paths = sorted(CONFIGS.rglob("*.yml"))
    assert paths, "no configs found"
    for path in paths:
        section = yaml.safe_load(path.read_text(encoding="utf-8"))["Optimizer"]
        opt, sched = build_optimizer(section, epochs=3, step_each_epoch=4, model=paddle.nn.Linear(2, 2))
        assert opt._learning_rate is sched, path


def test_regularizer_aliases_build_upstream_types():
    assert REGULARIZERS.build({"name": "L2", "factor": 1.0e-5}).to_paddle() == 1.0e-5
    assert REGULARIZERS.build({"name": "L2Decay", "factor": 0}).to_paddle() == 0.0
    l1 = REGULARIZERS.build({"name": "L1", "factor": 0.5}).to_paddle()
    assert isinstance(l1, paddle.regularizer.L1Decay)
    with pytest.raises(ConfigError, match="factor must be >= 0"):
        REGULARIZERS.build({"name": "L2", "factor": -1})


def one_param_step(cfg, value=2.0, param_attr=None):
    """One step with a zero gradient: any change comes from weight decay alone."""
    layer = paddle.nn.Linear(1, 1, weight_attr=param_attr, bias_attr=False)
    layer.weight.set_value(paddle.full([1, 1], value))
    opt, _ = build_optimizer(cfg, epochs=1, step_each_epoch=1, model=layer)
    (layer.weight * 0.0).sum().backward()
    opt.step()
    return float(layer.weight.numpy()[0, 0])


def test_coupled_l2_vs_decoupled_adamw():
    lr = {"name": "Const", "learning_rate": 0.1}
    # Adam + L2: grad' = 0.1 * 2 = 0.2; the first Adam step moves by ~lr * sign(grad') = 0.1
    adam = one_param_step({"name": "Adam", "lr": lr, "regularizer": {"name": "L2", "factor": 0.1}})
    assert adam == pytest.approx(1.9, abs=1e-5)
    # AdamW: the Adam part sees grad 0; decay multiplies by (1 - lr * coeff) = 0.99
    adamw = one_param_step({"name": "AdamW", "lr": lr, "regularizer": {"name": "L2", "factor": 0.1}})
    assert adamw == pytest.approx(1.98, abs=1e-6)
    assert one_param_step({"name": "AdamW", "lr": lr, "weight_decay": 0.1}) == pytest.approx(1.98, abs=1e-6)
    # no regularizer: nothing moves; AdamW defaults to coefficient 0.01 as upstream
    assert one_param_step({"name": "Adam", "lr": lr}) == 2.0
    assert one_param_step({"name": "AdamW", "lr": lr}) == pytest.approx(2.0 * (1 - 0.001), abs=1e-6)
    # Momentum: L2 fused into the update, w -= lr * (0.1 * 2)
    mom = one_param_step({"name": "Momentum", "momentum": 0.9, "lr": lr,
                          "regularizer": {"name": "L2", "factor": 0.1}})
    assert mom == pytest.approx(1.98, abs=1e-6)


def test_param_attr_regularizer_wins_over_the_optimizer_one():
    lr = {"name": "Const", "learning_rate": 0.1}
    attr = paddle.ParamAttr(regularizer=paddle.regularizer.L2Decay(0.0))
    cfg = {"name": "Adam", "lr": lr, "regularizer": {"name": "L2", "factor": 0.1}}
    assert one_param_step(cfg, param_attr=attr) == 2.0


def test_adamw_exclusions_by_name_and_one_dim():
    lr = {"name": "Const", "learning_rate": 0.1}

    def decayed(extra):
        model = paddle.nn.Sequential(paddle.nn.Linear(2, 2), paddle.nn.LayerNorm(2))
        for p in model.parameters():
            p.set_value(paddle.ones_like(p))  # biases start at 0, which decay would not change
        before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        opt, _ = build_optimizer({"name": "AdamW", "lr": lr, "weight_decay": 0.5, **extra}, 1, 1, model)
        sum(p.sum() * 0.0 for p in model.parameters()).backward()
        opt.step()
        return {k for k, v in model.state_dict().items() if not np.array_equal(v.numpy(), before[k])}

    everything = {"0.weight", "0.bias", "1.weight", "1.bias"}
    assert decayed({}) == everything
    assert decayed({"no_weight_decay_name": "1."}) == {"0.weight", "0.bias"}
    assert decayed({"one_dim_param_no_weight_decay": True}) == {"0.weight"}


def test_frozen_parameters_are_not_optimized():
    model = paddle.nn.Sequential(paddle.nn.Linear(2, 2), paddle.nn.Linear(2, 2))
    for p in model[0].parameters():
        p.trainable = False
    opt, _ = build_optimizer(upstream_cfg(), 1, 1, model)
    assert {p.name for p in opt._parameter_list} == {p.name for p in model[1].parameters()}


def test_grad_clip_options():
    model = paddle.nn.Linear(2, 2)
    opt, _ = build_optimizer(upstream_cfg(clip_norm=10), 1, 1, model)
    assert isinstance(opt._grad_clip, paddle.nn.ClipGradByNorm) and opt._grad_clip.clip_norm == 10
    opt, _ = build_optimizer(upstream_cfg(clip_norm_global=5.0), 1, 1, model)
    assert isinstance(opt._grad_clip, paddle.nn.ClipGradByGlobalNorm)
    with pytest.raises(ConfigError, match="either 'clip_norm' or 'clip_norm_global'"):
        build_optimizer(upstream_cfg(clip_norm=1, clip_norm_global=1), 1, 1, model)


@pytest.mark.parametrize(
    ("cfg", "error", "match"),
    [
        (upstream_cfg("Adm"), UnknownComponentError, r"Optimizer.name: unknown optimizer 'Adm'.*'Adam'"),
        (upstream_cfg(bta1=0.9), ConfigError, r"Optimizer: optimizer 'Adam' has no parameter 'bta1'"),
        (upstream_cfg("Momentum"), ConfigError, r"Optimizer: .*needs parameter\(s\): momentum"),
        (upstream_cfg(regularizer={"name": "L3", "factor": 1}), UnknownComponentError,
         r"Optimizer.regularizer.name: unknown regularizer 'L3'"),
        (upstream_cfg(regularizer={"name": "L2", "coeff": 1}), ConfigError,
         r"Optimizer.regularizer: .*no parameter 'coeff'"),
        (upstream_cfg(weight_decay=0.1), ConfigError, "either 'regularizer' or 'weight_decay'"),
        (upstream_cfg(learning_rate=0.1), ConfigError, r"Optimizer.learning_rate is set by ppocr.*Optimizer.lr"),
        (upstream_cfg(beta1=1.5), ConfigError, r"Optimizer.beta1 must be in \[0.0, 1.0\)"),
        (upstream_cfg("AdamW", regularizer={"name": "L1", "factor": 0.1}), ConfigError, "AdamW decays"),
        ({"name": "Adam"}, ConfigError, "Optimizer: missing 'lr'"),
        ({"lr": {"learning_rate": 0.1}}, ConfigError, "Optimizer: missing 'name'"),
    ],
)
def test_bad_optimizer_configs(cfg, error, match):
    with pytest.raises(error, match=match):
        build_optimizer(cfg, 2, 2, paddle.nn.Linear(2, 2))


def test_model_without_trainable_parameters():
    with pytest.raises(ConfigError, match="no trainable parameter"):
        build_optimizer(upstream_cfg(), 2, 2, paddle.nn.ReLU())
