"""Synthetic datasets are byte-identical to the ones recorded for a seed.

The digests were recorded before the make/ensure skeleton moved into ``ppocr.synth.common``; a
refactor must not change a single byte. They also depend on the JPEG encoder (OpenCV) and the font
rasteriser (Pillow/FreeType): after upgrading those, or after bumping ``SYNTH_VERSION`` on purpose,
check the determinism tests still pass and record the new values.
"""

import hashlib
from pathlib import Path

import pytest

from ppocr.synth import (
    ensure_cls_dataset,
    ensure_det_dataset,
    ensure_rec_dataset,
    make_cls_dataset,
    make_det_dataset,
    make_rec_dataset,
)
from ppocr.synth.writers import read_lmdb

RECORDED = {
    "rec": "f39f40dc30a452da1546c90e11d6f9298df9f4207ac44336e97b0396a9e30832",
    "cls": "1e24e3322c8bf2732a7e9c08c1fcbeda3f01aefb27aaa511e7566011c320197b",
    "det": "3924417fdbc6051e12516e83d85f5e2d23ef470d5a3414b689374f0727258c71",
}
MAKERS = {
    "rec": (make_rec_dataset, ensure_rec_dataset, (3, 2), {"height": 32, "max_width": 96}),
    "cls": (make_cls_dataset, ensure_cls_dataset, (2, 1), {"height": 48, "max_width": 96}),
    "det": (make_det_dataset, ensure_det_dataset, (1, 1), {"size": (96, 80)}),
}


def tree_digest(root: Path) -> str:
    """sha256 over every file's relative path and bytes (label files, JPEGs, params.json), plus the
    LMDB records in index order (the ``data.mdb`` file itself holds free pages, so its records count)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.parent.name.endswith("_lmdb"):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for split in ("train", "val"):
        if (root / f"{split}_lmdb").exists():
            for image, label in read_lmdb(root / f"{split}_lmdb"):
                h.update(image + b"\0" + label.encode() + b"\0")
    return h.hexdigest()


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_make_and_ensure_write_the_recorded_bytes(tmp_path: Path, kind: str):
    make, ensure, counts, options = MAKERS[kind]
    make(tmp_path / "made", *counts, seed=7, **options)
    assert tree_digest(tmp_path / "made") == RECORDED[kind]
    assert ensure(tmp_path / "ensured", *counts, seed=7, **options)["created"]
    assert tree_digest(tmp_path / "ensured") == RECORDED[kind]
