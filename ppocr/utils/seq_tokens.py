"""Special tokens of the SAR and NRTR class layouts (upstream's), shared by encoders and decoders.

``n`` is ``len(CharacterDict)`` (duplicates and an appended space counted):

- SAR: ``characters + ['<UKN>', '<BOS/EOS>', '<PAD>']``: character ``i`` is class ``i``,
  ``<UKN>`` ``n``, ``<BOS/EOS>`` (start and end) ``n + 1``, ``<PAD>`` ``n + 2``; ``n + 3`` classes.
- NRTR: ``['blank', '<unk>', '<s>', '</s>'] + characters``: character ``i`` is class ``i + 4``,
  ``<s>`` 2, ``</s>`` 3, padding 0 (``blank``); ``n + 4`` classes.

With CTC's ``n + 1`` these are the head widths upstream's ``tools/train.py`` gives a
``MultiHead`` (``CTCLabelDecode`` / ``SARLabelDecode`` / ``NRTRLabelDecode``: 6625 / 6627 /
6628 for ``ppocr_keys_v1.txt`` + space).
"""

from __future__ import annotations

__all__ = ["SAR_SPECIALS", "NRTR_SPECIALS", "NRTR_START", "NRTR_END", "NRTR_PAD", "sar_special_indices",
           "sar_num_classes", "nrtr_num_classes"]

SAR_SPECIALS = ("<UKN>", "<BOS/EOS>", "<PAD>")  # appended after the characters, in this order
NRTR_SPECIALS = ("blank", "<unk>", "<s>", "</s>")  # classes 0..3, before the characters
NRTR_PAD, NRTR_START, NRTR_END = 0, 2, 3


def sar_special_indices(num_chars: int) -> dict[str, int]:
    """SAR's special classes for a dictionary of ``num_chars`` characters."""
    return {"unknown": num_chars, "start": num_chars + 1, "end": num_chars + 1, "padding": num_chars + 2}


def sar_num_classes(num_chars: int) -> int:
    return num_chars + len(SAR_SPECIALS)


def nrtr_num_classes(num_chars: int) -> int:
    return num_chars + len(NRTR_SPECIALS)
