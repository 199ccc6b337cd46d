"""Cutting detected boxes out of an image, and putting them in reading order."""

from __future__ import annotations

import cv2
import numpy as np


def crop_box(img: np.ndarray, points: np.ndarray, tall_ratio: float = 1.5) -> tuple[np.ndarray | None, int]:
    """Perspective-crop a quad; a crop ``tall_ratio`` times taller than wide is turned 90 degrees.

    Any other number of points is cropped by its minimum-area rectangle. Returns the crop
    (None for a box of zero width or height, or with non-finite points) and the angle applied
    (0 or 90).
    """
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if not np.isfinite(pts).all():
        return None, 0
    if pts.shape[0] != 4:
        pts = _min_area_quad(pts)
    # int() truncation as upstream's get_rotate_crop_image, so crops have the same size
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    if width < 1 or height < 1:
        return None, 0
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop = cv2.warpPerspective(img, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)
    if tall_ratio and crop.shape[0] >= crop.shape[1] * tall_ratio:
        return np.rot90(crop).copy(), 90
    return crop, 0


def _min_area_quad(pts: np.ndarray) -> np.ndarray:
    """Minimum-area rectangle around a polygon, as top-left, top-right, bottom-right, bottom-left.

    Corners are split into the two leftmost and two rightmost, each pair ordered by y: unlike
    sum/difference ordering this never picks one corner twice (a rectangle at 45 degrees ties).
    """
    if pts.shape[0] == 0:
        return np.zeros((4, 2), dtype=np.float32)
    return order_quad(cv2.boxPoints(cv2.minAreaRect(pts)))


def order_quad(corners: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (never one corner twice)."""
    corners = np.asarray(corners, dtype=np.float32).reshape(4, 2)
    corners = corners[np.argsort(corners[:, 0], kind="stable")]
    left = corners[:2][np.argsort(corners[:2, 1], kind="stable")]
    right = corners[2:][np.argsort(corners[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


def reading_order(boxes: list[np.ndarray], line_tolerance: float = 10.0) -> list[int]:
    """Indices in upstream's reading order (``tools/infer/predict_system.py``'s ``sorted_boxes``).

    Boxes are sorted by their first point (top-left of the clockwise quad) as ``(y, x)``; then each
    box moves left past its predecessors while their first points' ``y`` differ by less than
    ``line_tolerance`` and its ``x`` is smaller. Same quirks as upstream: only the first point
    counts, and a box stops at the first neighbour it does not pass.
    """
    firsts = [(float(b[0][1]), float(b[0][0])) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: firsts[i])
    for i in range(len(order) - 1):
        for j in range(i, -1, -1):
            a, b = firsts[order[j]], firsts[order[j + 1]]
            if abs(b[0] - a[0]) < line_tolerance and b[1] < a[1]:
                order[j], order[j + 1] = order[j + 1], order[j]
            else:
                break
    return order
