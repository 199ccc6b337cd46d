"""Geometric augmentation configured like upstream's imgaug ``IaaAugment``, run on albumentations.

imgaug is unmaintained (it breaks on NumPy 2), so the config's imgaug-style list is
translated to albumentations 2.0 transforms with imgaug's meaning of every value:
a number is a fixed value, a 2-list a uniform range, ``Affine`` keeps the canvas size
unless ``fit_output``, ``Resize`` with fractions scales both sides by one sampled factor.
Polygon points travel through the same transforms as keypoints.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import albumentations as A
import cv2
import numpy as np

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS

__all__ = ["IaaAugment", "build_augmenter", "SUPPORTED_AUGMENTERS", "DEFAULT_AUGMENTER_ARGS"]

DEFAULT_AUGMENTER_ARGS: list[dict[str, Any]] = [
    {"type": "Fliplr", "args": {"p": 0.5}},
    {"type": "Affine", "args": {"rotate": [-10, 10]}},
    {"type": "Resize", "args": {"size": [0.5, 3]}},
]

# imgaug's parameter order, for upstream's list form ``[TypeName, arg0, arg1, ...]``.
_PARAMS: dict[str, tuple[str, ...]] = {
    "Fliplr": ("p",),
    "Flipud": ("p",),
    "Affine": ("scale", "translate_percent", "translate_px", "rotate", "shear", "cval", "fit_output"),
    "Resize": ("size",),
    # Albumentations-style names that newer upstream configs (ch_PP-OCRv2_det_student.yml) use.
    "HorizontalFlip": ("p",),
    "VerticalFlip": ("p",),
    "RandomScale": ("scale_limit",),
}
SUPPORTED_AUGMENTERS = tuple(_PARAMS)


class _ScaleBy(A.DualTransform):
    """Resize both sides by one factor from ``[low, high]`` (imgaug ``Resize`` with fractions).

    Unlike ``A.RandomScale`` sizes are rounded and kept >= 1 px (imgaug does the same),
    and points are scaled by the exact new/old size ratios about pixel centers, as
    cv2.resize maps pixels (imgaug's ``x * s`` assumes pixel corners; under the
    pixel-index convention of albumentations' flips it would drift by ``(s - 1) / 2``).
    """

    def __init__(self, low: float, high: float, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.low, self.high = float(low), float(high)

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        h, w = params["shape"][:2]
        s = self.py_random.uniform(self.low, self.high)
        new_h, new_w = max(1, round(h * s)), max(1, round(w * s))
        return {"new_h": new_h, "new_w": new_w, "sx": new_w / w, "sy": new_h / h}

    def apply(self, img: np.ndarray, new_h: int = 1, new_w: int = 1, **params: Any) -> np.ndarray:
        return cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)

    def apply_to_keypoints(self, keypoints: np.ndarray, sx: float = 1.0, sy: float = 1.0,
                           **params: Any) -> np.ndarray:
        out = keypoints.copy()  # pixel-index coordinates: cv2.resize maps centers (i + 0.5) * s
        out[:, 0] = (out[:, 0] + 0.5) * sx - 0.5
        out[:, 1] = (out[:, 1] + 0.5) * sy - 0.5
        return out

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("low", "high")


def _number(where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{where}: expected a number, got {v!r}")
    return float(v)


def _range(where: str, v: Any) -> tuple[float, float]:
    """imgaug value -> (low, high): a number is fixed, a 2-list/tuple is a uniform range."""
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ConfigError(f"{where}: expected a number or a [low, high] range, got {v!r}")
        low, high = _number(where, v[0]), _number(where, v[1])
        if low > high:
            raise ConfigError(f"{where}: range {v!r} has low > high")
        return (low, high)
    x = _number(where, v)
    return (x, x)


def _axes(where: str, v: Any, default: float) -> dict[str, tuple[float, float]] | tuple[float, float]:
    """A value that may be given per axis as ``{x: ..., y: ...}``."""
    if isinstance(v, Mapping):
        extra = set(v) - {"x", "y"}
        if extra:
            raise ConfigError(f"{where}: per-axis mapping takes keys 'x' and 'y', got {sorted(extra)}")
        return {k: _range(f"{where}.{k}", v.get(k, default)) for k in ("x", "y")}
    return _range(where, v)


def _probability(where: str, v: Any) -> float:
    p = _number(where, v)
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"{where}: expected a probability in [0, 1], got {v!r}")
    return p


def _affine(where: str, args: dict[str, Any]) -> A.BasicTransform:
    kw: dict[str, Any] = {"p": 1.0, "border_mode": cv2.BORDER_CONSTANT, "interpolation": cv2.INTER_LINEAR}
    if "scale" in args:
        scale = _axes(f"{where}.scale", args["scale"], 1.0)
        kw["scale"] = scale
        kw["keep_ratio"] = not isinstance(scale, dict)  # imgaug: one factor for both axes
    if "translate_percent" in args and "translate_px" in args:
        raise ConfigError(f"{where}: give translate_percent or translate_px, not both")
    if "translate_percent" in args:
        kw["translate_percent"] = _axes(f"{where}.translate_percent", args["translate_percent"], 0.0)
    if "translate_px" in args:
        px = _axes(f"{where}.translate_px", args["translate_px"], 0.0)
        kw["translate_px"] = ({k: (int(a), int(b)) for k, (a, b) in px.items()} if isinstance(px, dict)
                              else (int(px[0]), int(px[1])))
    if "rotate" in args:
        kw["rotate"] = _range(f"{where}.rotate", args["rotate"])
    if "shear" in args:
        shear = _axes(f"{where}.shear", args["shear"], 0.0)
        kw["shear"] = shear if isinstance(shear, dict) else {"x": shear, "y": (0.0, 0.0)}  # imgaug: x only
    if "cval" in args:
        kw["fill"] = _number(f"{where}.cval", args["cval"])
    if "fit_output" in args:
        kw["fit_output"] = bool(args["fit_output"])
    return A.Affine(**kw)


def _resize(where: str, args: dict[str, Any]) -> A.BasicTransform:
    if "size" not in args:
        raise ConfigError(f"{where}: Resize needs 'size'")
    size = args["size"]
    if isinstance(size, Mapping):
        if set(size) != {"height", "width"}:
            raise ConfigError(f"{where}.size: a mapping needs exactly 'height' and 'width', got {sorted(size)}")
        h, w = size["height"], size["width"]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (h, w)):
            raise ConfigError(f"{where}.size: height and width must be positive integers (pixels), got {size!r}")
        return A.Resize(height=h, width=w, interpolation=cv2.INTER_LINEAR, p=1.0)
    if isinstance(size, int) and not isinstance(size, bool):
        if size <= 0:
            raise ConfigError(f"{where}.size: pixel size must be positive, got {size}")
        return A.Resize(height=size, width=size, interpolation=cv2.INTER_LINEAR, p=1.0)
    if isinstance(size, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in size):
        raise ConfigError(f"{where}.size: {size!r} is an integer range, which imgaug reads as pixel sizes; "
                          f"write scale factors as floats, e.g. [{float(size[0])}, {float(size[-1])}]")
    low, high = _range(f"{where}.size", size)
    if low <= 0:
        raise ConfigError(f"{where}.size: scale factors must be positive, got {size!r}")
    return _ScaleBy(low, high)


def _one(where: str, spec: Any) -> A.BasicTransform:
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"type", "args"}
        if "type" not in spec or unknown:
            raise ConfigError(f"{where}: expected {{type: Name, args: {{...}}}}, got {dict(spec)!r}")
        name, args = spec["type"], spec.get("args") or {}
        if not isinstance(args, Mapping):
            raise ConfigError(f"{where}: args must be a mapping, got {args!r}")
        args = dict(args)
    elif isinstance(spec, (list, tuple)) and spec:
        name, positional = spec[0], list(spec[1:])
        if isinstance(name, str) and name in _PARAMS and len(positional) > len(_PARAMS[name]):
            raise ConfigError(f"{where}: {name} takes at most {len(_PARAMS[name])} positional args")
        args = dict(zip(_PARAMS.get(name, ()), positional))
    else:
        raise ConfigError(f"{where}: expected {{type: Name, args: {{...}}}} or [Name, args...], got {spec!r}")
    if name not in _PARAMS:
        raise ConfigError(f"{where}: unknown augmenter type {name!r}. Supported: {', '.join(SUPPORTED_AUGMENTERS)}")
    where = f"{where} {name}"
    args = {k: v for k, v in args.items() if v is not None}  # None/null: imgaug's default
    bad = set(args) - set(_PARAMS[name])
    if bad:
        raise ConfigError(f"{where}: unsupported args {sorted(bad)}. Valid: {', '.join(_PARAMS[name])}")
    if name in ("Fliplr", "HorizontalFlip"):
        return A.HorizontalFlip(p=_probability(f"{where}.p", args.get("p", 1.0)))
    if name in ("Flipud", "VerticalFlip"):
        return A.VerticalFlip(p=_probability(f"{where}.p", args.get("p", 1.0)))
    if name == "Affine":
        return _affine(where, args)
    if name == "RandomScale":
        # Upstream replaced imgaug's ``Resize: {size: [0.5, 3]}`` by ``RandomScale: {scale_limit:
        # [0.5, 3]}`` in the same config; albumentations would read that as factors 1.5-4 (enlarge
        # only), so the limit is taken as the factor range it replaced.
        if "scale_limit" not in args:
            raise ConfigError(f"{where}: RandomScale needs 'scale_limit'")
        return _resize(where, {"size": args["scale_limit"]})
    return _resize(where, args)


def build_augmenter(augmenter_args: Sequence[Any], where: str = "IaaAugment") -> A.Compose | None:
    """imgaug-style list -> an albumentations pipeline carrying ``xy`` keypoints (None if empty)."""
    if isinstance(augmenter_args, (str, bytes, Mapping)) or not isinstance(augmenter_args, Sequence):
        raise ConfigError(f"{where}.augmenter_args: expected a list of augmenters, got {augmenter_args!r}")
    if len(augmenter_args) == 0:
        return None
    steps = [_one(f"{where}.augmenter_args[{i}]", spec) for i, spec in enumerate(augmenter_args)]
    return A.Compose(steps, keypoint_params=A.KeypointParams(format="xy", remove_invisible=False))


@TRANSFORMS.register()
class IaaAugment:
    """Random flip / affine / rescale of the image with its polygons (upstream's ``IaaAugment``).

    Args:
        augmenter_args: imgaug-style list, ``[{type: Fliplr, args: {p: 0.5}}, ...]`` or
            ``[[Fliplr, 0.5], ...]``; None means upstream's default (Fliplr p=0.5, Affine
            rotate [-10, 10], Resize size [0.5, 3]); ``[]`` disables augmentation.
            Supported types: ``Fliplr``, ``Flipud``, ``Affine`` (scale, translate_percent,
            translate_px, rotate, shear, cval, fit_output) and ``Resize`` (a scale factor or
            range of factors, a pixel size, or ``{height, width}``).

    Points use albumentations' pixel-index convention (a horizontal flip maps x to
    ``w - 1 - x``; imgaug uses ``w - x``; a resize maps ``x`` to ``(x + 0.5) * s - 0.5``,
    imgaug to ``x * s``): within ``max(1, (s - 1) / 2)`` px of upstream, and consistent
    with how the pixels move. Polygons that
    leave the image are kept; ``EastRandomCropData`` drops them later.

    Randomness: the pipeline is reseeded from Python's ``random`` on every call, so the
    datasets' per-sample seeding makes the result a function of that seed.

    Keys: required/modified ``image`` (HWC uint8), ``polys`` (float32 ``[N, K, 2]``).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(self, augmenter_args: list[Any] | None = None) -> None:
        if augmenter_args is None:
            augmenter_args = DEFAULT_AUGMENTER_ARGS
        self.augmenter = build_augmenter(augmenter_args)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.augmenter is None:
            return data
        polys = np.asarray(data["polys"], dtype=np.float32)
        n, k = (polys.shape[0], polys.shape[1]) if polys.ndim == 3 else (0, 4)
        self.augmenter.set_random_seed(random.getrandbits(32))
        out = self.augmenter(image=data["image"], keypoints=polys.reshape(-1, 2))
        data["image"] = np.ascontiguousarray(out["image"])
        data["polys"] = np.asarray(out["keypoints"], dtype=np.float32)[:, :2].reshape(n, k, 2)
        return data
