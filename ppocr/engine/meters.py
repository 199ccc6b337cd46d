"""Smoothed training statistics and ETA for log lines."""

from __future__ import annotations

import collections
import datetime


class SmoothedValues:
    """Window-averaged scalars (loss parts, timings) keyed by name."""

    def __init__(self, window: int = 20) -> None:
        self.window = window
        self._values: dict[str, collections.deque[float]] = {}

    def update(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self._values.setdefault(key, collections.deque(maxlen=self.window)).append(float(value))

    def mean(self, key: str) -> float:
        values = self._values.get(key)
        return sum(values) / len(values) if values else 0.0

    def format(self, keys: list[str] | None = None, precision: int = 5) -> str:
        keys = keys if keys is not None else list(self._values)
        return ", ".join(f"{k}: {self.mean(k):.{precision}f}" for k in keys if k in self._values)


def format_eta(seconds: float) -> str:
    return str(datetime.timedelta(seconds=max(0, int(seconds))))
