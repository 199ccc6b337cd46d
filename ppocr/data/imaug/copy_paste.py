"""CopyPaste: paste text instances cut from another training image into this one."""

from __future__ import annotations

import logging
import random
from typing import Any

import cv2
import numpy as np

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS
from ppocr.utils.polygons import is_poly_in_rect, overlap_geometry, polygon_problem, stack_polys

__all__ = ["CopyPaste", "MAX_PASTE", "PLACE_TRIES"]

logger = logging.getLogger("ppocr")

MAX_PASTE = 30  # instances pasted per image at most (upstream)
PLACE_TRIES = 50  # random positions tried per instance (upstream)
_inactive_logged = False


def _log_inactive_once(why: str) -> None:
    global _inactive_logged
    if not _inactive_logged:
        _inactive_logged = True
        logger.warning("CopyPaste is inactive: %s. It needs the dataset to supply 'ext_data' "
                       "(samples after DecodeImage + DetLabelEncode); logged once per process.", why)


def _cut(image: np.ndarray, poly: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Pixels of ``poly`` from ``image``: the box crop, its polygon mask, the polygon in crop
    coordinates. None unless the polygon lies inside the image (a cut-off instance would
    paste a partial word under a full transcription)."""
    h, w = image.shape[:2]
    if not is_poly_in_rect(poly, 0, 0, w - 1, h - 1):
        return None
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int)
    local = poly - (x0, y0)
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(local).astype(np.int32)], 1)
    if not mask.any():
        return None
    return image[y0:y1 + 1, x0:x1 + 1], mask.astype(bool), local


@TRANSFORMS.register()
class CopyPaste:
    """Paste text instances of another sample at free places of this one (upstream's CopyPaste).

    Takes up to ``max(1, min(int(objects_paste_ratio * N_ext), 30))`` non-ignored
    instances of ``data['ext_data'][0]`` (one extra sample: the dataset reads
    ``ext_data_num``) and pastes each at a random position. With ``limit_paste`` a
    position is accepted only when the pasted polygon touches no text already there
    (shapely, up to 50 tries, else the instance is skipped); without it any position
    inside the image is used. Pasted instances are appended to ``polys``, ``texts``
    and ``ignore_tags`` (False).

    Our own paste: only the pixels inside the source polygon are copied, unrotated and
    at the source scale, so pasted pixels equal the source pixels and the pasted
    polygon is exactly the source polygon moved. Upstream rectifies each quad with a
    perspective warp, rotates it by a random 0-360 degrees and pastes the whole
    rectangle (and does not update ``texts``, so its lengths disagree).

    Without ``ext_data`` (or with an empty list) the op does nothing and logs once per
    process why.

    Args:
        objects_paste_ratio: fraction of the extra sample's instances to paste.
        limit_paste: refuse positions that overlap existing text.

    Keys: required ``image``, ``polys``, ``texts``, ``ignore_tags``, ``ext_data``
    (list of dicts with ``image``, ``polys``, ``texts``, ``ignore_tags``); modified
    ``image``, ``polys``, ``texts``, ``ignore_tags``.
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    ext_data_num = 1

    def __init__(self, objects_paste_ratio: float = 0.2, limit_paste: bool = True) -> None:
        if isinstance(objects_paste_ratio, bool) or not isinstance(objects_paste_ratio, (int, float)) \
                or not 0.0 <= objects_paste_ratio <= 1.0:
            raise ConfigError(f"CopyPaste.objects_paste_ratio must be in [0, 1], got {objects_paste_ratio!r}")
        self.objects_paste_ratio = float(objects_paste_ratio)
        self.limit_paste = bool(limit_paste)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        ext = data.get("ext_data")
        if ext is None:
            _log_inactive_once("the sample has no 'ext_data'")
            return data
        if len(ext) == 0:
            _log_inactive_once("'ext_data' is empty (no extra sample could be loaded)")
            return data
        src = ext[0]
        missing = [k for k in ("image", "polys", "texts", "ignore_tags") if k not in src]
        if missing or not isinstance(src["image"], np.ndarray):
            raise ConfigError(f"CopyPaste: the extra sample lacks decoded {missing or ['image']}; set the "
                              "dataset's ext_op_transform_idx so that DecodeImage and DetLabelEncode run on it")
        image = np.array(data["image"], copy=True)
        polys = [np.asarray(p, dtype=np.float64) for p in data["polys"]]
        texts = list(data["texts"])
        tags = [bool(t) for t in data["ignore_tags"]]
        occupied = [overlap_geometry(p) for p in polys]
        h, w = image.shape[:2]

        ext_polys = np.asarray(src["polys"], dtype=np.float64)
        candidates = [i for i, t in enumerate(src["ignore_tags"])
                      if not t and polygon_problem(ext_polys[i]) is None]
        random.shuffle(candidates)
        n_select = max(1, min(int(self.objects_paste_ratio * len(ext_polys)), MAX_PASTE))
        for i in candidates[:n_select]:
            cut = _cut(src["image"], ext_polys[i])
            if cut is None:
                continue
            crop, mask, local = cut
            ch, cw = mask.shape
            if ch > h or cw > w:
                continue
            placed = self._place(local, ch, cw, h, w, occupied)
            if placed is None:
                continue
            x, y = placed
            region = image[y:y + ch, x:x + cw]
            region[mask] = crop[mask]
            new_poly = local + (x, y)
            polys.append(new_poly)
            occupied.append(overlap_geometry(new_poly))
            texts.append(src["texts"][i])
            tags.append(False)
        k = np.asarray(data["polys"]).shape[1] if np.asarray(data["polys"]).ndim == 3 else 4
        data["image"] = image
        data["polys"] = stack_polys(polys, num_points=k)
        data["texts"] = texts
        data["ignore_tags"] = np.asarray(tags, dtype=bool)
        return data

    def _place(self, local: np.ndarray, ch: int, cw: int, h: int, w: int,
               occupied: list) -> tuple[int, int] | None:
        """Top-left corner for the crop, or None when every try overlaps text."""
        tries = PLACE_TRIES if self.limit_paste else 1
        for _ in range(tries):
            x, y = random.randint(0, w - cw), random.randint(0, h - ch)
            if not self.limit_paste:
                return x, y
            geom = overlap_geometry(local + (x, y))
            if not any(geom.intersects(g) for g in occupied):
                return x, y
        return None
