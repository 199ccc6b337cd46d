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
# Heads whose branch widths (out_channels_list) derive from the CTC class count.
MULTI_HEADS = ("MultiHead",)
# MultiHead branch -> (out_channels_list key, extra classes over the CTC count), as upstream's
# tools/train.py: SAR adds unknown + start/end + padding less the blank (+2), NRTR adds
# padding/unknown/start/end less the blank (+3).
MULTI_HEAD_WIDTHS = {"CTCHead": ("CTCLabelDecode", 0), "SARHead": ("SARLabelDecode", 2),
                     "NRTRHead": ("NRTRLabelDecode", 3)}


def build_model(config: dict[str, Any]):
    """Build the network of an ``Architecture`` section (the section is not mutated)."""
    config = dict(config)
    config.setdefault("name", "BaseModel")
    return ARCHITECTURES.build(config, where="Architecture")


def resolve_architecture(config: dict[str, Any]) -> dict[str, Any]:
    """Architecture section with the head widths set from Global's dict.

    ``CTCHead.out_channels`` is the CTC class count n; a ``MultiHead`` gets
    ``out_channels_list`` with ``CTCLabelDecode`` n and, for the guide in its ``head_list``,
    ``SARLabelDecode`` n + 2 or ``NRTRLabelDecode`` n + 3 (upstream's train.py picks the guide
    from the Loss section; the head list says the same for a consistent config). The single
    place train, eval, export and infer get the head widths from (upstream copies this logic
    into four tools).
    """
    arch = copy.deepcopy(config["Architecture"])
    global_cfg = config.get("Global") or {}
    if not global_cfg.get("character_dict_path") and not _uses_ctc(arch):
        return arch
    num_classes = character_dict_from_global(global_cfg).ctc_num_classes
    for head in _heads(arch):
        if head.get("name") in CTC_HEADS:
            head["out_channels"] = num_classes
        elif head.get("name") in MULTI_HEADS:
            head["out_channels_list"] = _multi_head_widths(head, num_classes)
    return arch


def _multi_head_widths(head: dict[str, Any], num_classes: int) -> dict[str, int]:
    widths = {}
    for item in head.get("head_list") or []:
        for name in item if isinstance(item, dict) else ():
            if name in MULTI_HEAD_WIDTHS:
                key, extra = MULTI_HEAD_WIDTHS[name]
                widths[key] = num_classes + extra
    return widths


def _heads(arch: dict[str, Any]) -> list[dict[str, Any]]:
    if "Models" in arch:
        return [h for sub in arch["Models"].values() for h in _heads(sub)]
    head = arch.get("Head")
    return [head] if isinstance(head, dict) else []


def _uses_ctc(arch: dict[str, Any]) -> bool:
    return any(h.get("name") in CTC_HEADS + MULTI_HEADS for h in _heads(arch))
