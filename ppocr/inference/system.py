"""The OCR system: detect boxes, crop, fix upside-down crops, recognize, in reading order."""

from __future__ import annotations

import time

import numpy as np

from ppocr.inference.cls import TextClassifier
from ppocr.inference.crop import crop_box, reading_order
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer
from ppocr.inference.results import OCRLine, OCRResult


class TextSystem:
    """det → (cls) → rec on one image at a time; thread-safe (each predictor has a lock)."""

    def __init__(self, detector: TextDetector, recognizer: TextRecognizer,
                 classifier: TextClassifier | None = None, drop_score: float = 0.5,
                 tall_ratio: float = 1.5) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.classifier = classifier
        self.drop_score = drop_score
        self.tall_ratio = tall_ratio

    def __call__(self, img: np.ndarray) -> OCRResult:
        times: dict[str, float] = {}
        det = self.detector(img)
        boxes = det.boxes
        times.update({f"det_{k}": v for k, v in det.times.items()})
        t0 = time.perf_counter()
        order = reading_order(list(boxes))
        crops, kept, angles, skipped = [], [], [], 0
        for i in order:
            crop, angle = crop_box(img, boxes[i], self.tall_ratio)
            if crop is None:
                skipped += 1
                continue
            crops.append(crop)
            kept.append(boxes[i])
            angles.append(angle)
        times["crop"] = time.perf_counter() - t0
        cls_scores: list[float | None] = [None] * len(crops)
        if self.classifier is not None and crops:
            t0 = time.perf_counter()
            cls = self.classifier(crops)
            crops = cls.crops
            cls_scores = [label.score for label in cls.labels]
            angles = [(a + 180) % 360 if turned else a for a, turned in zip(angles, cls.rotated)]
            times["cls"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        texts = self.recognizer(crops).texts if crops else []
        times["rec"] = time.perf_counter() - t0
        lines = [OCRLine(points=np.asarray(b, dtype=float).round(1).tolist(), text=t, score=s, angle=a,
                         cls_score=c)
                 for b, (t, s), a, c in zip(kept, texts, angles, cls_scores) if s >= self.drop_score]
        return OCRResult(lines=lines, times=times, skipped_boxes=skipped)
