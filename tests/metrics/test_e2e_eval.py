"""End-to-end evaluation: reading label/result files, matching, and hand-computed figures."""

from __future__ import annotations

import json

import pytest

from ppocr.errors import DataError
from ppocr.metrics.e2e_eval import TextRegion, evaluate, evaluate_image, pair_paths, read_ocr_file
from ppocr.metrics.icdar2015_eval import DetectionIoUEvaluator


def rect(x: float, y: float, w: float = 40, h: float = 10) -> list[list[float]]:
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def item(text: str, points: list[list[float]], key: str = "transcription", **extra) -> dict:
    return {key: text, "points": points, **extra}


def write(tmp_path, name: str, rows: dict[str, list[dict]]) -> str:
    path = tmp_path / name
    path.write_text("".join(f"{p}\t{json.dumps(items)}\n" for p, items in rows.items()), encoding="utf-8")
    return str(path)


def run(tmp_path, labels: dict, results: dict):
    return evaluate(read_ocr_file(write(tmp_path, "l.txt", labels)),
                    read_ocr_file(write(tmp_path, "r.txt", results), labels=False))


A, B, C, D = rect(0, 0), rect(0, 50), rect(100, 0), rect(100, 50)


def test_perfect():
    gts = [TextRegion(A, "HOTEL"), TextRegion(B, "GRAND")]
    im = evaluate_image("a.jpg", gts, [TextRegion(B, "GRAND"), TextRegion(A, "HOTEL")])
    assert (im.gt_care, im.det_care, im.matched, im.hits) == (2, 2, 2, 2)
    assert im.f1 == 1.0 and im.ned_sum == 0.0 and not (im.misses or im.false_boxes or im.misreads)


def test_miss_false_box_misread_and_case_by_hand(tmp_path):
    labels = {"a.jpg": [item("HOTEL", A), item("GRAND", B), item("Paris", C)],
              "b.jpg": [item("EXIT", A), item("OPEN", B)]}
    results = {"a.jpg": [item("HOTEL", A), item("GRANO", B), item("paris", C), item("x", rect(300, 300))],
               "b.jpg": [item("EXIT", A)]}  # OPEN missed
    res = run(tmp_path, labels, results)
    # gt care 5, det care 5, matched 4 (HOTEL, GRAND, Paris, EXIT); exact hits 2 (HOTEL, EXIT);
    # case-insensitive hits 3 (+ Paris/paris)
    assert res.det == pytest.approx({"precision": 0.8, "recall": 0.8, "hmean": 0.8})
    assert res.e2e == pytest.approx({"precision": 0.4, "recall": 0.4, "f1": 0.4})
    assert res.e2e_case_insensitive == pytest.approx({"precision": 0.6, "recall": 0.6, "f1": 0.6})
    # NED per matched pair: 0, 1/5 (GRAND->GRANO), 1/5 (Paris->paris, one substitution), 0
    assert res.char_ned == pytest.approx((0.2 + 0.2) / 4)
    a, b = res.images
    assert a.f1 == pytest.approx(2 * 1 / (3 + 4)) and b.f1 == pytest.approx(2 * 1 / (2 + 1))
    assert [m.to_dict() for m in a.misreads] == [
        {"points": B, "label": "GRAND", "predicted": "GRANO", "ned": 0.2},
        {"points": C, "label": "Paris", "predicted": "paris", "ned": 0.2}]
    assert [f.text for f in a.false_boxes] == ["x"] and a.misses == []
    assert [m.text for m in b.misses] == ["OPEN"] and b.false_boxes == []
    assert [im.path for im in res.worst(5)] == ["a.jpg", "b.jpg"]  # 0.2857 < 0.6667


def test_dont_care_regions(tmp_path):
    labels = {"a.jpg": [item("###", A), item("KEEP", B), item("blurry", C, difficult=True),
                        item("shown", D, difficult=False)]}
    # a detection on each don't-care region (read or not), one on KEEP, none on "shown"
    results = {"a.jpg": [item("zz", A), item("KEEP", B), item("blurry", C)]}
    res = run(tmp_path, labels, results)
    im = res.images[0]
    assert (im.gt_care, im.det_care, im.matched, im.hits, im.dont_care_dets) == (2, 1, 1, 1, 2)
    assert res.det == pytest.approx({"precision": 1.0, "recall": 0.5, "hmean": 2 / 3})
    assert res.e2e["f1"] == pytest.approx(2 / 3) and [m.text for m in im.misses] == ["shown"]


def test_det_counts_equal_the_icdar2015_evaluator():
    gts = [TextRegion(A, "a"), TextRegion(rect(2, 0), "b"), TextRegion(B, "###", ignore=True), TextRegion(C, "c")]
    dets = [TextRegion(rect(1, 0), "a"), TextRegion(rect(3, 1), "b"), TextRegion(B, "q"),
            TextRegion(rect(100, 3), "c"), TextRegion(rect(500, 5), "f")]
    im = evaluate_image("x", gts, dets)
    ref = DetectionIoUEvaluator().evaluate_image([g.points for g in gts], [g.ignore for g in gts],
                                                 [d.points for d in dets])
    assert (im.gt_care, im.det_care, im.matched) == (ref.gt_care, ref.det_care, ref.matched) == (3, 4, 3)


def test_iou_at_exactly_half_does_not_match():
    # det covers the left half of the label box twice as wide: IoU = 20*10 / (40*10) = 0.5
    im = evaluate_image("x", [TextRegion(A, "t")], [TextRegion(rect(0, 0, w=20), "t")])
    assert im.matched == 0 and im.hits == 0


def test_text_key_images_without_results_and_unlabelled_results(tmp_path):
    labels = {"imgs/a.jpg": [item("HOTEL", A)], "imgs/b.jpg": [item("GRAND", A)], "imgs/e.jpg": []}
    results = {"/data/imgs/a.jpg": [item("HOTEL", A, key="text", score=0.9)],
               "/data/imgs/e.jpg": [], "/data/other.jpg": [item("x", A, key="text")]}
    res = run(tmp_path, labels, results)
    assert [im.result_path for im in res.images] == ["/data/imgs/a.jpg", None, "/data/imgs/e.jpg"]
    assert res.e2e == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3})
    assert res.unlabelled_results == ["/data/other.jpg"]
    out = res.to_dict()
    assert out["counts"] == {"gt_care": 2, "det_care": 1, "matched": 1, "hits": 1, "hits_case_insensitive": 1,
                             "dont_care_dets": 0, "images": 3, "images_without_results": 1}
    assert res.images[2].f1 == 1.0 and [im.path for im in res.worst(10)] == ["imgs/b.jpg"]
    json.dumps(out)  # JSON-able


def test_no_match_gives_no_char_ned(tmp_path):
    res = run(tmp_path, {"a.jpg": [item("HOTEL", A)]}, {"a.jpg": [item("HOTEL", D)]})
    assert res.char_ned is None and res.to_dict()["char_ned"] is None
    assert res.e2e == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_pair_paths_rules(tmp_path):
    labels = ["a.jpg", "x/b.jpg", "y/b.jpg", "sub/c.jpg"]
    results = ["a.jpg", "/r/x/b.jpg", "/r/y/b.jpg", "/elsewhere/c.jpg"]
    assert pair_paths(labels, results) == {"a.jpg": "a.jpg", "sub/c.jpg": "/elsewhere/c.jpg"}  # b.jpg ambiguous
    assert pair_paths(labels, results, image_root="/r") == {
        "a.jpg": "a.jpg", "x/b.jpg": "/r/x/b.jpg", "y/b.jpg": "/r/y/b.jpg", "sub/c.jpg": "/elsewhere/c.jpg"}


def test_numeric_string_scores_and_blank_lines(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("\ufeffa.jpg\t" + json.dumps([item("A", A, score="0.75"), item("B", B, score="n/a")])
                    + "\n\n  \nb.jpg\t[]\r\n", encoding="utf-8")
    got = read_ocr_file(str(path), labels=False)
    assert list(got) == ["a.jpg", "b.jpg"] and [r.score for r in got["a.jpg"]] == [0.75, None]
    assert got["b.jpg"] == []


@pytest.mark.parametrize("line, message", [
    ("a.jpg [{}]", r"l.txt:2: expected 'image_path<TAB>JSON list', found no tab"),
    ("a.jpg\t[{\"transcription\": \"x\"", r"l.txt:2: invalid JSON"),
    ("a.jpg\t{}", r"l.txt:2: expected a JSON list"),
    ("a.jpg\t[3]", r"l.txt:2 item 0: expected an object"),
    ("a.jpg\t[{\"points\": [[0, 0], [1, 0], [1, 1]]}]", r"l.txt:2 item 0: .*neither 'transcription' nor 'text'"),
    ("a.jpg\t[{\"transcription\": 5, \"points\": [[0, 0]]}]", r"l.txt:2 item 0: 'transcription' must be a string"),
    ("a.jpg\t[{\"transcription\": \"x\", \"points\": [[0, \"1\"]]}]", r"l.txt:2 item 0: 'points' must be"),
    ("a.jpg\t[{\"transcription\": \"x\", \"points\": []}]", r"l.txt:2 item 0: 'points' must be"),
    ("z.jpg\t[]", r"l.txt:2: z.jpg is listed again \(first at line 1\)"),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "l.txt"
    path.write_text(f"z.jpg\t[]\n{line}\n", encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_ocr_file(str(path))


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="label file not found"):
        read_ocr_file(str(tmp_path / "missing.txt"))
    (tmp_path / "bad.txt").write_bytes(b"a.jpg\t[\xff]\n")
    with pytest.raises(DataError, match="results file is not UTF-8"):
        read_ocr_file(str(tmp_path / "bad.txt"), labels=False)
