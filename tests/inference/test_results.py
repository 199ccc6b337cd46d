"""The predictors' result types: to_dict() values (the CLIs' JSON shape) and JSON round trips."""

import json

import numpy as np

from ppocr.inference.results import (
    ClsLabel,
    ClsResult,
    DetResult,
    OCRLine,
    OCRResult,
    RecResult,
    RecText,
    times_ms,
)

TIMES = {"preprocess": 0.0012345, "inference": 0.25, "postprocess": np.float64(1e-6)}
TIMES_MS = {"preprocess": 1.23, "inference": 250.0, "postprocess": 0.0}


def round_trip(d: dict) -> dict:
    return json.loads(json.dumps(d, ensure_ascii=False))


def test_times_ms_rounds_to_hundredths_of_a_millisecond():
    assert times_ms(TIMES) == TIMES_MS
    assert times_ms({"a": np.float32(0.5)}) == {"a": 500.0}
    assert type(times_ms({"a": np.float32(0.5)})["a"]) is float


def test_det_result_quads_to_dict():
    boxes = np.array([[[1, 2], [3.5, 2], [3.5, 4.25], [1, 4.25]]], dtype=np.float32)
    d = DetResult(boxes, TIMES).to_dict()
    assert d == {"boxes": [[[1.0, 2.0], [3.5, 2.0], [3.5, 4.25], [1.0, 4.25]]], "ms": TIMES_MS}
    assert round_trip(d) == d


def test_det_result_float32_coordinates_survive_json_exactly():
    boxes = np.array([[[0.1, 0.2], [10.3, 0.2], [10.3, 5.7], [0.1, 5.7]]], dtype=np.float32)
    back = np.array(round_trip(DetResult(boxes).to_dict())["boxes"], dtype=np.float32)
    np.testing.assert_array_equal(back, boxes)


def test_det_result_polygons_of_different_sizes_and_no_boxes():
    polys = np.empty(2, dtype=object)
    polys[0] = np.array([[0, 0], [4, 0], [4, 3], [0, 3]], dtype=np.float32)
    polys[1] = np.array([[0, 0], [2, -1], [4, 0], [4, 3], [2, 4], [0, 3]], dtype=np.float32)
    d = round_trip(DetResult(polys, {}).to_dict())
    assert [len(p) for p in d["boxes"]] == [4, 6] and d["boxes"][1][1] == [2.0, -1.0] and d["ms"] == {}
    assert DetResult(np.zeros((0, 4, 2), np.float32)).to_dict() == {"boxes": [], "ms": {}}


def test_cls_result_to_dict_leaves_crops_out():
    crops = [np.zeros((4, 8, 3), np.uint8), np.ones((4, 6, 3), np.uint8)]
    result = ClsResult(crops, [ClsLabel("180", 0.987654), ClsLabel("0", np.float32(0.5))], [True, False], TIMES)
    d = result.to_dict()
    assert d == {"labels": [{"label": "180", "score": 0.9877}, {"label": "0", "score": 0.5}],
                 "rotated": [True, False], "ms": TIMES_MS}
    assert round_trip(d) == d
    label, score = result.labels[0]  # unpacks like ClsPostProcess's pairs
    assert (label, score) == ("180", 0.987654) and result.labels[1] == ("0", 0.5)


def test_rec_result_to_dict_keeps_unicode():
    result = RecResult([RecText("中文 ok", 0.123456), RecText("", 0.0)], TIMES)
    d = result.to_dict()
    assert d == {"texts": [{"text": "中文 ok", "score": 0.1235}, {"text": "", "score": 0.0}], "ms": TIMES_MS}
    assert round_trip(d) == d
    assert result.texts == [("中文 ok", 0.123456), ("", 0.0)]


def test_ocr_result_to_dict_is_the_predict_system_row_shape():
    lines = [OCRLine([[1.0, 2.0], [9.5, 2.0], [9.5, 6.0], [1.0, 6.0]], "ab", 0.912345, 180, 0.99999),
             OCRLine([[0.0, 10.0], [5.0, 10.0], [5.0, 30.0], [0.0, 30.0]], "c", 0.5)]
    d = OCRResult(lines, {"det_inference": 0.01, "rec": 0.002}, skipped_boxes=3).to_dict()
    assert list(d) == ["lines", "skipped_boxes", "ms"]  # the key order predict_system writes
    assert d["lines"] == [
        {"points": [[1.0, 2.0], [9.5, 2.0], [9.5, 6.0], [1.0, 6.0]], "text": "ab", "score": 0.9123,
         "angle": 180, "cls_score": 1.0},
        {"points": [[0.0, 10.0], [5.0, 10.0], [5.0, 30.0], [0.0, 30.0]], "text": "c", "score": 0.5,
         "angle": 0, "cls_score": None}]
    assert d["skipped_boxes"] == 3 and d["ms"] == {"det_inference": 10.0, "rec": 2.0}
    assert round_trip(d) == d
    assert OCRResult([]).to_dict() == {"lines": [], "skipped_boxes": 0, "ms": {}}
