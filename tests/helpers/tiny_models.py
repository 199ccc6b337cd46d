"""Tiny det/cls/rec configs exported with random weights, for predictor tests.

Speed and plumbing do not need trained weights; numerics are compared against the
same model in dygraph.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import paddle

from ppocr.engine.components import build_components
from ppocr.export.exporter import export_model

DECODE = {"DecodeImage": {"img_mode": "BGR", "channel_first": False}}

TINY_CLS: dict[str, Any] = {
    "Global": {"label_list": ["0", "180"]},
    "Architecture": {"model_type": "cls", "algorithm": "CLS", "Transform": None,
                     "Backbone": {"name": "MobileNetV3", "scale": 0.35, "model_name": "small"},
                     "Neck": None, "Head": {"name": "ClsHead", "class_dim": 2}},
    # label_list also under PostProcess: the exporter copies this section into inference.yml
    "PostProcess": {"name": "ClsPostProcess", "label_list": ["0", "180"]},
    "Eval": {"dataset": {"transforms": [DECODE, {"ClsLabelEncode": None},
                                        {"ClsResizeImg": {"image_shape": [3, 32, 96]}},
                                        {"KeepKeys": {"keep_keys": ["image", "label"]}}]}},
}

TINY_REC: dict[str, Any] = {
    "Global": {"character_dict_path": None, "max_text_length": 25, "use_space_char": False},
    "Architecture": {"model_type": "rec", "algorithm": "CRNN", "Transform": None,
                     "Backbone": {"name": "MobileNetV3", "scale": 0.35, "model_name": "small"},
                     "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 16},
                     "Head": {"name": "CTCHead", "fc_decay": 0.00001}},
    "PostProcess": {"name": "CTCLabelDecode"},
    "Eval": {"dataset": {"transforms": [DECODE, {"CTCLabelEncode": None},
                                        {"RecResizeImg": {"image_shape": [3, 32, 100]}},
                                        {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]}},
}

TINY_DET: dict[str, Any] = {
    "Global": {"use_gpu": False},
    "Architecture": {"model_type": "det", "algorithm": "DB", "Transform": None,
                     "Backbone": {"name": "MobileNetV3", "scale": 0.5, "model_name": "large",
                                  "disable_se": True},
                     "Neck": {"name": "DBFPN", "out_channels": 96},
                     "Head": {"name": "DBHead", "k": 50}},
    "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6, "max_candidates": 1000,
                    "unclip_ratio": 1.5},
    "Eval": {"dataset": {"transforms": [
        DECODE, {"DetLabelEncode": None}, {"DetResizeForTest": None},
        {"NormalizeImage": {"scale": "1./255.", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                            "order": "hwc"}},
        {"ToCHWImage": None}, {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}}]}},
}

CONFIGS = {"cls": TINY_CLS, "rec": TINY_REC, "det": TINY_DET}


def export_tiny(kind: str, save_dir: str, seed: int = 0, config: dict[str, Any] | None = None,
                adjust: Callable[[Any], None] | None = None):
    """Build ``kind``'s tiny config (or ``config``) with seeded random weights and export it.

    ``adjust(model)`` may edit the weights (model in eval mode) before export.
    Returns ``(config, dygraph model in eval mode, exported dir)``.
    """
    cfg = copy.deepcopy(config or CONFIGS[kind])
    paddle.seed(seed)
    model = build_components(cfg, mode="model").model
    model.eval()
    if adjust is not None:
        adjust(model)
    out = export_model(cfg, model, os.path.join(save_dir, kind))[0]
    model.eval()
    return cfg, model, out


def text_image(height: int, width: int, seed: int) -> np.ndarray:
    """A BGR picture with dark strokes on light paper: something for det/cls/rec to chew on."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 230, dtype=np.uint8)
    for _ in range(max(1, height // 16)):
        y = int(rng.integers(0, max(1, height - 8)))
        x0 = int(rng.integers(0, max(1, width // 2)))
        x1 = int(rng.integers(x0 + 1, width + 1))
        img[y:y + 6, x0:x1] = rng.integers(0, 80, size=3, dtype=np.uint8)
    return img


def balance_cls(model, crops: list[np.ndarray], image_shape: list[int]) -> None:
    """Move the cls head's bias so that about half of ``crops`` come out as class 1 ('180').

    Random weights put every crop in the same class; tests of the flipping need both.
    """
    from ppocr.data.imaug.rec_img_aug import resize_norm_img

    x = np.stack([resize_norm_img(c, image_shape)[0] for c in crops])
    with paddle.no_grad():
        p = model(paddle.to_tensor(x)).numpy()
    shift = float(np.median(np.log(p[:, 1]) - np.log(p[:, 0])))
    bias = model.head.fc.bias
    bias.set_value(bias.numpy() - np.array([0.0, shift], dtype=np.float32))


def sharpen_rec(model, factor: float = 40.0) -> None:
    """Scale the CTC head's weights so that texts and scores differ from crop to crop."""
    weight = model.head.fc.weight
    weight.set_value(weight.numpy() * factor)
