"""Rec batches shared across requests: the plan, the warm-up probe, and bitwise-equal results on real crops."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ppocr.serving.batching import (
    BatchedRecognizer,
    ExactRule,
    FreeRule,
    NoMerge,
    RecBatcher,
    batch_signatures,
    plan_batches,
    rec_runner,
)
from tests.serving.conftest import SAMPLES

SHAPE = (3, 32, 320)
# the table the probe finds for the PP-OCRv2 recognizer on the 2-core machine here (sizes 1..9)
REAL_LIKE = [(), (0,), *[(1,) * n for n in range(2, 8)], (2,) * 8, (2,) * 8 + (0,)]


def test_plan_merges_only_where_each_row_keeps_its_result():
    rule = ExactRule(REAL_LIKE, SHAPE)
    assert rule.fits(SHAPE, [3, 4]) and rule.fits(SHAPE, [2, 2, 3])
    assert not rule.fits(SHAPE, [6, 2])  # 8 rows: class of 8, not of 6/2
    assert not rule.fits(SHAPE, [1, 1])  # a lone crop's result is the size-1 one
    assert not rule.fits((3, 32, 480), [2, 2])  # only the probed shape merges
    assert rule.fits(SHAPE, [40])  # one chunk always runs, whatever its size
    jobs = [(SHAPE, 3), (SHAPE, 6), ((3, 32, 480), 2), (SHAPE, 4), (SHAPE, 1), (SHAPE, 2), ((3, 32, 480), 2)]
    assert plan_batches(jobs, rule) == [[1], [3, 0], [5], [4], [2], [6]]
    assert plan_batches(jobs, FreeRule(8)) == [[1, 5], [3, 0, 4], [2, 6]]
    assert plan_batches(jobs, NoMerge()) == [[1], [3], [0], [5], [4], [2], [6]]


def test_probe_finds_size_classes_and_refuses_content_dependence():
    def by_size(batch: np.ndarray) -> np.ndarray:  # rows differ by batch size class, never by neighbours
        n = len(batch)
        return batch.sum(axis=(1, 2, 3)) + (0.0 if n == 1 else 1e-3 if n < 4 else 2e-3)

    sigs = batch_signatures(by_size, (1, 2, 2), 6)
    assert sigs == [(), (0,), (1, 1), (1, 1, 1), (2,) * 4, (2,) * 5, (2,) * 6]
    assert batch_signatures(lambda b: b - b.mean(axis=0), (1, 2, 2), 4) is None


@pytest.fixture(scope="module")
def rec_and_crops():
    from ppocr.inference.crop import crop_box
    from ppocr.inference.det import TextDetector
    from ppocr.inference.images import read_image
    from ppocr.inference.rec import TextRecognizer
    from ppocr.zoo import pull_model

    img = read_image(str(SAMPLES / "scene" / "254.jpg"))
    boxes = TextDetector(str(pull_model("ch_PP-OCRv3_det").path))(img).boxes
    crops = [c for c in (crop_box(img, b)[0] for b in boxes) if c is not None]
    # words no wider than 10x their height: each request's chunk is then [n, 3, 32, 320], the probed shape
    return TextRecognizer(str(pull_model("ch_PP-OCRv2_rec").path)), [c for c in crops if c.shape[1] <= 10 * c.shape[0]]


def test_concurrent_requests_share_batches_with_sequential_results(rec_and_crops):
    rec, crops = rec_and_crops
    run = rec_runner(rec)
    sigs = batch_signatures(run, tuple(rec.image_shape), 8)
    assert sigs is not None
    assert len(crops) >= 16
    groups = [crops[0:2], crops[2:5], crops[5:7], crops[7:10], crops[10:14], crops[14:16]]
    expected = [rec(g).texts for g in groups]  # each request alone, in this (long-lived) thread
    batcher = RecBatcher(run, ExactRule(sigs, tuple(rec.image_shape)), wait_ms=200, max_rows=64)
    batched = BatchedRecognizer(rec, batcher)
    got: list = [None] * len(groups)
    start = threading.Barrier(len(groups))

    def request(i: int) -> None:
        start.wait(30)
        got[i] = batched(groups[i]).texts

    threads = [threading.Thread(target=request, args=(i,)) for i in range(len(groups))]
    for _ in groups:  # count every request as in recognition from the start: each round waits its 200 ms
        batcher.enter()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        batcher.close()
    assert got == expected  # texts and float scores, bitwise
    assert batcher.stats.merged >= 1 and batcher.stats.batches < len(groups), batcher.stats
