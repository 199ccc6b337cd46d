"""CTC decoding of recognition outputs into ``(text, score)`` pairs (numpy only).

Class index 0 is the CTC blank; class ``i`` is ``CharacterDict.characters[i - 1]``, the
layout ``CTCLabelEncode`` writes and ``CTCHead`` predicts (upstream's ``['blank'] + dict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.registry import POSTPROCESS
from ppocr.utils.character_dict import CharacterDict

__all__ = ["CTCLabelDecode", "DistillationCTCLabelDecode", "distill_decode", "to_numpy"]

TextScore = tuple[str, float]


def to_numpy(x: Any) -> np.ndarray:
    """A paddle tensor (anything with ``.numpy()``) or array-like as an ndarray."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x)


@POSTPROCESS.register()
class CTCLabelDecode:
    """Greedy CTC decoding: argmax per step, merge repeats, drop blanks.

    The score of a text is the mean of the winning probabilities at the kept steps
    (upstream's definition); an empty text scores 0.0.

    Args:
        character_dict_path: dictionary file, one character per line; ``None`` means
            upstream's default ``0-9a-z``.
        use_space_char: append ``' '`` to the file's characters, even when the file has a
            space line (en_dict: classes 95 and 96 both decode to ``' '``); ignored
            without a file, as upstream (see ``CharacterDict``).
    """

    global_keys = ("character_dict_path", "use_space_char")

    def __init__(self, character_dict_path: str | None = None, use_space_char: bool = False) -> None:
        self._set_dict(CharacterDict(character_dict_path, use_space_char))

    @classmethod
    def from_character_dict(cls, char_dict: CharacterDict) -> CTCLabelDecode:
        """A decoder for an existing dict (e.g. the character list of an exported model)."""
        obj = cls.__new__(cls)
        obj._set_dict(char_dict)
        return obj

    def _set_dict(self, char_dict: CharacterDict) -> None:
        self.char_dict = char_dict
        # Index i of this array is class i: blank first, so decoding is one fancy index.
        self._classes = np.array([""] + list(self.char_dict.characters), dtype=object)

    @property
    def num_classes(self) -> int:
        return len(self._classes)

    def __call__(self, preds: Any, label: Any = None) -> list[TextScore] | tuple[list[TextScore], list[TextScore]]:
        """Decode ``preds`` ``[N, T, C]`` (probabilities); with ``label`` ``[N, L]`` also decode labels.

        A tuple/list ``preds`` (a head with ``return_feats``) decodes its last element; a dict
        with ``ctc`` (``MultiHead`` in training, where upstream's trainer picks ``preds['ctc']``)
        decodes that entry. ``MultiHead`` in eval returns the CTC probabilities themselves.
        """
        if isinstance(preds, (tuple, list)):
            if not preds:
                raise DataError("CTCLabelDecode: got an empty tuple/list of predictions")
            preds = preds[-1]
        if isinstance(preds, Mapping):
            if "ctc" not in preds:
                raise DataError(
                    f"CTCLabelDecode: got a dict of predictions (keys {sorted(preds)}); a distillation "
                    "model needs DistillationCTCLabelDecode with model_name/key"
                )
            preds = preds["ctc"]  # MultiHead in training: {"ctc": logits, "ctc_neck", "sar"|"gtc"}
        probs = to_numpy(preds)
        if probs.ndim != 3:
            raise DataError(f"CTCLabelDecode: predictions must be [N, T, C], got shape {probs.shape}")
        if probs.shape[2] != self.num_classes:
            raise DataError(
                f"CTCLabelDecode: predictions have {probs.shape[2]} classes but the dictionary "
                f"gives {self.num_classes} (blank + {len(self.char_dict)} characters); check "
                "character_dict_path / use_space_char"
            )
        text = self.decode_probs(probs)
        if label is None:
            return text
        return text, self.decode_labels(label)

    def decode_probs(self, probs: np.ndarray) -> list[TextScore]:
        """Best-path decoding of ``[N, T, C]`` probabilities."""
        n, t = probs.shape[:2]
        if t == 0:
            return [("", 0.0)] * n
        idx = probs.argmax(axis=2)
        best = np.take_along_axis(probs, idx[:, :, None], axis=2)[:, :, 0]
        keep = idx != 0
        keep[:, 1:] &= idx[:, 1:] != idx[:, :-1]
        out: list[TextScore] = []
        for row_idx, row_prob, row_keep in zip(idx, best, keep):
            if not row_keep.any():
                out.append(("", 0.0))
                continue
            text = "".join(self._classes[row_idx[row_keep]])
            out.append((text, float(np.mean(row_prob[row_keep]))))
        return out

    def decode_labels(self, label: Any) -> list[TextScore]:
        """Ground truth ``[N, L]`` class ids (0 = padding) as ``(text, 1.0)``; repeats are kept."""
        ids = to_numpy(label)
        if ids.ndim == 1:
            ids = ids[None, :]
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise DataError(f"CTCLabelDecode: labels must be integer [N, L], got {ids.dtype} {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_classes):
            raise DataError(
                f"CTCLabelDecode: label ids must lie in [0, {self.num_classes - 1}], "
                f"got [{ids.min()}, {ids.max()}]"
            )
        return [("".join(self._classes[row[row != 0]]), 1.0) for row in ids]


@POSTPROCESS.register()
class DistillationCTCLabelDecode(CTCLabelDecode):
    """CTC decoding for each sub-model of a distillation model: ``{name: decoded}``.

    Args:
        character_dict_path: see ``CTCLabelDecode``.
        use_space_char: see ``CTCLabelDecode``.
        model_name: sub-model(s) to decode (a single name is accepted too).
        key: entry of each sub-model's output to decode (e.g. ``head_out``).
        multi_head: the selected output is a multi-head dict; decode its ``ctc`` entry.
    """

    def __init__(
        self,
        character_dict_path: str | None = None,
        use_space_char: bool = False,
        model_name: Sequence[str] | str = ("student",),
        key: str | None = None,
        multi_head: bool = False,
    ) -> None:
        super().__init__(character_dict_path, use_space_char)
        names = [model_name] if isinstance(model_name, str) else list(model_name)
        if not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"DistillationCTCLabelDecode.model_name: expected names, got {model_name!r}")
        self.model_name = names
        self.key = key
        self.multi_head = bool(multi_head)

    def __call__(self, preds: Any, label: Any = None) -> dict[str, Any]:
        return distill_decode(self, super().__call__, preds, label, "ctc")


def distill_decode(dec: Any, decode: Any, preds: Any, label: Any, head_key: str) -> dict[str, Any]:
    """``{name: decode(preds[name][key][head_key?], label)}`` for each of ``dec.model_name``.

    ``head_key`` (``ctc``/``sar``) is taken only with ``dec.multi_head`` and a dict output.
    """
    owner = type(dec).__name__
    if not isinstance(preds, Mapping):
        raise DataError(f"{owner}: expected a dict of sub-model outputs, got {type(preds).__name__}")
    out: dict[str, Any] = {}
    for name in dec.model_name:
        pred = _select(preds, name, f"{owner}.model_name")
        if dec.key is not None:
            pred = _select(pred, dec.key, f"{owner}.key (of '{name}')")
        if dec.multi_head and isinstance(pred, Mapping):
            pred = _select(pred, head_key, f"{owner}.multi_head output of '{name}'")
        out[name] = decode(pred, label)
    return out


def _select(container: Any, name: str, what: str) -> Any:
    if not isinstance(container, Mapping) or name not in container:
        known = sorted(container) if isinstance(container, Mapping) else type(container).__name__
        raise DataError(f"{what}: '{name}' not in the model output ({known})")
    return container[name]
