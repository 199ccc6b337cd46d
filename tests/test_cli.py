"""``ppocr CMD ...``: the usage line, exit codes, and that a command's module ``main`` gets the rest."""

import importlib
import sys

import pytest

from ppocr.cli import COMMANDS, main


def _usage(capsys) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


@pytest.mark.parametrize(("argv", "code"), [([], 2), (["no_such_command"], 2), (["--help"], 0), (["-h"], 0)])
def test_usage_line_and_exit_code(capsys, argv, code):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == code
    text = _usage(capsys)
    assert text.startswith("usage: ppocr {" + "|".join(COMMANDS) + "}")


def test_no_argv_reads_sys_argv(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["ppocr"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2 and _usage(capsys).startswith("usage: ppocr")


def test_command_main_receives_the_remaining_argv(monkeypatch):
    module = importlib.import_module(COMMANDS["synth"])
    calls = []
    monkeypatch.setattr(module, "main", lambda argv: calls.append(list(argv)))
    main(["synth", "--kind", "rec", "--num_train", "3"])
    assert calls == [["--kind", "rec", "--num_train", "3"]]
    monkeypatch.setattr(sys, "argv", ["ppocr", "synth", "-h"])
    main()
    assert calls[-1] == ["-h"]  # a command's own --help goes to the command, not to the usage line


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_module_has_a_main(name):
    module = importlib.import_module(COMMANDS[name])
    assert callable(module.main), f"{COMMANDS[name]} has no main(argv)"
