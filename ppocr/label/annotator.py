"""Pre-labelling and re-recognition on the OCR system (official models by default).

``cut(img, points)`` is the one crop both re-recognition and the rec export use: corners put in
order first (a box clicked from another corner, or anticlockwise, gives the same crop: upstream's
crops came out mirrored, upside down or turned for those, PaddleOCR 6966/8443), then
``crop_box``, which turns crops ``tall_ratio`` times taller than wide by 90 degrees, as the OCR
system does before its recognizer; so the recognizer trains on the crops it will be given.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ppocr.inference.crop import crop_box, order_quad
from ppocr.inference.results import RecText
from ppocr.label.records import Box

TALL_RATIO = 1.5  # TextSystem's default


def cut(img: np.ndarray, points: list[list[int]], tall_ratio: float = TALL_RATIO) -> np.ndarray | None:
    """The crop of a box as the OCR system would cut it (None for a degenerate box)."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if pts.shape[0] == 4:
        pts = order_quad(pts)
    return crop_box(img, pts, tall_ratio)[0]


class Annotator(Protocol):
    """What the labeller needs from an OCR system."""

    def detect(self, img: np.ndarray) -> list[Box]:
        """Boxes with text and score, in reading order."""

    def recognize(self, img: np.ndarray, points: list[list[int]]) -> RecText:
        """The text of one box."""


class OCRAnnotator:
    """``Annotator`` on ``ppocr.OCR``: every detected box is kept (``drop_score=0``), so a person sees
    the low-confidence ones highlighted instead of redrawing them."""

    def __init__(self, ocr) -> None:
        self.ocr = ocr
        self.system = ocr.system

    @classmethod
    def from_options(cls, ocr_version: str = "PP-OCRv2", lang: str = "ch", det_model_dir: str | None = None,
                     rec_model_dir: str | None = None, cls_model_dir: str | None = None,
                     use_angle_cls: bool = True, models_dir: str | None = None) -> OCRAnnotator:
        from ppocr.ocr import OCR

        return cls(OCR(ocr_version, lang, use_angle_cls=use_angle_cls, models_dir=models_dir,
                       det_model_dir=det_model_dir, rec_model_dir=rec_model_dir, cls_model_dir=cls_model_dir,
                       drop_score=0.0))

    def detect(self, img: np.ndarray) -> list[Box]:
        result = self.system(img)
        return [Box(points=[[int(round(x)), int(round(y))] for x, y in line.points], transcription=line.text,
                    score=float(line.score)) for line in result.lines]

    def recognize(self, img: np.ndarray, points: list[list[int]]) -> RecText:
        crop = cut(img, points, self.system.tall_ratio)
        if crop is None:
            return RecText("", 0.0)
        crops = [crop]
        if self.system.classifier is not None:
            crops = self.system.classifier(crops).crops
        return self.system.recognizer(crops).texts[0]
