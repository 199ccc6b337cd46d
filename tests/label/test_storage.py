"""The project files: PPOCRLabel's projects open, edits are journalled and written atomically."""

import json
import os

import cv2
import numpy as np
import pytest

from ppocr.errors import DataError
from ppocr.label.records import Box
from ppocr.label.storage import LabelStore, SaveError

QUAD = [[1, 1], [30, 1], [30, 9], [1, 9]]


def _folder(tmp_path, names=("a.jpg", "b.jpg", "c.jpg", "d.jpg")):
    folder = tmp_path / "photos"
    folder.mkdir()
    for n in names:
        cv2.imwrite(str(folder / n), np.full((20, 40, 3), 128, np.uint8))
    return folder


def _records(text, points=QUAD):
    return json.dumps([{"transcription": text, "points": points, "difficult": False}], ensure_ascii=False)


def test_opens_a_ppocrlabel_project(tmp_path):
    folder = _folder(tmp_path)
    # a.jpg confirmed (old PPOCRLabel: absolute path in fileState), b.jpg auto-labelled only (Cache),
    # c.jpg confirmed by the current PPOCRLabel (dir/file key), labelled when the folder had another name
    (folder / "Label.txt").write_text(f"photos/a.jpg\t{_records('A')}\nold_name/c.jpg\t{_records('C')}\n"
                                      f"photos/gone.jpg\t{_records('G')}\n", encoding="utf-8")
    (folder / "Cache.cach").write_text(f"photos/a.jpg\t{_records('auto A')}\nphotos/b.jpg\t{_records('B')}\n")
    (folder / "fileState.txt").write_text(f"{folder / 'a.jpg'}\t1\nphotos/c.jpg\t1\n/elsewhere/gone.jpg\t1\n")
    store = LabelStore(str(folder))
    try:
        got = {x.name: (x.status, [b.transcription for b in x.boxes]) for x in store.all()}
        assert got == {"a.jpg": ("confirmed", ["A"]), "b.jpg": ("prelabelled", ["B"]),
                       "c.jpg": ("confirmed", ["C"]), "d.jpg": ("new", [])}
        assert store.report.rekeyed == 1 and store.report.foreign == 1
        store.save("d.jpg", [Box(QUAD, "D")], confirmed=True)
    finally:
        store.close()
    label = (folder / "Label.txt").read_text(encoding="utf-8").splitlines()
    # keys written with this folder's name; the line for a file that is not here is kept as it was
    assert [ln.split("\t")[0] for ln in label] == ["photos/a.jpg", "photos/c.jpg", "photos/d.jpg", "photos/gone.jpg"]
    state = (folder / "fileState.txt").read_text().splitlines()
    assert state == [f"{folder / n}\t1" for n in ("a.jpg", "c.jpg", "d.jpg")] + ["/elsewhere/gone.jpg\t1"]


def test_save_writes_ppocrlabel_files_and_clears_the_journal(tmp_path):
    folder = _folder(tmp_path)
    store = LabelStore(str(folder))
    try:
        store.save("a.jpg", [Box(QUAD, "hello", score=0.5)])
        store.save("b.jpg", [], confirmed=True)
        store.save("c.jpg", [Box(QUAD, "世界")], confirmed=True)
        assert store.counts() == {"new": 1, "prelabelled": 1, "confirmed": 2}
        assert os.path.getsize(folder / ".ppocr_label" / "journal.jsonl") == 0
    finally:
        store.close()
    # Label.txt: confirmed images with boxes only; Cache.cach: every labelled image, with scores
    assert (folder / "Label.txt").read_text(encoding="utf-8") == f"photos/c.jpg\t{_records('世界')}\n"
    cache = (folder / "Cache.cach").read_text(encoding="utf-8").splitlines()
    assert cache[0] == ('photos/a.jpg\t[{"transcription": "hello", "points": [[1, 1], [30, 1], [30, 9], [1, 9]], '
                        '"difficult": false, "score": 0.5}]')
    assert cache[1] == "photos/b.jpg\t[]"
    assert (folder / "fileState.txt").read_text() == f"{folder / 'b.jpg'}\t1\n{folder / 'c.jpg'}\t1\n"
    assert not [f for f in os.listdir(folder) if f.endswith(".tmp")]
    reopened = LabelStore(str(folder))
    assert reopened.get("a.jpg").boxes[0].score == 0.5 and reopened.get("b.jpg").status == "confirmed"
    reopened.close()


def test_journal_is_replayed_after_a_crash(tmp_path):
    folder = _folder(tmp_path)
    store = LabelStore(str(folder))
    store.save("a.jpg", [Box(QUAD, "first")], confirmed=True)
    store.close()
    # what a kill -9 between the journal's fsync and the file renames leaves: the record, plus a torn line
    record = {"name": "a.jpg", "status": "confirmed", "boxes": [Box(QUAD, "second").to_json()]}
    with open(folder / ".ppocr_label" / "journal.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n" + '{"name": "b.jpg", "sta')
    store = LabelStore(str(folder))
    try:
        assert store.report.replayed == 1
        assert store.get("a.jpg").boxes[0].transcription == "second" and store.get("b.jpg").status == "new"
        assert "second" in (folder / "Label.txt").read_text()
        assert os.path.getsize(folder / ".ppocr_label" / "journal.jsonl") == 0
        store.save("b.jpg", [Box(QUAD, "b")])
    finally:
        store.close()
    assert LabelStore(str(folder), readonly=True).get("b.jpg").boxes[0].transcription == "b"


def test_a_damaged_journal_or_label_file_stops_the_start(tmp_path):
    folder = _folder(tmp_path)
    (folder / ".ppocr_label").mkdir()
    (folder / ".ppocr_label" / "journal.jsonl").write_text('garbage\n{"name": "a.jpg"}\n')
    with pytest.raises(DataError, match=r"journal.jsonl:1: unreadable journal record"):
        LabelStore(str(folder))
    (folder / ".ppocr_label" / "journal.jsonl").write_text("")
    (folder / "Label.txt").write_text(f"photos/a.jpg\t{_records('A')}\nphotos/b.jpg\t[{{broken\n")
    before = (folder / "Label.txt").read_text()
    with pytest.raises(DataError, match=r"Label.txt:2: labels are neither JSON"):
        LabelStore(str(folder))
    assert (folder / "Label.txt").read_text() == before


def test_one_server_per_folder(tmp_path):
    folder = _folder(tmp_path)
    store = LabelStore(str(folder))
    try:
        with pytest.raises(DataError, match=f"open in another ppocr label \\(pid {os.getpid()}\\)"):
            LabelStore(str(folder))
        assert LabelStore(str(folder), readonly=True).counts()["new"] == 4
    finally:
        store.close()
    LabelStore(str(folder)).close()


def test_a_failed_write_keeps_the_edit_in_the_journal(tmp_path):
    folder = _folder(tmp_path)
    store = LabelStore(str(folder))
    (folder / "Cache.cach").mkdir()  # os.replace onto a folder fails
    try:
        with pytest.raises(SaveError, match="cannot write .*Cache.cach.*kept in .*journal.jsonl"):
            store.save("a.jpg", [Box(QUAD, "kept")])
    finally:
        store.close()
    (folder / "Cache.cach").rmdir()
    store = LabelStore(str(folder))
    assert store.report.replayed == 1 and store.get("a.jpg").boxes[0].transcription == "kept"
    store.close()
    assert "kept" in (folder / "Cache.cach").read_text()
