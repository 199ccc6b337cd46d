"""``Global.synth_data``: make the synthetic dataset a config trains on when it is missing."""

from __future__ import annotations

from typing import Any

from ppocr.errors import ConfigError
from ppocr.registry import check_params


def ensure_synth_data(config: dict[str, Any]) -> None:
    """Create the config's synthetic data on first use (no-op when present and current)."""
    spec = (config.get("Global") or {}).get("synth_data")
    if not spec:
        return
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ConfigError("Global.synth_data must be a mapping with 'kind' (rec, det or cls) and 'out_dir'")
    from ppocr.synth import cls_data, det_data, rec_data

    makers = {"rec": rec_data.ensure_rec_dataset, "det": det_data.ensure_det_dataset,
              "cls": cls_data.ensure_cls_dataset}
    params = {k: v for k, v in spec.items() if k != "kind"}
    if spec["kind"] not in makers:
        raise ConfigError(f"Global.synth_data.kind must be one of {sorted(makers)}, got {spec['kind']!r}")
    maker = makers[spec["kind"]]
    maker(**check_params(maker, params, f"synth_data '{spec['kind']}'", "Global.synth_data"))
