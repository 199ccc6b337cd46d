"""Read and write weight files: ``.pdparams``/``.pdopt`` (Paddle's pickle) and ``.safetensors``.

Reading never executes code from the file: pickles go through ``safe_pickle`` (plain data and
numpy arrays only), safetensors is a JSON header plus raw bytes. Values come back as numpy
arrays keyed as saved; Paddle's extra entries (the ``StructuredToParameterName@@`` name
table, ``LR_Scheduler``) are kept, and arrays that ``paddle.save`` split into slices
(``UnpackBigParamInfor@@``) are joined again.

safetensors files hold tensors only; the name table travels in the header metadata as JSON
under ``ppocr.name_table``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.weights.files import sync_and_digest, sync_dir, temp_path
from ppocr.weights.safe_pickle import safe_load_pickle

NAME_TABLE = "StructuredToParameterName@@"
_BIG_PARAMS = "UnpackBigParamInfor@@"
_META_NAME_TABLE = "ppocr.name_table"
SAFETENSORS_EXT = ".safetensors"
PICKLE_EXTS = (".pdparams", ".pdopt")
WEIGHT_EXTS = (".pdparams", SAFETENSORS_EXT)


def is_safetensors(path: str) -> bool:
    return os.fspath(path).endswith(SAFETENSORS_EXT)


def read_state_dict(path: str | os.PathLike[str], what: str = "weights file") -> dict[str, Any]:
    """The file's ``{key: value}``: numpy arrays for tensors, plain data otherwise.

    Raises:
        DataError: missing/unreadable file, a refused pickle global (named), not a mapping.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(f"{what} not found: {path}")
    if is_safetensors(path):
        return _read_safetensors(path, what)
    raw = safe_load_pickle(path, what)
    if not isinstance(raw, Mapping):
        raise DataError(f"{path}: expected a {what} holding a dict of tensors, got {type(raw).__name__}")
    return _join_big_params(_untuple(dict(raw)), path)


def _untuple(state: dict[str, Any]) -> dict[str, Any]:
    """Paddle pickles a Tensor nested in a structure as ``(name, ndarray)``; keep the array."""
    out = {}
    for key, value in state.items():
        if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
                and isinstance(value[1], np.ndarray)):
            value = value[1]
        out[key] = value
    return out


def _join_big_params(state: dict[str, Any], path: str) -> dict[str, Any]:
    info = state.pop(_BIG_PARAMS, None)
    if info is None:
        return state
    if not isinstance(info, Mapping):
        raise DataError(f"{path}: {_BIG_PARAMS} must be a dict, got {type(info).__name__}")
    for key, entry in info.items():
        try:
            parts = [np.asarray(state.pop(name)).reshape(-1) for name in entry["slices"]]
            state[key] = np.concatenate(parts).reshape(entry["OriginShape"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: split tensor {key!r} cannot be joined again: {exc}") from exc
    return state


def _read_safetensors(path: str, what: str) -> dict[str, Any]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="numpy") as f:
            state: dict[str, Any] = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable safetensors {what}: {exc}") from exc
    if _META_NAME_TABLE in metadata:
        try:
            table = json.loads(metadata[_META_NAME_TABLE])
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: metadata {_META_NAME_TABLE} is not JSON: {exc}") from exc
        if isinstance(table, dict):
            state[NAME_TABLE] = table
    return state


def write_state_dict(state: Mapping[str, Any], path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write ``state`` atomically (temp file, fsync, rename) in the format ``path``'s extension names.

    ``.safetensors`` stores tensors only (a non-tensor value other than the name table is a
    ``ConfigError``); anything else is written with ``paddle.save`` as upstream does.

    Returns:
        ``{"size", "sha256"}`` of the file written.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = temp_path(path)
    try:
        if is_safetensors(path):
            save_safetensors(state, tmp)
        else:
            import paddle

            paddle.save(dict(state), tmp)
        info = sync_and_digest(tmp)
        os.replace(tmp, path)
        sync_dir(folder)
        return info
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_safetensors(state: Mapping[str, Any], path: str) -> None:
    """Write tensors (and the name table, as metadata) to ``path`` in safetensors format (not atomic)."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {}
    metadata: dict[str, str] = {"format": "np"}
    for key, value in state.items():
        if key == NAME_TABLE:
            metadata[_META_NAME_TABLE] = json.dumps(dict(value))
            continue
        array = value.numpy() if hasattr(value, "numpy") else value
        if not isinstance(array, np.ndarray):
            raise ConfigError(f"safetensors holds tensors only; {key!r} is a {type(value).__name__}")
        tensors[str(key)] = np.ascontiguousarray(array)
    save_file(tensors, path, metadata=metadata)


def find_weights_file(prefix_or_path: str | os.PathLike[str]) -> str | None:
    """The weights file a path or checkpoint prefix names: itself if it exists with a weights
    extension, else ``prefix.pdparams``, else ``prefix.safetensors``; ``None`` when none exists."""
    path = os.fspath(prefix_or_path)
    if path.endswith(WEIGHT_EXTS) and os.path.isfile(path):
        return path
    prefix = strip_weights_ext(path)
    for ext in WEIGHT_EXTS:
        if os.path.isfile(prefix + ext):
            return prefix + ext
    return None


def strip_weights_ext(path: str) -> str:
    """``out/latest.pdparams`` or ``out/latest.safetensors`` -> ``out/latest``."""
    for ext in WEIGHT_EXTS:
        if path.endswith(ext):
            return path[: -len(ext)]
    return path
