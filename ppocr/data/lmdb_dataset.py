"""LMDB datasets in the layout PaddleOCR / deep-text-recognition-benchmark use.

Each LMDB holds ``num-samples`` and, for ``i`` in ``1..num-samples``, ``image-%09d``
(encoded image bytes) and ``label-%09d`` (UTF-8 text). ``data_dir`` may hold one LMDB or
a tree of them; every directory with a ``data.mdb`` is one source.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import cv2
import lmdb
import numpy as np

from ppocr.data.imaug.operators import image_size_from_header, too_big_to_decode
from ppocr.data.simple_dataset import CHECK_IMAGES, OCRDataSet
from ppocr.errors import ConfigError, DataError
from ppocr.registry import DATASETS

__all__ = ["LMDBDataSet", "find_lmdb_dirs"]


def find_lmdb_dirs(data_dir: str) -> list[str]:
    """Directories under ``data_dir`` (itself included) holding a ``data.mdb``, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(data_dir):
        dirnames.sort()
        if "data.mdb" in filenames:
            found.append(dirpath)
    return sorted(found)


_ENVS: dict[str, lmdb.Environment] = {}
_ENVS_PID = os.getpid()


def _env(path: str) -> lmdb.Environment:
    """This process's read-only environment for ``path``, opened once.

    LMDB allows one environment per file per process, and a handle must not be used
    across ``fork``: each process (e.g. a DataLoader worker) opens its own.
    """
    global _ENVS_PID
    if _ENVS_PID != os.getpid():
        # Handles inherited through fork: close this process's copy (the parent's stays
        # open), since py-lmdb refuses a second environment on the same file.
        for inherited in _ENVS.values():
            inherited.close()
        _ENVS.clear()
        _ENVS_PID = os.getpid()
    key = os.path.realpath(path)
    env = _ENVS.get(key)
    if env is None:
        try:
            env = lmdb.open(path, max_readers=32, readonly=True, lock=False, readahead=False, meminit=False)
        except lmdb.Error as exc:
            raise DataError(f"{path}: not a readable LMDB ({_lmdb_problem(exc, path)}); expected a data.mdb "
                            "written by the lmdb library") from exc
        _ENVS[key] = env
    return env


def _lmdb_problem(exc: lmdb.Error, path: str) -> str:
    """py-lmdb's message without the path it repeats (``"/x: MDB_INVALID: ..."``)."""
    text = str(exc)
    return text[len(path) + 2:] if text.startswith(f"{path}: ") else text


@DATASETS.register()
class LMDBDataSet(OCRDataSet):
    """Samples from one or many LMDBs under ``data_dir``.

    Args:
        data_dir: an LMDB directory or a tree of them (searched recursively).
        transforms: ``[{OpName: params}, ...]``.
        mode, seed, global_config: injected by ``build_dataloader``.
        ratio_list: fraction of each LMDB used per epoch (number, or one per LMDB in
            sorted path order). Upstream reads it only to rebuild the loader each epoch.
        ext_op_transform_idx: ops applied to extra samples (upstream's LMDB default 1).
        check_images: ``header`` (parse the image header with PIL), ``full`` (decode with
            OpenCV) or ``none``; ``none`` skips reading image values at load, which is
            much faster on big LMDBs.

    Environments are opened once per process and path (read-only, ``lock=False``),
    shared by datasets on the same LMDB; a forked worker opens its own on first use
    (LMDB handles must not cross a fork).
    """

    def __init__(
        self,
        data_dir: str,
        transforms: list,
        mode: str = "Train",
        seed: int | None = None,
        global_config: dict[str, Any] | None = None,
        ratio_list: float | Sequence[float] = 1.0,
        ext_op_transform_idx: int = 1,
        check_images: str = "header",
    ) -> None:
        super().__init__()
        if check_images not in CHECK_IMAGES:
            raise ConfigError(f"{mode}.dataset.check_images must be one of {CHECK_IMAGES}, got {check_images!r}")
        if not isinstance(data_dir, str) or not os.path.isdir(data_dir):
            raise DataError(f"{mode}.dataset.data_dir is not a directory: {data_dir!r}")
        self.data_dir = data_dir
        self.check_images = check_images
        self.lmdb_dirs = find_lmdb_dirs(data_dir)
        if not self.lmdb_dirs:
            raise DataError(f"no LMDB (directory with data.mdb) under {data_dir}")
        self._setup(transforms, mode, seed, global_config, ext_op_transform_idx, data_dir, ratio_list,
                    self.lmdb_dirs, f"LMDBs ({', '.join(self.lmdb_dirs)})")
        for lmdb_idx, path in enumerate(self.lmdb_dirs):
            env = _env(path)
            try:
                with env.begin(write=False) as txn:
                    self._add_source(self._load_lmdb(lmdb_idx, path, txn, env.stat()["entries"]))
            except lmdb.Error as exc:
                raise DataError(f"{path}: LMDB cannot be read ({_lmdb_problem(exc, path)})") from exc
        self._finish()

    def _load_lmdb(self, lmdb_idx: int, path: str, txn: lmdb.Transaction, entries: int) -> list[tuple[int, int]]:
        """Records ``(lmdb_idx, i)`` that pass the checks; ``entries`` is the LMDB's key count.

        A ``num-samples`` above ``entries`` is refused before any record is read: every
        sample needs two keys, so such a claim means most records are missing, i.e. the
        header is wrong (a claim of 3*10^9 over 2 records would otherwise be walked key by
        key). Smaller gaps are counted as dropped samples, under one reason.
        """
        raw = txn.get(b"num-samples")
        if raw is None:
            raise DataError(f"{path}: no 'num-samples' key (expected an LMDB in the PaddleOCR layout: "
                            "num-samples, image-%09d, label-%09d)")
        try:
            num = int(bytes(raw).decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            num = -1
        if num < 0:
            raise DataError(f"{path}: 'num-samples' must be a non-negative integer, got {bytes(raw[:40])!r}")
        if num > entries:
            raise DataError(f"{path}: 'num-samples' claims {num:,} samples but the LMDB holds only {entries:,} "
                            "keys (each sample needs an image- and a label- key); the LMDB header is wrong")
        records = []
        for i in range(1, num + 1):
            where = f"{path}:{i}"
            self.report.total += 1
            reason, label = self._check_record(txn, i)
            if reason is not None:
                self.report.add_problem(reason, where)
            elif self._check_label(label, where):
                records.append((lmdb_idx, i))
        return records

    def _check_record(self, txn: lmdb.Transaction, i: int) -> tuple[str | None, str]:
        # Missing keys count under the one reason "missing key" (the key is the detail).
        raw_label = txn.get(b"label-%09d" % i)
        if raw_label is None:
            return f"missing key: label-{i:09d}", ""
        try:
            label = raw_label.decode("utf-8")
        except UnicodeDecodeError:
            return "label is not UTF-8", ""
        if self.check_images == "none":
            return (None if txn.get(b"image-%09d" % i) is not None else f"missing key: image-{i:09d}"), label
        buf = txn.get(b"image-%09d" % i)
        if buf is None:
            return f"missing key: image-{i:09d}", label
        if self.check_images == "full" and not too_big_to_decode(buf):
            ok = len(buf) > 0 and cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_COLOR) is not None
        else:
            ok = image_size_from_header(buf) is not None
        return (None if ok else "undecodable image bytes"), label

    def _where(self, record: tuple[int, int]) -> str:
        lmdb_idx, i = record
        return f"{self.lmdb_dirs[lmdb_idx]}:{i}"

    def _read(self, record: tuple[int, int]) -> dict[str, Any]:
        lmdb_idx, i = record
        where = self._where(record)
        try:
            with _env(self.lmdb_dirs[lmdb_idx]).begin(write=False) as txn:
                image = txn.get(b"image-%09d" % i)
                raw_label = txn.get(b"label-%09d" % i)
        except lmdb.Error as exc:
            raise DataError(f"{where}: LMDB cannot be read ({exc})") from exc
        if image is None or raw_label is None:
            raise DataError(f"{where}: image or label key disappeared since load")
        return {"img_path": where, "label": raw_label.decode("utf-8"), "image": image}
