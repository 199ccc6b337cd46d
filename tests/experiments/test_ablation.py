"""tools/ablation.py: every variant under one budget, the teacher first, a table of the results."""

import copy
import json
import os
from pathlib import Path

import pytest
import yaml

from ppocr.commands import ablation as ablation_cmd
from ppocr.config import load_config
from ppocr.errors import ConfigError
from ppocr.experiments.ablation import (
    KEEP_MARKER,
    TEACHERS,
    VARIANTS,
    Variant,
    run_ablation,
    same_data,
    smoke_config,
    write_report,
)

ROOT = Path(__file__).resolve().parents[2]


def tiny_loader(data_root):
    """The demo configs on tiny synthetic data; det scenes and crops of 64 px."""

    def load(path):
        cfg = smoke_config(load_config(ROOT / path), str(data_root))
        if cfg["Global"]["synth_data"]["kind"] == "det":
            cfg["Global"]["synth_data"]["size"] = [64, 64]
            for op in cfg["Train"]["dataset"]["transforms"]:
                if isinstance(op, dict) and "EastRandomCropData" in op:
                    op["EastRandomCropData"]["size"] = [64, 64]
        return cfg

    return load


def table_rows(md):
    lines = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| task")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_every_variant_trains_the_same_budget_and_lands_in_the_table(tmp_path):
    rows = run_ablation(("det", "rec"), steps=2, work_dir=str(tmp_path / "work"),
                        load=tiny_loader(tmp_path / "data"))
    expected = [("det", "teacher (for CML)")] + [(v.task, v.name) for t in ("det", "rec") for v in VARIANTS[t]]
    assert [(r["task"], r["variant"]) for r in rows] == expected
    assert [v.name for v in VARIANTS["det"]] == ["student", "+CopyPaste", "+DML", "+CML"]
    assert [v.name for v in VARIANTS["rec"]] == ["student", "student + fc", "+UDML", "+Enhanced CTC"]
    for r in rows:
        assert r["steps"] == 2 and r["train_seconds"] > 0 and r["evaluated"] == r["total"] == 4, r
        assert r["metric"] == ("hmean" if r["task"] == "det" else "acc") and 0.0 <= r["value"] <= 1.0
    by_name = {(r["task"], r["variant"]): r for r in rows}
    assert set(by_name["rec", "student"]["figures"]) == {"norm_edit_dis"}
    # the control differs from the student by the head's extra fc layer only
    control = yaml.safe_load(open(tmp_path / "work" / "rec" / "student_fc" / "config.yml", encoding="utf-8"))
    student = yaml.safe_load(open(tmp_path / "work" / "rec" / "student" / "config.yml", encoding="utf-8"))
    assert control["Architecture"]["Head"] == {**student["Architecture"]["Head"], "mid_channels": 96}
    assert control["Loss"] == student["Loss"] and control["Train"] == student["Train"]
    assert {"Teacher_acc", "norm_edit_dis"} <= set(by_name["rec", "+UDML"]["figures"])  # Student plain, Teacher named
    assert {"precision", "recall"} <= set(by_name["det", "student"]["figures"])
    # CML's frozen Teacher starts from the teacher trained just before, under the same budget
    cml = yaml.safe_load(open(tmp_path / "work" / "det" / "cml" / "config.yml", encoding="utf-8"))
    assert cml["Architecture"]["Models"]["Teacher"]["pretrained"] == str(tmp_path / "work" / "det" / "teacher"
                                                                         / "latest")
    assert {c["Global"]["seed"] for c in (cml, yaml.safe_load(open(tmp_path / "work" / "rec" / "udml" / "config.yml",
                                                                   encoding="utf-8")))} == {1024}
    assert TEACHERS["det"].endswith("det_teacher_demo.yml")

    md_path, json_path = write_report(rows, str(tmp_path / "docs" / "ABLATION.md"), "python tools/ablation.py x")
    md = open(md_path, encoding="utf-8").read()
    table = table_rows(md)
    assert [(t, v.strip("*")) for t, v, *_ in table if t != "---"] == expected
    assert all(row[5] == "2" for row in table if row[0] != "---")
    assert "python tools/ablation.py x" in md and "random" in md  # command and the center-init note
    assert len(json.load(open(json_path, encoding="utf-8"))["rows"]) == len(expected)


def fake_row(task, variant, value):
    return {"task": task, "variant": variant, "role": "variant", "config": "c.yml", "metric": "acc",
            "value": value, "train_seconds": 1.0, "steps": 3}


def test_report_replaces_rerun_tasks_and_keeps_the_others(tmp_path):
    out = str(tmp_path / "ABLATION.md")
    write_report([fake_row("det", "student", 0.5), fake_row("rec", "student", 0.25)], out, "cmd all")
    with open(out, "a", encoding="utf-8") as f:
        f.write(f"\n{KEEP_MARKER}\n## Findings\nall blank so far\n")
    write_report([fake_row("rec", "student", 0.75), fake_row("rec", "+UDML", 0.8)], out, "cmd rec")
    table = [r for r in table_rows(open(out, encoding="utf-8").read()) if r[0] != "---"]
    assert [(r[0], r[1], r[3]) for r in table] == [("det", "student", "0.5000"), ("rec", "student", "0.7500"),
                                                   ("rec", "+UDML", "0.8000")]
    md = open(out, encoding="utf-8").read()
    assert md.count(KEEP_MARKER) == 1 and md.endswith("## Findings\nall blank so far\n")
    data = json.load(open(tmp_path / "ABLATION.json", encoding="utf-8"))["rows"]
    assert [r["command"] for r in data] == ["cmd all", "cmd rec", "cmd rec"]


def test_variants_must_read_the_same_data():
    base = load_config(ROOT / VARIANTS["rec"][0].config)
    other = copy.deepcopy(base)
    other["Train"]["dataset"]["transforms"] = other["Train"]["dataset"]["transforms"][:1]  # transforms may differ
    other["Train"]["dataset"]["ext_op_transform_idx"] = 2
    same_data("rec", {"a": base, "b": other})
    other["Train"]["dataset"]["data_dir"] = "./elsewhere"
    with pytest.raises(ConfigError, match="'b' reads other data than 'a'"):
        same_data("rec", {"a": base, "b": other})
    more = copy.deepcopy(base)
    more["Global"]["synth_data"]["num_train"] = 30000
    with pytest.raises(ConfigError, match="same data"):
        same_data("rec", {"a": base, "b": more})


def test_bad_budget_task_and_teacher_slot(tmp_path):
    load = tiny_loader(tmp_path / "data")
    with pytest.raises(ConfigError, match="positive integer"):
        run_ablation(("rec",), steps=0, work_dir=str(tmp_path), load=load)
    with pytest.raises(ConfigError, match="unknown ablation task 'cls'"):
        run_ablation(("cls",), steps=1, work_dir=str(tmp_path), load=load)
    student = VARIANTS["rec"][0].config
    with pytest.raises(ConfigError, match="has no 'Teacher'"):
        run_ablation(("rec",), steps=1, work_dir=str(tmp_path / "w"), load=load,
                     variants={"rec": [Variant("rec", "+CML", student, teacher="Teacher")]},
                     teachers={"rec": student})


def test_cli_smoke_run_writes_its_table_under_the_work_dir(tmp_path):
    work = tmp_path / "work"
    rows = ablation_cmd.main(["--task", "rec", "--steps", "1", "--smoke", "--work_dir", str(work)])
    assert [r["variant"] for r in rows] == ["student", "student + fc", "+UDML", "+Enhanced CTC"]
    md = open(work / "ABLATION_smoke.md", encoding="utf-8").read()
    assert f"--smoke --work_dir {work}" in md and len(table_rows(md)) == 5  # separator + 4 rows
    assert os.path.isfile(work / "ABLATION_smoke.json") and not os.path.exists(tmp_path / "docs")
    # one row again, in its own run: that row is replaced, the others stay
    again = ablation_cmd.main(["--task", "rec", "--steps", "1", "--smoke", "--work_dir", str(work),
                               "--variants", "+Enhanced CTC"])
    assert [r["variant"] for r in again] == ["+Enhanced CTC"]
    table = table_rows(open(work / "ABLATION_smoke.md", encoding="utf-8").read())
    assert [r[1] for r in table if r[0] != "---"] == ["student", "student + fc", "+UDML", "+Enhanced CTC"]


def test_chosen_variants_only_and_the_teacher_only_when_needed(tmp_path):
    load = tiny_loader(tmp_path / "data")
    rows = run_ablation(("det",), steps=1, work_dir=str(tmp_path / "a"), load=load, only=["+CopyPaste"])
    assert [r["variant"] for r in rows] == ["+CopyPaste"]
    assert not (tmp_path / "a" / "det" / "teacher").exists()
    rows = run_ablation(("det",), steps=1, work_dir=str(tmp_path / "b"), load=load, only=["+CML"])
    assert [(r["role"], r["variant"]) for r in rows] == [("teacher", "teacher (for CML)"), ("variant", "+CML")]
    with pytest.raises(ConfigError, match=r"no variant named '\+UDML' in det; variants: student, \+CopyPaste"):
        run_ablation(("det",), steps=1, work_dir=str(tmp_path / "c"), load=load, only=["+UDML"])
    with pytest.raises(ConfigError, match="none given"):
        run_ablation(("det",), steps=1, work_dir=str(tmp_path / "c"), load=load, only=[])


def test_rows_from_separate_runs_merge_in_table_order(tmp_path):
    out = str(tmp_path / "ABLATION.md")
    teacher = {**fake_row("det", "teacher (for CML)", 0.9), "role": "teacher"}
    write_report([fake_row("rec", "+UDML", 0.4)], out, "cmd rec")
    write_report([teacher, fake_row("det", "+CML", 0.6)], out, "cmd cml")
    write_report([fake_row("det", "+DML", 0.55), fake_row("det", "student", 0.5)], out, "cmd rest")
    write_report([fake_row("det", "student", 0.52)], out, "cmd student again")  # replaces only that row
    table = [(r[0], r[1], r[3]) for r in table_rows(open(out, encoding="utf-8").read()) if r[0] != "---"]
    assert table == [("det", "*teacher (for CML)*", "0.9000"), ("det", "student", "0.5200"),
                     ("det", "+DML", "0.5500"), ("det", "+CML", "0.6000"), ("rec", "+UDML", "0.4000")]
    md = open(out, encoding="utf-8").read()
    assert all(c in md for c in ("cmd cml", "cmd rest", "cmd student again", "cmd rec"))


def test_cli_keeps_the_rows_finished_before_an_interruption(tmp_path, monkeypatch):
    import ppocr.experiments.ablation as ablation_mod

    real, calls = ablation_mod.train_and_evaluate, []

    def second_one_breaks(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ablation_mod, "train_and_evaluate", second_one_breaks)
    work = tmp_path / "work"
    with pytest.raises(KeyboardInterrupt):
        ablation_cmd.main(["--task", "rec", "--steps", "1", "--smoke", "--work_dir", str(work)])
    table = table_rows(open(work / "ABLATION_smoke.md", encoding="utf-8").read())
    assert [r[1] for r in table if r[0] != "---"] == ["student"]
