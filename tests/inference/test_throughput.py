"""Throughput mode: ``TextSystem.run_many`` gives the one-image results, in order, reading lazily.

On the official models and the 10 sample photos (``tools/profile_system.py --variants exact overlap
group4``): ``overlap`` (det on its own thread, group 1) is bitwise the one-image result; ``group4``
mixes images in cls/rec batches (see ``ppocr/inference/throughput.py``).
"""

import threading

import numpy as np
import pytest

from ppocr.inference import throughput
from ppocr.inference.cls import TextClassifier
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer
from ppocr.inference.system import TextSystem
from tests.helpers.tiny_models import export_tiny, sharpen_rec, text_image

DET_FLAGS = {"thresh": 0.5, "box_thresh": 0.0}  # random det weights find boxes on text_image() so


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("throughput"))
    det = TextDetector(export_tiny("det", root)[2], **DET_FLAGS)
    rec = TextRecognizer(export_tiny("rec", root, adjust=sharpen_rec)[2])
    cls = TextClassifier(export_tiny("cls", root, seed=1)[2])
    return TextSystem(det, rec, cls, drop_score=0.0)


IMAGES = [text_image(96 + 32 * (i % 3), 200 + 40 * i, seed=i) for i in range(7)]


def lines(results):
    return [[(ln.points, ln.text, ln.angle) for ln in r.lines] for r in results]


@pytest.mark.parametrize("overlap", [True, False])
def test_group_one_is_bitwise_the_one_image_result(system, overlap):
    want = [system(img) for img in IMAGES]
    assert sum(len(r.lines) for r in want) >= 7
    got = list(system.run_many(IMAGES, overlap=overlap))
    assert [r.lines for r in got] == [r.lines for r in want]
    assert [r.skipped_boxes for r in got] == [r.skipped_boxes for r in want]
    assert all({"det_inference", "crop", "rec"} <= set(r.times) for r in got)


def test_groups_keep_order_boxes_and_angles(system):
    want = [system(img) for img in IMAGES]
    got = list(system.run_many(IMAGES, group=3))
    assert len(got) == len(IMAGES)
    assert [[ln.points for ln in r.lines] for r in got] == [[ln.points for ln in r.lines] for r in want]
    scores = [abs(a.score - b.score) for r, s in zip(got, want) for a, b in zip(r.lines, s.lines)]
    assert max(scores) < 0.05  # batches mix images: scores move a little (texts may too, near ties)


def test_images_are_read_lazily_and_det_runs_on_one_long_lived_thread(system):
    taken = []

    def source():
        for i, img in enumerate(IMAGES):
            taken.append(i)
            yield img

    seen = set()
    original = throughput.detect_and_crop

    def spy(*args, **kwargs):
        seen.add(threading.get_ident())
        return original(*args, **kwargs)

    throughput.detect_and_crop = spy
    try:
        results = system.run_many(source(), overlap=True, group=2)
        first = next(results)
        assert len(taken) <= 6 and first.lines is not None  # at most 3 * group read ahead
        rest = list(results)
    finally:
        throughput.detect_and_crop = original
    assert len(rest) == len(IMAGES) - 1 and len(seen) == 1 and threading.get_ident() not in seen
    assert next(iter(seen)) == throughput._det_executor()._threads.copy().pop().ident


def test_a_failing_image_raises_from_the_iterator(system):
    bad = np.zeros((50, 60), dtype=np.uint8)  # no channel axis: normalisation cannot broadcast
    with pytest.raises(Exception):  # noqa: B017 - whatever the resize raises, it must reach the caller
        list(system.run_many([IMAGES[0], bad]))
    assert len(list(system.run_many(IMAGES[:2]))) == 2  # the det thread survives it


def test_overlap_by_default_only_with_cores_for_both(system, monkeypatch):
    threads = system.detector.predictor.cpu_threads + system.recognizer.predictor.cpu_threads
    monkeypatch.setattr(throughput.os, "cpu_count", lambda: threads)
    assert throughput.spare_cores(system)
    monkeypatch.setattr(throughput.os, "cpu_count", lambda: threads - 1)
    assert not throughput.spare_cores(system)
