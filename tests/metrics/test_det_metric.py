"""ICDAR 2015 detection protocol on hand-made cases."""

import numpy as np
import pytest

from ppocr.errors import DataError
from ppocr.metrics import build_metric
from ppocr.metrics.det_metric import DetMetric
from ppocr.metrics.icdar2015_eval import DetectionIoUEvaluator
from ppocr.postprocess.db_postprocess import DBPostProcess


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def evaluate(gts, dets, ignore=None):
    ev = DetectionIoUEvaluator()
    ignore = [False] * len(gts) if ignore is None else ignore
    r = ev.evaluate_image(gts, ignore, dets)
    return r, ev.combine_results([r])


def test_perfect():
    g = [rect(0, 0, 10, 5), rect(20, 0, 30, 5)]
    r, m = evaluate(g, [p.copy() for p in g[::-1]])
    assert (r.gt_care, r.det_care, r.matched) == (2, 2, 2)
    assert m == {"precision": 1.0, "recall": 1.0, "hmean": 1.0}


def test_one_miss():
    _, m = evaluate([rect(0, 0, 10, 5), rect(20, 0, 30, 5)], [rect(0, 0, 10, 5)])
    assert m["precision"] == 1.0 and m["recall"] == 0.5
    assert m["hmean"] == pytest.approx(2 / 3)


def test_one_false_positive():
    _, m = evaluate([rect(0, 0, 10, 5)], [rect(0, 0, 10, 5), rect(50, 50, 60, 60)])
    assert m == {"precision": 0.5, "recall": 1.0, "hmean": pytest.approx(2 / 3)}


def test_dont_care_region_discards_detections_inside_it():
    gts = [rect(0, 0, 10, 5), rect(20, 0, 30, 5)]
    # det on the don't-care gt: not a false positive; the don't-care gt is not a miss
    r, m = evaluate(gts, [rect(0, 0, 10, 5), rect(21, 0, 30, 5)], ignore=[False, True])
    assert (r.gt_care, r.det_care, r.matched) == (1, 1, 1)
    assert m["hmean"] == 1.0
    # a det only 40% inside the don't-care region still counts (as a false positive)
    r, _ = evaluate(gts, [rect(0, 0, 10, 5), rect(26, 0, 36, 5)], ignore=[False, True])
    assert (r.det_care, r.matched) == (2, 1)


def test_split_and_merge_are_not_matched():
    whole, left, right = rect(0, 0, 20, 10), rect(0, 0, 10, 10), rect(10, 0, 20, 10)
    r, m = evaluate([whole], [left, right])  # each half has IoU exactly 0.5
    assert r.matched == 0 and m["hmean"] == 0.0
    r, _ = evaluate([left, right], [whole])
    assert r.matched == 0


def test_iou_boundary_is_strict():
    gt = [rect(0, 0, 2, 1)]
    assert evaluate(gt, [rect(0, 0, 1, 1)])[0].matched == 0  # IoU 0.5
    assert evaluate(gt, [rect(0, 0, 1.2, 1)])[0].matched == 1  # IoU 0.6


def test_matching_is_one_to_one_and_greedy_in_order():
    # two detections on one gt: only one matches
    r, m = evaluate([rect(0, 0, 10, 10)], [rect(0, 0, 10, 10), rect(0, 0, 10, 9)])
    assert r.matched == 1 and m["precision"] == 0.5
    # gt1 takes det1 (first above 0.5) although det2 would have freed det1 for gt2
    gts = [rect(0, 0, 10, 10), rect(2, 0, 12, 10)]
    dets = [rect(1, 0, 11, 10), rect(-2, 0, 8, 10)]  # IoU(gt2, det2) = 60/140 < 0.5
    assert evaluate(gts, dets)[0].matched == 1


def test_invalid_polygons_are_repaired_and_still_counted():
    bowtie = np.array([[0, 0], [10, 10], [10, 0], [0, 10]], dtype=np.float32)
    r, _ = evaluate([bowtie], [rect(0, 0, 10, 10)])  # repaired area 50, IoU 0.5: no match
    assert (r.gt_care, r.det_care, r.matched) == (1, 1, 0)
    r, _ = evaluate([rect(0, 0, 10, 10)], [bowtie, rect(0, 0, 10, 10)])
    assert (r.det_care, r.matched) == (2, 1)
    line = np.array([[0, 0], [5, 0], [10, 0], [2, 0]], dtype=np.float32)  # zero area
    r, _ = evaluate([rect(0, 0, 10, 10)], [line], ignore=[True])
    assert (r.gt_care, r.det_care, r.matched) == (0, 1, 0)


def test_empty_image_counts():
    r, m = evaluate([], [])
    assert (r.gt_care, r.det_care, r.matched) == (0, 0, 0)
    assert m == {"precision": 0.0, "recall": 0.0, "hmean": 0.0}


def test_det_metric_accumulates_images_over_batches():
    metric = build_metric({"name": "DetMetric"})
    assert metric.main_indicator == "hmean"
    gt = np.stack([rect(0, 0, 10, 5), rect(20, 0, 30, 5)])[None]  # [N=1, K, 4, 2]
    batch1 = [None, None, gt, np.array([[False, False]])]
    metric([{"points": gt[0][:1]}], batch1)  # 1 of 2 found
    batch2 = [None, None, [gt[0][:1]], [np.array([False])]]  # list layout
    metric([{"points": np.concatenate([gt[0][:1], rect(50, 50, 60, 60)[None]])}], batch2)
    res = metric.get_metric()
    # sums over images: matched 2, gt care 3, det care 3
    assert res["recall"] == pytest.approx(2 / 3) and res["precision"] == pytest.approx(2 / 3)
    assert metric.results == []


def test_det_metric_bad_batches():
    metric = DetMetric()
    gt = rect(0, 0, 10, 5)[None, None]
    with pytest.raises(DataError, match="2 predictions for 1 images"):
        metric([{"points": gt[0]}, {"points": gt[0]}], [None, None, gt, np.array([[False]])])
    with pytest.raises(DataError, match="1 ground-truth polygons but 2 ignore tags"):
        metric([{"points": gt[0]}], [None, None, gt, np.array([[False, True]])])
    with pytest.raises(DataError, match="KeepKeys"):
        metric([{"points": gt[0]}], [None, None])


def test_postprocess_output_scores_against_its_ground_truth():
    m = np.zeros((1, 1, 64, 64), dtype=np.float32)
    m[0, 0, 10:20, 5:25] = 0.9
    m[0, 0, 40:50, 30:60] = 0.9
    shape = np.array([[128, 128, 0.5, 0.5]], dtype=np.float32)
    boxes = DBPostProcess(unclip_ratio=1.5)({"maps": m}, shape)
    # the text regions in source pixels, as the shrink-then-unclip round trip should find them
    gt = np.stack([rect(6, 16, 52, 42), rect(56, 76, 122, 102)])[None]
    metric = DetMetric()
    metric(boxes, [None, shape, gt, np.array([[False, False]])])
    assert metric.get_metric()["hmean"] == 1.0
