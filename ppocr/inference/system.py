"""The OCR system: detect boxes, crop, fix upside-down crops, recognize, in reading order."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ppocr.inference.cls import TextClassifier
from ppocr.inference.crop import crop_box, reading_order
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer


@dataclass
class OCRLine:
    points: list[list[float]]
    text: str
    score: float
    angle: int = 0  # rotation applied to the crop: 0, 90 (tall box), 180 (classifier), 270
    cls_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "text": self.text, "score": round(self.score, 4),
                "angle": self.angle, "cls_score": None if self.cls_score is None else round(self.cls_score, 4)}


@dataclass
class OCRResult:
    lines: list[OCRLine]
    times: dict[str, float] = field(default_factory=dict)
    skipped_boxes: int = 0


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
        boxes, det_times = self.detector(img)
        times.update({f"det_{k}": v for k, v in det_times.items()})
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
            crops, cls_results, _ = self.classifier(crops)
            for j, (label, score) in enumerate(cls_results):
                cls_scores[j] = score
                if "180" in label and score > self.classifier.cls_thresh:
                    angles[j] = (angles[j] + 180) % 360
            times["cls"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        texts, _ = self.recognizer(crops) if crops else ([], {})
        times["rec"] = time.perf_counter() - t0
        lines = [OCRLine(points=np.asarray(b, dtype=float).round(1).tolist(), text=t, score=s, angle=a,
                         cls_score=c)
                 for b, (t, s), a, c in zip(kept, texts, angles, cls_scores) if s >= self.drop_score]
        return OCRResult(lines=lines, times=times, skipped_boxes=skipped)
