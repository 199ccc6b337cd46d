"""Evaluation loop shared by training, tools/eval.py and the export check; weights for eval."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import paddle
from tqdm import tqdm

from ppocr.errors import ConfigError
from ppocr.weights.pretrained import load_pretrained_weights


def to_numpy(batch: list[Any]) -> list[Any]:
    return [b.numpy() if isinstance(b, paddle.Tensor) else b for b in batch]


def evaluate(model, loader, post_process, metric, show_progress: bool = True) -> dict[str, Any]:
    """Run ``loader`` through the model and return the metric plus sample accounting.

    Samples the dataset dropped at load (unreadable images, labels the dictionary cannot
    encode) are never silently left out: ``evaluated``/``total`` say how many were
    scored, and unencodable labels count as errors through ``metric.add_unscorable``.
    """
    was_training = model.training
    model.eval()
    report = getattr(loader.dataset, "report", None)
    evaluated, start = 0, time.time()
    with paddle.no_grad():
        for batch in tqdm(loader, desc="eval", disable=not show_progress, leave=False, mininterval=2):
            preds = model(batch[0])
            batch_np = to_numpy(batch)
            post_result = post_process(preds, batch_np[1]) if post_process is not None else preds
            metric(post_result, batch_np)
            evaluated += int(np.shape(batch_np[0])[0])
    unscorable = int(getattr(report, "unscorable", 0) or 0)
    if unscorable and hasattr(metric, "add_unscorable"):
        metric.add_unscorable(unscorable)
    result = dict(metric.get_metric())
    result["evaluated"] = evaluated
    result["total"] = int(getattr(report, "total", evaluated) or evaluated)
    result["unscorable"] = unscorable
    result["eval_seconds"] = round(time.time() - start, 2)
    if was_training:
        model.train()
    return result


def format_eval(result: dict[str, Any]) -> str:
    parts = [f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in result.items()
             if k not in ("evaluated", "total", "unscorable", "eval_seconds")]
    tail = f"evaluated {result['evaluated']}/{result['total']}"
    if result.get("unscorable"):
        tail += f" ({result['unscorable']} unencodable labels counted as errors)"
    return ", ".join(parts) + f"; {tail}"


def load_weights_for_eval(config: dict[str, Any], model) -> str:
    """Load ``Global.checkpoints`` (or ``Global.pretrained_model``) into ``model``; return the path.

    Eval, export and the infer tools score or ship the model as loaded, so a file that leaves
    model tensors unset is refused (naming how many and which) unless
    ``Global.allow_partial_load: true``; a checkpoint of ours is checked against the hashes
    its ``.states`` recorded, and an interrupted save is refused, as resume does.
    """
    from ppocr.engine.checkpoint import read_committed_states
    from ppocr.weights.state_dict_io import strip_weights_ext

    g = config["Global"]
    path = g.get("checkpoints") or g.get("pretrained_model")
    if not path:
        raise ConfigError("set Global.checkpoints (or Global.pretrained_model) to the weights to use")
    if not isinstance(path, str):
        raise ConfigError(f"Global.checkpoints / Global.pretrained_model must be a path, got {path!r}")
    read_committed_states(strip_weights_ext(path))
    load_pretrained_weights(model, path, allow_shape_mismatch=bool(g.get("allow_shape_mismatch", False)),
                            require_complete=not bool(g.get("allow_partial_load", False)))
    return path
