"""SAR and NRTR decoding (numpy only): the second branch of the PP-OCRv3/v4 multi-head recognizers.

Class layouts are those of ``SARLabelEncode`` / ``NRTRLabelEncode`` (``ppocr.utils.seq_tokens``). Only training-time metrics of that branch use
these decoders: exported v3/v4 models run the CTC branch alone.

Upstream's quirks are kept, because metrics computed upstream are computed the same way:

- an empty text scores NaN (upstream takes the mean of no probabilities);
- NRTR decodes every class up to the first ``</s>``, its ``blank``, ``<unk>`` and ``<s>``
  included, as those literal strings; SAR skips ``<PAD>``, writes ``<UKN>`` literally, and
  stops at ``<BOS/EOS>`` (in a label, a leading one is the start and is skipped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.postprocess.rec_postprocess import distill_decode, to_numpy
from ppocr.registry import POSTPROCESS
from ppocr.utils.character_dict import CharacterDict
from ppocr.utils.seq_tokens import NRTR_END, NRTR_SPECIALS, NRTR_START, SAR_SPECIALS, sar_special_indices

__all__ = ["SARLabelDecode", "NRTRLabelDecode", "DistillationSARLabelDecode"]

TextScore = tuple[str, float]
# Upstream's pattern: inside the class, each '^' after the first is a literal '^' (kept).
_RM_SYMBOL = re.compile("[^A-Z^a-z^0-9^\u4e00-\u9fa5]")


def _score(conf: list[float]) -> float:
    return float(np.mean(conf)) if conf else float("nan")


class _SeqDecode:
    """Argmax decoding of ``[N, T, C]`` into ``(text, score)`` with a class list."""

    global_keys = ("character_dict_path", "use_space_char")
    head_key = ""  # entry of a MultiHead training output (``sar`` / ``gtc``)
    classes: list[str]

    def _probs(self, preds: Any) -> np.ndarray:
        if isinstance(preds, Mapping):
            if self.head_key not in preds:
                raise DataError(f"{type(self).__name__}: no '{self.head_key}' in the predictions "
                                f"(keys {sorted(preds)})")
            preds = preds[self.head_key]
        probs = to_numpy(preds)
        if probs.ndim != 3:
            raise DataError(f"{type(self).__name__}: predictions must be [N, T, C], got shape {probs.shape}")
        if probs.shape[2] != len(self.classes):
            raise DataError(f"{type(self).__name__}: predictions have {probs.shape[2]} classes but the "
                            f"dictionary gives {len(self.classes)}; check character_dict_path / use_space_char")
        return probs

    def _labels(self, label: Any) -> np.ndarray:
        ids = to_numpy(label)
        if ids.ndim == 1:
            ids = ids[None, :]
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise DataError(f"{type(self).__name__}: labels must be integer [N, L], got {ids.dtype} {ids.shape}")
        return ids


@POSTPROCESS.register()
class SARLabelDecode(_SeqDecode):
    """SAR decoding: up to the first ``<BOS/EOS>``, ``<PAD>`` skipped (upstream's rules).

    Args:
        character_dict_path: dictionary file; None means ``0-9a-z``.
        use_space_char: append ``' '`` to the file's characters (see ``CharacterDict``).
        rm_symbol: lowercase and keep only ``A-Z a-z 0-9 ^`` and CJK (upstream's pattern).
    """

    head_key = "sar"

    def __init__(self, character_dict_path: str | None = None, use_space_char: bool = False,
                 rm_symbol: bool = False) -> None:
        self.char_dict = CharacterDict(character_dict_path, use_space_char)
        self.classes = list(self.char_dict.characters) + list(SAR_SPECIALS)
        special = sar_special_indices(len(self.char_dict))
        self.end_idx, self.padding_idx = special["end"], special["padding"]
        self.rm_symbol = bool(rm_symbol)

    def decode(self, ids: np.ndarray, probs: np.ndarray | None = None) -> list[TextScore]:
        out = []
        for row, ids_row in enumerate(ids):
            chars, conf = [], []
            for t, i in enumerate(ids_row.tolist()):
                if i == self.padding_idx:
                    continue
                if i == self.end_idx:
                    if probs is None and t == 0:
                        continue  # a label's leading start token
                    break
                chars.append(self.classes[i])
                conf.append(1.0 if probs is None else float(probs[row, t]))
            text = "".join(chars)
            if self.rm_symbol:
                text = _RM_SYMBOL.sub("", text.lower())
            out.append((text, _score(conf)))
        return out

    def __call__(self, preds: Any, label: Any = None) -> list[TextScore] | tuple[list[TextScore], list[TextScore]]:
        """Decode ``[N, T, C]`` predictions (or a MultiHead dict's ``sar``); with ``label`` also labels."""
        probs = self._probs(preds)
        text = self.decode(probs.argmax(axis=2), probs.max(axis=2))
        if label is None:
            return text
        return text, self.decode(self._labels(label))


@POSTPROCESS.register()
class NRTRLabelDecode(_SeqDecode):
    """NRTR decoding: every class up to the first ``</s>`` (upstream's rules, quirks included).

    ``preds`` is ``[N, T, C]`` probabilities (or a MultiHead dict's ``gtc``), or the
    ``(ids, probs)`` pair of ``[N, T]`` arrays NRTR's inference decoding gives; of the pair,
    when the first sample starts with ``<s>`` (2) the first column is dropped, as upstream.
    Labels drop their first column (``<s>``).

    Args:
        character_dict_path: dictionary file; None means ``0-9a-z``.
        use_space_char: append ``' '`` to the file's characters (default True, upstream's).
    """

    head_key = "gtc"

    def __init__(self, character_dict_path: str | None = None, use_space_char: bool = True) -> None:
        self.char_dict = CharacterDict(character_dict_path, use_space_char)
        self.classes = list(NRTR_SPECIALS) + list(self.char_dict.characters)

    def decode(self, ids: np.ndarray, probs: np.ndarray | None = None) -> list[TextScore]:
        out = []
        end = self.classes[NRTR_END]
        for row, ids_row in enumerate(ids):
            chars, conf = [], []
            for t, i in enumerate(ids_row.tolist()):
                if not 0 <= i < len(self.classes):
                    continue  # upstream skips ids it cannot look up
                if self.classes[i] == end:
                    break
                chars.append(self.classes[i])
                conf.append(1.0 if probs is None else float(probs[row, t]))
            out.append(("".join(chars), _score(conf)))
        return out

    def __call__(self, preds: Any, label: Any = None) -> list[TextScore] | tuple[list[TextScore], list[TextScore]]:
        # Upstream tests len(preds) == 2, which also catches a probability array of 2 samples;
        # here only a tuple/list is the (ids, probs) pair.
        if isinstance(preds, (tuple, list)) and len(preds) == 2:
            ids, probs = to_numpy(preds[0]), to_numpy(preds[1])
            if ids.ndim != 2 or probs.shape != ids.shape:
                raise DataError(f"NRTRLabelDecode: (ids, probs) must both be [N, T], got {ids.shape}, {probs.shape}")
            if ids.size and ids[0, 0] == NRTR_START:
                ids, probs = ids[:, 1:], probs[:, 1:]
            ids = ids.astype(np.int64)
        else:
            full = self._probs(preds)
            ids, probs = full.argmax(axis=2), full.max(axis=2)
        text = self.decode(ids, probs)
        if label is None:
            return text
        return text, self.decode(self._labels(label)[:, 1:])


@POSTPROCESS.register()
class DistillationSARLabelDecode(SARLabelDecode):
    """SAR decoding for each sub-model of a distillation model: ``{name: decoded}`` (upstream's).

    Args:
        character_dict_path, use_space_char: see ``SARLabelDecode``.
        model_name: sub-model(s) to decode.
        key: entry of each sub-model's output (e.g. ``head_out``).
        multi_head: the selected output is a MultiHead dict; decode its ``sar`` entry.
    """

    def __init__(self, character_dict_path: str | None = None, use_space_char: bool = False,
                 model_name: Sequence[str] | str = ("student",), key: str | None = None,
                 multi_head: bool = False) -> None:
        super().__init__(character_dict_path, use_space_char)
        names = [model_name] if isinstance(model_name, str) else list(model_name)
        if not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"DistillationSARLabelDecode.model_name: expected names, got {model_name!r}")
        self.model_name, self.key, self.multi_head = names, key, bool(multi_head)

    def __call__(self, preds: Any, label: Any = None) -> dict[str, Any]:
        return distill_decode(self, super().__call__, preds, label, "sar")
