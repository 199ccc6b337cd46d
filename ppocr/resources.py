"""Files the package ships: the configs under ``configs/`` of a checkout, or their installed copy.

A wheel carries ``configs/`` as ``ppocr.bundled_configs`` (see setup.py); a source checkout
(editable install) reads the folder itself. Tools that name shipped configs
(``configs/det/demo/...``) resolve them here, so they run from any working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from ppocr.errors import ConfigError

CONFIGS_PREFIX = "configs/"


def _bundled_root() -> Path | None:
    here = Path(__file__).resolve().parent
    for root in (here.parent / "configs", here / "bundled_configs"):  # checkout, then installed copy
        if root.is_dir():
            return root
    return None


def configs_root() -> Path:
    """The folder holding the shipped configs (``det/``, ``rec/``, ``cls/``)."""
    root = _bundled_root()
    if root is None:
        raise ConfigError("the shipped configs are not installed (reinstall ppocr, or pass config paths)")
    return root


def config_path(path: str | os.PathLike[str]) -> str:
    """``path`` as given when it exists; else a ``configs/...`` name looked up in the shipped configs.

    Raises:
        ConfigError: neither exists (names both places looked in).
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        return path
    rel = path.replace(os.sep, "/")
    if rel.startswith(CONFIGS_PREFIX):
        root = _bundled_root()
        if root is not None and (root / rel[len(CONFIGS_PREFIX):]).is_file():
            return str(root / rel[len(CONFIGS_PREFIX):])
        raise ConfigError(f"config file not found: {path} (looked in the working directory and in the "
                          f"shipped configs at {root})")
    raise ConfigError(f"config file not found: {path}")
