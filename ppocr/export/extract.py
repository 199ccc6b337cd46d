"""Take one sub-model's weights out of a distillation checkpoint, as a plain model's weights.

A DistillationModel's ``.pdparams`` keys carry the sub-model's name in front
(``Student.backbone.conv.weight``); a BaseModel built from that sub-model's section
expects ``backbone.conv.weight``. Stripping the prefix gives a file that
``Global.pretrained_model`` / ``Global.checkpoints`` of the plain config (eval, export,
fine-tuning) load as is.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from ppocr.errors import ConfigError, DataError
from ppocr.utils.logging import get_logger
from ppocr.weights.state_dict_io import (
    NAME_TABLE,
    WEIGHT_EXTS,
    find_weights_file,
    read_state_dict,
    strip_weights_ext,
    write_state_dict,
)

__all__ = ["extract_submodel", "sub_model_names"]

# Top-level layers of a plain BaseModel: keys starting with these are not sub-model names.
_BASE_MODEL_LAYERS = ("backbone", "neck", "head", "transform")


def sub_model_names(params: dict[str, Any]) -> list[str]:
    """Sub-model names present in a state_dict (first dotted part of each key), in file order."""
    names: dict[str, None] = {}
    for key in params:
        head, dot, _ = str(key).partition(".")
        if dot:
            names.setdefault(head, None)
    return list(names)


def extract_submodel(checkpoint_prefix: str, name: str, out_prefix: str) -> dict[str, Any]:
    """Write ``out_prefix.pdparams`` holding sub-model ``name``'s weights, prefix stripped.

    Args:
        checkpoint_prefix: a DistillationModel checkpoint (``output/x/best_accuracy``,
            with or without ``.pdparams``).
        name: the sub-model, as named in ``Architecture.Models`` (``Student``).
        out_prefix: where to write; ``.pdparams`` is added. The file is replaced
            atomically, so a crash never leaves a half-written one.

    Returns:
        ``{"path", "name", "tensors", "sub_models"}``: the file written, the sub-model,
        how many tensors it holds and every sub-model name the checkpoint has.

    Raises:
        DataError: the checkpoint is missing, or holds a plain model (no sub-models).
        ConfigError: ``name`` is not a sub-model of the checkpoint (the message lists
            those it has), or ``out_prefix`` is the checkpoint itself.
    """
    src = find_weights_file(checkpoint_prefix)
    if src is None:
        raise DataError(f"checkpoint not found: {strip_weights_ext(os.fspath(checkpoint_prefix))}.pdparams "
                        "(give a prefix such as output/det_cml/best_accuracy)")
    out = os.fspath(out_prefix)
    dst = out if out.endswith(WEIGHT_EXTS) else out + ".pdparams"
    if os.path.abspath(src) == os.path.abspath(dst):
        raise ConfigError(f"extract_submodel: the output {dst} would overwrite the checkpoint it reads")
    params = read_state_dict(src, "checkpoint weights")
    params.pop(NAME_TABLE, None)
    if not params:
        raise DataError(f"{src} holds no state_dict (got {type(params).__name__})")
    names = sub_model_names(params)
    if not names or set(names) <= set(_BASE_MODEL_LAYERS):
        raise DataError(f"{src} is a plain model's checkpoint (keys start with {', '.join(names) or 'nothing'}), "
                        "not a distillation model's: use it directly")
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f". Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"{src} has no sub-model '{name}'; it has: {', '.join(names)}{hint}")
    prefix = name + "."
    weights = {key[len(prefix):]: value for key, value in params.items() if key.startswith(prefix)}
    write_state_dict(weights, dst)
    get_logger().info("extracted %s (%d tensors) from %s to %s", name, len(weights), src, dst)
    return {"path": dst, "name": name, "tensors": len(weights), "sub_models": names}
