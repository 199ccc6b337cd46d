"""Transform -> Backbone -> Neck -> Head, with channels wired automatically."""

from __future__ import annotations

from typing import Any

import paddle.nn as nn

from ppocr.errors import ConfigError
from ppocr.registry import ARCHITECTURES, BACKBONES, HEADS, NECKS

MODEL_TYPES = ("det", "rec", "cls")


@ARCHITECTURES.register()
class BaseModel(nn.Layer):
    """One OCR network as upstream's BaseModel builds it (same sub-layer names).

    Each stage exposes ``out_channels``; the next receives it as ``in_channels``, so
    configs never state channels. With ``return_all_feats`` training returns every
    named output (``backbone_out``, ``neck_out``, ``head_out`` or the head's dict),
    which distillation losses select by key.
    """

    def __init__(
        self,
        model_type: str,
        Backbone: dict[str, Any],
        Head: dict[str, Any] | None = None,
        Neck: dict[str, Any] | None = None,
        Transform: dict[str, Any] | None = None,
        algorithm: str | None = None,
        in_channels: int = 3,
        return_all_feats: bool = False,
    ) -> None:
        super().__init__()
        if model_type not in MODEL_TYPES:
            raise ConfigError(f"Architecture.model_type must be one of {MODEL_TYPES}, got {model_type!r}")
        self.model_type = model_type
        self.algorithm = algorithm
        if Transform:
            raise ConfigError("Architecture.Transform is not supported by ppocr (no PP-OCRv2 model uses one)")
        self.use_transform = False
        self.backbone = BACKBONES.build(Backbone, scope=model_type, where="Architecture.Backbone",
                                        in_channels=in_channels)
        channels = self.backbone.out_channels
        self.use_neck = bool(Neck)
        if self.use_neck:
            self.neck = NECKS.build(Neck, where="Architecture.Neck", in_channels=channels)
            channels = self.neck.out_channels
        self.use_head = bool(Head)
        if self.use_head:
            self.head = HEADS.build(Head, where="Architecture.Head", in_channels=channels)
        self.return_all_feats = return_all_feats

    def forward(self, x, data=None):
        feats: dict[str, Any] = {}
        x = self.backbone(x)
        _collect(feats, x, "backbone_out")
        final_name = "backbone_out"
        if self.use_neck:
            x = self.neck(x)
            _collect(feats, x, "neck_out")
            final_name = "neck_out"
        if self.use_head:
            x = self.head(x, targets=data)
            if isinstance(x, dict) and "ctc_neck" in x:  # MultiHead (train): upstream keeps the dict whole
                feats["neck_out"] = x["ctc_neck"]
                feats["head_out"] = x
            else:
                _collect(feats, x, "head_out")
            final_name = "head_out"
        if not self.return_all_feats:
            return x
        if self.training:
            return feats
        return x if isinstance(x, dict) else {final_name: x}


def _collect(feats: dict[str, Any], out: Any, name: str) -> None:
    if isinstance(out, dict):
        feats.update(out)
    else:
        feats[name] = out
