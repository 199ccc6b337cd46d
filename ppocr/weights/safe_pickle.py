"""A restricted unpickler for weight files: state_dicts and optimizer states only.

``paddle.load`` is ``pickle.load``: a crafted ``.pdparams`` runs any code it names. What
``paddle.save`` writes for a state_dict or optimizer state (checked against Paddle 2.x and
3.x files) is dicts, lists/tuples, strings, numbers and numpy arrays; numpy arrays are
rebuilt through ``numpy.(_)core.multiarray._reconstruct`` with ``numpy.ndarray`` and
``numpy.dtype`` (protocol 2 adds ``_codecs.encode`` for bytes; protocol 5 numpy uses
``_frombuffer``). Those are the only globals admitted; anything else is refused with the
file and the global's dotted name, before it is imported.
"""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

from ppocr.errors import DataError

_NUMPY_CORES = ("numpy.core", "numpy._core")

ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "complex",
                               "bool", "str", "bytes", "bytearray", "slice")}
    | {("collections", "OrderedDict"), ("_codecs", "encode"), ("numpy", "ndarray"), ("numpy", "dtype")}
    | {(f"{core}.multiarray", n) for core in _NUMPY_CORES for n in ("_reconstruct", "scalar")}
    | {(f"{core}.numeric", "_frombuffer") for core in _NUMPY_CORES}
)


class RefusedGlobalError(pickle.UnpicklingError):
    """The pickle names a global outside ``ALLOWED_GLOBALS``."""


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles plain data and numpy arrays; raises ``RefusedGlobalError`` for any other class."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise RefusedGlobalError(f"{module}.{name}")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedGlobalError(f"persistent id {pid!r}")


def safe_load_pickle(path: str | os.PathLike[str], what: str = "weights file") -> Any:
    """Read ``path`` with the restricted unpickler.

    Raises:
        DataError: missing file, a refused global (named; nothing was executed), or a file
            that is not a pickle at all (truncated, another format).
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    return safe_loads(data, path, what)


def safe_loads(data: bytes, source: str, what: str = "weights file") -> Any:
    """``safe_load_pickle`` on bytes already read; ``source`` names them in errors."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except RefusedGlobalError as exc:
        raise DataError(f"{source}: refused to load {what}: it references {exc}, which a state_dict "
                        "never holds (a crafted file can run code through it); nothing was executed") from exc
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, MemoryError, UnicodeDecodeError, OverflowError) as exc:
        raise DataError(f"{source}: not a readable {what} (truncated or not a Paddle pickle): "
                        f"{type(exc).__name__}: {exc}") from exc
