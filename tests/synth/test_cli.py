"""tools/synth_data.py: generates datasets and previews, reports errors with exit code 2."""

import importlib.util
import json
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[2]


def _cli():
    spec = importlib.util.spec_from_file_location("synth_data_cli", ROOT / "tools" / "synth_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _summary(out: str) -> dict:
    """The JSON summary printed after any log lines."""
    return json.loads(out[out.index("{\n") :])


def test_cli_rec_ensure(tmp_path: Path, capsys):
    cli = _cli()
    argv = [
        "--kind",
        "rec",
        "--out",
        str(tmp_path / "r"),
        "--num_train",
        "3",
        "--num_val",
        "1",
        "--seed",
        "2",
    ]
    assert cli.main(argv + ["--ensure"]) == 0
    info = _summary(capsys.readouterr().out)
    assert info["created"] and Path(info["train_lmdb"]).is_dir()
    assert cli.main(argv + ["--ensure"]) == 0
    assert _summary(capsys.readouterr().out)["created"] is False


def test_cli_det_and_cls(tmp_path: Path, capsys):
    cli = _cli()
    assert (
        cli.main(
            [
                "--kind",
                "det",
                "--out",
                str(tmp_path / "d"),
                "--num_train",
                "1",
                "--num_val",
                "1",
                "--size",
                "128",
                "96",
            ]
        )
        == 0
    )
    assert _summary(capsys.readouterr().out)["params"]["size"] == [[128, 128], [96, 96]]
    assert (
        cli.main(["--kind", "cls", "--out", str(tmp_path / "c"), "--num_train", "2", "--num_val", "0"]) == 0
    )
    assert (tmp_path / "c" / "train" / "label.txt").read_text().count("\n") == 2


def test_cli_errors(tmp_path: Path, capsys):
    cli = _cli()
    assert cli.main(["--kind", "rec", "--num_train", "1"]) == 2
    assert "--out is required" in capsys.readouterr().err
    assert cli.main(["--kind", "rec", "--out", str(tmp_path / "x"), "--num_train", "-2"]) == 2
    assert "num_train" in capsys.readouterr().err


def test_previews(tmp_path: Path):
    cli = _cli()
    for kind in ("rec", "cls", "det"):
        out = tmp_path / f"{kind}.png"
        assert cli.main(["--kind", kind, "--preview", str(out)]) == 0
        img = cv2.imread(str(out))
        assert img is not None and img.shape[0] > 100 and img.shape[1] > 300
