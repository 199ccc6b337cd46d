"""Config files: PaddleOCR 2.x layout, loaded safely, overridable from the command line."""

from __future__ import annotations

import ast
import copy
import difflib
import logging
import operator
import os
from collections.abc import Iterable
from typing import Any

import yaml

from ppocr.errors import ConfigError
from ppocr.resources import config_path

logger = logging.getLogger("ppocr")

SECTIONS = ("Global", "Architecture", "Loss", "Optimizer", "PostProcess", "Metric", "Train", "Eval")

# Every Global key upstream PaddleOCR 2.x configs use, plus ours. Unknown keys only warn:
# Global is a bag that newer upstream versions keep growing.
KNOWN_GLOBAL_KEYS = frozenset(
    """
    use_gpu use_xpu use_npu use_mlu epoch_num log_smooth_window print_batch_step save_model_dir
    save_epoch_step eval_batch_step cal_metric_during_train pretrained_model checkpoints
    save_inference_dir use_visualdl use_wandb infer_img infer_mode character_dict_path
    character_type max_text_length use_space_char save_res_path distributed seed
    d2s_train_image_shape use_amp amp_level amp_custom_black_list amp_custom_white_list
    scale_loss use_dynamic_loss_scaling num_workers drop_last uniform_output_enabled
    max_keep_checkpoints max_nonfinite_steps allow_shape_mismatch log_file device
    image_shape save_epoch_count infer_visual_type save_visual synth_data debug label_list
    """.split()
)


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a YAML config with ``yaml.safe_load`` and check its sections.

    ``configs/...`` names that do not exist under the working directory are looked up in
    the shipped configs (``ppocr.resources.config_path``), so tools run from anywhere.
    """
    path = config_path(path)
    with open(path, encoding="utf-8") as f:
        try:
            cfg = yaml.safe_load(f)
        except yaml.constructor.ConstructorError as exc:
            raise ConfigError(
                f"{path}: refused YAML tag ({exc.problem}) at {exc.problem_mark}. Configs are "
                "loaded with yaml.safe_load; write plain values, not python objects."
            ) from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping of sections ({', '.join(SECTIONS)})")
    check_sections(cfg, path)
    return cfg


def check_sections(cfg: dict[str, Any], source: str = "config") -> None:
    for key in cfg:
        if key not in SECTIONS:
            match = difflib.get_close_matches(str(key), SECTIONS, n=1)
            hint = f" Did you mean '{match[0]}'?" if match else ""
            raise ConfigError(f"{source}: unknown section '{key}'. Valid: {', '.join(SECTIONS)}.{hint}")
    for key in cfg.get("Global") or {}:
        if key not in KNOWN_GLOBAL_KEYS:
            match = difflib.get_close_matches(str(key), KNOWN_GLOBAL_KEYS, n=1)
            hint = f" (did you mean '{match[0]}'?)" if match else ""
            logger.warning("%s: Global.%s is not used by ppocr%s", source, key, hint)


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``A.b.0.c=value`` on the first '='; the value is parsed as a YAML scalar/list."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like Section.key=value")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override '{item}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{item}': value is not valid YAML: {exc}") from exc
    return key.strip().split("."), value


def apply_overrides(cfg: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``cfg`` with ``-o`` overrides applied (list items by index)."""
    cfg = copy.deepcopy(cfg)
    for item in overrides:
        keys, value = parse_override(item)
        if keys[0] not in SECTIONS:
            raise ConfigError(f"override '{item}': unknown section '{keys[0]}'. Valid: {', '.join(SECTIONS)}")
        node: Any = cfg
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if isinstance(node, list):
                if not key.lstrip("-").isdigit() or not -len(node) <= int(key) < len(node):
                    raise ConfigError(f"override '{item}': '{key}' is not an index of a {len(node)}-item list")
                if last:
                    node[int(key)] = value
                else:
                    node = node[int(key)]
            elif isinstance(node, dict):
                if last:
                    node[key] = value
                else:
                    node = node.setdefault(key, {})
            else:
                path = ".".join(keys[:depth])
                raise ConfigError(f"override '{item}': {path} is a value ({node!r}), not a section")
    return cfg


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def parse_number(value: Any, key: str = "value") -> float:
    """Numbers such as ``1./255.`` that YAML leaves as strings, parsed without eval."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a number, got {value!r}")

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        raise ValueError

    try:
        return walk(ast.parse(value.strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"{key}: expected a number or arithmetic like 1./255., got {value!r}") from exc


def dump_config(cfg: dict[str, Any], path: str | os.PathLike[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, sort_keys=False, allow_unicode=True)
