"""OCR out of the box: ``OCR(lang="en")("photo.jpg")`` with the official models, pulled on first use.

Model sets (names from ``ppocr.zoo``):

| ``ocr_version`` | ``lang`` | det | rec | cls |
|---|---|---|---|---|
| ``PP-OCRv2`` (default) | ``ch`` | ch_PP-OCRv3_det | ch_PP-OCRv2_rec | ch_ppocr_mobile_v2.0_cls |
| ``PP-OCRv4`` | ``ch`` | ch_PP-OCRv4_det | ch_PP-OCRv4_rec | ch_ppocr_mobile_v2.0_cls |
| any | ``en`` | en_PP-OCRv3_det | en_PP-OCRv4_rec | ch_ppocr_mobile_v2.0_cls |

The PP-OCRv2 set uses the PP-OCRv3 detector: no package reachable here ships the PP-OCRv2
detector's weights. Predictor settings are those each pulled dir's ``inference.yml`` carries
(upstream's ``tools/infer/predict_system.py`` defaults).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ppocr.errors import ConfigError
from ppocr.inference.results import OCRResult

OCR_VERSIONS = ("PP-OCRv2", "PP-OCRv4")
LANGS = ("ch", "en")
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls"


@dataclass(frozen=True)
class ModelSet:
    """The zoo names of one det/rec/cls combination."""

    det: str
    rec: str
    cls: str = CLS_MODEL


def model_set(ocr_version: str = "PP-OCRv2", lang: str = "ch") -> ModelSet:
    """The official models ``ppocr ocr --ocr_version V --lang L`` runs."""
    if ocr_version not in OCR_VERSIONS:
        raise ConfigError(f"ocr_version must be one of {list(OCR_VERSIONS)}, got {ocr_version!r}")
    if lang not in LANGS:
        raise ConfigError(f"lang must be one of {list(LANGS)}, got {lang!r}")
    if lang == "en":
        return ModelSet("en_PP-OCRv3_det", "en_PP-OCRv4_rec")
    if ocr_version == "PP-OCRv4":
        return ModelSet("ch_PP-OCRv4_det", "ch_PP-OCRv4_rec")
    return ModelSet("ch_PP-OCRv3_det", "ch_PP-OCRv2_rec")


class OCR:
    """det → (cls) → rec on official models; call it on an image path or a BGR ``ndarray``.

    Args:
        ocr_version, lang: pick the model set (see the module docstring).
        use_angle_cls: run the direction classifier (flips crops it finds upside down).
        models_dir: where pulled models live (default ``$PPOCR_HOME/models``).
        det_model_dir, rec_model_dir, cls_model_dir: use these dirs instead of pulled ones.
        drop_score: lines scoring below are dropped (upstream's 0.5).
        enable_mkldnn, cpu_threads: predictor settings.
        engine, precision: ``"paddle"``/``"onnxruntime"``/``"openvino"`` (None: upstream's choice) and
            ``"fp32"``/``"bf16"`` (see ``ppocr.inference.predictor.create_predictor``).
    """

    def __init__(self, ocr_version: str = "PP-OCRv2", lang: str = "ch", use_angle_cls: bool = True,
                 models_dir: str | None = None, det_model_dir: str | None = None,
                 rec_model_dir: str | None = None, cls_model_dir: str | None = None,
                 drop_score: float = 0.5, enable_mkldnn: bool = True, cpu_threads: int | None = None,
                 engine: str | None = None, precision: str = "fp32") -> None:
        from ppocr.inference.cls import TextClassifier
        from ppocr.inference.det import TextDetector
        from ppocr.inference.rec import TextRecognizer
        from ppocr.inference.system import TextSystem

        names = model_set(ocr_version, lang)
        det_dir = det_model_dir or _pulled(names.det, models_dir)
        rec_dir = rec_model_dir or _pulled(names.rec, models_dir)
        common = {"enable_mkldnn": enable_mkldnn, "cpu_threads": cpu_threads, "engine": engine,
                  "precision": precision}
        classifier = None
        if use_angle_cls:
            classifier = TextClassifier(cls_model_dir or _pulled(names.cls, models_dir), **common)
        self.models = {"det": det_dir, "rec": rec_dir, "cls": cls_model_dir or (
            _pulled(names.cls, models_dir) if use_angle_cls else None)}
        self.system = TextSystem(TextDetector(det_dir, **common), TextRecognizer(rec_dir, **common),
                                 classifier, drop_score)

    def __call__(self, image: str | os.PathLike[str] | np.ndarray) -> OCRResult:
        """Lines of one image (a path is read with ``read_image``: EXIF, alpha, 16-bit, size guard)."""
        from ppocr.inference.images import read_image

        img = read_image(os.fspath(image)) if not isinstance(image, np.ndarray) else image
        return self.system(img)

    def describe(self) -> dict[str, Any]:
        return dict(self.models)


def _pulled(name: str, models_dir: str | None) -> str:
    from ppocr.zoo import pull_model

    return str(pull_model(name, models_dir).path)
