"""Atomic file writes: temp names beside the target, fsync, digests, folder sync."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from typing import Any

PARAMS_EXT = ".pdparams"


def temp_path(final: str) -> str:
    """A unique hidden temp name in ``final``'s folder (same filesystem, so ``os.replace`` is atomic)."""
    folder, base = os.path.split(os.path.abspath(final))
    return os.path.join(folder, f".{base}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def sync_and_digest(path: str) -> dict[str, Any]:
    """fsync ``path`` and return ``{"size", "sha256"}`` of its bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
        os.fsync(f.fileno())
    return {"size": os.path.getsize(path), "sha256": digest.hexdigest()}


def sync_dir(folder: str) -> None:
    """Persist the renames (best effort: some platforms cannot open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def strip_ext(path: str) -> str:
    """``out/latest.pdparams`` -> ``out/latest`` (a checkpoint prefix); other paths unchanged."""
    return path[: -len(PARAMS_EXT)] if path.endswith(PARAMS_EXT) else path
