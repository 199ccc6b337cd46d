"""Metric of every sub-model of a distillation model, one base metric each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ppocr.errors import ConfigError, DataError
from ppocr.registry import METRICS, check_params

__all__ = ["DistillationMetric"]


@METRICS.register()
class DistillationMetric:
    """Runs ``base_metric_name`` on each sub-model's post-processed output.

    ``get_metric`` reports the ``key`` sub-model's figures under their plain names (so
    ``main_indicator`` selects checkpoints by that model) and every other sub-model's
    as ``{name}_{figure}``.

    Args:
        key: the sub-model whose metric is the main one, e.g. ``Student``. Upstream's
            default ``None`` would leave no unprefixed ``main_indicator`` to select
            checkpoints with, so it is an error here.
        base_metric_name: registered metric to build per sub-model (``RecMetric``,
            ``DetMetric``, ``ClsMetric``).
        main_indicator: passed to the base metric.
        is_filter, ignore_space: passed to the base metric when set (``RecMetric`` only;
            upstream forwards any extra key).
    """

    def __init__(
        self,
        key: str | None = None,
        base_metric_name: str = "RecMetric",
        main_indicator: str = "acc",
        is_filter: bool | None = None,
        ignore_space: bool | None = None,
    ) -> None:
        if not isinstance(key, str):
            raise ConfigError(
                f"Metric.key: DistillationMetric needs the sub-model whose metric is the main "
                f"indicator (e.g. key: Student), got {key!r}"
            )
        if base_metric_name == type(self).__name__:
            raise ConfigError("Metric.base_metric_name: DistillationMetric cannot wrap itself")
        self.key = key
        self.main_indicator = main_indicator
        self.base_metric_name = base_metric_name
        self._base = METRICS.get(base_metric_name)
        params: dict[str, Any] = {"main_indicator": main_indicator}
        for name, value in (("is_filter", is_filter), ("ignore_space", ignore_space)):
            if value is not None:
                params[name] = value
        self._base_params = check_params(self._base, params, f"metric '{base_metric_name}'", "Metric")
        self.metrics: dict[str, Any] | None = None
        self._pending_unscorable = 0

    def _build(self, names: list[str]) -> dict[str, Any]:
        if self.key not in names:
            raise DataError(f"DistillationMetric.key: '{self.key}' is not among the sub-model outputs {names}")
        metrics = {name: self._base(**self._base_params) for name in names}
        if self._pending_unscorable:
            for metric in metrics.values():
                _add_unscorable(metric, self._pending_unscorable)
            self._pending_unscorable = 0
        return metrics

    def __call__(self, preds: Mapping[str, Any], batch: Any = None) -> dict[str, Any]:
        """Add one batch: ``preds`` is ``{sub-model: post-processed output}``."""
        if not isinstance(preds, Mapping):
            raise DataError(f"DistillationMetric: expected a dict of sub-model results, got {type(preds).__name__}")
        if self.metrics is None:
            self.metrics = self._build(list(preds))
        missing = set(self.metrics) ^ set(preds)
        if missing:
            raise DataError(f"DistillationMetric: sub-models changed between batches ({sorted(missing)})")
        out: dict[str, Any] = {}
        for name, metric in self.metrics.items():
            for fig, value in (metric(preds[name], batch) or {}).items():
                out[f"{name}_{fig}"] = value
        return out

    def add_unscorable(self, n: int) -> None:
        """Forward to every sub-model's metric (each saw the same samples)."""
        if self.metrics is None:
            self._pending_unscorable += n
            return
        for metric in self.metrics.values():
            _add_unscorable(metric, n)

    def get_metric(self) -> dict[str, Any]:
        """The ``key`` model's figures plain, the others prefixed; then resets."""
        out: dict[str, Any] = {}
        for name, metric in (self.metrics or {}).items():
            figures = metric.get_metric()
            if name == self.key:
                out.update(figures)
            else:
                out.update({f"{name}_{fig}": value for fig, value in figures.items()})
        return out

    def reset(self) -> None:
        self._pending_unscorable = 0
        for metric in (self.metrics or {}).values():
            metric.reset()


def _add_unscorable(metric: Any, n: int) -> None:
    if hasattr(metric, "add_unscorable"):
        metric.add_unscorable(n)
