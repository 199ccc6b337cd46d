"""Each Paddle predictor runs on one long-lived thread of its own, whichever request thread calls it.

Why: Paddle's oneDNN keeps per-thread caches. A predictor run from N request threads holds N caches
(RSS here: ~0.9 GB run from one thread, ~1.8 GB from four, still growing), and a predictor run on a
thread that then exits fails with ``std::exception`` on a later thread that reuses the thread id, for
an input shape the dead thread ran. Pre- and post-processing stay in the request thread.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


class PinnedPredictor:
    """A predictor whose ``run`` executes on a single dedicated thread (other attributes pass through)."""

    def __init__(self, predictor: Any, name: str) -> None:
        self._predictor = predictor
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"ppocr-{name}")

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return self._thread.submit(self._predictor.run, *inputs).result()

    def close(self) -> None:
        self._thread.shutdown(wait=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._predictor, name)


def pinned(component: T, name: str) -> T:
    """A shallow copy of a TextDetector/TextClassifier whose ``predictor`` is pinned to its own thread."""
    view = copy.copy(component)
    view.predictor = PinnedPredictor(component.predictor, name)
    return view
