"""Bounded input-shape sets: pad network inputs up to a few bucket sizes instead of one shape per image.

Why: Paddle's oneDNN builds (and caches) kernels per input shape. Without buckets every rec batch
width ``int(H * max_ratio)`` and every det size is a new shape, so a stream of varied photos keeps
paying kernel creation and the bounded cache keeps evicting. With buckets a handful of shapes covers
everything and one cache holds them all.

Buckets are geometric: from ``base`` the sizes go up in ``step`` up to ``2 * base``, then in
``2 * step`` up to ``4 * base``, and so on, so the padding is at most ``step / base`` of the size
(25 % for rec) and each octave holds the same number of buckets.

- rec: base = the model's width W (320 for ``3, 48, 320``), step W / 4: 320, 400, 480, 560, 640, 800,
  960, 1120, 1280, 1600, ... The batch is built exactly as without buckets (resized to the unbucketed
  width ``int(H * max_ratio)``, normalised, zero-padded on the right) and then zero-padded on the right
  to the bucket: the same padding upstream's batches already carry.
  The batch also gets zero rows up to 1, 2, 4, ... or ``batch_num`` crops (the rows are dropped
  after the network), so 6 batch sizes become 4 (``rec_batch_num`` 6).
- det (``limit_type: max``, long side L): each side goes up to a multiple of 128 (to 1024; beyond,
  256 to 2048, ...), never past ``L`` rounded to 32, which is itself a bucket; for L = 960: 128, 256,
  384, 512, 640, 768, 896, 960 (at most 64 sizes; 16 for photos whose long side reaches 960). The
  normalised image is zero-padded at the bottom/right and the probability map cropped back before
  DB post-processing, so box scaling is unchanged.

Off by default (``TextDetector.shape_buckets`` / ``TextRecognizer.shape_buckets`` /
``TextSystem(shape_buckets=True)`` / ``--shape_buckets true``): padding is not text-neutral. Measured
on the 10 sample photos with the official PP-OCRv4 det/rec + mobile v2.0 cls against the unbucketed
pipeline (``tools/profile_system.py --variants exact det_buckets rec_buckets buckets``; the other
granularities by changing the steps): det padding (64 px steps) moves box corners by up to 4 px
and adds one box (00056221.jpg), changing texts on 2 photos; rec width padding alone keeps 176/180
texts at 4 buckets per octave (max score diff 5.7e-2), 178/180 at 10 and 179/180 even at 40 (8 px
apart): the v4 recognizer mixes the whole line, zero columns included. All of it (these sets):
173/180 texts, scores up to 0.26 apart. Memory: the bucket set is bounded, but each cached shape
holds tens of MB (det most), so the oneDNN cache must hold the set (``MKLDNN_CACHE_CAPACITY``
128: RSS 2.1 -> 3.0 GB over 120 varied photos, still creeping up as new det sizes appear). Speed
(``--variants exact@10 exact@64 buckets@128 --rounds 2 --warm_passes 3``, loaded 2-core machine,
indicative): first pass 1039/1111 ms/image with buckets, 1097/871 without; warm 856, against 1009
(exact, cache 10) and 826 (exact, cache 64). On these photos buckets buy nothing a larger exact
cache does not, and they cost texts.
"""

from __future__ import annotations

import math

import numpy as np

DET_STEP = 128
DET_BASE = 1024
REC_STEPS_PER_OCTAVE = 4


def geometric_bucket(value: int, base: int, step: int) -> int:
    """Smallest bucket >= ``value``: ``base``, then ``step`` apart up to ``2 * base``, doubling per octave."""
    if value <= base:
        return base
    lo, s = base, step
    while value > 2 * lo:
        lo, s = 2 * lo, 2 * s
    return lo + math.ceil((value - lo) / s) * s


def rec_width_bucket(width: int, base_width: int, steps_per_octave: int = REC_STEPS_PER_OCTAVE) -> int:
    """Bucket for a rec batch ``width`` (pixels) of a model whose input width is ``base_width``."""
    step = max(1, base_width // max(1, steps_per_octave))
    return geometric_bucket(width, base_width, step)


def det_side_bucket(side: int, limit: int | None = None, step: int = DET_STEP, base: int = DET_BASE) -> int:
    """Bucket for one det input side (a multiple of 32).

    Sides up to ``base`` go to multiples of ``step``, larger ones follow ``geometric_bucket`` from
    ``base``; ``limit`` (the resize's largest side, for ``limit_type: max``) caps the bucket, so a
    photo resized to the limit is never padded along that side.
    """
    bucket = math.ceil(side / step) * step if side <= base else geometric_bucket(side, base, 2 * step)
    if limit is not None and side <= limit:
        bucket = min(bucket, limit)
    return max(bucket, side)


def pad_right(batch: np.ndarray, width: int) -> np.ndarray:
    """``[N, C, H, w]`` zero-padded on the right to ``[N, C, H, width]`` (returned as is when ``w == width``)."""
    if batch.shape[-1] == width:
        return batch
    out = np.zeros(batch.shape[:-1] + (width,), dtype=batch.dtype)
    out[..., :batch.shape[-1]] = batch
    return out


def rows_bucket(rows: int, batch_num: int) -> int:
    """Rows a rec batch of ``rows`` crops is padded to: the next power of two, at most ``batch_num``."""
    return min(batch_num, 1 << max(0, rows - 1).bit_length())


def pad_rows(batch: np.ndarray, rows: int) -> np.ndarray:
    """``[n, ...]`` with zero rows appended up to ``[rows, ...]`` (returned as is when ``n >= rows``)."""
    if batch.shape[0] >= rows:
        return batch
    return np.concatenate([batch, np.zeros((rows - batch.shape[0],) + batch.shape[1:], dtype=batch.dtype)])


def pad_bottom_right(x: np.ndarray, height: int, width: int) -> np.ndarray:
    """``[N, C, h, w]`` zero-padded to ``[N, C, height, width]`` (returned as is when already that size)."""
    if x.shape[-2:] == (height, width):
        return x
    out = np.zeros(x.shape[:-2] + (height, width), dtype=x.dtype)
    out[..., :x.shape[-2], :x.shape[-1]] = x
    return out
