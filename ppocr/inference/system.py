"""The OCR system: detect boxes, crop, fix upside-down crops, recognize, in reading order."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ppocr.inference.cls import TextClassifier
from ppocr.inference.crop import crop_box, reading_order
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer
from ppocr.inference.results import OCRLine, OCRResult


@dataclass
class Cropped:
    """One image between detection and recognition: its crops in reading order and what goes with them."""

    crops: list[np.ndarray]
    boxes: list[np.ndarray]
    angles: list[int]
    skipped: int
    times: dict[str, float] = field(default_factory=dict)
    cls_scores: list[float | None] = field(default_factory=list)


class TextSystem:
    """det → (cls) → rec; thread-safe (each predictor has a lock).

    ``shape_buckets`` (None: leave the predictors' own setting) pads det and rec inputs to a few
    bucket shapes (``ppocr.inference.buckets``): faster on new shapes, but not upstream's network
    inputs (texts change on some sample photos), so off unless asked for. ``run_many`` is the
    throughput mode for many images (``ppocr.inference.throughput``).
    """

    def __init__(self, detector: TextDetector, recognizer: TextRecognizer,
                 classifier: TextClassifier | None = None, drop_score: float = 0.5,
                 tall_ratio: float = 1.5, shape_buckets: bool | None = None) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.classifier = classifier
        self.drop_score = drop_score
        self.tall_ratio = tall_ratio
        if shape_buckets is not None:
            detector.shape_buckets = recognizer.shape_buckets = bool(shape_buckets)

    def __call__(self, img: np.ndarray) -> OCRResult:
        det = self.detector(img)
        item = self.crop(img, det.boxes, {f"det_{k}": v for k, v in det.times.items()})
        self.classify([item])
        return self.recognize([item])[0]

    def crop(self, img: np.ndarray, boxes: np.ndarray, times: dict[str, float]) -> Cropped:
        """Crops of ``boxes`` (``[K, 4, 2]`` or polygons) in upstream's reading order."""
        t0 = time.perf_counter()
        order = reading_order(list(boxes))
        item = Cropped([], [], [], 0, dict(times))
        for i in order:
            crop, angle = crop_box(img, boxes[i], self.tall_ratio)
            if crop is None:
                item.skipped += 1
                continue
            item.crops.append(crop)
            item.boxes.append(boxes[i])
            item.angles.append(angle)
        item.cls_scores = [None] * len(item.crops)
        item.times["crop"] = time.perf_counter() - t0
        return item

    def classify(self, items: list[Cropped]) -> None:
        """Turn upside-down crops of all ``items`` in place, in one classifier call over all their crops.

        Each item's ``times["cls"]`` is its share (by crop count) of the call's time.
        """
        crops = [c for item in items for c in item.crops]
        if self.classifier is None or not crops:
            return
        t0 = time.perf_counter()
        cls = self.classifier(crops)
        elapsed = time.perf_counter() - t0
        start = 0
        for item in items:
            n = len(item.crops)
            item.crops = cls.crops[start:start + n]
            item.cls_scores = [label.score for label in cls.labels[start:start + n]]
            item.angles = [(a + 180) % 360 if turned else a
                           for a, turned in zip(item.angles, cls.rotated[start:start + n])]
            item.times["cls"] = elapsed * n / len(crops)
            start += n

    def recognize(self, items: list[Cropped]) -> list[OCRResult]:
        """Results of ``items`` from one recognizer call over all their crops (batches may mix images);
        each item's ``times["rec"]`` is its share (by crop count) of the call's time."""
        crops = [c for item in items for c in item.crops]
        t0 = time.perf_counter()
        texts = self.recognizer(crops).texts if crops else []
        elapsed = time.perf_counter() - t0
        results, start = [], 0
        for item in items:
            n = len(item.crops)
            item.times["rec"] = elapsed * n / len(crops) if crops else elapsed
            lines = [OCRLine(points=np.asarray(b, dtype=float).round(1).tolist(), text=t, score=s, angle=a,
                             cls_score=c)
                     for b, (t, s), a, c in zip(item.boxes, texts[start:start + n], item.angles, item.cls_scores)
                     if s >= self.drop_score]
            results.append(OCRResult(lines=lines, times=item.times, skipped_boxes=item.skipped))
            start += n
        return results

    def run_many(self, images: Iterable[np.ndarray], overlap: bool | None = None,
                 group: int = 1) -> Iterator[OCRResult]:
        """Results of ``images`` in order (see ``ppocr.inference.throughput.run_many``)."""
        from ppocr.inference.throughput import run_many

        return run_many(self, images, overlap=overlap, group=group)
