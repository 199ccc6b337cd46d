"""Split an export into train/val/test label lists, by image and reproducibly.

Writes ``det/{train,val,test}.txt`` and ``rec/{train,val,test}.txt`` beside ``det_gt.txt`` and
``rec_gt.txt`` (same relative paths, so ``data_dir`` stays ``OUT/det`` / ``OUT/rec``). All crops of
one photo go to the photo's part, so no test crop shares a photo with a training one (upstream's
gen_ocr_train_val_test.py splits det and rec separately). The order is a shuffle of the sorted
image names by ``random.Random(seed)``: the same export, ratios and seed give the same lists.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from typing import Any

from ppocr.errors import DataError
from ppocr.label.export import FORMAT, MANIFEST
from ppocr.weights.files import temp_path

PARTS = ("train", "val", "test")


@dataclass
class SplitReport:
    """Images and crops per part."""

    images: dict[str, int] = field(default_factory=dict)
    crops: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"images": self.images, "crops": self.crops}


def parse_ratios(text: str) -> tuple[float, float, float]:
    """``"6:2:2"``, ``"0.8,0.1,0.1"`` or ``"8:2"`` (no test part) → fractions summing to 1."""
    parts = [p.strip() for p in text.replace(",", ":").split(":")]
    if not 2 <= len(parts) <= 3:
        raise DataError(f"--ratios must be train:val[:test], e.g. 6:2:2, got {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise DataError(f"--ratios must be numbers, e.g. 6:2:2, got {text!r}") from None
    values += [0.0] * (3 - len(values))
    if any(not v >= 0 for v in values) or sum(values) <= 0 or values[0] <= 0:
        raise DataError(f"--ratios must be non-negative with a positive train part, got {text!r}")
    total = sum(values)
    return values[0] / total, values[1] / total, values[2] / total


def part_sizes(n: int, ratios: tuple[float, float, float]) -> list[int]:
    """Images per part: rounded, every non-zero part gets one when there are enough images."""
    sizes = [int(n * r) for r in ratios]
    rest = sorted(range(3), key=lambda i: n * ratios[i] - sizes[i], reverse=True)
    for i in rest[: n - sum(sizes)]:
        sizes[i] += 1
    for i in (1, 2):
        if ratios[i] > 0 and sizes[i] == 0 and sizes[0] > 1:
            sizes[i], sizes[0] = 1, sizes[0] - 1
    return sizes


def split_export(export_dir: str, ratios: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0) -> SplitReport:
    """Write the six list files of ``export_dir`` (an ``export_project`` output)."""
    manifest_path = os.path.join(export_dir, MANIFEST)
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise DataError(f"{export_dir} is not a ppocr label export (no {MANIFEST}); run ppocr label export "
                        "first") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{manifest_path}: not JSON ({exc.msg})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{manifest_path}: not a {FORMAT} manifest")
    det_lines = _lines_by_path(os.path.join(export_dir, "det", "det_gt.txt"))
    rec_lines = _lines_by_path(os.path.join(export_dir, "rec", "rec_gt.txt"))
    images = sorted(manifest["images"], key=lambda m: m["name"])
    random.Random(seed).shuffle(images)
    sizes = part_sizes(len(images), ratios)
    report = SplitReport()
    start = 0
    for part, size in zip(PARTS, sizes):
        chosen = images[start:start + size]
        start += size
        det = [det_lines[m["det_image"]] for m in chosen if m["det_image"] in det_lines]
        rec = [rec_lines[c] for m in chosen for c in m["crops"] if c in rec_lines]
        _write(os.path.join(export_dir, "det", f"{part}.txt"), det)
        _write(os.path.join(export_dir, "rec", f"{part}.txt"), rec)
        report.images[part], report.crops[part] = len(det), len(rec)
    return report


def _lines_by_path(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [ln for ln in f if ln.strip()]
    except FileNotFoundError:
        raise DataError(f"{path} is missing; run ppocr label export again") from None
    return {ln.split("\t", 1)[0]: ln if ln.endswith("\n") else ln + "\n" for ln in lines}


def _write(path: str, lines: list[str]) -> None:
    tmp = temp_path(path)
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
