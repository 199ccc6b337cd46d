"""DB threshold-map target: distance to the text border, high near the edge, inside a dilated band."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pyclipper
from shapely.geometry import Polygon

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS

__all__ = ["MakeBorderMap", "border_distance"]


def border_distance(poly: np.ndarray, x0: int, y0: int, x1: int, y1: int, limit: float) -> np.ndarray:
    """Upstream's pixel-to-outline distance over the window ``[x0, x1] x [y0, y1]``, capped at ``limit``.

    Per edge ``(a, b)``: when the angle a-p-b is acute (``(p - a) . (p - b) > 0``) the
    distance to the nearer end point, otherwise the distance to the edge's line; the
    minimum over edges. (Upstream's cosine-rule formula; it differs from the true
    segment distance just past an edge's ends, and is kept so targets match.) Each edge
    is evaluated only within its box grown by ``limit``: beyond that it is farther than
    ``limit`` anyway, so the capped result is exact. Returns float64 ``[H, W]``.
    """
    pts = np.asarray(poly, dtype=np.float64)
    best = np.full((y1 - y0 + 1, x1 - x0 + 1), limit * limit, dtype=np.float64)
    for a, b in zip(pts, np.roll(pts, -1, axis=0)):
        ex0 = max(x0, int(np.floor(min(a[0], b[0]) - limit)))
        ex1 = min(x1, int(np.ceil(max(a[0], b[0]) + limit)))
        ey0 = max(y0, int(np.floor(min(a[1], b[1]) - limit)))
        ey1 = min(y1, int(np.ceil(max(a[1], b[1]) + limit)))
        if ex0 > ex1 or ey0 > ey1:
            continue
        px = (np.arange(ex0, ex1 + 1, dtype=np.float64) - a[0])[None, :]
        py = (np.arange(ey0, ey1 + 1, dtype=np.float64) - a[1])[:, None]
        dx, dy = b[0] - a[0], b[1] - a[1]
        length2 = dx * dx + dy * dy
        d1 = px * px + py * py
        if length2 == 0:  # repeated vertex: distance to the point (upstream gets NaN)
            d = d1
        else:
            qx, qy = px - dx, py - dy
            acute = px * qx + py * qy > 0
            cross = px * dy - py * dx
            d = np.where(acute, np.minimum(d1, qx * qx + qy * qy), cross * cross / length2)
        window = best[ey0 - y0:ey1 - y0 + 1, ex0 - x0:ex1 - x0 + 1]
        np.minimum(window, d, out=window)
    return np.sqrt(best)


@TRANSFORMS.register()
class MakeBorderMap:
    """Threshold map and mask for DB (upstream's ``MakeBorderMap``).

    Each care polygon is dilated by ``D = area * (1 - shrink_ratio**2) / perimeter``
    (pyclipper, round joins, as upstream). Inside the dilated band a pixel gets
    ``1 - min(dist_to_outline / D, 1)``, maxed over polygons; the map is then scaled to
    ``[thresh_min, thresh_max]``. The mask is 1 on the dilated polygons.

    Same distance as upstream (see ``border_distance``), computed faster: only inside
    the image, and per edge only where it can be within ``D``. Values agree with
    upstream up to float rounding, except that a pixel lying exactly on a vertex gets
    its true value (upstream's 0/0 there leaves it at 0).

    Args:
        shrink_ratio: DB's r; 0.4 in PP-OCR.
        thresh_min, thresh_max: value range of the map.

    Keys: required ``image`` (for the size), ``polys``, ``ignore_tags``; added
    ``threshold_map``, ``threshold_mask`` (float32 ``[H, W]``).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    def __init__(self, shrink_ratio: float = 0.4, thresh_min: float = 0.3, thresh_max: float = 0.7) -> None:
        for name, v in (("shrink_ratio", shrink_ratio), ("thresh_min", thresh_min), ("thresh_max", thresh_max)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(f"MakeBorderMap.{name} must be a number, got {v!r}")
        if not 0.0 < shrink_ratio < 1.0:
            raise ConfigError(f"MakeBorderMap.shrink_ratio must be in (0, 1), got {shrink_ratio!r}")
        if not 0.0 <= thresh_min <= thresh_max <= 1.0:
            raise ConfigError(f"MakeBorderMap needs 0 <= thresh_min <= thresh_max <= 1, got {thresh_min}, {thresh_max}")
        self.shrink_ratio = float(shrink_ratio)
        self.thresh_min = float(thresh_min)
        self.thresh_max = float(thresh_max)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        h, w = data["image"].shape[:2]
        canvas = np.zeros((h, w), dtype=np.float32)
        mask = np.zeros((h, w), dtype=np.float32)
        for poly, tag in zip(data["polys"], data["ignore_tags"]):
            if not tag:
                self.draw_border_map(np.asarray(poly, dtype=np.float64), canvas, mask)
        data["threshold_map"] = canvas * (self.thresh_max - self.thresh_min) + self.thresh_min
        data["threshold_mask"] = mask
        return data

    def draw_border_map(self, poly: np.ndarray, canvas: np.ndarray, mask: np.ndarray) -> None:
        """Draw one polygon's band into ``canvas`` (max) and ``mask`` (1), in place."""
        shape = Polygon(poly)
        if shape.area <= 0 or shape.length <= 0:
            return
        dist = shape.area * (1 - self.shrink_ratio ** 2) / shape.length
        offset = pyclipper.PyclipperOffset()
        offset.AddPath([tuple(p) for p in poly], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
        padded = offset.Execute(dist)
        if not padded:
            return
        padded = np.asarray(padded[0])
        cv2.fillPoly(mask, [padded.astype(np.int32)], 1.0)
        x0, y0 = padded.min(axis=0)
        x1, y1 = padded.max(axis=0)
        x0, x1 = max(int(x0), 0), min(int(x1), canvas.shape[1] - 1)
        y0, y1 = max(int(y0), 0), min(int(y1), canvas.shape[0] - 1)
        if x0 > x1 or y0 > y1:
            return
        band = (1.0 - border_distance(poly, x0, y0, x1, y1, dist) / dist).astype(np.float32)
        region = canvas[y0:y1 + 1, x0:x1 + 1]
        np.maximum(region, band, out=region)
