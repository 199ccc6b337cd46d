"""DetLabelEncode: parsing, ignore tags, load-time reasons and notes, point padding."""

import json

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.det_label_ops import DetLabelEncode
from ppocr.errors import ConfigError, DataError
from ppocr.utils.polygons import pad_points, polygon_problem

QUAD = [[10, 10], [50, 10], [50, 30], [10, 30]]


def label(*items):
    return json.dumps([{"transcription": t, "points": p} for t, p in items])


def test_parses_polys_texts_tags():
    op = DetLabelEncode()
    lab = label(("hello", QUAD), ("###", [[60, 10], [90, 10], [90, 30], [60, 30]]), ("*", QUAD))
    assert op.check_label(lab) is None
    d = op({"label": lab})
    assert d["polys"].dtype == np.float32 and d["polys"].shape == (3, 4, 2)
    np.testing.assert_array_equal(d["polys"][0], QUAD)
    assert d["texts"] == ["hello", "###", "*"]
    assert d["ignore_tags"].dtype == bool
    assert d["ignore_tags"].tolist() == [False, True, True]


def test_mixed_point_counts_padded_with_last_point():
    op = DetLabelEncode()
    six = [[0, 0], [10, 0], [20, 0], [20, 10], [10, 10], [0, 10]]
    d = op({"label": label(("a", QUAD), ("b", six))})
    assert d["polys"].shape == (2, 6, 2)
    np.testing.assert_array_equal(d["polys"][0, 4:], [[10, 30], [10, 30]])
    np.testing.assert_array_equal(d["polys"][1], six)
    assert len(d["polys"]) == len(d["texts"]) == len(d["ignore_tags"]) == 2
    assert d["ignore_tags"].tolist() == [False, False]  # padding is not degenerate


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("{not json", "invalid JSON"),
        ('{"transcription": "a", "points": []}', "label is not a list"),
        ("[]", "no text instances"),
        ('["abc"]', "text instance is not an object"),
        ('[{"points": [[0, 0], [1, 0], [1, 1]]}]', "text instance missing key"),
        ('[{"transcription": "a"}]', "text instance missing key"),
        ('[{"transcription": 5, "points": [[0, 0], [1, 0], [1, 1]]}]', "transcription is not a string"),
        ('[{"transcription": "a", "points": "0,0,1,1"}]', "bad points"),
        ('[{"transcription": "a", "points": []}]', "bad points"),
        ('[{"transcription": "a", "points": [[0, 0, 0], [1, 0], [1, 1]]}]', "bad points"),
        ('[{"transcription": "a", "points": [["0", 0], [1, 0], [1, 1]]}]', "bad points"),
        ('[{"transcription": "a", "points": [[true, 0], [1, 0], [1, 1]]}]', "bad points"),
        ('[{"transcription": "a", "points": [[NaN, 0], [1, 0], [1, 1]]}]', "bad points"),
    ],
)
def test_check_label_reasons(raw, reason):
    op = DetLabelEncode()
    got = op.check_label(raw)
    assert got is not None and got.startswith(reason), got
    assert op.label_notes(raw) == []
    with pytest.raises(DataError, match="img.jpg: " + reason):
        op({"label": raw, "img_path": "img.jpg"})


def test_missing_key_reason_names_key_and_item():
    got = DetLabelEncode().check_label(label(("a", QUAD)) [:-1] + ', {"transcription": "b"}]')
    assert got == "text instance missing key: 'points' (item 1)"


@pytest.mark.parametrize(
    "points, note",
    [
        ([[0, 0], [10, 10]], "polygon with fewer than 3 points"),
        ([[0, 0], [10, 0], [10, 0], [0, 0]], "polygon with fewer than 3 points"),
        ([[0, 0], [10, 0], [20, 0], [30, 0]], "zero-area polygon"),
        ([[0, 0], [10, 10], [10, 0], [0, 10]], "self-intersecting polygon"),
    ],
)
def test_degenerate_polygons_kept_but_ignored_and_noted(points, note):
    op = DetLabelEncode()
    lab = label(("good", QUAD), ("bad", points))
    assert op.check_label(lab) is None
    notes = op.label_notes(lab)
    assert notes == [f"{note}, tagged ignore (item 1)"]
    d = op({"label": lab})
    assert d["ignore_tags"].tolist() == [False, True]
    assert d["texts"] == ["good", "bad"]
    assert len(d["polys"]) == 2


def test_clean_label_has_no_notes():
    assert DetLabelEncode().label_notes(label(("a", QUAD))) == []


def test_polygon_problem_ignores_padding_and_closing_point():
    assert polygon_problem(QUAD + [QUAD[-1]] * 3) is None
    assert polygon_problem(QUAD + [QUAD[0]]) is None


def test_pad_points():
    assert pad_points([[[0, 0], [1, 0], [1, 1]], [[5, 5]]]) == [[[0, 0], [1, 0], [1, 1]], [[5, 5], [5, 5], [5, 5]]]


def test_registered_without_parameters():
    (op,) = build_transforms([{"DetLabelEncode": None}])
    assert isinstance(op, DetLabelEncode)
    with pytest.raises(ConfigError, match="has no parameter 'ignore_txt'"):
        build_transforms([{"DetLabelEncode": {"ignore_txt": ["###"]}}])
