"""The ``inference.yml`` of a pulled model: upstream's predictor settings, in our exporter's format.

The settings are built as a small config (the Eval transforms and PostProcess that upstream's
tools/infer/predict_*.py apply) and passed through ``exporter.inference_settings``, so a pulled
dir reads exactly like one ``tools/export_model.py`` wrote. Defaults checked against PaddleOCR
release/2.x tools/infer/utility.py: det ``limit_side_len 960, limit_type max, thresh 0.3,
box_thresh 0.6, unclip_ratio 1.5, use_dilation false, score_mode fast``; cls ``3,48,192``,
``label_list ['0', '180']`` (``cls_thresh 0.9`` is the CLI default); rec ``use_space_char true``.
"""

from __future__ import annotations

import copy
from typing import Any

from ppocr.errors import DataError
from ppocr.zoo.models import ZooModel

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
DET_POST = {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6, "max_candidates": 1000,
            "unclip_ratio": 1.5, "use_dilation": False, "score_mode": "fast", "box_type": "quad"}
DECODE = {"DecodeImage": {"img_mode": "BGR", "channel_first": False}}


def predictor_config(entry: ZooModel) -> dict[str, Any]:
    """A config holding only what upstream's predictor applies to ``entry``'s model."""
    global_cfg: dict[str, Any] = copy.deepcopy(entry.global_cfg)
    if entry.task == "det":
        ops = [DECODE, {"DetResizeForTest": {"limit_side_len": 960, "limit_type": "max"}},
               {"NormalizeImage": {"scale": "1./255.", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                                   "order": "hwc"}},
               {"ToCHWImage": None}, {"KeepKeys": {"keep_keys": ["image", "shape"]}}]
        post = dict(DET_POST)
    elif entry.task == "rec":
        global_cfg.setdefault("max_text_length", 25)
        ops = [DECODE, {"RecResizeImg": {"image_shape": list(entry.image_shape)}},
               {"KeepKeys": {"keep_keys": ["image"]}}]
        post = {"name": "CTCLabelDecode"}
    else:
        ops = [DECODE, {"ClsResizeImg": {"image_shape": list(entry.image_shape)}},
               {"KeepKeys": {"keep_keys": ["image"]}}]
        post = {"name": "ClsPostProcess"}
    return {"Global": global_cfg, "Architecture": {"model_type": entry.task, "algorithm": entry.algorithm},
            "Eval": {"dataset": {"transforms": copy.deepcopy(ops)}}, "PostProcess": post}


def official_settings(entry: ZooModel, weights: str) -> dict[str, Any]:
    """``inference.yml`` for ``entry``; ``weights`` says where the graph came from (``released``/``imported``).

    Raises:
        DataError: the dictionary does not give the rec head's width (``num_classes``): the
            decoded texts would be shifted.
    """
    from ppocr.export.exporter import inference_settings

    config = predictor_config(entry)
    settings = inference_settings(config, entry.task, config["Architecture"])
    settings["Global"]["zoo_model"] = entry.name
    settings["Global"]["weights"] = weights
    if entry.task == "rec":
        chars = settings["PostProcess"]["character_dict"]
        if entry.num_classes is not None and len(chars) + 1 != entry.num_classes:
            raise DataError(f"{entry.name}: {entry.global_cfg.get('character_dict_path')} with use_space_char "
                            f"gives {len(chars)} characters + blank, but the model has {entry.num_classes} "
                            "classes (ppocr.utils.character_dict must follow upstream's layout)")
    return settings
