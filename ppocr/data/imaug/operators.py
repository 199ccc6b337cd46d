"""Generic transforms: decode, normalize, HWC->CHW, and the final key selection."""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ppocr.config import parse_number
from ppocr.errors import ConfigError, DataError
from ppocr.registry import TRANSFORMS

__all__ = ["DecodeImage", "NormalizeImage", "ToCHWImage", "KeepKeys", "image_size_from_header", "too_big_to_decode"]

IMG_MODES = ("RGB", "BGR", "GRAY")
DEFAULT_MAX_PIXELS = 100_000_000


def _where(data: dict[str, Any]) -> str:
    return str(data.get("img_path", "<image bytes>"))


_PIL_LIMIT_LOCK = threading.Lock()  # guards the save/restore of PIL's global pixel limit


def image_size_from_header(buf: bytes | str) -> tuple[int, int] | None:
    """``(width, height)`` read from the header only (no pixel decode), or None if unknown.

    ``buf`` is the encoded bytes or a file path (then only the header is read from disk).
    Used to refuse huge images before ``cv2.imdecode`` allocates them; PIL's own bomb
    limit is lifted meanwhile, since the caller applies its limit to the size returned.
    """
    source = io.BytesIO(buf) if isinstance(buf, (bytes, bytearray)) else buf
    try:
        with _PIL_LIMIT_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(source) as im:
                    return im.size
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except Exception:  # noqa: BLE001 - an unknown header only means "let cv2 decide"
        return None


def too_big_to_decode(source: bytes | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> bool:
    """Whether the header claims more than ``max_pixels``: a load-time ``check_images: full`` must
    not decode such a file (``DecodeImage`` refuses it, with its own limit, when the sample is read)."""
    size = image_size_from_header(source)
    return size is not None and size[0] * size[1] > max_pixels


@TRANSFORMS.register()
class DecodeImage:
    """Encoded bytes -> HWC uint8 image with 3 channels (as upstream's ``cv2.IMREAD_COLOR``).

    Grayscale, RGBA/BGRA and 16-bit inputs all come out as 8-bit 3-channel images, the
    same pixels upstream's ``cv2.imdecode(buf, 1)`` gives (so inference matches).

    Args:
        img_mode: ``RGB`` (upstream default), ``BGR`` (what PP-OCR configs use) or
            ``GRAY`` (decoded as gray, then replicated to 3 channels as upstream does).
        channel_first: transpose to CHW.
        ignore_orientation: ignore the EXIF orientation tag.
        max_pixels: refuse images with more pixels (read from the header before
            decoding); ``None`` disables the guard. Not upstream: a guard against
            decompression bombs and accidental 100-megapixel scans.

    Keys: required ``image`` (bytes); modified ``image`` (ndarray); reads ``img_path``
    for messages. Raises ``DataError`` naming the path when the bytes do not decode.
    """

    def __init__(
        self,
        img_mode: str = "RGB",
        channel_first: bool = False,
        ignore_orientation: bool = False,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> None:
        if img_mode not in IMG_MODES:
            raise ConfigError(f"DecodeImage.img_mode must be one of {IMG_MODES}, got {img_mode!r}")
        if max_pixels is not None and (isinstance(max_pixels, bool) or not isinstance(max_pixels, int)
                                       or max_pixels <= 0):
            raise ConfigError(f"DecodeImage.max_pixels must be a positive integer or null, got {max_pixels!r}")
        self.img_mode = img_mode
        self.channel_first = bool(channel_first)
        self.ignore_orientation = bool(ignore_orientation)
        self.max_pixels = max_pixels

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        buf = data.get("image")
        if not isinstance(buf, (bytes, bytearray)) or len(buf) == 0:
            raise DataError(f"{_where(data)}: DecodeImage expects non-empty image bytes, got "
                            f"{type(buf).__name__}")
        if self.max_pixels is not None:
            size = image_size_from_header(bytes(buf))
            if size is not None and size[0] * size[1] > self.max_pixels:
                raise DataError(f"{_where(data)}: image is {size[0]}x{size[1]} pixels, more than "
                                f"DecodeImage.max_pixels={self.max_pixels}")
        flag = cv2.IMREAD_GRAYSCALE if self.img_mode == "GRAY" else cv2.IMREAD_COLOR
        if self.ignore_orientation:
            flag |= cv2.IMREAD_IGNORE_ORIENTATION
        img = cv2.imdecode(np.frombuffer(buf, dtype=np.uint8), flag)
        if img is None:
            raise DataError(f"{_where(data)}: image bytes cannot be decoded ({len(buf)} bytes)")
        if self.max_pixels is not None and img.shape[0] * img.shape[1] > self.max_pixels:  # header unknown to PIL
            raise DataError(f"{_where(data)}: image is {img.shape[1]}x{img.shape[0]} pixels, more than "
                            f"DecodeImage.max_pixels={self.max_pixels}")
        if self.img_mode == "GRAY":
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif self.img_mode == "RGB":
            img = np.ascontiguousarray(img[:, :, ::-1])
        if self.channel_first:
            img = img.transpose((2, 0, 1))
        data["image"] = img
        return data


@TRANSFORMS.register()
class NormalizeImage:
    """``(image * scale - mean) / std`` in float32, as upstream.

    Args:
        scale: number or arithmetic string such as ``1./255.`` (parsed without eval);
            default 1/255.
        mean, std: per channel; default ImageNet's.
        order: layout of the image: ``chw`` (upstream default) or ``hwc``.

    Keys: required/modified ``image`` (HWC or CHW uint8 -> float32).
    """

    def __init__(
        self,
        scale: float | str | None = None,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        order: str = "chw",
    ) -> None:
        if order not in ("chw", "hwc"):
            raise ConfigError(f"NormalizeImage.order must be 'chw' or 'hwc', got {order!r}")
        self.scale = np.float32(parse_number(scale, "NormalizeImage.scale") if scale is not None else 1.0 / 255.0)
        mean = [0.485, 0.456, 0.406] if mean is None else mean
        std = [0.229, 0.224, 0.225] if std is None else std
        if len(mean) != 3 or len(std) != 3:
            raise ConfigError(f"NormalizeImage.mean/std need 3 values each, got {mean!r} / {std!r}")
        if any(float(s) == 0 for s in std):
            raise ConfigError(f"NormalizeImage.std must not contain 0, got {std!r}")
        shape = (3, 1, 1) if order == "chw" else (1, 1, 3)
        self.mean = np.array(mean, dtype=np.float32).reshape(shape)
        self.std = np.array(std, dtype=np.float32).reshape(shape)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        img = data["image"]
        if isinstance(img, Image.Image):
            img = np.array(img)
        if not isinstance(img, np.ndarray):
            raise DataError(f"{_where(data)}: NormalizeImage expects an ndarray image, got {type(img).__name__}")
        data["image"] = (img.astype(np.float32) * self.scale - self.mean) / self.std
        return data


@TRANSFORMS.register()
class ToCHWImage:
    """HWC -> CHW. Keys: required/modified ``image``."""

    def __init__(self) -> None:
        pass

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        img = data["image"]
        if isinstance(img, Image.Image):
            img = np.array(img)
        data["image"] = img.transpose((2, 0, 1))
        return data


@TRANSFORMS.register()
class KeepKeys:
    """Turn the sample dict into the list the model, loss and metric index by position.

    The orders each task uses are listed in docs/DESIGN.md ("KeepKeys orders").
    Keys: required all of ``keep_keys``; returns a list instead of a dict. A missing key
    is a ``ConfigError`` (the pipeline is wrong, not the sample).
    """

    train_only = True  # picks loader outputs; predictors take the image themselves

    def __init__(self, keep_keys: Sequence[str]) -> None:
        if isinstance(keep_keys, str) or not keep_keys or not all(isinstance(k, str) for k in keep_keys):
            raise ConfigError(f"KeepKeys.keep_keys must be a non-empty list of key names, got {keep_keys!r}")
        self.keep_keys = list(keep_keys)

    def __call__(self, data: dict[str, Any]) -> list[Any]:
        missing = [k for k in self.keep_keys if k not in data]
        if missing:
            raise ConfigError(f"{_where(data)}: KeepKeys needs {missing} but the sample has "
                              f"{sorted(data)} (check the transforms before KeepKeys)")
        return [data[k] for k in self.keep_keys]
