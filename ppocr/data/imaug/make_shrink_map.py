"""DB probability-map target: text polygons shrunk inward, with a mask over ignored regions."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pyclipper
from shapely.geometry import Polygon

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS
from ppocr.utils.polygons import signed_area

__all__ = ["MakeShrinkMap"]


@TRANSFORMS.register()
class MakeShrinkMap:
    """Shrink map and mask for DB (upstream's ``MakeShrinkMap``).

    Polygons are clipped to the image (on a copy: ``polys`` is not modified, unlike
    upstream). A polygon is ignored (mask 0 over it, tag set True) when it is tagged
    ignore, its clipped area is below 1 px, its box is thinner than ``min_text_size``,
    or it cannot be shrunk. Others are shrunk by ``D = area * (1 - r**2) / perimeter``
    with pyclipper; when the shrink splits the polygon, larger ratios (``r, 2r, ...``
    below 1, as upstream) are tried until it gives one piece.

    Args:
        min_text_size: smallest text box side (px) that is trained on.
        shrink_ratio: DB's r; 0.4 in PP-OCR.

    Keys: required ``image`` (for the size), ``polys``, ``ignore_tags``; modified
    ``ignore_tags``; added ``shrink_map``, ``shrink_mask`` (float32 ``[H, W]``).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(self, min_text_size: float = 8, shrink_ratio: float = 0.4) -> None:
        if isinstance(min_text_size, bool) or not isinstance(min_text_size, (int, float)) or min_text_size < 0:
            raise ConfigError(f"MakeShrinkMap.min_text_size must be a non-negative number, got {min_text_size!r}")
        if isinstance(shrink_ratio, bool) or not isinstance(shrink_ratio, (int, float)) \
                or not 0.0 < shrink_ratio < 1.0:
            raise ConfigError(f"MakeShrinkMap.shrink_ratio must be in (0, 1), got {shrink_ratio!r}")
        self.min_text_size = min_text_size
        self.shrink_ratio = float(shrink_ratio)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        h, w = data["image"].shape[:2]
        polys = np.array(data["polys"], dtype=np.float64, copy=True)
        tags = np.array(data["ignore_tags"], dtype=bool, copy=True)
        gt = np.zeros((h, w), dtype=np.float32)
        mask = np.ones((h, w), dtype=np.float32)
        for i in range(len(polys)):
            poly = polys[i]
            poly[:, 0] = np.clip(poly[:, 0], 0, w - 1)
            poly[:, 1] = np.clip(poly[:, 1], 0, h - 1)
            area = signed_area(poly)
            if abs(area) < 1:
                tags[i] = True
            if area > 0:  # upstream's orientation flip, kept so pyclipper sees the same paths
                poly = poly[::-1]
            side = min(np.ptp(poly[:, 0]), np.ptp(poly[:, 1]))
            shrunk = [] if tags[i] or side < self.min_text_size else self._shrink(poly)
            if not shrunk:
                cv2.fillPoly(mask, [poly.astype(np.int32)], 0.0)
                tags[i] = True
                continue
            for piece in shrunk:  # one call each: fillPoly would XOR overlapping contours
                cv2.fillPoly(gt, [np.asarray(piece).reshape(-1, 2).astype(np.int32)], 1.0)
        data["shrink_map"] = gt
        data["shrink_mask"] = mask
        data["ignore_tags"] = tags
        return data

    def _shrink(self, poly: np.ndarray) -> list:
        shape = Polygon(poly)
        if shape.length <= 0:
            return []
        offset = pyclipper.PyclipperOffset()
        offset.AddPath([tuple(p) for p in poly], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
        shrunk: list = []
        for ratio in np.arange(self.shrink_ratio, 1, self.shrink_ratio):
            shrunk = offset.Execute(-shape.area * (1 - ratio ** 2) / shape.length)
            if len(shrunk) == 1:
                break
        return shrunk
