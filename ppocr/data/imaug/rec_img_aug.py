"""Recognition / classification image transforms: augmentation and resize-normalize-pad.

``resize_norm_img`` is the one resize the text recognizer and direction classifier see
in training, evaluation, export and inference; it matches upstream PaddleOCR 2.x to the
bit (same ``cv2.resize`` calls, same float32 arithmetic), so weights trained upstream
give the same outputs here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import albumentations as A
import cv2
import numpy as np

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS

__all__ = ["RecAug", "BaseDataAugmentation", "RecConAug", "RecResizeImg", "ClsResizeImg", "resize_norm_img", "resize_norm_img_chinese"]

_PROB_NAMES = ("tia_prob", "crop_prob", "reverse_prob", "noise_prob", "jitter_prob", "blur_prob", "hsv_aug_prob")
MIN_SIDE_FOR_WARP = 20  # upstream applies TIA distort/stretch and crop only from 20x20 up


def _check_shape(image_shape: Sequence[int], owner: str) -> tuple[int, int, int]:
    if (isinstance(image_shape, str) or len(image_shape) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape)
            or image_shape[0] not in (1, 3)):
        raise ConfigError(f"{owner}.image_shape must be [C, H, W] with C in (1, 3), got {image_shape!r}")
    c, h, w = image_shape
    return c, h, w


def _norm_to_chw(resized: np.ndarray, channels: int) -> np.ndarray:
    """uint8 HWC (or HW) -> float32 CHW in [-1, 1]: ``(x / 255 - 0.5) / 0.5``."""
    resized = resized.astype("float32")
    if channels == 1:
        if resized.ndim == 3:
            raise ConfigError("image_shape has 1 channel but the image has 3 (use DecodeImage img_mode GRAY "
                              "and a gray-aware pipeline, or image_shape [3, H, W])")
        out = resized[np.newaxis, :] / 255
    else:
        out = resized.transpose((2, 0, 1)) / 255
    out -= 0.5
    out /= 0.5
    return out


def resize_norm_img(img: np.ndarray, image_shape: Sequence[int], padding: bool = True) -> tuple[np.ndarray, float]:
    """Resize to height H keeping the aspect ratio (width ``min(W, ceil(H * w / h))``),
    normalize to [-1, 1] and zero-pad on the right to ``[C, H, W]``.

    Without ``padding`` the image is stretched to ``W``. Returns the padded float32 CHW
    image and ``valid_ratio`` (resized width / W, at most 1).
    """
    img_c, img_h, img_w = image_shape
    h, w = img.shape[0], img.shape[1]
    if not padding:
        resized = cv2.resize(img, (img_w, img_h), interpolation=cv2.INTER_LINEAR)
        resized_w = img_w
    else:
        ratio = w / float(h)
        resized_w = img_w if math.ceil(img_h * ratio) > img_w else int(math.ceil(img_h * ratio))
        resized = cv2.resize(img, (resized_w, img_h))
    norm = _norm_to_chw(resized, img_c)
    padded = np.zeros((img_c, img_h, img_w), dtype=np.float32)
    padded[:, :, 0:resized_w] = norm
    return padded, min(1.0, float(resized_w / img_w))


def resize_norm_img_chinese(img: np.ndarray, image_shape: Sequence[int]) -> tuple[np.ndarray, float]:
    """Like ``resize_norm_img`` but the target width grows to fit wide images
    (``W' = int(H * max(W / H, w / h))``), as upstream's inference-mode resize."""
    img_c, img_h, img_w = image_shape
    h, w = img.shape[0], img.shape[1]
    ratio = w * 1.0 / h
    img_w = int(img_h * max(img_w * 1.0 / img_h, ratio))
    resized_w = img_w if math.ceil(img_h * ratio) > img_w else int(math.ceil(img_h * ratio))
    resized = cv2.resize(img, (resized_w, img_h))
    norm = _norm_to_chw(resized, img_c)
    padded = np.zeros((img_c, img_h, img_w), dtype=np.float32)
    padded[:, :, 0:resized_w] = norm
    return padded, min(1.0, float(resized_w / img_w))


@TRANSFORMS.register()
class RecResizeImg:
    """Resize-normalize-pad a text line to ``image_shape`` ``[C, H, W]``.

    Args:
        image_shape: ``[C, H, W]`` target.
        infer_mode: with a ``character_dict_path``, widen the target for wide images
            (upstream's inference resize).
        eval_mode: widen the target for wide images whatever ``character_dict_path`` is
            (upstream's switch of the same resize).
        character_dict_path: only compared with None (upstream's switch for
            ``infer_mode``); taken from Global like upstream.
        padding: keep the aspect ratio and pad (True) or stretch to W (False).

    Keys: required/modified ``image`` (HWC uint8 -> CHW float32); added ``valid_ratio``.
    """

    global_keys = ("character_dict_path",)

    def __init__(self, image_shape: Sequence[int], infer_mode: bool = False, eval_mode: bool = False,
                 character_dict_path: str | None = "./ppocr/utils/ppocr_keys_v1.txt",
                 padding: bool = True) -> None:
        self.image_shape = list(_check_shape(image_shape, "RecResizeImg"))
        self.infer_mode = bool(infer_mode)
        self.eval_mode = bool(eval_mode)
        self.character_dict_path = character_dict_path
        self.padding = bool(padding)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        img = data["image"]
        if self.eval_mode or (self.infer_mode and self.character_dict_path is not None):
            norm, valid_ratio = resize_norm_img_chinese(img, self.image_shape)
        else:
            norm, valid_ratio = resize_norm_img(img, self.image_shape, self.padding)
        data["image"] = norm
        data["valid_ratio"] = np.float32(valid_ratio)
        return data


@TRANSFORMS.register()
class ClsResizeImg:
    """Resize-normalize-pad for the direction classifier (``resize_norm_img`` with padding).

    Keys: required/modified ``image``.
    """

    def __init__(self, image_shape: Sequence[int]) -> None:
        self.image_shape = list(_check_shape(image_shape, "ClsResizeImg"))

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        data["image"], _ = resize_norm_img(data["image"], self.image_shape)
        return data


def _prob(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{owner}.{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _aug_stages(p: dict[str, float], large: bool, tia: bool) -> list:
    """The augmentation stages in upstream's order, each firing with its probability.

    ``tia`` prepends the TIA-like warps (RecAug); without it the list is upstream's
    BaseDataAugmentation. ``large`` is False below 20x20 px, where upstream skips the
    distort/stretch warps and the crop.
    """
    replicate = cv2.BORDER_REPLICATE
    stages: list = []
    if tia:
        perspective = A.Perspective(scale=(0.02, 0.06), keep_size=True, border_mode=replicate, p=1.0)
        warps = [A.GridDistortion(num_steps=4, distort_limit=(-0.2, 0.2), border_mode=replicate, p=1.0),
                 perspective] if large else [perspective]
        stages.append(A.Sequential(warps, p=p["tia_prob"]))
    if large:
        stages.append(A.RandomCropFromBorders(crop_left=0.0, crop_right=0.0, crop_top=0.125,
                                              crop_bottom=0.125, p=p["crop_prob"]))
    return stages + [
        A.GaussianBlur(blur_limit=(5, 5), sigma_limit=(1.0, 1.0), p=p["blur_prob"]),
        A.HueSaturationValue(hue_shift_limit=5, sat_shift_limit=15, val_shift_limit=15, p=p["hsv_aug_prob"]),
        A.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.02, p=p["jitter_prob"]),
        A.GaussNoise(std_range=(0.01, 0.04), p=p["noise_prob"]),
        A.InvertImg(p=p["reverse_prob"]),
    ]


class _SeededStages:
    """Runs ``_aug_stages`` as an albumentations pipeline reseeded from Python's ``random``.

    Reseeding on every call makes the output a deterministic function of the per-sample
    seed the datasets give ``random``. Subclasses set ``probs`` and call ``_build``.
    """

    probs: dict[str, float]

    def _build(self, tia: bool) -> None:
        self._large = A.Compose(_aug_stages(self.probs, large=True, tia=tia))
        self._small = A.Compose(_aug_stages(self.probs, large=False, tia=tia))

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        img = data["image"]
        h, w = img.shape[:2]
        pipeline = self._large if h >= MIN_SIDE_FOR_WARP and w >= MIN_SIDE_FOR_WARP else self._small
        pipeline.set_random_seed(random.getrandbits(32))
        data["image"] = np.ascontiguousarray(pipeline(image=img)["image"])
        return data


@TRANSFORMS.register()
class RecAug(_SeededStages):
    """Text-line augmentation: TIA-like warps, crop, blur, HSV, color jitter, noise, inversion.

    Accepts both upstream signatures: the old ``use_tia`` / ``aug_prob`` (every stage at
    ``aug_prob``; TIA only with ``use_tia``) and the newer per-stage probabilities
    (default 0.4 each). A per-stage value given explicitly wins over ``aug_prob``.

    The stages run in upstream's order, each with its probability. They are built from
    albumentations 2.0 rather than upstream's hand-written TIA code, so the random
    images differ from upstream's (the distribution is alike: small grid distortion +
    perspective, a crop of up to 1/8 of the height at top and bottom, 5x5 Gaussian
    blur, mild HSV/color changes, light Gaussian noise, 255 - x). Warps and crop are
    skipped below 20x20 px as upstream.

    Randomness: the albumentations pipeline is reseeded from Python's ``random`` on every
    call, so seeding ``random`` per sample (the datasets do) makes the output a
    deterministic function of that seed.

    Keys: required/modified ``image`` (HWC uint8).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(
        self,
        tia_prob: float | None = None,
        crop_prob: float | None = None,
        reverse_prob: float | None = None,
        noise_prob: float | None = None,
        jitter_prob: float | None = None,
        blur_prob: float | None = None,
        hsv_aug_prob: float | None = None,
        use_tia: bool | None = None,
        aug_prob: float | None = None,
    ) -> None:
        base = 0.4 if aug_prob is None else _prob("RecAug", "aug_prob", aug_prob)
        given = dict(zip(_PROB_NAMES, (tia_prob, crop_prob, reverse_prob, noise_prob, jitter_prob,
                                       blur_prob, hsv_aug_prob), strict=True))
        probs = {k: base if v is None else _prob("RecAug", k, v) for k, v in given.items()}
        if use_tia is not None and not use_tia and tia_prob is None:
            probs["tia_prob"] = 0.0
        self.probs = probs
        self._build(tia=True)


@TRANSFORMS.register()
class BaseDataAugmentation(_SeededStages):
    """RecAug without the TIA warps: crop, blur, HSV, color jitter, noise, inversion.

    Upstream's direction classifier (``cls_mv3.yml``) uses it: TIA warps would bend the
    text that the classifier must judge upright or upside down. Same stages, order and
    randomness as ``RecAug`` (see there for how they differ from upstream's code); the
    crop is skipped below 20x20 px as upstream.

    Args:
        crop_prob, reverse_prob, noise_prob, jitter_prob, blur_prob, hsv_aug_prob:
            probability of each stage, in [0, 1] (upstream's names and 0.4 defaults).

    Keys: required/modified ``image`` (HWC uint8).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(
        self,
        crop_prob: float = 0.4,
        reverse_prob: float = 0.4,
        noise_prob: float = 0.4,
        jitter_prob: float = 0.4,
        blur_prob: float = 0.4,
        hsv_aug_prob: float = 0.4,
    ) -> None:
        given = {"crop_prob": crop_prob, "reverse_prob": reverse_prob, "noise_prob": noise_prob,
                 "jitter_prob": jitter_prob, "blur_prob": blur_prob, "hsv_aug_prob": hsv_aug_prob}
        self.probs = {k: _prob("BaseDataAugmentation", k, v) for k, v in given.items()}
        self._build(tia=False)


@TRANSFORMS.register()
class RecConAug:
    """Append other text lines to this one, side by side (upstream's RecConAug).

    With probability ``prob`` (``random.random() <= prob``), the extra samples the dataset
    hands over in ``ext_data`` are appended in order while the joint label has at most
    ``max_text_length`` characters and the joint aspect ratio (sum of the images' w/h)
    is at most ``W / H`` of ``image_shape``; the first one that does not fit stops the
    appending. Each image is first resized to height ``H`` and width
    ``round(w / h * H)`` (bilinear, Python's rounding, as upstream); labels are joined
    without a separator.

    A joint label longer than a later encoder allows (NRTR/SAR hold ``max_text_length - 2``
    characters) makes that encoder reject the sample mid-epoch, and the dataset loads
    another one, as upstream drops it.

    Args:
        prob: probability of appending.
        image_shape: ``[H, W, C]`` (upstream's order here), e.g. ``[48, 320, 3]``.
        max_text_length: most characters of the joint label (Global's when not given).
        ext_data_num: extra samples the dataset loads for this op (through the first
            ``ext_op_transform_idx`` ops, i.e. decoded images with str labels).

    Keys:
        - Required: ``image`` (HWC uint8), ``label`` (str), ``ext_data`` (list of dicts
          with ``image``, ``label``; missing means none).
        - Modified: ``image``, ``label``.
        - Removed: ``ext_data``.
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    global_keys = ("max_text_length",)

    def __init__(self, prob: float = 0.5, image_shape: Sequence[int] = (32, 320, 3), max_text_length: int = 25,
                 ext_data_num: int = 1) -> None:
        self.prob = _prob("RecConAug", "prob", prob)
        if (isinstance(image_shape, str) or len(image_shape) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape)):
            raise ConfigError(f"RecConAug.image_shape must be [H, W, C] positive integers, got {image_shape!r}")
        for name, value, low in (("max_text_length", max_text_length, 1), ("ext_data_num", ext_data_num, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"RecConAug.{name} must be an integer >= {low}, got {value!r}")
        self.image_shape = list(image_shape)
        self.max_text_length = max_text_length
        self.ext_data_num = ext_data_num
        self.max_wh_ratio = self.image_shape[1] / self.image_shape[0]

    def _to_height(self, img: np.ndarray) -> np.ndarray:
        height = self.image_shape[0]
        width = max(1, round(img.shape[1] / img.shape[0] * height))  # upstream: 0 would crash cv2
        return cv2.resize(img, (width, height))

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        ext = data.pop("ext_data", None) or []
        if random.random() > self.prob:
            return data
        for other in ext:
            if len(data["label"]) + len(other["label"]) > self.max_text_length:
                break
            img, extra = data["image"], other["image"]
            if img.shape[1] / img.shape[0] + extra.shape[1] / extra.shape[0] > self.max_wh_ratio:
                break
            data["image"] = np.concatenate([self._to_height(img), self._to_height(extra)], axis=1)
            data["label"] = data["label"] + other["label"]
        return data

    def __repr__(self) -> str:
        return (f"RecConAug(prob={self.prob}, image_shape={self.image_shape}, "
                f"max_text_length={self.max_text_length}, ext_data_num={self.ext_data_num})")
