"""TextSystem: reading order, drop_score, skipped boxes, angles, threads, memory, and the CLI."""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from ppocr.commands.predict_system import main as predict_system
from ppocr.inference.cls import TextClassifier
from ppocr.inference.crop import crop_box, reading_order
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer
from ppocr.inference.results import DetResult
from ppocr.inference.system import TextSystem
from tests.helpers.tiny_models import balance_cls, export_tiny, sharpen_rec, text_image

CLS_SHAPE = [3, 32, 96]
NO_TIMES = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
# Random det weights give boxes on text_image() only with these thresholds (checked in the e2e test).
DET_FLAGS = {"thresh": 0.5, "box_thresh": 0.0}


def box(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


IMG = text_image(200, 320, 3)
# Reading order: A, B on the first line; C (tall, top 60) then D (top 66) on the second.
A, B, C, D = box(10, 10, 100, 22), box(170, 14, 120, 20), box(20, 60, 20, 60), box(120, 66, 150, 24)
ZERO_WIDTH = np.array([[50, 150], [50, 150], [50, 180], [50, 180]], dtype=np.float32)
STUB_ORDER = [D, ZERO_WIDTH, B, C, A]


class StubDetector:
    """Stands in for TextDetector: the same boxes for every image."""

    def __init__(self, boxes: list[np.ndarray]) -> None:
        self.boxes = np.stack(boxes) if boxes else np.zeros((0, 4, 2), dtype=np.float32)
        self.calls = 0

    def __call__(self, img: np.ndarray):
        self.calls += 1
        return DetResult(self.boxes.copy(), dict(NO_TIMES))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("system"))
    crops = [crop_box(IMG, b)[0] for b in (A, B, C, D)]
    dirs = {
        "det": export_tiny("det", root)[2],
        "rec": export_tiny("rec", root, adjust=sharpen_rec)[2],
        "cls": export_tiny("cls", root, seed=1, adjust=lambda m: balance_cls(m, crops, CLS_SHAPE))[2],
    }
    return dirs, TextRecognizer(dirs["rec"]), TextClassifier(dirs["cls"], cls_thresh=0.0)


def expected_lines(recognizer, classifier, boxes):
    crops, angles = zip(*(crop_box(IMG, b) for b in boxes))
    angles = list(angles)
    scores = [None] * len(crops)
    if classifier is not None:
        cls = classifier(list(crops))
        crops = cls.crops
        for i, (label, score) in enumerate(cls.labels):
            scores[i] = score
            if label == "180" and score > classifier.cls_thresh:
                angles[i] += 180
    texts = recognizer(list(crops)).texts
    return texts, angles, scores


@pytest.mark.parametrize("use_cls", [True, False])
def test_lines_in_reading_order_with_angles(models, use_cls):
    _, recognizer, classifier = models
    classifier = classifier if use_cls else None
    result = TextSystem(StubDetector(STUB_ORDER), recognizer, classifier, drop_score=0.0)(IMG)
    assert result.skipped_boxes == 1
    assert [line.points for line in result.lines] == [b.tolist() for b in (A, B, C, D)]
    texts, angles, cls_scores = expected_lines(recognizer, classifier, (A, B, C, D))
    assert [(line.text, line.score) for line in result.lines] == texts
    assert [line.angle for line in result.lines] == angles
    assert [line.cls_score for line in result.lines] == cls_scores
    if use_cls:  # the fixture balanced the classifier: some crops flipped, some not
        assert {a % 180 for a in angles} == {0, 90} and any(a >= 180 for a in angles)
        assert any(a < 180 for a in angles) and "cls" in result.times
    else:
        assert angles == [0, 0, 90, 0] and "cls" not in result.times
    assert {"det_preprocess", "crop", "rec"} <= set(result.times)
    assert result.lines[0].to_dict()["angle"] == angles[0]


def test_drop_score_keeps_scores_at_or_above_it(models):
    _, recognizer, classifier = models
    everything = TextSystem(StubDetector(STUB_ORDER), recognizer, classifier, drop_score=0.0)(IMG).lines
    scores = [line.score for line in everything]
    assert len(everything) == 4 and len(set(scores)) > 1
    for threshold in sorted(set(scores)):
        kept = TextSystem(StubDetector(STUB_ORDER), recognizer, classifier, drop_score=threshold)(IMG).lines
        assert kept == [line for line in everything if line.score >= threshold]
        assert 0 < len(kept) <= 4
    none = TextSystem(StubDetector(STUB_ORDER), recognizer, classifier, drop_score=max(scores) + 1e-6)(IMG)
    assert none.lines == [] and none.skipped_boxes == 1


def test_only_degenerate_or_no_boxes(models):
    _, recognizer, classifier = models
    result = TextSystem(StubDetector([ZERO_WIDTH, ZERO_WIDTH[::-1]]), recognizer, classifier)(IMG)
    assert result.lines == [] and result.skipped_boxes == 2
    result = TextSystem(StubDetector([]), recognizer, classifier)(IMG)
    assert result.lines == [] and result.skipped_boxes == 0


def test_threads_give_the_same_results_as_sequential(models):
    dirs, recognizer, classifier = models
    detector = TextDetector(dirs["det"], **DET_FLAGS)
    system = TextSystem(detector, recognizer, classifier, drop_score=0.0)
    images = [text_image(64 + 32 * (i % 4), 160 + 32 * i, seed=i) for i in range(8)]
    sequential = [system(img) for img in images]
    assert sum(len(r.lines) for r in sequential) >= 8  # the detector found boxes to work on
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(system, images * 2))
    for got, want in zip(concurrent, sequential * 2):
        assert got.lines == want.lines and got.skipped_boxes == want.skipped_boxes


def vm_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def test_memory_stays_bounded_over_many_input_sizes(models):
    """oneDNN keeps primitives and buffers per input shape; Predictor caps that cache at 10 shapes.

    Measured for this model: uncapped, each new shape keeps ~8 MB, so runs 11-25 (15 new
    shapes) add ~120 MB; capped at 10, RSS grows ~30 MB after run 10 (allocator slack) and
    then stays flat. 64 MB sits between the two: it fails if the cap is lost.
    """
    dirs, _, _ = models
    detector = TextDetector(dirs["det"])
    sizes = [(64 + 32 * (i % 5), 96 + 32 * (i // 5)) for i in range(25)]  # 25 distinct net inputs
    images = [text_image(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    assert len({tuple(detector.preprocess(img)[0].shape) for img in images}) == 25
    for i in range(40):
        detector(images[i % 25])
        if i == 9:
            after_ten = vm_rss_mb()
    assert detector.predictor.enable_mkldnn
    assert vm_rss_mb() - after_ten < 64


def test_predict_system_cli_writes_results_json_and_pictures(models, tmp_path, capsys):
    dirs, _, _ = models
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), text_image(160, 320, 0))
    cv2.imwrite(str(images / "b.jpg"), text_image(96, 320, 2))
    (images / "broken.png").write_bytes(b"not an image")
    out_dir, out_json = tmp_path / "out", tmp_path / "result.json"
    rows = predict_system([
        "--image_dir", str(images), "--det_model_dir", dirs["det"], "--rec_model_dir", dirs["rec"],
        "--use_angle_cls", "true", "--cls_model_dir", dirs["cls"], "--cls_thresh", "0.0",
        "--det_db_thresh", str(DET_FLAGS["thresh"]), "--det_db_box_thresh", str(DET_FLAGS["box_thresh"]),
        "--drop_score", "0", "--draw_img_save_dir", str(out_dir), "--output", str(out_json)])
    assert [os.path.basename(r["path"]) for r in rows] == ["a.png", "b.jpg"]
    assert all(len(r["lines"]) > 0 for r in rows)
    with open(out_dir / "system_results.txt", encoding="utf-8") as f:
        saved = [line.rstrip("\n").split("\t") for line in f]
    assert [(p, json.loads(lines)) for p, lines in saved] == [  # upstream's keys, so its tools read it
        (r["path"], [{"transcription": ln["text"], "points": ln["points"], "score": ln["score"]} for ln in r["lines"]])
        for r in rows]
    report = json.loads(out_json.read_text())
    assert report["results"] == rows and len(report["unreadable"]) == 1
    assert "broken.png" in report["unreadable"][0]
    for row, (h, w) in zip(rows, [(160, 320), (96, 320)]):
        line = row["lines"][0]
        assert set(line) == {"points", "text", "score", "angle", "cls_score"}
        assert line["angle"] in (0, 90, 180, 270) and 0.0 <= line["cls_score"] <= 1.0
        assert reading_order([np.array(x["points"]) for x in row["lines"]]) == list(range(len(row["lines"])))
        stem, ext = os.path.splitext(os.path.basename(row["path"]))
        picture = cv2.imread(str(out_dir / f"{stem}_ocr{ext}"))
        assert picture.shape == (h, 2 * w, 3)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == sum(len(r["lines"]) for r in rows)
