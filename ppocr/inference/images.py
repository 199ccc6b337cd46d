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
    return _decode(data, path, max_pixels)


def read_image_bytes(data: bytes, name: str = "image", max_pixels: int = 64_000_000) -> np.ndarray:
    """``read_image`` for encoded bytes (an upload): the same header check, decode and conversions;
    DataError messages start with ``name``."""
    size = image_size_from_header(bytes(data))
    if size is not None and size[0] * size[1] > max_pixels:
        raise DataError(f"{name}: {size[0]}x{size[1]} exceeds max_pixels={max_pixels} (read from the header; "
                        "not decoded)")
    return _decode(np.frombuffer(data, dtype=np.uint8), name, max_pixels)


def _decode(data: np.ndarray, name: str, max_pixels: int) -> np.ndarray:
    """Encoded uint8 buffer -> BGR uint8 HxWx3 (the part ``read_image`` and ``read_image_bytes`` share).

    Decoded as upstream's ``cv2.imread`` decodes (``IMREAD_COLOR``): EXIF orientation applied (a
    phone photo tagged "rotate 90" comes out upright, as training's ``DecodeImage`` sees it), alpha
    dropped, gray and 16-bit converted to 8-bit BGR by OpenCV.
    """
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise DataError(f"{name}: cannot decode image")
    if img.shape[0] * img.shape[1] > max_pixels:
        raise DataError(f"{name}: {img.shape[1]}x{img.shape[0]} exceeds max_pixels={max_pixels}")
    return img
