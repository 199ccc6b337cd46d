"""Export to a static graph (``paddle.jit.to_static``) plus the settings predictors need."""

from __future__ import annotations

import copy
import os
from typing import Any

import paddle
import yaml

import ppocr
from ppocr.data.imaug import inference_ops
from ppocr.errors import ConfigError
from ppocr.export.spec import image_shape_for, input_spec
from ppocr.modeling.architectures.distillation_model import sub_models
from ppocr.utils.character_dict import character_dict_from_global
from ppocr.utils.logging import get_logger


def export_model(config: dict[str, Any], model, save_dir: str) -> list[str]:
    """Write ``inference.json``/``.pdiparams``/``inference.yml`` (one folder per sub-model).

    Re-parameterisable layers (a ``rep()`` method, e.g. PPLCNetV3's) are fused first, in place,
    as upstream's export does: the graph holds one conv per such layer, and ``model`` is left
    fused (eval-mode statistics folded in), so a ``verify_export`` afterwards compares the
    export with the fused dygraph model. Upstream fuses distillation sub-models too (its
    per-sub-model export checks each sub-model's Backbone); so do we, each exported sub-model
    on its own. Pass a copy to keep training the unfused model.

    Returns the folders written.
    """
    arch = config["Architecture"]
    model.eval()
    subs = sub_models(model)
    if subs:
        written = []
        for name, sub in subs.items():
            sub_arch = arch["Models"][name]
            written.append(_export_one(config, sub, sub_arch["model_type"], os.path.join(save_dir, name),
                                       sub_arch))
        return written
    return [_export_one(config, model, arch["model_type"], save_dir, arch)]


def fuse_rep_layers(model) -> int:
    """Call ``rep()`` on every sub-layer that has one and is not fused yet; returns how many."""
    fused = 0
    for layer in [model, *model.sublayers()]:
        rep = getattr(layer, "rep", None)
        if callable(rep) and not getattr(layer, "is_repped", False):
            rep()
            fused += 1
    return fused


def _export_one(config: dict[str, Any], model, model_type: str, save_dir: str,
                arch: dict[str, Any]) -> str:
    model.eval()
    if fuse_rep_layers(model):
        get_logger().info("fused the re-parameterisable layers (rep()) before export")
    spec = input_spec(config, model_type)
    static = paddle.jit.to_static(model, input_spec=spec, full_graph=True)
    os.makedirs(save_dir, exist_ok=True)
    paddle.jit.save(static, os.path.join(save_dir, "inference"))
    with open(os.path.join(save_dir, "inference.yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(inference_settings(config, model_type, arch), f, sort_keys=False,
                       allow_unicode=True)
    get_logger().info("exported %s model to %s", model_type, save_dir)
    return save_dir


def inference_settings(config: dict[str, Any], model_type: str, arch: dict[str, Any]) -> dict[str, Any]:
    """What a predictor needs besides the graph: pre/post-process, dict, image shape, versions."""
    global_cfg = config.get("Global") or {}
    eval_ops = (((config.get("Eval") or {}).get("dataset") or {}).get("transforms")) or []
    pre = [copy.deepcopy(op) for op in inference_ops(eval_ops) if isinstance(op, dict)]
    post = copy.deepcopy(config.get("PostProcess") or {})
    post = _plain_post_process(post, model_type)
    settings: dict[str, Any] = {
        "Global": {
            "model_type": model_type,
            "algorithm": arch.get("algorithm"),
            "image_shape": image_shape_for(config, model_type),
            "ppocr_version": ppocr.__version__,
            "paddle_version": paddle.__version__,
        },
        "PreProcess": {"transform_ops": pre},
        "PostProcess": post,
    }
    if model_type == "cls" and global_cfg.get("label_list") is not None:
        settings["PostProcess"].setdefault("label_list", [str(x) for x in global_cfg["label_list"]])
    if model_type == "rec":
        chars = character_dict_from_global(global_cfg)
        settings["PostProcess"]["character_dict"] = chars.characters
        settings["PostProcess"]["use_space_char"] = False  # space already in the list when enabled
        settings["Global"]["dict_digest"] = chars.digest()
        settings["Global"]["max_text_length"] = global_cfg.get("max_text_length")
    return settings


def _plain_post_process(post: dict[str, Any], model_type: str) -> dict[str, Any]:
    """The single-model post-process of an exported (sub-)model."""
    name = post.get("name", "")
    if name.startswith("Distillation"):
        post = {k: v for k, v in post.items() if k not in ("model_name", "key", "multi_head")}
        post["name"] = name[len("Distillation"):]
    post.pop("character_dict_path", None)
    if model_type not in ("det", "rec", "cls"):
        raise ConfigError(f"cannot export model_type {model_type!r}")
    return post
