"""Everything a config describes, built once: shared by train, eval and export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ppocr.errors import ConfigError
from ppocr.losses import build_loss
from ppocr.metrics import build_metric
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.postprocess import build_post_process


@dataclass
class Components:
    model: Any
    loss: Any = None
    post_process: Any = None
    metric: Any = None
    train_loader: Any = None
    eval_loader: Any = None


def require(config: dict[str, Any], *sections: str) -> None:
    missing = [s for s in sections if not config.get(s)]
    if missing:
        raise ConfigError(f"config is missing section(s): {', '.join(missing)}")


def build_components(config: dict[str, Any], mode: str, seed: int | None = None,
                     distributed: bool = False) -> Components:
    """``mode``: ``train`` (all), ``eval`` (model, post-process, metric, eval loader), ``model``."""
    from ppocr.data.loader import build_dataloader

    require(config, "Global", "Architecture")
    global_cfg = config["Global"]
    model = build_model(resolve_architecture(config))
    parts = Components(model=model)
    if mode == "model":
        return parts
    require(config, "PostProcess", "Metric", "Eval")
    parts.post_process = build_post_process(config["PostProcess"], global_cfg)
    parts.metric = build_metric(config["Metric"])
    if mode == "train":
        require(config, "Loss", "Optimizer", "Train")
        parts.loss = build_loss(config["Loss"], global_cfg=global_cfg)
        parts.train_loader = build_dataloader(config, "Train", seed=seed, distributed=distributed)
    parts.eval_loader = build_dataloader(config, "Eval", seed=seed, distributed=False)
    return parts
