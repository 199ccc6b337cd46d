"""Write datasets: PaddleOCR label files, LMDB copies, and atomic, parameter-stamped output dirs."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lmdb

from ppocr.errors import DataError

PARAMS_FILE = "params.json"
_LMDB_BATCH = 500


class SplitWriter:
    """One split: ``images/<name>.jpg`` files plus ``label.txt`` lines ``images/<name>.jpg\\t<label>``.

    Image paths in the label file are relative to the split dir, as PaddleOCR's
    ``SimpleDataSet`` expects with ``data_dir`` set to that dir.
    """

    def __init__(self, split_dir: str | Path, lmdb_dir: str | Path | None = None) -> None:
        self.split_dir = Path(split_dir)
        (self.split_dir / "images").mkdir(parents=True, exist_ok=True)
        self._label = open(self.split_dir / "label.txt", "w", encoding="utf-8", newline="\n")
        self._lmdb = LmdbWriter(lmdb_dir) if lmdb_dir is not None else None
        self.count = 0

    def add(self, name: str, jpeg: bytes, label: str) -> None:
        """Store one sample; ``label`` is the label column (text, JSON polygons, or angle)."""
        if "\t" in label or "\n" in label:
            raise DataError(f"label of {name!r} contains a tab or newline: {label!r}")
        rel = f"images/{name}.jpg"
        (self.split_dir / rel).write_bytes(jpeg)
        self._label.write(f"{rel}\t{label}\n")
        self.count += 1
        if self._lmdb is not None:
            self._lmdb.add(jpeg, label)

    def close(self) -> None:
        self._label.close()
        if self._lmdb is not None:
            self._lmdb.close()

    def __enter__(self) -> SplitWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LmdbWriter:
    """LMDB in the layout PaddleOCR's ``LMDBDataSet`` reads.

    Keys: ``num-samples`` (decimal count), ``image-%09d`` (encoded image bytes), ``label-%09d``
    (UTF-8 label), indices 1-based.
    """

    def __init__(self, path: str | Path, map_size: int = 64 << 20) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._env = lmdb.open(str(self.path), map_size=map_size, subdir=True, lock=False)
        self._pending: list[tuple[bytes, bytes]] = []
        self.count = 0

    def add(self, image: bytes, label: str) -> None:
        self.count += 1
        self._pending.append((b"image-%09d" % self.count, image))
        self._pending.append((b"label-%09d" % self.count, label.encode("utf-8")))
        if len(self._pending) >= 2 * _LMDB_BATCH:
            self._flush()

    def _flush(self) -> None:
        items, self._pending = self._pending, []
        while True:
            try:
                with self._env.begin(write=True) as txn:
                    for key, value in items:
                        txn.put(key, value)
                return
            except lmdb.MapFullError:  # the transaction was aborted: grow and replay it
                self._env.set_mapsize(self._env.info()["map_size"] * 2)

    def close(self) -> None:
        self._pending.append((b"num-samples", str(self.count).encode()))
        self._flush()
        self._env.sync()
        self._env.close()


def read_label_file(path: str | Path) -> list[tuple[str, str]]:
    """``(image_path, label)`` pairs of a label file, split on the first tab."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if "\t" not in line:
                raise DataError(f"{path}:{lineno}: expected 'image_path<TAB>label', got {line!r}")
            img, label = line.split("\t", 1)
            pairs.append((img, label))
    return pairs


def read_lmdb(path: str | Path) -> Iterator[tuple[bytes, str]]:
    """``(image_bytes, label)`` of an LMDB in PaddleOCR's layout, in index order."""
    env = lmdb.open(str(path), readonly=True, lock=False, readahead=False)
    try:
        with env.begin() as txn:
            raw = txn.get(b"num-samples")
            if raw is None:
                raise DataError(f"{path}: LMDB has no 'num-samples' key")
            for i in range(1, int(raw) + 1):
                image = txn.get(b"image-%09d" % i)
                label = txn.get(b"label-%09d" % i)
                if image is None or label is None:
                    raise DataError(f"{path}: LMDB lacks image/label {i} of {int(raw)}")
                yield image, label.decode("utf-8")
    finally:
        env.close()


def read_params(out_dir: str | Path) -> dict[str, Any] | None:
    """The parameters a synthetic dataset was made with, or None if ``out_dir`` holds none."""
    path = Path(out_dir) / PARAMS_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to delete a directory the synthesizer did not make (e.g. a user's real data)."""
    if out_dir.exists() and (
        not out_dir.is_dir() or (any(out_dir.iterdir()) and read_params(out_dir) is None)
    ):
        raise DataError(
            f"{out_dir}: exists and is not a synthetic dataset (no {PARAMS_FILE}); "
            "refusing to overwrite it, choose another output directory"
        )


@contextmanager
def atomic_dir(out_dir: str | Path, params: dict[str, Any]) -> Iterator[Path]:
    """Build a dataset in a temporary sibling dir; on success stamp ``params`` and swap it in.

    An interrupted run leaves only the temporary dir (removed on error), never a half dataset
    at ``out_dir``; a previous synthetic dataset there is replaced only once the new one is complete.
    """
    out = Path(out_dir)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        (tmp / PARAMS_FILE).write_text(json.dumps(params, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def is_current(out_dir: str | Path, params: dict[str, Any]) -> bool:
    """True when ``out_dir`` holds a complete dataset made with exactly ``params``."""
    stamped = read_params(out_dir)
    return stamped is not None and stamped == json.loads(json.dumps(params))
