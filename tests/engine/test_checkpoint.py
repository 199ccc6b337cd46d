"""Checkpoints: exact resume, upstream layout, integrity checks, atomic saves, pretrained weights, pruning."""

import os
import pickle
import random
import warnings

import numpy as np
import paddle
import pytest
from paddle.utils import unique_name

from ppocr.engine import checkpoint as ckpt
from ppocr.engine.checkpoint import load_checkpoint, prune_checkpoints, save_checkpoint
from ppocr.errors import ConfigError, DataError
from ppocr.optimizer import build_optimizer
from ppocr.weights.pretrained import load_pretrained_weights

OPTIM = {"name": "Adam", "beta1": 0.9, "beta2": 0.999,
         "lr": {"name": "Cosine", "learning_rate": 0.01, "warmup_epoch": 1},
         "regularizer": {"name": "L2", "factor": 1.0e-4}}


def build(shift_names=False):
    """A fresh 'process': own unique-name scope, as a resumed training run has."""
    with unique_name.guard():
        if shift_names:  # another construction order gives other Paddle parameter names
            paddle.nn.Linear(1, 1)
        model = paddle.nn.Sequential(paddle.nn.Linear(4, 8), paddle.nn.ReLU(), paddle.nn.Dropout(0.5),
                                     paddle.nn.Linear(8, 2))
        opt, sched = build_optimizer(OPTIM, epochs=3, step_each_epoch=2, model=model)
    return model, opt, sched


def train(model, opt, sched, steps):
    """Steps that draw from paddle (dropout), numpy and python RNGs."""
    model.train()
    for _ in range(steps):
        x = paddle.to_tensor(np.random.rand(5, 4).astype("float32"))
        loss = (model(x) ** 2).mean() * (1.0 + random.random())
        loss.backward()
        opt.step()
        opt.clear_grad()
        sched.step()


def seed_all(seed):
    paddle.seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def state(**extra):
    return {"epoch": 2, "step_in_epoch": 0, "global_step": 2, "best_metric": {"acc": 0.5},
            "config": {"Global": {"seed": 0}}, **extra}


@pytest.mark.parametrize("shift_names", [False, True])
def test_resume_continues_bitwise_like_an_uninterrupted_run(tmp_path, shift_names):
    seed_all(0)
    model, opt, sched = build()
    train(model, opt, sched, 4)
    expected, expected_lr = weights(model), sched()

    seed_all(0)
    model, opt, sched = build()
    train(model, opt, sched, 2)
    save_checkpoint(str(tmp_path / "latest"), model, opt, sched, state())
    seed_all(123)  # a new process has other RNG states and a fresh model
    model, opt, sched = build(shift_names)
    loaded = load_checkpoint(str(tmp_path / "latest"), model, opt, sched)
    train(model, opt, sched, 2)

    assert loaded["epoch"] == 2 and loaded["global_step"] == 2 and loaded["step_in_epoch"] == 0
    assert loaded["best_metric"] == {"acc": 0.5} and loaded["config"] == {"Global": {"seed": 0}}
    assert loaded["source"] == "ppocr"
    assert sched() == expected_lr
    got = weights(model)
    for key, value in expected.items():
        assert np.array_equal(got[key], value), key


def test_states_file_is_upstream_readable(tmp_path):
    model, opt, sched = build()
    save_checkpoint(str(tmp_path / "best_accuracy"), model, opt, sched,
                    state(epoch=5, best_metric={"acc": np.float32(0.25)}))
    assert sorted(os.listdir(tmp_path)) == ["best_accuracy.pdopt", "best_accuracy.pdparams",
                                            "best_accuracy.states"]
    raw = paddle.load(str(tmp_path / "best_accuracy.states"))
    assert raw["epoch"] == 4 and raw["global_step"] == 2  # upstream resumes at epoch + 1 == 5
    assert raw["best_model_dict"] == {"acc": 0.25} and type(raw["best_model_dict"]["acc"]) is float
    files = raw["ppocr"]["files"]
    assert files[".pdparams"]["size"] == os.path.getsize(tmp_path / "best_accuracy.pdparams")
    assert raw["ppocr"]["versions"]["paddle"] == paddle.__version__


def save_upstream(prefix, model, opt, states):
    paddle.save(model.state_dict(), prefix + ".pdparams")
    paddle.save(opt.state_dict(), prefix + ".pdopt")
    if states is not None:
        with open(prefix + ".states", "wb") as f:
            pickle.dump(states, f, protocol=2)


def test_loads_upstream_checkpoint(tmp_path):
    model, opt, sched = build()
    train(model, opt, sched, 3)
    prefix = str(tmp_path / "iter_epoch_3")
    save_upstream(prefix, model, opt, {"best_model_dict": {"acc": np.float64(0.75), "best_epoch": 2},
                                       "epoch": 3, "global_step": 30})
    target, opt2, sched2 = build()
    loaded = load_checkpoint(prefix + ".pdparams", target, opt2, sched2)
    assert loaded == {"epoch": 4, "step_in_epoch": 0, "global_step": 30,
                      "best_metric": {"acc": 0.75, "best_epoch": 2}, "config": None, "source": "upstream"}
    assert sched2.last_epoch == sched.last_epoch  # LR position comes from the .pdopt
    for key, value in weights(model).items():
        assert np.array_equal(weights(target)[key], value)

    os.remove(prefix + ".states")
    assert load_checkpoint(prefix, target, opt2, sched2)["epoch"] == 1


def test_states_with_foreign_classes_are_refused(tmp_path):
    import datetime

    model, opt, _ = build()
    prefix = str(tmp_path / "evil")
    save_upstream(prefix, model, opt, {"epoch": 1, "when": datetime.date(2020, 1, 1)})
    with pytest.raises(DataError, match=r"evil.states: refused to load .*references datetime.date"):
        load_checkpoint(prefix, model, opt)


def test_corrupt_or_truncated_weights_are_detected(tmp_path):
    model, opt, sched = build()
    prefix = str(tmp_path / "latest")
    save_checkpoint(prefix, model, opt, sched, state())
    path = prefix + ".pdparams"
    data = bytearray(open(path, "rb").read())
    data[-20] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(DataError, match=r"latest.pdparams: sha256 differs"):
        load_checkpoint(prefix, model, opt, sched)
    open(path, "wb").write(bytes(data[: len(data) // 2]))
    with pytest.raises(DataError, match=r"latest.pdparams has \d+ bytes but .* recorded \d+"):
        load_checkpoint(prefix, model, opt, sched)
    save_checkpoint(prefix, model, opt, sched, state())
    load_checkpoint(prefix, model, opt, sched)
    os.remove(prefix + ".pdopt")
    with pytest.raises(DataError, match=r"latest.pdopt is missing"):
        load_checkpoint(prefix, model, opt, sched)


def test_failed_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    model, opt, sched = build()
    prefix = str(tmp_path / "latest")
    save_checkpoint(prefix, model, opt, sched, state())
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    assert len(before) == 3

    real_save, calls = paddle.save, []

    def flaky_save(obj, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(paddle, "save", flaky_save)
    train(model, opt, sched, 1)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(prefix, model, opt, sched, state(global_step=3))
    after = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    assert after == before  # same files, same bytes, no temp file left
    monkeypatch.undo()
    assert load_checkpoint(prefix, *build())["global_step"] == 2


def test_checkpoint_of_another_model_is_rejected(tmp_path):
    model, opt, sched = build()
    save_checkpoint(str(tmp_path / "latest"), model, opt, sched, state())
    other = paddle.nn.Sequential(paddle.nn.Linear(4, 8), paddle.nn.ReLU(), paddle.nn.Dropout(0.5),
                                 paddle.nn.Linear(8, 3))
    with pytest.raises(DataError, match=r"does not fit this model: .*shape_mismatch 2 \(3.weight, 3.bias\)"):
        load_checkpoint(str(tmp_path / "latest"), other)
    with pytest.raises(DataError, match="checkpoint not found"):
        load_checkpoint(str(tmp_path / "nothing"), model)


@pytest.mark.parametrize(
    ("bad", "match"),
    [({"epoch": 0}, r"state\['epoch'\] must be an int >= 1"),
     ({"global_step": None}, r"state\['global_step'\]"),
     ({"best_metric": {"acc": object()}}, r"state\['best_metric'\]\['acc'\]: cannot store a object")],
)
def test_bad_state_is_refused_before_writing(tmp_path, bad, match):
    model, opt, sched = build()
    with pytest.raises(ConfigError, match=match):
        save_checkpoint(str(tmp_path / "latest"), model, opt, sched, state(**bad))
    assert os.listdir(tmp_path) == []


def test_pretrained_report_and_shape_mismatch(tmp_path, caplog):
    model = paddle.nn.Sequential(paddle.nn.Linear(4, 8), paddle.nn.Linear(8, 2))
    src = paddle.nn.Sequential(paddle.nn.Linear(4, 8), paddle.nn.Linear(8, 3))
    params = {k: v.numpy() for k, v in src.state_dict().items()}
    params["0.bias"] = params["0.bias"].astype("float16")
    del params["1.bias"]
    params["extra.weight"] = np.zeros([2], "float32")
    paddle.save(params, str(tmp_path / "pre.pdparams"))

    with pytest.raises(ConfigError, match=r"1 tensor\(s\) differ.*1.weight: file \[8, 3\] vs model \[8, 2\]"):
        load_pretrained_weights(model, str(tmp_path / "pre"))
    kept = {k: v.numpy().copy() for k, v in model.state_dict().items() if k.startswith("1.")}
    with caplog.at_level("INFO", logger="ppocr"), warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        report = load_pretrained_weights(model, str(tmp_path / "pre.pdparams"), allow_shape_mismatch=True)
    assert not [w for w in warned if "Skip loading" in str(w.message)]  # one log line, not a warning each
    for key, value in kept.items():  # the unmatched tensors keep their initialisation
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value)
    assert report == {"loaded": ["0.weight", "0.bias"], "missing": ["1.bias"], "unexpected": ["extra.weight"],
                      "shape_mismatch": [("1.weight", (8, 3), (8, 2))]}
    assert "loaded 2" in caplog.text and "unexpected 1 (extra.weight)" in caplog.text
    assert model[0].bias.dtype == paddle.float32
    np.testing.assert_array_equal(model[0].bias.numpy(), params["0.bias"].astype("float32"))
    np.testing.assert_array_equal(model[0].weight.numpy(), params["0.weight"])


def test_pretrained_errors(tmp_path):
    model = paddle.nn.Linear(2, 2)
    with pytest.raises(DataError, match=r"pretrained weights not found: .*nope.pdparams"):
        load_pretrained_weights(model, str(tmp_path / "nope"))
    paddle.save({"backbone.w": np.zeros([2], "float32")}, str(tmp_path / "other.pdparams"))
    with pytest.raises(ConfigError, match=r"no tensor matches the model \(file keys: backbone.w"):
        load_pretrained_weights(model, str(tmp_path / "other"))


def test_prune_keeps_the_newest_by_number(tmp_path):
    for n in (1, 2, 3, 10):
        for ext in ckpt.EXTS:
            (tmp_path / f"iter_epoch_{n}{ext}").write_bytes(b"x")
    (tmp_path / "latest.pdparams").write_bytes(b"x")
    (tmp_path / "iter_epoch_x.pdparams").write_bytes(b"x")
    assert prune_checkpoints(str(tmp_path), "iter_epoch_", keep=0) == []
    removed = prune_checkpoints(str(tmp_path), "iter_epoch_", keep=2)
    assert removed == [str(tmp_path / "iter_epoch_1"), str(tmp_path / "iter_epoch_2")]
    assert sorted(os.listdir(tmp_path)) == sorted(
        [f"iter_epoch_{n}{ext}" for n in (3, 10) for ext in ckpt.EXTS]
        + ["latest.pdparams", "iter_epoch_x.pdparams"])
    assert prune_checkpoints(str(tmp_path), keep=2) == []
