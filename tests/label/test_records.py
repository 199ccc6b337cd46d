"""PPOCRLabel's line formats: what it writes, byte for byte, and what it may have written."""

import pytest

from ppocr.errors import DataError
from ppocr.label.records import (
    Box,
    box_from_json,
    box_from_record,
    file_name_of,
    format_label_line,
    parse_label_line,
    parse_state_line,
)


def test_label_line_is_ppocrlabels_format():
    box = Box([[10, 20], [110, 20], [110, 50], [10, 50]], "中文 text", score=0.91234)
    line = format_label_line("photos/a.jpg", [box.label_dict()])
    # PPOCRLabel: key TAB json.dumps(list, ensure_ascii=False); keys transcription, points, difficult
    assert line == ('photos/a.jpg\t[{"transcription": "中文 text", "points": [[10, 20], [110, 20], [110, 50], '
                    '[10, 50]], "difficult": false}]\n')
    cache = format_label_line("photos/a.jpg", [box.cache_dict()])
    assert cache.endswith('"difficult": false, "score": 0.9123}]\n')


def test_extra_keys_are_kept_after_ppocrlabels():
    key, records = parse_label_line('d/a.jpg\t[{"transcription": "x", "points": [[0,0],[4,0],[4,4],[0,4]], '
                                    '"difficult": false, "key_cls": "name"}]', "Label.txt:1")
    box = box_from_record(records[0], "Label.txt:1")
    assert key == "d/a.jpg" and box.extra == {"key_cls": "name"}
    assert list(box.label_dict()) == ["transcription", "points", "difficult", "key_cls"]


def test_python_literal_labels_parse_without_eval():
    _, records = parse_label_line("d/a.jpg\t[{'transcription': 'x', 'points': [[0, 0], [4, 0], [4, 4]], "
                                  "'difficult': False}]", "Label.txt:1")
    assert records[0]["difficult"] is False
    with pytest.raises(DataError, match="Label.txt:3: labels are neither JSON nor a Python literal"):
        parse_label_line("d/a.jpg\t[__import__('os')]", "Label.txt:3")


@pytest.mark.parametrize("line, message", [
    ("no tab here", "expected 'dirname/filename<TAB>"),
    ('d/a.jpg\t{"a": 1}', "labels must be a list"),
])
def test_bad_label_lines_name_the_line(line, message):
    with pytest.raises(DataError, match=message):
        parse_label_line(line, "Label.txt:7")


@pytest.mark.parametrize("record, message", [
    ({"transcription": "x"}, "no 'points'"),
    ({"points": [[0, 0], [1, 1]]}, "at least 3"),
    ({"points": [[0, 0], [1, "a"], [2, 2]]}, "must be \\[x, y\\] numbers"),
    ({"points": [[0, 0], [1, float("nan")], [2, 2]]}, "not a finite coordinate"),
    ({"points": [[0, 0], [1, 0], [1, 1]], "transcription": "two\nlines"}, "one line"),
])
def test_bad_boxes_are_one_line_errors(record, message):
    with pytest.raises(DataError, match=message):
        box_from_record(record, "Label.txt:2")


def test_points_become_integers_and_json_round_trips():
    box = box_from_record({"points": [[0.4, 0.6], [10.5, 0], [10, 9.49]], "transcription": "t"}, "x")
    assert box.points == [[0, 1], [10, 0], [10, 9]]
    assert box_from_json(box.to_json(), "x") == box
    with pytest.raises(DataError, match="extra must be an object without"):
        box_from_json({**box.to_json(), "extra": {"points": 1}}, "x")


def test_state_lines_and_file_names():
    assert parse_state_line("/home/u/photos/a.jpg\t1\n", "fileState.txt:1") == ("/home/u/photos/a.jpg", "1")
    assert file_name_of("C:\\data\\photos\\a.jpg") == "a.jpg"
    assert file_name_of("photos/a.jpg") == "a.jpg"
    assert Box([[0, 0]], "###").ignored and Box([[0, 0]], "*").ignored and not Box([[0, 0]], "x").ignored
