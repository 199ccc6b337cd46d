"""ICDAR 2015 ground truth (``gt_img_N.txt``) -> a PaddleOCR detection label file.

Each gt line is ``x1,y1,x2,y2,x3,y3,x4,y4,transcription``; the transcription may itself
contain commas, ``###`` marks a don't-care region, and the files often start with a
UTF-8 BOM. The output has one ``image_path<TAB>[{"transcription": ..., "points": ...}]``
line per image, the format ``SimpleDataSet`` + ``DetLabelEncode`` read.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ppocr.errors import DataError

__all__ = ["convert_icdar2015", "parse_gt_line", "ConversionReport", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG")
_GT_NAME = re.compile(r"^gt_(.+)\.txt$")


@dataclass
class ConversionReport:
    """What a conversion wrote and what it skipped (each problem names ``file:line``)."""

    images: int = 0
    instances: int = 0
    ignored: int = 0
    problems: list[str] = field(default_factory=list)


def parse_gt_line(line: str) -> dict[str, object]:
    """One gt line -> ``{"transcription", "points"}``; ``ValueError`` says what is wrong."""
    parts = line.split(",", 8)
    if len(parts) < 9:
        raise ValueError(f"expected 8 coordinates and a transcription, got {len(parts)} comma-separated fields")
    coords = []
    for v in parts[:8]:
        try:
            x = float(v.strip())
        except ValueError:
            raise ValueError(f"coordinate {v.strip()!r} is not a number") from None
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"coordinate {v.strip()!r} is not finite")
        coords.append(int(x) if x.is_integer() else x)
    points = [[coords[i], coords[i + 1]] for i in range(0, 8, 2)]
    return {"transcription": parts[8], "points": points}


def _natural_key(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _find_image(img_dir: Path, stem: str) -> str | None:
    for ext in IMAGE_EXTENSIONS:
        if (img_dir / f"{stem}{ext}").is_file():
            return f"{stem}{ext}"
    return None


def convert_icdar2015(gt_dir: str | os.PathLike[str], img_dir: str | os.PathLike[str],
                      out_label_file: str | os.PathLike[str], img_prefix: str = "") -> ConversionReport:
    """Write a PaddleOCR det label file for every ``gt_<stem>.txt`` in ``gt_dir``.

    Args:
        gt_dir: folder of ``gt_img_N.txt`` files.
        img_dir: folder of the images (``img_N.jpg``/``.png``); a gt file without its
            image is reported and skipped.
        out_label_file: label file to write (UTF-8, ``\\n`` line ends).
        img_prefix: path written before each image name, relative to the training
            config's ``data_dir`` (e.g. ``icdar2015/text_localization/ch4_training_images``).

    Returns:
        A ``ConversionReport``; bad lines are skipped (the rest of their file is kept),
        images without a usable line are skipped, each with ``file:line`` and reason.

    Raises:
        DataError: a folder is missing, or it holds no gt file.
    """
    gt_dir, img_dir = Path(gt_dir), Path(img_dir)
    for name, d in (("gt_dir", gt_dir), ("img_dir", img_dir)):
        if not d.is_dir():
            raise DataError(f"{name} is not a directory: {d}")
    gt_files = sorted((p for p in gt_dir.iterdir() if p.is_file() and _GT_NAME.match(p.name)),
                      key=lambda p: _natural_key(p.name))
    if not gt_files:
        raise DataError(f"no gt_*.txt files in {gt_dir}")
    report = ConversionReport()
    out_lines = []
    for gt in gt_files:
        stem = _GT_NAME.match(gt.name).group(1)  # type: ignore[union-attr]
        image = _find_image(img_dir, stem)
        if image is None:
            report.problems.append(f"{gt}: no image {stem}{{{','.join(IMAGE_EXTENSIONS[:3])}}} in {img_dir}")
            continue
        try:
            text = gt.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            report.problems.append(f"{gt}: not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        items = []
        for lineno, line in enumerate(text.split("\n"), 1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            try:
                items.append(parse_gt_line(line))
            except ValueError as exc:
                report.problems.append(f"{gt}:{lineno}: {exc}")
        if not items:
            report.problems.append(f"{gt}: no text instances, image skipped")
            continue
        path = f"{img_prefix.rstrip('/')}/{image}" if img_prefix else image
        out_lines.append(f"{path}\t{json.dumps(items, ensure_ascii=False)}\n")
        report.images += 1
        report.instances += len(items)
        report.ignored += sum(item["transcription"] == "###" for item in items)
    out = Path(out_label_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(out_lines)
    return report
