"""ICDAR 2015 gt -> PaddleOCR det labels: commas in text, ###, BOM, bad lines, CLI."""

import importlib.util
import json
from pathlib import Path

import pytest

from ppocr.data.icdar2015 import convert_icdar2015, parse_gt_line
from ppocr.data.imaug.det_label_ops import DetLabelEncode
from ppocr.errors import DataError

ROOT = Path(__file__).resolve().parents[2]


def write(path, text, bom=False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


@pytest.fixture()
def ic15(tmp_path):
    gt, imgs = tmp_path / "gt", tmp_path / "imgs"
    gt.mkdir()
    imgs.mkdir()
    for n in (1, 2, 10, 3):
        (imgs / f"img_{n}.jpg").write_bytes(b"jpg")
    write(gt / "gt_img_1.txt", "377,117,463,117,465,130,378,130,Genaxis Theatre\r\n"
                               "493,115,519,115,519,131,493,131,[06]\r\n"
                               "374,155,409,155,409,170,374,170,###\r\n", bom=True)
    write(gt / "gt_img_2.txt", "1,2,3,4,5,6,7,8,Hello, world,again\n\n"
                               "10,20,30,20,30,40,10,40,Straße\n")
    write(gt / "gt_img_10.txt", "1,2,3,4,5,6,7,8\n"  # no transcription
                                "1,x,3,4,5,6,7,8,bad\n"
                                "0,0,9,0,9,9,0,9,ok\n")
    write(gt / "gt_img_3.txt", "only,junk\n")  # no usable line -> image skipped
    write(gt / "gt_img_4.txt", "0,0,9,0,9,9,0,9,noimage\n")  # image missing
    (gt / "readme.md").write_text("not a gt file")
    return gt, imgs, tmp_path / "out" / "label.txt"


def test_round_trip(ic15):
    gt, imgs, out = ic15
    report = convert_icdar2015(gt, imgs, out, img_prefix="icdar2015/train/")
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert [ln.split("\t")[0] for ln in lines] == ["icdar2015/train/img_1.jpg", "icdar2015/train/img_2.jpg",
                                                   "icdar2015/train/img_10.jpg"]  # natural order
    first = json.loads(lines[0].split("\t", 1)[1])
    assert first[0] == {"transcription": "Genaxis Theatre",
                        "points": [[377, 117], [463, 117], [465, 130], [378, 130]]}
    assert [i["transcription"] for i in first] == ["Genaxis Theatre", "[06]", "###"]  # BOM and \r gone
    second = json.loads(lines[1].split("\t", 1)[1])
    assert [i["transcription"] for i in second] == ["Hello, world,again", "Straße"]
    assert "Straße" in lines[1]  # written as UTF-8, not \\u escapes
    assert report.images == 3 and report.instances == 6 and report.ignored == 1

    # What DetLabelEncode reads back.
    op = DetLabelEncode()
    label = lines[0].split("\t", 1)[1]
    assert op.check_label(label) is None and op.label_notes(label) == []
    d = op({"label": label})
    assert d["texts"] == ["Genaxis Theatre", "[06]", "###"]
    assert d["ignore_tags"].tolist() == [False, False, True]
    assert d["polys"].shape == (3, 4, 2) and d["polys"][0, 2].tolist() == [465, 130]


def test_problems_name_file_and_line(ic15):
    gt, imgs, out = ic15
    report = convert_icdar2015(gt, imgs, out)
    probs = report.problems
    assert any(p.startswith(f"{gt / 'gt_img_10.txt'}:1: expected 8 coordinates") for p in probs)
    assert any(p.startswith(f"{gt / 'gt_img_10.txt'}:2: coordinate 'x' is not a number") for p in probs)
    assert any(p.startswith(f"{gt / 'gt_img_3.txt'}:1:") for p in probs)
    assert any(str(gt / "gt_img_3.txt") in p and "no text instances" in p for p in probs)
    assert any(str(gt / "gt_img_4.txt") in p and "no image img_4" in p for p in probs)
    assert len(probs) == 5
    assert out.read_text(encoding="utf-8").startswith("img_1.jpg\t")  # no prefix


def test_parse_gt_line_float_coords_and_errors():
    assert parse_gt_line("1.5,2,3,4,5,6,7,8,a,b")["points"][0] == [1.5, 2]
    with pytest.raises(ValueError, match="not finite"):
        parse_gt_line("nan,2,3,4,5,6,7,8,a")


def test_missing_dirs_and_empty_dir(tmp_path):
    with pytest.raises(DataError, match="gt_dir is not a directory"):
        convert_icdar2015(tmp_path / "nope", tmp_path, tmp_path / "o.txt")
    with pytest.raises(DataError, match="no gt_"):
        convert_icdar2015(tmp_path, tmp_path, tmp_path / "o.txt")


def test_cli(ic15, capsys):
    gt, imgs, out = ic15
    spec = importlib.util.spec_from_file_location("convert_icdar2015_cli", ROOT / "tools" / "convert_icdar2015.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    rc = cli.main(["--gt_dir", str(gt), "--img_dir", str(imgs), "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0 and "3 images, 6 text instances (1 ###), 5 problems" in captured.out
    assert "gt_img_10.txt:2" in captured.err
    assert cli.main(["--gt_dir", str(gt / "missing"), "--img_dir", str(imgs), "--out", str(out)]) == 2
