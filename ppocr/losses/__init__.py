"""Losses; public builder with upstream's import path ``ppocr.losses.build_loss``."""

from __future__ import annotations

from typing import Any

from ppocr.registry import LOSSES, import_submodules

import_submodules(__name__)


def build_loss(config: dict[str, Any], global_cfg: dict[str, Any] | None = None):
    """Build the ``Loss`` section; every loss returns a dict with the total under ``loss``."""
    return LOSSES.build(config, where="Loss", global_cfg=global_cfg)
