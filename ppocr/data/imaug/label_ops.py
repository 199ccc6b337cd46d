"""Text labels -> integer targets for recognition (CTC) and direction classification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.registry import TRANSFORMS
from ppocr.utils.character_dict import CharacterDict

__all__ = ["CTCLabelEncode", "ClsLabelEncode"]


def _where(data: dict[str, Any]) -> str:
    return str(data.get("img_path", "<sample>"))


def text_label_problem(char_dict: CharacterDict, max_text_len: int, label: str) -> str | None:
    """Why a text label cannot be encoded (empty, characters outside ``char_dict``, longer than
    ``max_text_len``), or None; the checks every text label encoder shares."""
    if label == "":
        return "empty label"
    unknown = char_dict.unknown_chars(label)
    if unknown:
        return "characters outside dictionary: " + ", ".join(repr(c) for c in unknown)
    if len(label) > max_text_len:
        return f"text longer than max_text_length ({len(label)} > {max_text_len})"
    return None


@TRANSFORMS.register()
class CTCLabelEncode:
    """Text -> CTC target: dictionary index + 1 (0 is the blank), zero-padded.

    Unlike upstream, which silently drops characters missing from the dictionary and
    trains on the shortened text, a label with such characters is rejected at dataset
    load (``check_label``) so the image and its target never disagree.

    Args:
        max_text_length: label length of the padded target; longer texts are rejected.
        character_dict_path: dictionary file (one character per line); None means
            upstream's default digits + lowercase letters (text is lowercased).
        use_space_char: append ' ' to the file's characters, even when the file has a
            space line; ' ' then encodes as the appended (last) class, as upstream (en_dict:
            96 of 97). Ignored without a file, as upstream (see ``CharacterDict``).

    Keys: required ``label`` (str); modified ``label`` (int64 ``[max_text_length]``);
    added ``length`` (int64 scalar), ``label_ace`` (int64 ``[num_classes]``: count of
    each class in the padded target, as upstream, for the ACE loss).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    global_keys = ("max_text_length", "character_dict_path", "use_space_char")

    def __init__(self, max_text_length: int, character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        if isinstance(max_text_length, bool) or not isinstance(max_text_length, int) or max_text_length <= 0:
            raise ConfigError(f"CTCLabelEncode.max_text_length must be a positive integer, got {max_text_length!r}")
        self.max_text_len = max_text_length
        self.char_dict = CharacterDict(character_dict_path, use_space_char)
        self.num_classes = self.char_dict.ctc_num_classes

    def check_label(self, label: str) -> str | None:
        """Why ``label`` cannot be encoded, or None when it can."""
        return text_label_problem(self.char_dict, self.max_text_len, label)

    def encode(self, text: str) -> list[int]:
        """Class ids (dictionary index + 1) of ``text``; raises ``DataError`` if unencodable."""
        reason = self.check_label(text)
        if reason is not None:
            raise DataError(f"label {text!r}: {reason}")
        return [i + 1 for i in self.char_dict.encode(text)]

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        text = data["label"]
        reason = self.check_label(text)
        if reason is not None:
            raise DataError(f"{_where(data)}: label {text!r}: {reason}")
        ids = [i + 1 for i in self.char_dict.encode(text)]
        padded = np.zeros(self.max_text_len, dtype=np.int64)
        padded[: len(ids)] = ids
        data["length"] = np.array(len(ids), dtype=np.int64)
        data["label"] = padded
        data["label_ace"] = np.bincount(padded, minlength=self.num_classes).astype(np.int64)
        return data


@TRANSFORMS.register()
class ClsLabelEncode:
    """Direction label (e.g. ``'0'``/``'180'``) -> its index in ``label_list``.

    Keys: required/modified ``label`` (str -> int64 scalar). Labels not in
    ``label_list`` are rejected at dataset load (upstream returns None mid-epoch).
    ``label_list`` may come from ``Global.label_list`` as in upstream's cls configs.
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    global_keys = ("label_list",)

    def __init__(self, label_list: Sequence[str]) -> None:
        if isinstance(label_list, str) or not label_list:
            raise ConfigError(f"ClsLabelEncode.label_list must be a non-empty list, got {label_list!r}")
        # YAML turns [0, 180] into ints; labels read from files are strings.
        self.label_list = [str(x) for x in label_list]

    def check_label(self, label: str) -> str | None:
        if label not in self.label_list:
            return f"label not in label_list {self.label_list}: {label!r}"
        return None

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        label = data["label"]
        reason = self.check_label(label)
        if reason is not None:
            raise DataError(f"{_where(data)}: {reason}")
        data["label"] = np.array(self.label_list.index(label), dtype=np.int64)
        return data
