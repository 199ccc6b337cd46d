"""Which reader a source path needs: an ``.onnx`` file or a Paddle inference dir."""

from __future__ import annotations

import hashlib
import os

from ppocr.errors import DataError
from ppocr.export.importing.graph import SourceGraph

PADDLE_GRAPHS = ("inference.json", "inference.pdmodel")


def paddle_dir(path: str) -> str | None:
    """The inference dir ``path`` names (the dir itself or one of its graph files), or None."""
    if os.path.isdir(path):
        return path
    if os.path.basename(path) in PADDLE_GRAPHS + ("inference.pdiparams",):
        return os.path.dirname(path) or "."
    return None


def read_source(path: str | os.PathLike[str]) -> SourceGraph:
    """The source model's parameterised ops, read without running anything from it.

    Raises:
        DataError: the path is neither an ``.onnx`` file nor a dir with ``inference.json``
            or ``inference.pdmodel`` plus ``inference.pdiparams``, or a file is unreadable.
    """
    path = os.fspath(path)
    folder = paddle_dir(path)
    if folder is None:
        if not os.path.isfile(path):
            raise DataError(f"import source not found: {path}")
        from ppocr.export.importing.onnx_reader import read_onnx

        return read_onnx(path)
    from ppocr.export.importing.paddle_ops import build_graph

    if not os.path.isfile(os.path.join(folder, "inference.pdiparams")):
        raise DataError(f"{folder}: no inference.pdiparams next to the graph")
    if os.path.isfile(os.path.join(folder, "inference.json")):
        from ppocr.export.importing.paddle_pir import read_pir

        return build_graph(read_pir(folder), folder)
    if os.path.isfile(os.path.join(folder, "inference.pdmodel")):
        from ppocr.export.importing.paddle_program import read_program

        return build_graph(read_program(folder), folder)
    raise DataError(f"{folder}: no inference.json (Paddle 3) or inference.pdmodel (Paddle 2) in it")


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
