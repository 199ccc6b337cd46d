"""Detection test-time resize: sides become multiples of 32 (what the DB network needs)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS

__all__ = ["DetResizeForTest", "resize_for_test", "LIMIT_TYPES"]

logger = logging.getLogger("ppocr")

LIMIT_TYPES = ("max", "min", "resize_long")
STRIDE = 32
DEFAULT_MAX_SIDE_LIMIT = 4000


def _pad_tiny(img: np.ndarray) -> np.ndarray:
    """Images with h + w < 64 are zero-padded (bottom/right) to at least 32x32, as upstream."""
    h, w = img.shape[:2]
    if h + w >= 2 * STRIDE:
        return img
    out = np.zeros((max(STRIDE, h), max(STRIDE, w)) + img.shape[2:], dtype=img.dtype)
    out[:h, :w] = img
    return out


def _round32(v: float) -> int:
    return max(int(round(v / STRIDE) * STRIDE), STRIDE)


def resize_for_test(img: np.ndarray, limit_side_len: float, limit_type: str,
                    max_side_limit: int | None = DEFAULT_MAX_SIDE_LIMIT) -> tuple[np.ndarray, tuple[float, float]]:
    """Resize for detection inference (upstream's type-0 resize); used by the predictor too.

    ``limit_type``: ``max`` shrinks so the long side is at most ``limit_side_len``;
    ``min`` enlarges so the short side is at least ``limit_side_len``; ``resize_long``
    scales the long side to ``limit_side_len``. Sides are then rounded to multiples of
    32 (at least 32). ``max_side_limit`` (upstream 3.x) caps the long side before
    rounding, so a 1x10000 strip under ``min`` cannot ask for a gigapixel image.

    Returns the resized image and ``(ratio_h, ratio_w)`` = new size / source size (after
    the zero padding of images with h + w < 64, which leaves coordinates unchanged).
    """
    if limit_type not in LIMIT_TYPES:
        raise ConfigError(f"limit_type must be one of {LIMIT_TYPES}, got {limit_type!r}")
    img = _pad_tiny(img)
    h, w = img.shape[:2]
    if limit_type == "max":
        ratio = limit_side_len / max(h, w) if max(h, w) > limit_side_len else 1.0
    elif limit_type == "min":
        ratio = limit_side_len / min(h, w) if min(h, w) < limit_side_len else 1.0
    else:
        ratio = limit_side_len / max(h, w)
    resize_h, resize_w = int(h * ratio), int(w * ratio)
    if max_side_limit is not None and max(resize_h, resize_w) > max_side_limit:
        logger.debug("resized %dx%d exceeds max_side_limit %d; capped", resize_h, resize_w, max_side_limit)
        cap = max_side_limit / max(resize_h, resize_w)
        resize_h, resize_w = int(resize_h * cap), int(resize_w * cap)
    resize_h, resize_w = _round32(resize_h), _round32(resize_w)
    out = cv2.resize(img, (resize_w, resize_h))
    return out, (resize_h / h, resize_w / w)


def _positive(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        raise ConfigError(f"DetResizeForTest.{name} must be a positive number, got {v!r}")
    return v


@TRANSFORMS.register()
class DetResizeForTest:
    """Resize an eval/inference image for DB and record how (upstream's three modes).

    The first given of these picks the mode, in upstream's order:
      * ``image_shape: [h, w]`` (type 1): resize to exactly that (both multiples of 32);
        with ``keep_ratio`` the width follows the aspect ratio, rounded up to 32
        (capped at ``max_side_limit``).
      * ``limit_side_len`` (type 0): ``resize_for_test`` with ``limit_type``
        (default ``min`` as upstream; inference uses 960 / ``max``).
      * ``resize_long`` (type 2): long side to ``resize_long``, sides rounded up to 128.
      * none: type 0 with 736 / ``min`` (upstream's default).

    Args:
        image_shape, keep_ratio, limit_side_len, limit_type, resize_long: as above.
        max_side_limit: cap on the long side in type 0 (upstream 3.x's guard; None disables).

    Keys: required/modified ``image`` (HWC); added ``shape`` (float32
    ``[src_h, src_w, ratio_h, ratio_w]``) that ``DBPostProcess`` maps boxes back with.
    """

    def __init__(
        self,
        image_shape: Sequence[int] | None = None,
        keep_ratio: bool = False,
        limit_side_len: float | None = None,
        limit_type: str | None = None,
        resize_long: float | None = None,
        max_side_limit: int | None = DEFAULT_MAX_SIDE_LIMIT,
    ) -> None:
        self.keep_ratio = bool(keep_ratio)
        self.max_side_limit = None if max_side_limit is None else int(_positive("max_side_limit", max_side_limit))
        if image_shape is not None:
            if (not isinstance(image_shape, (list, tuple)) or len(image_shape) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 and v % STRIDE == 0
                               for v in image_shape)):
                raise ConfigError(f"DetResizeForTest.image_shape must be [h, w], positive multiples of {STRIDE}, "
                                  f"got {image_shape!r}")
            self.resize_type, self.image_shape = 1, (int(image_shape[0]), int(image_shape[1]))
        elif limit_side_len is not None or resize_long is None:
            self.resize_type = 0
            self.limit_side_len = _positive("limit_side_len", 736 if limit_side_len is None else limit_side_len)
            self.limit_type = "min" if limit_type is None else limit_type
            if self.limit_type not in LIMIT_TYPES:
                raise ConfigError(f"DetResizeForTest.limit_type must be one of {LIMIT_TYPES}, got {limit_type!r}")
        else:
            self.resize_type, self.resize_long = 2, _positive("resize_long", resize_long)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        img = data["image"]
        src_h, src_w = img.shape[:2]
        if self.resize_type == 0:
            img, (ratio_h, ratio_w) = resize_for_test(img, self.limit_side_len, self.limit_type, self.max_side_limit)
        elif self.resize_type == 1:
            img, (ratio_h, ratio_w) = self._fixed(_pad_tiny(img))
        else:
            img, (ratio_h, ratio_w) = self._long(_pad_tiny(img))
        data["image"] = img
        data["shape"] = np.array([src_h, src_w, ratio_h, ratio_w], dtype=np.float32)
        return data

    def _fixed(self, img: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        h, w = img.shape[:2]
        resize_h, resize_w = self.image_shape
        if self.keep_ratio:
            resize_w = math.ceil(w * resize_h / h / STRIDE) * STRIDE
            if self.max_side_limit is not None and resize_w > self.max_side_limit:
                resize_w = max(STRIDE, self.max_side_limit // STRIDE * STRIDE)
        return cv2.resize(img, (resize_w, resize_h)), (resize_h / h, resize_w / w)

    def _long(self, img: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        h, w = img.shape[:2]
        ratio = self.resize_long / max(h, w)
        stride = 128
        resize_h = max(stride, -(-int(h * ratio) // stride) * stride)
        resize_w = max(stride, -(-int(w * ratio) // stride) * stride)
        return cv2.resize(img, (resize_w, resize_h)), (resize_h / h, resize_w / w)
