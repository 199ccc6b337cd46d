"""``ppocr eval_e2e`` / tools/eval_e2e.py: a results file or our system on labelled photos -> OUT.json + pictures."""

from __future__ import annotations

import json

import cv2
import pytest

from ppocr.commands.entry import run_cli
from ppocr.commands.eval_e2e import main
from tests.helpers.tiny_models import export_tiny, sharpen_rec, text_image

# Random det weights give boxes on text_image() with these thresholds (as tests/inference/test_system.py).
DET_FLAGS = ["--det_db_thresh", "0.5", "--det_db_box_thresh", "0.0"]


def rect(x: float, y: float, w: float = 60, h: float = 20) -> list[list[float]]:
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def write_lines(path, rows: dict[str, list[dict]]) -> str:
    path.write_text("".join(f"{p}\t{json.dumps(items)}\n" for p, items in rows.items()), encoding="utf-8")
    return str(path)


@pytest.fixture()
def photos(tmp_path):
    (tmp_path / "imgs").mkdir()
    for i, name in enumerate(["a.png", "b.png"]):
        cv2.imwrite(str(tmp_path / "imgs" / name), text_image(120, 200, i))
    labels = {"imgs/a.png": [{"transcription": "HOTEL", "points": rect(10, 10)},
                             {"transcription": "###", "points": rect(10, 60)}],
              "imgs/b.png": [{"transcription": "Exit", "points": rect(20, 20)},
                             {"transcription": "OPEN", "points": rect(20, 80)}]}
    return tmp_path, write_lines(tmp_path / "labels.txt", labels)


def test_results_file_gives_figures_report_and_pictures(photos):
    root, labels = photos
    # a.png perfect; b.png: "exit" misread by case, OPEN missed, one false box; `text` key as our old files
    results = write_lines(root / "system_results.txt", {
        str(root / "imgs" / "a.png"): [{"transcription": "HOTEL", "points": rect(11, 10), "score": 0.9}],
        str(root / "imgs" / "b.png"): [{"text": "exit", "points": rect(20, 21), "score": 0.8},
                                       {"text": "zz", "points": rect(130, 90, 40, 20), "score": 0.7}]})
    out, report_dir = root / "out" / "e2e.json", root / "report"
    report = main(["--label_file", labels, "--results", results, "--image_root", str(root),
                   "--output", str(out), "--report_dir", str(report_dir)])
    assert json.loads(out.read_text(encoding="utf-8")) == report
    # care: gt 3 (HOTEL, Exit, OPEN), det 3; matched 2; exact hits 1, case-insensitive 2
    assert report["det"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "hmean": 2 / 3})
    assert report["e2e"] == pytest.approx({"precision": 1 / 3, "recall": 1 / 3, "f1": 1 / 3})
    assert report["e2e_case_insensitive"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert report["char_ned"] == pytest.approx((0 + 0.25) / 2)
    b = report["images"][1]
    assert b["path"] == "imgs/b.png" and b["f1"] == pytest.approx(0.0)
    assert [m["text"] for m in b["misses"]] == ["OPEN"] and [f["text"] for f in b["false_boxes"]] == ["zz"]
    assert b["misreads"] == [{"points": rect(20, 20), "label": "Exit", "predicted": "exit", "ned": 0.25}]
    assert [p["path"] for p in report["pictures"]] == ["imgs/b.png"]  # a.png is perfect: not drawn
    picture = cv2.imread(report["pictures"][0]["picture"])
    assert picture.shape == (2 * (120 + 26), 2 * 200, 3)


def test_malformed_results_line_is_one_error_line(photos, capsys):
    root, labels = photos
    bad = root / "r.txt"
    bad.write_text("imgs/a.png\t[]\nimgs/b.png\t[{\"points\": [[0, 0], [1, 0], [1, 1]]}]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        run_cli(main, ["--label_file", labels, "--results", str(bad)])
    assert exc.value.code == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {bad}:2 item 0: text instance has neither 'transcription' nor 'text'")


def test_flag_combinations(photos, capsys):
    _, labels = photos
    with pytest.raises(SystemExit) as exc:
        main(["--label_file", labels])
    assert exc.value.code == 2 and "pass --results FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--label_file", labels, "--results", labels, "--det_model_dir", "d"])
    assert "drop --det_model_dir" in capsys.readouterr().err


def test_system_run_matches_its_saved_results(photos, tmp_path_factory):
    root, labels = photos
    models = str(tmp_path_factory.mktemp("e2e_models"))
    det, rec = export_tiny("det", models)[2], export_tiny("rec", models, adjust=sharpen_rec)[2]
    saved = root / "saved" / "system_results.txt"
    common = ["--label_file", labels, "--image_root", str(root), "--drop_score", "0"]
    report = main([*common, "--image_dir", str(root / "imgs"), "--det_model_dir", det, "--rec_model_dir", rec,
                   *DET_FLAGS, "--save_results", str(saved)])
    assert report["counts"]["images"] == 2 and report["counts"]["images_without_results"] == 0
    assert report["counts"]["det_care"] > 0  # the thresholds give boxes
    assert report["results_file"] == str(saved)
    lines = [line.split("\t") for line in saved.read_text(encoding="utf-8").splitlines()]
    assert [p for p, _ in lines] == [str(root / "imgs" / n) for n in ("a.png", "b.png")]
    assert all(set(entry) == {"transcription", "points", "score"} for _, items in lines for entry in json.loads(items))
    again = main([*common, "--results", str(saved)])
    for key in ("det", "e2e", "e2e_case_insensitive", "char_ned", "counts"):
        assert again[key] == report[key]
    # the system's own output as labels: every box matched and read "correctly"
    as_labels = write_lines(root / "self.txt", {f"imgs/{p.rsplit('/', 1)[-1]}": json.loads(items)
                                                 for p, items in lines})
    self_eval = main(["--label_file", as_labels, "--image_root", str(root), "--results", str(saved)])
    assert self_eval["e2e"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0} and self_eval["char_ned"] == 0.0
