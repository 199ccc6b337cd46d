"""Post-processing (numpy only); builder with upstream's path ``ppocr.postprocess.build_post_process``."""

from __future__ import annotations

from typing import Any

from ppocr.registry import POSTPROCESS, import_submodules

import_submodules(__name__)


def build_post_process(config: dict[str, Any], global_cfg: dict[str, Any] | None = None):
    """Build the ``PostProcess`` section; upstream's ``name: "None"`` means no post-processing."""
    if config.get("name") in ("None", None):
        return None
    return POSTPROCESS.build(config, where="PostProcess", global_cfg=global_cfg)
