"""Public builder with upstream's import path: ``ppocr.modeling.architectures.build_model``."""

from __future__ import annotations

import copy
from typing import Any

from ppocr.registry import ARCHITECTURES, import_submodules
from ppocr.utils.character_dict import character_dict_from_global

import_submodules("ppocr.modeling.backbones")
import_submodules("ppocr.modeling.necks")
import_submodules("ppocr.modeling.heads")
import_submodules(__name__)

# Heads whose width is the CTC class count (blank + dict [+ space]).
CTC_HEADS = ("CTCHead",)


def build_model(config: dict[str, Any]):
    """Build the network of an ``Architecture`` section (the section is not mutated)."""
    config = dict(config)
    config.setdefault("name", "BaseModel")
    return ARCHITECTURES.build(config, where="Architecture")


def resolve_architecture(config: dict[str, Any]) -> dict[str, Any]:
    """Architecture section with the CTC head's ``out_channels`` set from Global's dict.

    The single place train, eval, export and infer get the head width from (upstream
    copies this logic into four tools).
    """
    arch = copy.deepcopy(config["Architecture"])
    global_cfg = config.get("Global") or {}
    if not global_cfg.get("character_dict_path") and not _uses_ctc(arch):
        return arch
    num_classes = character_dict_from_global(global_cfg).ctc_num_classes
    for head in _heads(arch):
        if head.get("name") in CTC_HEADS:
            head["out_channels"] = num_classes
    return arch


def _heads(arch: dict[str, Any]) -> list[dict[str, Any]]:
    if "Models" in arch:
        return [h for sub in arch["Models"].values() for h in _heads(sub)]
    head = arch.get("Head")
    return [head] if isinstance(head, dict) else []


def _uses_ctc(arch: dict[str, Any]) -> bool:
    return any(h.get("name") in CTC_HEADS for h in _heads(arch))
