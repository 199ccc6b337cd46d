"""A PNG bar chart of the summary (warm and first-pass ms/image per engine), drawn with OpenCV."""

from __future__ import annotations

from typing import Any

import numpy as np

WARM = (180, 119, 31)    # BGR: blue
FIRST = (14, 127, 255)   # BGR: orange
OURS_BG = (235, 245, 235)


def draw_chart(summary: dict[str, Any], path: str, width: int = 1100) -> str:
    """Horizontal bars, two per engine (warm, first pass), with the ms values; ours rows shaded."""
    import cv2

    rows = summary["rows"]
    left, right, top, row_h = 380, 90, 70, 64
    height = top + row_h * max(1, len(rows)) + 40
    img = np.full((height, width, 3), 255, np.uint8)
    values = [s["median"] for r in rows for k in ("warm_ms_per_image", "first_ms_per_image") if (s := r.get(k))]
    vmax = max(values) if values else 1.0
    scale = (width - left - right) / vmax
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, "ms per image (lower is faster): median over rounds", (12, 28), font, 0.7, (0, 0, 0), 2,
                cv2.LINE_AA)
    for color, label, x in ((WARM, "warm", left), (FIRST, "first pass", left + 120)):
        cv2.rectangle(img, (x, 40), (x + 18, 56), color, -1)
        cv2.putText(img, label, (x + 24, 54), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for i, row in enumerate(rows):
        y = top + i * row_h
        if row["kind"] == "ours":
            cv2.rectangle(img, (0, y), (width - 1, y + row_h - 4), OURS_BG, -1)
        name = row["spec"] if len(row["spec"]) <= 40 else row["spec"][:38] + ".."
        cv2.putText(img, name, (10, y + row_h // 2 + 5), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
        for j, (key, color) in enumerate((("warm_ms_per_image", WARM), ("first_ms_per_image", FIRST))):
            s = row.get(key)
            y0 = y + 6 + j * 26
            if not s:
                cv2.putText(img, "failed", (left + 4, y0 + 18), font, 0.5, (0, 0, 200), 1, cv2.LINE_AA)
                continue
            x1 = left + max(1, int(round(s["median"] * scale)))
            cv2.rectangle(img, (left, y0), (x1, y0 + 22), color, -1)
            cv2.putText(img, f"{s['median']:.0f}", (x1 + 6, y0 + 17), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.line(img, (left, top - 4), (left, height - 36), (0, 0, 0), 1)
    if not cv2.imwrite(path, img):
        raise OSError(f"could not write {path}")
    return path
