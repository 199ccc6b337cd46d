"""Metrics (numpy only); builder with upstream's path ``ppocr.metrics.build_metric``."""

from __future__ import annotations

from typing import Any

from ppocr.registry import METRICS, import_submodules

import_submodules(__name__)


def build_metric(config: dict[str, Any]):
    """Build the ``Metric`` section: objects with ``__call__``, ``get_metric``, ``reset``, ``main_indicator``."""
    return METRICS.build(config, where="Metric")
