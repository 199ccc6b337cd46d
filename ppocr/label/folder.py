"""The images of a labelling folder, and reading them the way training will.

Coordinates in ``Label.txt`` must refer to the pixels PaddleOCR's training decodes: ``DecodeImage``
(``cv2.IMREAD_COLOR``) turns EXIF-rotated JPEGs upright, drops alpha and scales 16-bit images to 8
bits. The labeller reads every image through that same transform (``load_image``), shows the page
those pixels (re-encoded), runs the OCR on them and cuts crops from them, so what a person sees is
what training gets (upstream PPOCRLabel drew EXIF-rotated photos unrotated: PaddleOCR 8538).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np

from ppocr.data.imaug.operators import DecodeImage, image_size_from_header
from ppocr.errors import DataError
from ppocr.inference.images import IMAGE_EXTS

DEFAULT_MAX_PIXELS = 64_000_000


@dataclass(frozen=True)
class Skipped:
    """A file of the folder that is not labelled, and why."""

    name: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


@dataclass
class FolderScan:
    """Image file names (sorted) and the files skipped."""

    images: list[str]
    skipped: list[Skipped] = field(default_factory=list)


def scan_folder(folder: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> FolderScan:
    """Images of ``folder`` (not recursive; hidden files and sub-folders ignored).

    Only headers are read: a file whose extension is not an image's, whose header PIL cannot
    read, or which claims more than ``max_pixels`` is listed in ``skipped`` with the reason.
    """
    if not os.path.isdir(folder):
        raise DataError(f"image folder not found: {folder}")
    images, skipped = [], []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        if name in ("Label.txt", "Cache.cach", "fileState.txt", "rec_gt.txt"):
            continue
        if any(c in name for c in "\t\r\n"):
            skipped.append(Skipped(name, "the name holds a tab or line break, which Label.txt cannot"))
            continue
        if not name.lower().endswith(IMAGE_EXTS):
            skipped.append(Skipped(name, f"not an image ({', '.join(IMAGE_EXTS)})"))
            continue
        size = image_size_from_header(path)
        if size is None:
            skipped.append(Skipped(name, "cannot read the image header (damaged or not an image)"))
        elif size[0] * size[1] > max_pixels:
            skipped.append(Skipped(name, f"{size[0]}x{size[1]} is more than --max_pixels={max_pixels}"))
        else:
            images.append(name)
    return FolderScan(images, skipped)


def load_image(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """BGR uint8 HxWx3, exactly as training's ``DecodeImage(img_mode="BGR")`` decodes the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read image file ({exc.strerror or exc})") from None
    if not data:
        raise DataError(f"{path}: empty file")
    return DecodeImage(img_mode="BGR", max_pixels=max_pixels)({"image": data, "img_path": path})["image"]


class ImageCache:
    """The last few decoded images and their browser encodings (thread-safe LRU)."""

    def __init__(self, folder: str, max_pixels: int = DEFAULT_MAX_PIXELS, size: int = 3) -> None:
        self.folder = folder
        self.max_pixels = max_pixels
        self.size = size
        self._items: OrderedDict[str, tuple[float, np.ndarray, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, name: str) -> tuple[float, np.ndarray, bytes | None]:
        path = os.path.join(self.folder, name)
        try:
            mtime = os.path.getmtime(path)
        except OSError as exc:
            raise DataError(f"{name}: cannot read image file ({exc.strerror or exc})") from None
        with self._lock:
            item = self._items.get(name)
            if item is not None and item[0] == mtime:
                self._items.move_to_end(name)
                return item
        item = (mtime, load_image(path, self.max_pixels), None)
        self._store(name, item)
        return item

    def _store(self, name: str, item: tuple[float, np.ndarray, bytes | None]) -> None:
        with self._lock:
            self._items[name] = item
            self._items.move_to_end(name)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def image(self, name: str) -> np.ndarray:
        """The decoded image (``load_image``)."""
        return self._entry(name)[1]

    def encoded(self, name: str) -> bytes:
        """The decoded pixels as a JPEG (quality 95) for the page: what training sees, not the file."""
        mtime, img, jpeg = self._entry(name)
        if jpeg is None:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            if not ok:
                raise DataError(f"{name}: cannot encode the image for the browser")
            jpeg = buf.tobytes()
            self._store(name, (mtime, img, jpeg))
        return jpeg
