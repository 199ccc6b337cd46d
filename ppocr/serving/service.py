"""The OCR behind the routes: models (as ``ppocr ocr`` picks them), warm-up, a thread pool, bounded admission.

A request is admitted (or refused with 503 + ``Retry-After``) before its body is read, and keeps its
slot until its OCR has finished in the pool, even if the client went away: at most ``max_queue``
bodies and ``threads`` decoded images are held at once. Decode, det and cls run in the request's pool
thread (each predictor's own run on its own thread); rec chunks go to the shared ``RecBatcher``.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import cv2
import numpy as np

from ppocr.inference.results import OCRResult, times_ms
from ppocr.ocr import model_set
from ppocr.serving.batching import (
    BatchedRecognizer,
    ExactRule,
    FreeRule,
    NoMerge,
    RecBatcher,
    batch_signatures,
    rec_runner,
)
from ppocr.serving.config import ServeConfig
from ppocr.serving.decoding import RequestError, decode_image
from ppocr.serving.metrics import Metrics
from ppocr.serving.pinning import PinnedPredictor, pinned
from ppocr.utils.logging import get_logger

T = TypeVar("T")
RETRY_AFTER_BUSY_S = "1"
RETRY_AFTER_LOADING_S = "5"


def resolve_model_dirs(config: ServeConfig) -> dict[str, str | None]:
    """det/rec/cls dirs: the flags' own, else the zoo set's (pulled now if missing)."""
    from ppocr.zoo import pull_model

    names = model_set(config.ocr_version, config.lang)
    args = config.model_args

    def pick(flag: str, name: str) -> str:
        return args[flag] or str(pull_model(name, config.models_dir).path)

    return {"det": pick("det_model_dir", names.det), "rec": pick("rec_model_dir", names.rec),
            "cls": pick("cls_model_dir", names.cls) if config.use_angle_cls else None}


def warmup_image() -> np.ndarray:
    """Two dark text lines on white: enough for det to find boxes and cls/rec to run."""
    img = np.full((160, 640, 3), 255, np.uint8)
    cv2.putText(img, "ppocr serve 2024", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3)
    cv2.putText(img, "warm-up 0123456789", (20, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3)
    return img


@dataclass
class OCRReply:
    """One image's result and the server's own stage times (seconds): ``queue``, ``decode``."""

    result: OCRResult
    times: dict[str, float]

    def ms(self) -> dict[str, float]:
        return {**times_ms(self.times), **times_ms(self.result.times)}


class OCRService:
    """Models, pool, batcher and admission of one server process."""

    def __init__(self, config: ServeConfig, metrics: Metrics | None = None) -> None:
        self.config = config
        self.metrics = metrics or Metrics()
        self.state = "loading"
        self.error: str | None = None
        self.models: dict[str, Any] = {}
        self.system = None
        self.batcher: RecBatcher | None = None
        self.pool = ThreadPoolExecutor(config.threads, thread_name_prefix="ppocr-request")
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self._ready = threading.Event()
        self._loader: Future | None = None
        self._pinned: list[PinnedPredictor] = []

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Load and warm up in the background (once); ``/ready`` answers 200 when done.

        Every predictor run, warm-up included, happens on that predictor's own thread (``pinning``).
        """
        if self._loader is not None:
            return
        self._loader = self.pool.submit(self._load_safely)

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.batcher is not None:
            self.batcher.close()
        for predictor in self._pinned:
            predictor.close()

    def _load_safely(self) -> None:
        try:
            self.load()
        except Exception as exc:  # noqa: BLE001 - reported by /ready and the log; the process stays up
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
            get_logger().error("model loading failed: %s", self.error)

    def load(self) -> None:
        from ppocr.inference.cli import build_classifier, build_detector, build_recognizer
        from ppocr.inference.system import TextSystem

        t0 = time.perf_counter()
        cfg = self.config
        dirs = resolve_model_dirs(cfg)
        args = argparse.Namespace(**{**cfg.model_args, "det_model_dir": dirs["det"], "rec_model_dir": dirs["rec"],
                                     "cls_model_dir": dirs["cls"]})
        detector = pinned(build_detector(args), "det")
        classifier = pinned(build_classifier(args), "cls") if cfg.use_angle_cls else None
        recognizer = build_recognizer(args)
        self._pinned = [c.predictor for c in (detector, classifier) if c is not None]
        self.batcher = RecBatcher(rec_runner(recognizer), NoMerge(), cfg.batch_wait_ms, cfg.max_batch)
        self.system = TextSystem(detector, BatchedRecognizer(recognizer, self.batcher), classifier, cfg.drop_score)
        if cfg.warmup:
            self.system(warmup_image())
        if cfg.exact_batching:  # probed through the batcher: the rec predictor only ever runs on its thread
            sigs = batch_signatures(lambda rows: self.batcher.submit(rows).result(), tuple(recognizer.image_shape),
                                    cfg.max_batch)
            rule = NoMerge() if sigs is None else ExactRule(sigs, tuple(recognizer.image_shape))
        else:
            rule = FreeRule(cfg.max_batch)
        self.batcher.rule = rule
        self.batcher.on_batch = self.metrics.observe_batch
        self.models = {**dirs, "rec_batching": rule.describe()}
        self.state = "ready"
        self._ready.set()
        get_logger().info("ready in %.1f s: %s", time.perf_counter() - t0, self.models)

    # --- admission -------------------------------------------------------------------------------
    def admit(self) -> None:
        if self.state != "ready":
            raise RequestError(503, f"models not ready ({self.state})" + (f": {self.error}" if self.error else ""),
                               {"Retry-After": RETRY_AFTER_LOADING_S})
        with self._lock:
            if self._admitted >= self.config.max_queue:
                raise RequestError(503, f"server busy: {self._admitted} requests queued (max_queue="
                                        f"{self.config.max_queue})", {"Retry-After": RETRY_AFTER_BUSY_S})
            self._admitted += 1

    def release(self) -> None:
        with self._lock:
            self._admitted -= 1

    async def process(self, read: Callable[[], Awaitable[Any]], work: Callable[[Any, float], T]) -> T:
        """Admit, ``payload = await read()`` (408 past ``read_timeout_s``: a slow body cannot hold a slot
        for ever), then ``work(payload, submitted_at)`` in the pool."""
        self.admit()
        try:
            try:
                payload = await asyncio.wait_for(read(), self.config.read_timeout_s)
            except asyncio.TimeoutError:
                raise RequestError(408, f"request body not received within read_timeout_s="
                                        f"{self.config.read_timeout_s:g}") from None
            future = self.pool.submit(work, payload, time.perf_counter())
        except BaseException:
            self.release()
            raise
        future.add_done_callback(lambda _: self.release())
        return await asyncio.wrap_future(future)

    # --- work (pool threads) ---------------------------------------------------------------------
    def ocr_images(self, images: list[tuple[str, bytes]], submitted: float) -> list[OCRReply]:
        """Decode and OCR each ``(name, bytes)`` in turn; a bad image refuses the whole request."""
        with self._lock:
            self._running += 1
        try:
            queue = time.perf_counter() - submitted
            replies = []
            for name, data in images:
                t0 = time.perf_counter()
                img = decode_image(data, name, self.config.max_pixels)
                decode = time.perf_counter() - t0
                replies.append(OCRReply(self.system(img), {"queue": queue, "decode": decode}))
                queue = 0.0
            return replies
        finally:
            with self._lock:
                self._running -= 1

    # --- reporting -------------------------------------------------------------------------------
    def gauges(self) -> dict[str, tuple[str, float]]:
        with self._lock:
            admitted, running = self._admitted, self._running
        return {
            "ppocr_queue_depth": ("Requests admitted and not finished (reading, waiting or running).", admitted),
            "ppocr_queue_capacity": ("Requests admitted at most (--max_queue); more get 503.",
                                     self.config.max_queue),
            "ppocr_requests_running": ("Requests in a pool thread now.", running),
            "ppocr_rec_pending_chunks": ("Recognizer chunks waiting for the batcher.",
                                         self.batcher.pending if self.batcher else 0),
            "ppocr_ready": ("1 once models are loaded and warmed up.", float(self.state == "ready")),
        }
