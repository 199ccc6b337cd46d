"""RandAugment for the text-direction classifier (upstream's ``RandAugment`` transform).

Each call, with probability ``prob``, applies ``num_layers`` operations drawn uniformly
from fourteen PIL image ops (shear, translate, rotate, color, posterize, solarize,
contrast, sharpness, brightness, autocontrast, equalize, invert), all at one strength
set by ``magnitude`` (0..10). The strength of each op is upstream PaddleOCR 2.x's
table, quirks included, so a config trains on the same distribution of images.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from ppocr.errors import ConfigError, DataError
from ppocr.registry import TRANSFORMS

__all__ = ["RandAugment", "OP_NAMES", "MAX_LEVEL", "op_levels"]

MAX_LEVEL = 10
# Upstream's order: the op drawn for a given np.random state is the same op upstream draws.
OP_NAMES = ("shearX", "shearY", "translateX", "translateY", "rotate", "color", "posterize", "solarize",
            "contrast", "sharpness", "brightness", "autocontrast", "equalize", "invert")
# Ops whose direction is a coin flip (drawn from Python's ``random``, as upstream).
_SIGNED = frozenset({"shearX", "shearY", "translateX", "translateY", "color", "contrast", "sharpness",
                     "brightness"})

Fill = int | tuple[int, int, int]
_Op = Callable[[Image.Image, float, int, Fill], Image.Image]


def op_levels(magnitude: float) -> dict[str, float]:
    """Strength of every op at ``magnitude`` (upstream's table).

    Two entries grow the "wrong" way, as upstream: ``posterize`` keeps
    ``int(4 * magnitude / 10)`` bits (0 bits, a black image, below magnitude 2.5) and
    ``solarize`` inverts pixels at or above ``25.6 * magnitude`` (nothing at 10).
    ``autocontrast``, ``equalize`` and ``invert`` ignore the magnitude.
    """
    level = magnitude / MAX_LEVEL
    return {
        "shearX": 0.3 * level,
        "shearY": 0.3 * level,
        "translateX": 150.0 / 331 * level,
        "translateY": 150.0 / 331 * level,
        "rotate": 30 * level,
        "color": 0.9 * level,
        "posterize": int(4.0 * level),
        "solarize": 256.0 * level,
        "contrast": 0.9 * level,
        "sharpness": 0.9 * level,
        "brightness": 0.9 * level,
        "autocontrast": 0,
        "equalize": 0,
        "invert": 0,
    }


def _affine(img: Image.Image, coeffs: tuple[float, ...], fill: Fill, bicubic: bool) -> Image.Image:
    resample = Image.Resampling.BICUBIC if bicubic else Image.Resampling.NEAREST
    return img.transform(img.size, Image.Transform.AFFINE, coeffs, resample, fillcolor=fill)


def _posterize(img: Image.Image, bits: int) -> Image.Image:
    """Keep the top ``bits`` bits; 0 bits gives black, as Pillow < 10 did (newer Pillow refuses 0)."""
    mask = ~(2 ** (8 - bits) - 1) & 0xFF
    return img.point([i & mask for i in range(256)] * len(img.getbands()))


def _enhance(enhancer: type) -> _Op:
    return lambda img, level, sign, fill: enhancer(img).enhance(1 + level * sign)


# (image, level, sign, fill) -> image. PIL's affine coefficients map output to input pixels.
_OPS: dict[str, _Op] = {
    "shearX": lambda img, level, sign, fill: _affine(img, (1, level * sign, 0, 0, 1, 0), fill, True),
    "shearY": lambda img, level, sign, fill: _affine(img, (1, 0, 0, level * sign, 1, 0), fill, True),
    "translateX": lambda img, level, sign, fill: _affine(img, (1, 0, level * img.size[0] * sign, 0, 1, 0),
                                                         fill, False),
    "translateY": lambda img, level, sign, fill: _affine(img, (1, 0, 0, 0, 1, level * img.size[1] * sign),
                                                         fill, False),
    # Always counter-clockwise, as upstream (no coin flip for rotate).
    "rotate": lambda img, level, sign, fill: img.rotate(level, fillcolor=fill),
    "color": _enhance(ImageEnhance.Color),
    "posterize": lambda img, level, sign, fill: _posterize(img, int(level)),
    "solarize": lambda img, level, sign, fill: ImageOps.solarize(img, level),
    "contrast": _enhance(ImageEnhance.Contrast),
    "sharpness": _enhance(ImageEnhance.Sharpness),
    "brightness": _enhance(ImageEnhance.Brightness),
    "autocontrast": lambda img, level, sign, fill: ImageOps.autocontrast(img),
    "equalize": lambda img, level, sign, fill: ImageOps.equalize(img),
    "invert": lambda img, level, sign, fill: ImageOps.invert(img),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_fillcolor(fillcolor: Any) -> tuple[int, int, int]:
    values = (fillcolor,) * 3 if _is_int(fillcolor) else fillcolor
    if (not isinstance(values, (list, tuple)) or len(values) != 3
            or not all(_is_int(v) and 0 <= v <= 255 for v in values)):
        raise ConfigError(f"RandAugment.fillcolor must be an int or 3 ints in [0, 255], got {fillcolor!r}")
    return tuple(int(v) for v in values)  # type: ignore[return-value]


@TRANSFORMS.register()
class RandAugment:
    """Classic RandAugment on the BGR uint8 image, as upstream's classifier training uses.

    Args:
        prob: chance that a sample is augmented at all (upstream default 0.5).
        num_layers: ops applied one after another to an augmented sample.
        magnitude: strength of every op, 0..10 (see ``op_levels``).
        fillcolor: value of pixels that shear/translate/rotate uncover, in the channel
            order of ``data['image']`` (BGR); an int means gray.

    Randomness comes from the global ``np.random`` (apply or not, which op) and
    ``random`` (the direction of signed ops), as upstream; the datasets seed both per
    sample, so the output is a deterministic function of the sample seed.

    Differences from upstream: the image is handed to PIL as RGB (upstream passes BGR
    as if it were RGB, which swaps the red/blue weights of ``color`` and ``contrast``);
    ``rotate`` fills with ``fillcolor`` (upstream always 128, the default anyway);
    unknown parameters and a ``magnitude`` outside 0..10 are errors.

    Keys: required/modified ``image`` (HWC or HW uint8).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(self, prob: float = 0.5, num_layers: int = 2, magnitude: float = 5,
                 fillcolor: int | Sequence[int] = (128, 128, 128)) -> None:
        if not _is_number(prob) or not 0.0 <= prob <= 1.0:
            raise ConfigError(f"RandAugment.prob must be a probability in [0, 1], got {prob!r}")
        if not _is_int(num_layers) or num_layers < 0:
            raise ConfigError(f"RandAugment.num_layers must be an int >= 0, got {num_layers!r}")
        if not _is_number(magnitude) or not 0 <= magnitude <= MAX_LEVEL:
            raise ConfigError(f"RandAugment.magnitude must be a number in [0, {MAX_LEVEL}], got {magnitude!r}")
        self.prob = float(prob)
        self.num_layers = int(num_layers)
        self.magnitude = float(magnitude)
        self.fillcolor = _check_fillcolor(fillcolor)
        self.levels = op_levels(self.magnitude)

    def apply_op(self, name: str, image: np.ndarray, img_path: str = "") -> np.ndarray:
        """Apply the op ``name`` at this magnitude to a BGR (or gray) uint8 image."""
        if name not in _OPS:
            raise ConfigError(f"RandAugment has no op '{name}'. Known: {', '.join(OP_NAMES)}")
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or not (
                image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
            desc = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise DataError(f"{img_path or '<image>'}: RandAugment expects an HxWx3 or HxW uint8 image, "
                            f"got {desc}")
        sign = random.choice((-1, 1)) if name in _SIGNED else 1
        if image.ndim == 2:
            pil, fill = Image.fromarray(image), round(sum(self.fillcolor) / 3)
        else:
            pil = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
            fill = self.fillcolor[::-1]
        out = np.asarray(_OPS[name](pil, self.levels[name], sign, fill))
        return np.ascontiguousarray(out if image.ndim == 2 else out[:, :, ::-1])

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        if np.random.rand() > self.prob:
            return data
        img = data["image"]
        for _ in range(self.num_layers):
            name = OP_NAMES[int(np.random.randint(len(OP_NAMES)))]
            img = self.apply_op(name, img, data.get("img_path", ""))
        data["image"] = img
        return data
