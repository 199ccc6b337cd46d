"""``ppocr label``: its mistakes are one ``error:`` line, before any model is loaded."""

import socket

import pytest

from ppocr.cli import main as ppocr_main


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ppocr_main(argv)
    return exit_info.value.code, capsys.readouterr().err.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_missing_folder(tmp_path, capsys):
    code, err = _run(["label", str(tmp_path / "nope"), "--port", str(_free_port())], capsys)
    assert code == 1 and err == f"error: image folder not found: {tmp_path / 'nope'}"


def test_port_in_use(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, err = _run(["label", str(tmp_path), "--port", str(port)], capsys)
    assert code == 1 and err.startswith(f"error: cannot listen on 127.0.0.1:{port}") and "--port" in err


def test_bad_options(tmp_path, capsys):
    code, err = _run(["label", str(tmp_path), "--low_score", "2", "--port", str(_free_port())], capsys)
    assert code == 1 and err == "error: --low_score must be within [0, 1], got 2.0"
    code, err = _run(["label", "split", str(tmp_path)], capsys)
    assert code == 1 and "is not a ppocr label export (no manifest.json)" in err
    code, err = _run(["label", "export", str(tmp_path), "--tall_ratio", "-1"], capsys)
    assert code == 1 and err == "error: --tall_ratio must be >= 0, got -1.0"


def test_export_of_an_empty_project(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    ppocr_main(["label", "export", str(tmp_path / "photos"), "--out", str(tmp_path / "out")])
    assert capsys.readouterr().out.startswith("exported 0 images (0 boxes) and 0 crops")
    assert (tmp_path / "out" / "det" / "det_gt.txt").read_text() == ""
