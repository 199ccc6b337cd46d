"""A checkpoint set commits as a whole: interrupted saves are refused, the previous set survives, kill -9 is safe."""

import multiprocessing
import os
import random
import signal
import time

import numpy as np
import paddle
import pytest

from ppocr.engine import checkpoint_set
from ppocr.engine.checkpoint import load_checkpoint, save_checkpoint
from ppocr.errors import DataError


def build(fill: float = 0.0):
    paddle.seed(0)
    model = paddle.nn.Linear(4, 3)
    for p in model.parameters():
        p.set_value(np.full(p.shape, fill, np.float32))
    opt = paddle.optimizer.Adam(parameters=model.parameters(), learning_rate=0.01)
    return model, opt


def save(prefix: str, step: int, **kwargs) -> None:
    model, opt = build(float(step))
    save_checkpoint(prefix, model, opt, None, {"epoch": 1, "global_step": step}, **kwargs)


def load(prefix: str) -> int:
    """The loaded set's step, checking that its weights belong to that same save."""
    model, opt = build()
    state = load_checkpoint(prefix, model, opt)
    assert np.all(model.weight.numpy() == float(state["global_step"])), "weights from another save"
    return state["global_step"]


class Killed(Exception):
    pass


def interrupt_after(monkeypatch, calls: int) -> None:
    """Make the ``calls``+1-th rename inside commit_set die, as a kill there would."""
    real = os.replace
    count = {"n": 0}

    def replace(src, dst):
        if count["n"] == calls:
            raise Killed
        count["n"] += 1
        return real(src, dst)

    monkeypatch.setattr(checkpoint_set.os, "replace", replace)


@pytest.mark.parametrize("renames_done", range(4))
def test_interrupted_save_is_refused_and_previous_set_kept(tmp_path, monkeypatch, renames_done):
    """A save renames .pdparams, .pdopt, then .states (the commit point) into place."""
    prefix = str(tmp_path / "latest")
    save(prefix, 1)
    interrupt_after(monkeypatch, renames_done)
    try:
        save(prefix, 2)
        finished = True
    except Killed:
        finished = False
    monkeypatch.undo()
    assert finished == (renames_done == 3)
    if finished:
        assert load(prefix) == 2 and not os.path.exists(prefix + ".saving")
        return
    assert os.path.exists(prefix + ".saving")
    if renames_done == 0:  # nothing replaced yet: the old set is whole and is taken as is
        assert load(prefix) == 1
    else:  # old and new files mixed: refused, naming the previous set
        with pytest.raises(DataError, match=r"latest: a save of this checkpoint was interrupted .*resume "
                                            r"from .*latest\.prev \(the checkpoint before that save\)"):
            load(prefix)
        assert load(prefix + ".prev") == 1
    save(prefix, 3)  # the next save repairs the prefix and drops .prev and the marker
    assert load(prefix) == 3
    assert sorted(os.listdir(tmp_path)) == ["latest.pdopt", "latest.pdparams", "latest.states"]


def test_first_save_interrupted_is_refused_not_taken_for_upstream(tmp_path, monkeypatch):
    prefix = str(tmp_path / "latest")
    interrupt_after(monkeypatch, 1)  # .pdparams in place, .states never written
    with pytest.raises(Killed):
        save(prefix, 1)
    monkeypatch.undo()
    assert os.path.isfile(prefix + ".pdparams") and not os.path.isfile(prefix + ".states")
    with pytest.raises(DataError, match=r"interrupted .*resume from another checkpoint \(best_accuracy"):
        load(prefix)


def test_killed_after_commit_point_is_accepted(tmp_path):
    prefix = str(tmp_path / "latest")
    save(prefix, 1)
    (tmp_path / "latest.saving").write_text("pid 1\n")  # the marker survived a kill after the commit
    assert load(prefix) == 1
    assert not (tmp_path / "latest.saving").exists()


def test_orphan_temp_files_of_a_dead_writer_are_removed(tmp_path):
    prefix = str(tmp_path / "latest")
    dead_pid = 2 ** 22 + 12345  # above pid_max on common systems: no such process
    orphan = tmp_path / f".latest.pdparams.{dead_pid}.0123abcd.tmp"
    orphan.write_bytes(b"half")
    foreign = tmp_path / f".other.pdparams.{dead_pid}.0123abcd.tmp"
    foreign.write_bytes(b"not ours")
    save(prefix, 1)
    assert not orphan.exists() and foreign.exists()


def test_safetensors_checkpoint_resumes(tmp_path):
    prefix = str(tmp_path / "latest")
    save(prefix, 4, weights_format="safetensors")
    assert os.path.isfile(prefix + ".safetensors") and not os.path.isfile(prefix + ".pdparams")
    assert load(prefix) == 4
    save(prefix, 5)  # switching formats replaces the whole set
    assert sorted(os.listdir(tmp_path)) == ["latest.pdopt", "latest.pdparams", "latest.states"]


def _save_forever(prefix: str) -> None:
    step = 1
    while True:
        save(prefix, step)
        step += 1


def test_kill_9_during_saves_always_leaves_a_loadable_set(tmp_path):
    """SIGKILL a saving process at random moments; each time the newest whole set loads."""
    ctx = multiprocessing.get_context("fork")
    prefix = str(tmp_path / "latest")
    rng = random.Random(0)
    last = 0
    for _ in range(12):
        proc = ctx.Process(target=_save_forever, args=(prefix,))
        proc.start()
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        try:
            step = load(prefix)
        except DataError as exc:
            assert "latest.prev" in str(exc) or "another checkpoint" in str(exc), exc
            step = load(prefix + ".prev") if os.path.isfile(prefix + ".prev.states") else 0
        assert step >= 0
        last = max(last, step)
    assert last > 0
