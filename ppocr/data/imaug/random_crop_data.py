"""Random crop that avoids cutting text, then resize into a fixed canvas (upstream's EAST crop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS
from ppocr.utils.polygons import is_poly_outside_rect, stack_polys

__all__ = ["EastRandomCropData", "crop_area"]


def _free_runs(occupied: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Indices not covered by text, and their contiguous runs."""
    free = np.flatnonzero(occupied == 0)
    if len(free) == 0:
        return free, []
    breaks = np.flatnonzero(np.diff(free) != 1) + 1
    return free, np.split(free, breaks)


def _pick_pair(free: np.ndarray, runs: list[np.ndarray], size: int) -> tuple[int, int]:
    """Two crop borders in text-free positions: from two random runs when there are
    several (so the crop tends to hold whole text blocks), else from the free positions."""
    if len(runs) > 1:
        picks = [int(np.random.choice(runs[i])) for i in np.random.choice(len(runs), 2)]
    else:
        picks = [int(v) for v in np.random.choice(free, size=2)]
    lo, hi = min(picks), max(picks)
    return int(np.clip(lo, 0, size - 1)), int(np.clip(hi, 0, size - 1))


def crop_area(img_h: int, img_w: int, care_polys: Sequence[np.ndarray], min_crop_side_ratio: float,
              max_tries: int) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` of a random crop whose borders cross no text box and that holds
    at least one text; the whole image when no such crop is found in ``max_tries``."""
    occ_w = np.zeros(img_w, dtype=np.int32)
    occ_h = np.zeros(img_h, dtype=np.int32)
    for poly in care_polys:
        pts = np.round(np.asarray(poly)).astype(np.int64)
        x0, x1 = np.clip([pts[:, 0].min(), pts[:, 0].max()], 0, img_w)
        y0, y1 = np.clip([pts[:, 1].min(), pts[:, 1].max()], 0, img_h)
        occ_w[x0:x1] = 1
        occ_h[y0:y1] = 1
    free_w, runs_w = _free_runs(occ_w)
    free_h, runs_h = _free_runs(occ_h)
    if len(free_w) == 0 or len(free_h) == 0:
        return 0, 0, img_w, img_h
    for _ in range(max_tries):
        xmin, xmax = _pick_pair(free_w, runs_w, img_w)
        ymin, ymax = _pick_pair(free_h, runs_h, img_h)
        if xmax - xmin < max(min_crop_side_ratio * img_w, 1) or ymax - ymin < max(min_crop_side_ratio * img_h, 1):
            continue
        if any(not is_poly_outside_rect(p, xmin, ymin, xmax - xmin, ymax - ymin) for p in care_polys):
            return xmin, ymin, xmax - xmin, ymax - ymin
    return 0, 0, img_w, img_h


@TRANSFORMS.register()
class EastRandomCropData:
    """Crop a random region whose borders avoid text, then fit it into ``size``.

    Args:
        size: output ``(width, height)`` as upstream.
        max_tries: crop attempts before falling back to the whole image (PP-OCR
            configs use 50; upstream's default is 10).
        min_crop_side_ratio: smallest crop side as a fraction of the image side.
        keep_ratio: scale the crop by one factor and zero-pad bottom/right to ``size``;
            otherwise stretch it to ``size``.

    Differences from upstream, both fixes: with ``keep_ratio: false`` polygons are scaled
    per axis like the stretched image (upstream scales them by the keep-ratio factor, so
    they no longer match the pixels); every text-free run can be chosen as a crop border
    (upstream's run splitting forgets the last run). Polygons whose bounding box falls
    outside the crop are dropped with their texts and tags; the others are kept as is
    (they may extend past the canvas; the map builders clip).

    Keys: required ``image``, ``polys``, ``texts``, ``ignore_tags``; all four modified.
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(self, size: Sequence[int] = (640, 640), max_tries: int = 10, min_crop_side_ratio: float = 0.1,
                 keep_ratio: bool = True) -> None:
        if (not isinstance(size, (list, tuple)) or len(size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
            raise ConfigError(f"EastRandomCropData.size must be [width, height] positive integers, got {size!r}")
        if isinstance(max_tries, bool) or not isinstance(max_tries, int) or max_tries < 0:
            raise ConfigError(f"EastRandomCropData.max_tries must be a non-negative integer, got {max_tries!r}")
        if (isinstance(min_crop_side_ratio, bool) or not isinstance(min_crop_side_ratio, (int, float))
                or not 0.0 <= min_crop_side_ratio <= 1.0):
            raise ConfigError(f"EastRandomCropData.min_crop_side_ratio must be in [0, 1], got {min_crop_side_ratio!r}")
        self.size = (int(size[0]), int(size[1]))
        self.max_tries = max_tries
        self.min_crop_side_ratio = float(min_crop_side_ratio)
        self.keep_ratio = bool(keep_ratio)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        img = data["image"]
        polys = np.asarray(data["polys"], dtype=np.float32)
        tags = np.asarray(data["ignore_tags"], dtype=bool)
        texts = list(data["texts"])
        img_h, img_w = img.shape[:2]
        care = [p for p, t in zip(polys, tags) if not t]
        cx, cy, cw, ch = crop_area(img_h, img_w, care, self.min_crop_side_ratio, self.max_tries)
        out_w, out_h = self.size
        crop = img[cy:cy + ch, cx:cx + cw]
        if self.keep_ratio:
            scale = min(out_w / cw, out_h / ch)
            sx = sy = scale
            w, h = max(1, int(cw * scale)), max(1, int(ch * scale))
            canvas = np.zeros((out_h, out_w) + img.shape[2:], dtype=img.dtype)
            canvas[:h, :w] = cv2.resize(crop, (w, h)).reshape((h, w) + img.shape[2:])
            img = canvas
        else:
            sx, sy = out_w / cw, out_h / ch
            w, h = out_w, out_h
            img = cv2.resize(crop, (out_w, out_h)).reshape((out_h, out_w) + img.shape[2:])
        keep = []
        moved = []
        for i, poly in enumerate(polys):
            p = (poly - (cx, cy)) * (sx, sy)
            if not is_poly_outside_rect(p, 0, 0, w, h):
                keep.append(i)
                moved.append(p)
        k = polys.shape[1] if polys.ndim == 3 else 4
        data["image"] = img
        data["polys"] = stack_polys(moved, num_points=k)
        data["texts"] = [texts[i] for i in keep]
        data["ignore_tags"] = tags[keep] if keep else np.zeros(0, dtype=bool)
        return data
