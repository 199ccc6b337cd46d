"""Targets of the PP-OCRv3/v4 recognizers: SAR and NRTR label encoders and the multi-head one.

Class layouts (special tokens and their indices) are upstream's; see ``ppocr.utils.seq_tokens``.

Both targets hold the start and end tokens in ``max_text_length`` slots, so a text may have
at most ``max_text_length - 2`` characters (upstream drops longer ones mid-epoch; here they
are rejected at dataset load by ``check_label``, as are characters outside the dictionary,
which upstream silently deletes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ppocr.data.imaug.label_ops import CTCLabelEncode, text_label_problem
from ppocr.errors import ConfigError, DataError
from ppocr.registry import TRANSFORMS
from ppocr.utils import seq_tokens as tokens
from ppocr.utils.character_dict import CharacterDict

__all__ = ["SARLabelEncode", "NRTRLabelEncode", "MultiLabelEncode"]


def _where(data: dict[str, Any]) -> str:
    return str(data.get("img_path", "<sample>"))


def _check_max_len(owner: str, max_text_length: Any) -> int:
    if isinstance(max_text_length, bool) or not isinstance(max_text_length, int) or max_text_length < 3:
        raise ConfigError(f"{owner}.max_text_length must be an integer >= 3 (start + text + end), "
                          f"got {max_text_length!r}")
    return max_text_length


class _BoundedLabelEncode:
    """Shared part of SAR/NRTR: label checks and ``[start] + ids + [end]`` padded targets."""

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    global_keys = ("max_text_length", "character_dict_path", "use_space_char")

    start_idx: int
    end_idx: int
    padding_idx: int
    offset: int  # class of dictionary character 0
    kind = ""  # "SAR" / "NRTR", for messages

    def _setup(self, max_text_length: int, character_dict_path: str | None, use_space_char: bool) -> None:
        self.max_text_len = _check_max_len(type(self).__name__, max_text_length)
        self.char_dict = CharacterDict(character_dict_path, use_space_char)

    def check_label(self, label: str) -> str | None:
        """Why ``label`` cannot be encoded, or None when it can."""
        problem = text_label_problem(self.char_dict, self.max_text_len, label)
        if problem is not None:
            return problem
        n = len(self.char_dict.normalize(label))
        if n >= self.max_text_len - 1:
            return (f"text too long for the {self.kind} target with start/end tokens "
                    f"({n} > max_text_length - 2 = {self.max_text_len - 2})")
        return None

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        text = data["label"]
        reason = self.check_label(text)
        if reason is not None:
            raise DataError(f"{_where(data)}: label {text!r}: {reason}")
        ids = [i + self.offset for i in self.char_dict.encode(text)]
        target = np.full(self.max_text_len, self.padding_idx, dtype=np.int64)
        target[: len(ids) + 2] = [self.start_idx, *ids, self.end_idx]
        data["length"] = np.array(len(ids), dtype=np.int64)
        data["label"] = target
        return data

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(max_text_length={self.max_text_len}, "
                f"character_dict_path={self.char_dict.dict_path!r}, use_space_char={self.char_dict.use_space_char})")


@TRANSFORMS.register()
class SARLabelEncode(_BoundedLabelEncode):
    """Text -> SAR target ``[<BOS/EOS>, ids..., <BOS/EOS>, <PAD>...]`` (upstream's layout).

    Args:
        max_text_length: target length; texts may have up to ``max_text_length - 2`` characters.
        character_dict_path: dictionary file; None means ``0-9a-z`` (text lowercased).
        use_space_char: append ``' '`` to the file's characters (see ``CharacterDict``).

    Keys:
        - Required: ``label`` (str).
        - Modified: ``label`` (int64 ``[max_text_length]``: character ``i`` is class ``i``,
          start = end = ``n + 1``, padding ``n + 2``).
        - Added: ``length`` (int64 scalar: characters, without start/end).
    """

    kind = "SAR"

    def __init__(self, max_text_length: int, character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        self._setup(max_text_length, character_dict_path, use_space_char)
        special = tokens.sar_special_indices(len(self.char_dict))
        self.unknown_idx = special["unknown"]
        self.start_idx = special["start"]
        self.end_idx = special["end"]
        self.padding_idx = special["padding"]
        self.offset = 0
        self.num_classes = tokens.sar_num_classes(len(self.char_dict))


@TRANSFORMS.register()
class NRTRLabelEncode(_BoundedLabelEncode):
    """Text -> NRTR target ``[2 (<s>), ids + 4..., 3 (</s>), 0...]`` (upstream's layout).

    Args:
        max_text_length: target length; texts may have up to ``max_text_length - 2`` characters.
        character_dict_path: dictionary file; None means ``0-9a-z`` (text lowercased).
        use_space_char: append ``' '`` to the file's characters (see ``CharacterDict``).

    Keys:
        - Required: ``label`` (str).
        - Modified: ``label`` (int64 ``[max_text_length]``: character ``i`` is class ``i + 4``).
        - Added: ``length`` (int64 scalar: characters, without start/end).
    """

    kind = "NRTR"

    def __init__(self, max_text_length: int, character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        self._setup(max_text_length, character_dict_path, use_space_char)
        self.start_idx, self.end_idx, self.padding_idx = tokens.NRTR_START, tokens.NRTR_END, tokens.NRTR_PAD
        self.offset = len(tokens.NRTR_SPECIALS)
        self.num_classes = tokens.nrtr_num_classes(len(self.char_dict))


GTC_ENCODERS = {"SARLabelEncode": SARLabelEncode, "NRTRLabelEncode": NRTRLabelEncode}


@TRANSFORMS.register()
class MultiLabelEncode:
    """Targets of a multi-head recognizer: CTC plus SAR (v3) or NRTR (v4) (upstream's op).

    As upstream, the output is a NEW dict holding only ``img_path``, ``image``, the two
    targets and ``length``: every other key of the sample is dropped (``valid_ratio``
    comes from a later ``RecResizeImg``, or from ``MultiScaleDataSet``'s resize).

    Args:
        max_text_length: CTC target length; the SAR/NRTR target has the same length, so
            texts may have up to ``max_text_length - 2`` characters (upstream drops longer
            ones mid-epoch; here ``check_label`` rejects them at load).
        character_dict_path: dictionary file; None means ``0-9a-z`` (text lowercased).
        use_space_char: append ``' '`` to the file's characters (see ``CharacterDict``).
        gtc_encode: ``None`` (SAR, key ``label_sar``) or an encoder name,
            ``NRTRLabelEncode`` / ``SARLabelEncode`` (key ``label_gtc``).

    Keys:
        - Required: ``label`` (str), ``image``.
        - Added: ``label_ctc`` (int64 ``[max_text_length]``, as ``CTCLabelEncode``),
          ``label_sar`` or ``label_gtc`` (int64 ``[max_text_length]``), ``length`` (int64,
          from the CTC encoder).
        - Removed: every other key (``label`` included).
    """

    train_only = True  # labels/augmentation: the exporter and infer tools drop it

    global_keys = ("max_text_length", "character_dict_path", "use_space_char")

    def __init__(self, max_text_length: int, character_dict_path: str | None = None,
                 use_space_char: bool = False, gtc_encode: str | None = None) -> None:
        if gtc_encode is not None and gtc_encode not in GTC_ENCODERS:
            raise ConfigError(f"MultiLabelEncode.gtc_encode must be null (SAR) or one of "
                              f"{', '.join(GTC_ENCODERS)}, got {gtc_encode!r}")
        self.ctc_encode = CTCLabelEncode(max_text_length, character_dict_path, use_space_char)
        gtc_cls = SARLabelEncode if gtc_encode is None else GTC_ENCODERS[gtc_encode]
        self.gtc_encode = gtc_cls(max_text_length, character_dict_path, use_space_char)
        self.gtc_encode_type = gtc_encode
        self.gtc_key = "label_sar" if gtc_encode is None else "label_gtc"

    def check_label(self, label: str) -> str | None:
        """Why ``label`` cannot be encoded by both encoders, or None when it can."""
        return self.ctc_encode.check_label(label) or self.gtc_encode.check_label(label)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        ctc = self.ctc_encode({"img_path": _where(data), "label": data["label"]})
        gtc = self.gtc_encode({"img_path": _where(data), "label": data["label"]})
        out: dict[str, Any] = {}
        if "img_path" in data:
            out["img_path"] = data["img_path"]
        out["image"] = data["image"]
        out["label_ctc"] = ctc["label"]
        out[self.gtc_key] = gtc["label"]
        out["length"] = ctc["length"]
        return out

    def __repr__(self) -> str:
        return f"MultiLabelEncode(ctc={self.ctc_encode.max_text_len}, gtc={self.gtc_encode!r})"
