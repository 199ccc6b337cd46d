"""Through the CLIs: crafted weights never run code, partial loads are refused, errors are one line."""

import copy
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from ppocr.commands import eval as eval_cmd
from ppocr.commands import export_model, train
from ppocr.commands.entry import run_cli
from tests.engine.conftest import TINY_REC

ROOT = Path(__file__).resolve().parents[2]


class Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def write_config(tmp_path: Path) -> Path:
    cfg = copy.deepcopy(TINY_REC)
    cfg["Global"].update(save_model_dir=str(tmp_path / "out"), save_inference_dir=str(tmp_path / "inference"),
                         epoch_num=1)
    path = tmp_path / "rec.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def run(main, argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        run_cli(main, argv)
    return exc.value.code, capsys.readouterr().err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real one-step checkpoint of the tiny recognizer (prefix, config path)."""
    base = tmp_path_factory.mktemp("trained")
    cfg = write_config(base)
    train.main(["-c", str(cfg), "--stop_after_steps", "1"])
    return base / "out" / "latest", cfg


def evil(path: Path, marker: Path) -> Path:
    with open(path, "wb") as f:
        pickle.dump({"head.fc.weight": np.zeros(2, np.float32), "x": Payload(str(marker))}, f, protocol=2)
    return path


@pytest.mark.parametrize("route", ["train_pretrained", "train_checkpoints", "train_pdopt", "eval", "export"])
def test_crafted_weights_never_execute(tmp_path, trained, capsys, route):
    prefix, cfg = trained
    marker = tmp_path / "pwned"
    target = tmp_path / "evil"
    if route == "train_pdopt":  # real weights and states, crafted optimizer file
        for ext in (".pdparams", ".states"):
            (tmp_path / f"evil{ext}").write_bytes(Path(f"{prefix}{ext}").read_bytes())
        evil(tmp_path / "evil.pdopt", marker)  # the .states' recorded hashes catch the swap first
    else:
        evil(tmp_path / "evil.pdparams", marker)
    argv = {
        "train_pretrained": (train.main, ["-c", str(cfg), "-o", f"Global.pretrained_model={target}"]),
        "train_checkpoints": (train.main, ["-c", str(cfg), "-o", f"Global.checkpoints={target}"]),
        "train_pdopt": (train.main, ["-c", str(cfg), "-o", f"Global.checkpoints={target}"]),
        "eval": (eval_cmd.main, ["-c", str(cfg), "-o", f"Global.checkpoints={target}"]),
        "export": (export_model.main, ["-c", str(cfg), "-o", f"Global.pretrained_model={target}"]),
    }[route]
    code, err = run(*argv, capsys)
    assert code == 1 and not marker.exists()
    assert err.count("\n") == 1 and err.startswith("error: ")
    if route == "train_pdopt":
        assert "evil.pdopt has" in err and "bytes but" in err and "recorded" in err
    else:
        assert "evil.pdparams: refused to load" in err and "posix.mkdir" in err


def test_crafted_pdopt_without_states_is_refused_by_the_unpickler(tmp_path, trained, capsys):
    prefix, cfg = trained
    marker = tmp_path / "pwned"
    (tmp_path / "up.pdparams").write_bytes(Path(f"{prefix}.pdparams").read_bytes())  # upstream-style: no .states
    evil(tmp_path / "up.pdopt", marker)
    code, err = run(train.main, ["-c", str(cfg), "-o", f"Global.checkpoints={tmp_path / 'up'}"], capsys)
    assert code == 1 and not marker.exists()
    assert "up.pdopt: refused to load optimizer state" in err and "posix.mkdir" in err


@pytest.mark.parametrize("main", [eval_cmd.main, export_model.main], ids=["eval", "export"])
def test_partial_load_is_refused_unless_allowed(tmp_path, trained, capsys, main):
    prefix, cfg = trained
    import paddle

    from ppocr.weights.state_dict_io import read_state_dict

    state = read_state_dict(f"{prefix}.pdparams")
    key = next(k for k in state if k.startswith("head."))
    paddle.save({key: paddle.to_tensor(state[key])}, str(tmp_path / "one.pdparams"))
    code, err = run(main, ["-c", str(cfg), "-o", f"Global.checkpoints={tmp_path / 'one'}"], capsys)
    assert code == 1
    assert "one.pdparams: " in err and " of the model's " in err and "tensors are not in the file" in err
    assert "Global.allow_partial_load: true" in err
    result = main(["-c", str(cfg), "-o", f"Global.checkpoints={tmp_path / 'one'}", "Global.allow_partial_load=true"])
    assert result is not None


def test_eval_checks_recorded_hashes(tmp_path, trained, capsys):
    prefix, cfg = trained
    for ext in (".pdparams", ".pdopt", ".states"):
        (tmp_path / f"c{ext}").write_bytes(Path(f"{prefix}{ext}").read_bytes())
    data = bytearray((tmp_path / "c.pdparams").read_bytes())
    data[-20] ^= 0xFF  # same size, different bytes
    (tmp_path / "c.pdparams").write_bytes(bytes(data))
    code, err = run(eval_cmd.main, ["-c", str(cfg), "-o", f"Global.checkpoints={tmp_path / 'c'}"], capsys)
    assert code == 1 and "c.pdparams: sha256 differs from the one recorded in" in err


def test_debug_flag_keeps_the_traceback(tmp_path, trained):
    _, cfg = trained
    from ppocr.errors import DataError

    with pytest.raises(DataError, match="pretrained weights not found"):
        run_cli(train.main, ["-c", str(cfg), "-o", f"Global.pretrained_model={tmp_path / 'none'}", "--debug"])


def test_real_cli_prints_one_line_and_exits_1(tmp_path):
    cfg = write_config(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "eval.py"), "-c", str(cfg), "-o",
                           f"Global.checkpoints={tmp_path / 'missing'}"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: pretrained weights not found")
    assert "Traceback" not in proc.stderr
