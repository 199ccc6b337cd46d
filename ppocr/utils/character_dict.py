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

    Upstream's layout, quirks included, because official models' heads are sized by it:

    - every line is a character, duplicates too: a duplicate adds a class (the head is
      ``len(characters) + 1`` wide) and ``encode`` uses its LAST index;
    - ``use_space_char`` appends ``' '`` even when the file has a space line already
      (``en_dict.txt`` line 95): en models have blank + 95 + space = 97 classes and
      encode ``' '`` as the appended one; decoding gives ``' '`` for both;
    - without a file, digits + lowercase letters, text lowercased before encoding, and
      ``use_space_char`` is ignored (upstream only appends the space to a file's list).
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
            if self.use_space_char:
                chars.append(" ")
        self.characters: list[str] = chars
        self.index: dict[str, int] = _last_index(chars)

    @classmethod
    def from_characters(cls, characters: list[str]) -> CharacterDict:
        """A dict from an explicit character list (as stored in an exported inference.yml).

        The list is taken as is (any space already in it; duplicates kept, last index wins).
        """
        if not characters or not all(isinstance(c, str) and c for c in characters):
            raise DataError("character list must be non-empty strings")
        obj = cls.__new__(cls)
        obj.dict_path = None
        obj.use_space_char = " " in characters
        obj.lower = False
        obj.characters = list(characters)
        obj.index = _last_index(obj.characters)
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
        """0-based indices into ``characters`` (a duplicate's last one); unknown characters are dropped."""
        return [self.index[ch] for ch in self.normalize(text) if ch in self.index]

    def digest(self) -> str:
        """Hash of the character list: ties exported artefacts (e.g. centers) to the dict."""
        return hashlib.sha256("\n".join(self.characters).encode("utf-8")).hexdigest()[:16]

    @property
    def ctc_num_classes(self) -> int:
        """CTC head width: blank + characters (duplicates and the appended space included)."""
        return len(self.characters) + 1


def _last_index(chars: list[str]) -> dict[str, int]:
    """``char -> index``, the later of duplicates winning (upstream builds its dict that way)."""
    return {ch: i for i, ch in enumerate(chars)}


@lru_cache(maxsize=16)
def _read_dict_cached(path: str, mtime: float) -> tuple[str, ...]:
    # Upstream splits on "\n" only and strips "\r"/"\n" from the ends of each line; str.splitlines
    # would also split on \x0b, \x0c, \x1c-\x1e, \x85, \u2028 and \u2029 and shift every class after one.
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return tuple(line.strip("\r\n") for line in lines)


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
