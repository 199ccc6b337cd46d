"""One dictionary object: label encoders, decoders and the CTC head's width all derive from it."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from ppocr.errors import DataError

DEFAULT_CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyz"
SHIPPED_DICTS = os.path.join(os.path.dirname(__file__), "dicts")


def resolve_dict_path(path: str) -> str:
    """The dict file itself, or our shipped copy of an upstream dict of that name.

    Upstream configs say ``ppocr/utils/ppocr_keys_v1.txt`` (a path inside PaddleOCR's
    repo); users running them from anywhere get the same file from this package.
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        return path
    shipped = os.path.join(SHIPPED_DICTS, os.path.basename(path))
    if os.path.isfile(shipped):
        return shipped
    raise DataError(
        f"character dict file not found: {path} (shipped dicts: {', '.join(sorted(os.listdir(SHIPPED_DICTS)))})"
    )


class CharacterDict:
    """Characters of a PaddleOCR dictionary file (one per line), plus an optional space.

    Without a file, upstream's default applies: digits + lowercase letters, and text is
    lowercased before encoding.
    """

    def __init__(self, dict_path: str | None = None, use_space_char: bool = False) -> None:
        self.dict_path = dict_path
        self.use_space_char = bool(use_space_char)
        if dict_path is None:
            chars = list(DEFAULT_CHARACTERS)
            self.lower = True
        else:
            self.dict_path = resolve_dict_path(dict_path)
            chars = _read_dict(self.dict_path)
            self.lower = False
        if self.use_space_char and " " not in chars:
            chars.append(" ")
        self.characters: list[str] = chars
        self.index: dict[str, int] = {}
        for i, ch in enumerate(chars):
            self.index.setdefault(ch, i)

    @classmethod
    def from_characters(cls, characters: list[str]) -> CharacterDict:
        """A dict from an explicit character list (as stored in an exported inference.yml)."""
        if not characters or not all(isinstance(c, str) and c for c in characters):
            raise DataError("character list must be non-empty strings")
        obj = cls.__new__(cls)
        obj.dict_path = None
        obj.use_space_char = " " in characters
        obj.lower = False
        obj.characters = list(characters)
        obj.index = {}
        for i, ch in enumerate(obj.characters):
            obj.index.setdefault(ch, i)
        return obj

    def __len__(self) -> int:
        return len(self.characters)

    def normalize(self, text: str) -> str:
        return text.lower() if self.lower else text

    def unknown_chars(self, text: str) -> list[str]:
        """Characters of ``text`` the dictionary cannot encode, in order of first appearance."""
        seen: dict[str, None] = {}
        for ch in self.normalize(text):
            if ch not in self.index:
                seen.setdefault(ch, None)
        return list(seen)

    def encode(self, text: str) -> list[int]:
        """0-based indices into ``characters``; unknown characters are dropped."""
        return [self.index[ch] for ch in self.normalize(text) if ch in self.index]

    def digest(self) -> str:
        """Hash of the character list: ties exported artefacts (e.g. centers) to the dict."""
        return hashlib.sha256("\n".join(self.characters).encode("utf-8")).hexdigest()[:16]

    @property
    def ctc_num_classes(self) -> int:
        """CTC head width: blank + characters (space included when enabled)."""
        return len(self.characters) + 1


@lru_cache(maxsize=16)
def _read_dict_cached(path: str, mtime: float) -> tuple[str, ...]:
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").splitlines()
    return tuple(line.rstrip("\r\n") for line in lines)


def _read_dict(path: str) -> list[str]:
    try:
        chars = list(_read_dict_cached(path, os.path.getmtime(path)))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: dictionary is not UTF-8 ({exc})") from exc
    for lineno, ch in enumerate(chars, 1):
        if ch == "":
            raise DataError(f"{path}:{lineno}: empty line in dictionary (one character per line expected)")
    if not chars:
        raise DataError(f"{path}: dictionary is empty")
    return chars


def character_dict_from_global(global_cfg: dict | None) -> CharacterDict:
    global_cfg = global_cfg or {}
    return CharacterDict(global_cfg.get("character_dict_path"), global_cfg.get("use_space_char", False))
