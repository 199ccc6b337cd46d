"""Listing and reading input images for the predictors."""

from __future__ import annotations

import os

import cv2
import numpy as np

from ppocr.data.imaug.operators import image_size_from_header
from ppocr.errors import DataError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def list_images(image_dir: str) -> list[str]:
    """A file, or the images of a folder (sorted, non-recursive)."""
    if os.path.isfile(image_dir):
        return [image_dir]
    if not os.path.isdir(image_dir):
        raise DataError(f"--image_dir not found: {image_dir}")
    files = sorted(os.path.join(image_dir, f) for f in os.listdir(image_dir)
                   if f.lower().endswith(IMAGE_EXTS))
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_EXTS)}) in {image_dir}")
    return files


def read_image(path: str, max_pixels: int = 64_000_000) -> np.ndarray:
    """BGR uint8 HxWx3 from any 8/16-bit gray/BGR/BGRA file; DataError names the file otherwise.

    The size is read from the header (PIL, no pixel decode) and refused above
    ``max_pixels`` before OpenCV allocates the image; formats PIL cannot parse are
    checked after decoding. Folders and unreadable files are DataErrors too, so callers
    skip and count them like undecodable images.
    """
    if os.path.isdir(path):
        raise DataError(f"{path}: is a directory, not an image")
    size = image_size_from_header(path)
    if size is not None and size[0] * size[1] > max_pixels:
        raise DataError(f"{path}: {size[0]}x{size[1]} exceeds max_pixels={max_pixels} (read from the header; "
                        "not decoded)")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise DataError(f"{path}: cannot read image file ({exc.strerror or exc})") from exc
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise DataError(f"{path}: cannot decode image")
    if img.shape[0] * img.shape[1] > max_pixels:
        raise DataError(f"{path}: {img.shape[1]}x{img.shape[0]} exceeds max_pixels={max_pixels}")
    if img.dtype == np.uint16:
        img = (img / 257.0).round().astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    elif img.shape[2] == 1:
        img = cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    return img
