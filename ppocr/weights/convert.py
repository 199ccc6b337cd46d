"""Convert model weights between ``.pdparams`` (Paddle's pickle) and ``.safetensors``."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ppocr.errors import ConfigError
from ppocr.weights.state_dict_io import NAME_TABLE, WEIGHT_EXTS, read_state_dict, write_state_dict


@dataclass(frozen=True)
class ConversionReport:
    """What ``convert_weights`` wrote: the file, how many tensors and their total elements."""

    source: str
    target: str
    tensors: int
    elements: int
    sha256: str


def convert_weights(source: str, target: str) -> ConversionReport:
    """Read ``source`` safely and write the same tensors (keys, dtypes, values) to ``target``.

    The format follows each file's extension (``.pdparams`` or ``.safetensors``).

    Raises:
        ConfigError: an extension is neither, the two paths are the same file, or the source
            holds non-tensor entries safetensors cannot store (an optimizer state).
        DataError: the source is missing, unsafe (a refused pickle global) or unreadable.
    """
    for path in (source, target):
        if not os.fspath(path).endswith(WEIGHT_EXTS):
            raise ConfigError(f"{path}: expected a .pdparams or .safetensors file name")
    if os.path.abspath(source) == os.path.abspath(target):
        raise ConfigError(f"convert_weights: {target} would overwrite its own source")
    state = read_state_dict(source, "weights file")
    tensors = {k: v for k, v in state.items() if k != NAME_TABLE}
    others = [k for k, v in tensors.items() if not isinstance(v, np.ndarray)]
    if others:
        raise ConfigError(f"{source}: {len(others)} entries are not tensors ({', '.join(map(str, others[:5]))}); "
                          "only model weights (.pdparams of a state_dict) convert, not optimizer states")
    info = write_state_dict(state, target)
    return ConversionReport(source=os.fspath(source), target=os.fspath(target), tensors=len(tensors),
                            elements=int(sum(v.size for v in tensors.values())), sha256=info["sha256"])
