"""Polygon checks and small geometry helpers shared by the detection transforms.

Text polygons come from hand-made labels: some have two points, some are collinear,
some cross themselves. The ops agree on one definition of "usable" (here) so that the
dataset's load-time notes, the label encoder's ignore tags and the map builders never
disagree about which polygon is degenerate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "polygon_problem",
    "signed_area",
    "pad_points",
    "stack_polys",
    "is_poly_outside_rect",
    "is_poly_in_rect",
    "overlap_geometry",
]

# Below this absolute area (px^2) a polygon counts as zero-area.
MIN_AREA = 1e-6


def signed_area(poly: np.ndarray) -> float:
    """Shoelace area of a closed polygon ``[K, 2]``; positive when clockwise in image axes."""
    pts = np.asarray(poly, dtype=np.float64)
    if len(pts) < 3:
        return 0.0
    x, y = pts[:, 0], pts[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_problem(points: Sequence[Sequence[float]] | np.ndarray) -> str | None:
    """Why a polygon cannot be trained on, or None when it is a proper simple polygon.

    Returns one of ``"polygon with fewer than 3 points"``, ``"zero-area polygon"`` or
    ``"self-intersecting polygon"``. Repeated consecutive points (the padding that
    ``pad_points`` adds) are not a problem.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    # Drop consecutive duplicates (and a closing point equal to the first).
    if len(pts) > 1:
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
        pts = pts[keep]
        if len(pts) > 1 and np.all(pts[0] == pts[-1]):
            pts = pts[:-1]
    if len(pts) < 3:
        return "polygon with fewer than 3 points"
    if np.linalg.matrix_rank(pts - pts[0], tol=1e-9) < 2:  # all points on one line
        return "zero-area polygon"
    if not Polygon(pts).is_valid:
        return "self-intersecting polygon"
    if abs(signed_area(pts)) <= MIN_AREA:
        return "zero-area polygon"
    return None


def pad_points(polys: Sequence[Sequence[Sequence[float]]]) -> list[list[list[float]]]:
    """Give every polygon the largest point count by repeating its last point (as upstream).

    Repeating a vertex leaves the shape (area, outline, mask) unchanged, so polygons of
    different point counts can share one ``[N, K, 2]`` array.
    """
    polys = [[list(p) for p in poly] for poly in polys]
    k = max((len(p) for p in polys), default=0)
    return [p + [p[-1]] * (k - len(p)) for p in polys]


def stack_polys(polys: Sequence[np.ndarray | Sequence[Sequence[float]]], num_points: int = 4) -> np.ndarray:
    """float32 ``[N, K, 2]`` from polygons of possibly different point counts.

    ``num_points`` is only used for the shape of an empty result (``[0, num_points, 2]``).
    """
    if len(polys) == 0:
        return np.zeros((0, num_points, 2), dtype=np.float32)
    return np.asarray(pad_points([np.asarray(p, dtype=np.float64).tolist() for p in polys]), dtype=np.float32)


def is_poly_in_rect(poly: np.ndarray, x: float, y: float, w: float, h: float) -> bool:
    """True when every point lies inside the rectangle ``[x, x + w] x [y, y + h]``."""
    pts = np.asarray(poly).reshape(-1, 2)
    return bool(pts[:, 0].min() >= x and pts[:, 0].max() <= x + w
                and pts[:, 1].min() >= y and pts[:, 1].max() <= y + h)


def is_poly_outside_rect(poly: np.ndarray, x: float, y: float, w: float, h: float) -> bool:
    """True when the polygon's bounding box misses the rectangle entirely."""
    pts = np.asarray(poly).reshape(-1, 2)
    return bool(pts[:, 0].max() < x or pts[:, 0].min() > x + w
                or pts[:, 1].max() < y or pts[:, 1].min() > y + h)


def overlap_geometry(poly: np.ndarray) -> BaseGeometry:
    """A shapely geometry safe for overlap tests: the polygon, or its convex hull when
    the polygon is degenerate or self-intersecting (a superset, so "no overlap" stays true).
    """
    pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    if polygon_problem(pts) is None:
        return Polygon(pts)
    return MultiPoint([tuple(p) for p in pts]).convex_hull
