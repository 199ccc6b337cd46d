"""Throughput mode: many images through one ``TextSystem``, detection of the next images overlapping
classification and recognition of the current ones.

Why it is safe to run det on a second thread: every ``Predictor`` normally runs on the process's
one runner thread (``predictor._RUNNER``) because oneDNN keeps per-thread state that breaks when a
thread exits and a new one reuses its id. The det thread here is just as long-lived (one per
process, never exits), so that failure cannot happen; the det predictor then keeps its kernels on
this thread (a second cache: memory for det's shapes once more if the same detector also serves
one-image calls). Each predictor still runs under its own lock, and the two threads never share a
predictor. Network inputs are the same as one image at a time, so with ``group=1`` every result is
bitwise the one-image result.

``group > 1`` sends the crops of ``group`` images through cls and rec together (fewer, fuller
batches). Batches then mix images, and a rec batch's padded width comes from its widest crop, so
scores move and near-tie texts change: it is opt-in.

Measured (``tools/profile_system.py --variants exact overlap group4 --rounds 2 --warm_passes 2``,
PP-OCRv4 set, 10 sample photos x 3 passes, 2 threads per predictor on a loaded 2-core machine,
indicative): warm 1424 ms/image one at a time, 1366 with ``overlap`` (texts 180/180, scores
bitwise), 1323 with ``group=4`` (172/180 texts, scores up to 5.1e-2 apart).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from ppocr.inference.results import OCRResult

if TYPE_CHECKING:
    from ppocr.inference.system import Cropped, TextSystem

_DET_THREAD: list[ThreadPoolExecutor] = []


def _det_executor() -> ThreadPoolExecutor:
    """The process's one long-lived detection thread (made on first use, never shut down)."""
    if not _DET_THREAD:
        _DET_THREAD.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="ppocr-det"))
    return _DET_THREAD[0]


def _here(predictor) -> Callable[[np.ndarray], list[np.ndarray]]:
    """Run ``predictor`` on the calling thread (paddle's ``Predictor`` would hand it to the runner)."""
    # onnxruntime / OpenVINO predictors have no shared runner: their run is already on this thread
    return getattr(predictor, "run_on_this_thread", predictor.run)


def detect_and_crop(system: TextSystem, img: np.ndarray, on_this_thread: bool = False) -> Cropped:
    """Detection (preprocess, network, DB post-processing) and crops of one image."""
    det = system.detector
    t0 = time.perf_counter()
    x, shape = det.preprocess(img)
    t1 = time.perf_counter()
    maps = det.infer(x, run=_here(det.predictor) if on_this_thread else None)
    t2 = time.perf_counter()
    boxes = det.boxes(maps, shape, img.shape[:2])
    t3 = time.perf_counter()
    return system.crop(img, boxes, {"det_preprocess": t1 - t0, "det_inference": t2 - t1,
                                    "det_postprocess": t3 - t2})


def spare_cores(system: TextSystem) -> bool:
    """Whether the CPU has cores for det and rec at once (``cpu_threads`` each); overlap pays only then."""
    threads = [getattr(p.predictor, "cpu_threads", None) or 1 for p in (system.detector, system.recognizer)]
    return (os.cpu_count() or 1) >= sum(threads)


def run_many(system: TextSystem, images: Iterable[np.ndarray], overlap: bool | None = None,
             group: int = 1) -> Iterator[OCRResult]:
    """One ``OCRResult`` per image, in order; ``images`` is read lazily (at most ``3 * group`` ahead).

    Args:
        system: the det/cls/rec system.
        images: BGR ``[H, W, 3]`` uint8 arrays.
        overlap: detect on the det thread while this thread classifies and recognizes (None: when
            ``spare_cores``; on 2 cores with 2 threads per predictor it measured +4 %, within noise).
        group: images whose crops share cls/rec calls (1: results bitwise equal to ``system(img)``).
    """
    group = max(1, int(group))
    overlap = spare_cores(system) if overlap is None else overlap
    source = iter(images)
    pending: deque[Future[Cropped] | Cropped] = deque()

    def submit() -> bool:
        img = next(source, None)
        if img is None:
            return False
        if overlap:
            pending.append(_det_executor().submit(detect_and_crop, system, img, True))
        else:
            pending.append(detect_and_crop(system, img))
        return True

    while len(pending) < 2 * group and submit():
        pass
    while pending:
        items = []
        while pending and len(items) < group:
            head = pending.popleft()
            items.append(head.result() if isinstance(head, Future) else head)
            if overlap:
                submit()
        system.classify(items)
        yield from system.recognize(items)
        while len(pending) < 2 * group and submit():
            pass
