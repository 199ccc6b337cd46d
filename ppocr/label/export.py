"""Export a labelling project as training data: det labels with their images, rec crops.

Layout of ``OUT`` (each part is a SimpleDataSet's ``data_dir``)::

    det/images/<file>        the original files (EXIF kept: training's DecodeImage applies it,
                             and the labels are in that upright frame)
    det/det_gt.txt           images/<file>\\t[{"transcription": ..., "points": ...}]
    rec/crop_img/<stem>_crop_<i>.jpg   cut by ``annotator.cut`` from the upright image
    rec/rec_gt.txt           crop_img/<name>\\t<text>
    manifest.json            which crops came from which image (``split`` keeps them together)

Every box is exported whoever drew it (upstream skipped boxes drawn by hand, which its tool had
flagged ``difficult``: PaddleOCR 11029). ``###``/``*`` boxes stay in det as don't-care regions and
are left out of rec; boxes with empty text are left out of rec. ``OUT`` is built beside itself and
renamed into place, so an interrupted export never leaves half a dataset.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import cv2

from ppocr.errors import DataError
from ppocr.label.annotator import TALL_RATIO, cut
from ppocr.label.folder import DEFAULT_MAX_PIXELS, load_image
from ppocr.label.records import Box, format_label_line
from ppocr.label.storage import LabelStore
from ppocr.weights.files import sync_dir, temp_path

MANIFEST = "manifest.json"
FORMAT = "ppocr-label-export/1"


@dataclass
class ExportReport:
    """What an export wrote, and what it left out per reason."""

    out_dir: str
    images: int = 0
    det_boxes: int = 0
    crops: int = 0
    left_out: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "images": self.images, "det_boxes": self.det_boxes, "crops": self.crops,
                "left_out": dict(self.left_out)}


def export_project(store: LabelStore, out_dir: str, tall_ratio: float = TALL_RATIO,
                   include_unconfirmed: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> ExportReport:
    """Write ``out_dir`` from the confirmed images of ``store`` (all labelled ones with
    ``include_unconfirmed``). ``tall_ratio=0`` keeps tall crops as drawn."""
    out_dir = os.path.abspath(out_dir)
    if os.path.commonpath([out_dir, store.folder]) == out_dir:
        raise DataError(f"--out {out_dir} would contain the image folder; choose another folder")
    if os.path.exists(out_dir) and not os.path.isfile(os.path.join(out_dir, MANIFEST)):
        raise DataError(f"--out {out_dir} exists and is not a ppocr label export; choose another folder")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    work = temp_path(out_dir)
    try:
        report = _write(store, work, out_dir, tall_ratio, include_unconfirmed, max_pixels)
        _replace_dir(work, out_dir)
    finally:
        if os.path.exists(work):
            shutil.rmtree(work, ignore_errors=True)
    return report


def _write(store: LabelStore, work: str, out_dir: str, tall_ratio: float, include_unconfirmed: bool,
           max_pixels: int) -> ExportReport:
    report = ExportReport(out_dir)
    os.makedirs(os.path.join(work, "det", "images"))
    os.makedirs(os.path.join(work, "rec", "crop_img"))
    det_lines, rec_lines, images, used = [], [], [], set()
    for item in store.all():
        if item.status != "confirmed" and not (include_unconfirmed and item.status == "prelabelled"):
            report.left_out[f"{item.status} images"] += 1
            continue
        if not item.boxes:
            report.left_out["images without boxes"] += 1
            continue
        src = os.path.join(store.folder, item.name)
        img = load_image(src, max_pixels)
        _link_or_copy(src, os.path.join(work, "det", "images", item.name))
        det_lines.append(format_label_line(f"images/{item.name}", [
            {"transcription": _det_text(b), "points": b.points} for b in item.boxes]))
        report.images += 1
        report.det_boxes += len(item.boxes)
        crops = []
        stem = _unique_stem(os.path.splitext(item.name)[0], used)
        for i, box in enumerate(item.boxes):
            if box.ignored:
                report.left_out["rec: ### boxes"] += 1
                continue
            if not box.transcription:
                report.left_out["rec: empty text"] += 1
                continue
            crop = cut(img, box.points, tall_ratio)
            if crop is None:
                report.left_out["rec: degenerate box"] += 1
                continue
            name = f"{stem}_crop_{i}.jpg"
            ok, buf = cv2.imencode(".jpg", crop)
            if not ok:
                raise DataError(f"{src}: cannot encode crop {i}")
            with open(os.path.join(work, "rec", "crop_img", name), "wb") as f:
                f.write(buf.tobytes())
            rec_lines.append(f"crop_img/{name}\t{box.transcription}\n")
            crops.append(f"crop_img/{name}")
            report.crops += 1
        images.append({"name": item.name, "det_image": f"images/{item.name}", "crops": crops})
    _write_text(os.path.join(work, "det", "det_gt.txt"), "".join(det_lines))
    _write_text(os.path.join(work, "rec", "rec_gt.txt"), "".join(rec_lines))
    manifest = {"format": FORMAT, "source": store.folder, "tall_ratio": tall_ratio,
                "include_unconfirmed": include_unconfirmed, "images": images, "report": report.to_dict()}
    _write_text(os.path.join(work, MANIFEST), json.dumps(manifest, ensure_ascii=False, indent=1))
    return report


def _det_text(box: Box) -> str:
    """``###`` for don't-care regions; a ``difficult`` flag with text keeps the text (PPOCRLabel set
    the flag on every box drawn by hand, PaddleOCR 11029)."""
    return "###" if box.ignored or (box.difficult and not box.transcription) else box.transcription


def _unique_stem(stem: str, used: set[str]) -> str:
    """``a.jpg`` and ``a.png`` must not write the same crop names."""
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}_{n}"
    used.add(candidate)
    return candidate


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _replace_dir(work: str, out_dir: str) -> None:
    """Rename ``work`` to ``out_dir``; a previous export is moved aside first, then deleted."""
    old = None
    if os.path.exists(out_dir):
        old = temp_path(out_dir)
        os.replace(out_dir, old)
    os.replace(work, out_dir)
    sync_dir(os.path.dirname(out_dir))
    if old:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
