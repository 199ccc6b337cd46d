"""Synthetic recognition datasets: rendered text lines in PaddleOCR's label-file and LMDB layouts."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.synth.common import KindPlan, synthesize
from ppocr.synth.fonts import list_fonts, supported_chars
from ppocr.synth.render_line import render_rec_line
from ppocr.synth.text_source import TextSource, charset_from_dict
from ppocr.utils.logging import get_logger


class LineSynth:
    """Text source + fonts + line renderer configured once, then sampled per seeded generator.

    Characters of the charset no bundled font can draw (e.g. CJK in ``ppocr_keys_v1.txt``) are
    left out of the labels and listed in ``skipped_chars``.
    """

    def __init__(
        self,
        dict_path: str | None = None,
        height: int = 32,
        max_width: int = 320,
        max_text_len: int = 25,
        font_dir: str | Path | None = None,
    ) -> None:
        for key, value, low in (
            ("height", height, 8),
            ("max_width", max_width, 8),
            ("max_text_len", max_text_len, 1),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{key}: expected an integer >= {low}, got {value!r}")
        self.height, self.max_width, self.max_text_len = height, max_width, max_text_len
        self.fonts = list_fonts(font_dir)
        charset = charset_from_dict(dict_path)
        usable = supported_chars(self.fonts, charset)
        chars = "".join(ch for ch in charset if ch in usable)
        if not chars.replace(" ", ""):
            raise DataError(
                f"{dict_path or 'default charset'}: no character can be drawn by the fonts in "
                f"{self.fonts[0].parent}"
            )
        self.charset = chars
        self.skipped_chars = "".join(ch for ch in charset if ch not in usable)
        if self.skipped_chars:
            get_logger().warning(
                "%s: %d of %d characters have no glyph in the bundled fonts and will not appear in "
                "synthetic labels (e.g. %r)",
                dict_path,
                len(self.skipped_chars),
                len(charset),
                self.skipped_chars[:10],
            )
        self.text_source = TextSource(chars)

    def sample(self, rng: np.random.Generator, min_len: int = 1) -> tuple[np.ndarray, str]:
        """One RGB uint8 line image ``[height, W, 3]`` and its label."""
        text = self.text_source.sample(rng, self.max_text_len, min_len)
        return render_rec_line(text, rng, self.fonts, self.height, self.max_width)


def _rec_plan(dict_path: str | None, height: int, max_width: int, max_text_len: int) -> KindPlan:
    synth = LineSynth(dict_path, height, max_width, max_text_len)
    return KindPlan(
        kind="rec",
        charset=synth.charset,
        options={"height": synth.height, "max_width": synth.max_width, "max_text_len": synth.max_text_len},
        render=lambda rng, split, index: synth.sample(rng),
        lmdb=True,
        extra_info={"skipped_chars": synth.skipped_chars},
    )


def make_rec_dataset(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int = 0,
    dict_path: str | None = None,
    height: int = 32,
    max_width: int = 320,
    max_text_len: int = 25,
) -> dict[str, Any]:
    """Render a recognition dataset; deterministic (same bytes) for a seed.

    Layout: ``out_dir/{train,val}/label.txt`` with lines ``images/<i>.jpg\\t<text>`` (paths
    relative to the split dir), ``out_dir/{train,val}/images/``, LMDB copies
    ``out_dir/{train,val}_lmdb`` (1-based ``image-%09d``/``label-%09d`` + ``num-samples``) and
    ``out_dir/params.json``. Labels only use characters of ``dict_path`` (default: digits and
    ASCII letters, case kept). Returns the paths, counts and speed (see ``common.summary``) and
    ``skipped_chars`` (charset characters no bundled font can draw).
    """
    plan = partial(_rec_plan, dict_path, height, max_width, max_text_len)
    return synthesize(out_dir, num_train, num_val, seed, plan, reuse=False)


def ensure_rec_dataset(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int = 0,
    dict_path: str | None = None,
    height: int = 32,
    max_width: int = 320,
    max_text_len: int = 25,
) -> dict[str, Any]:
    """``make_rec_dataset`` unless ``out_dir`` already holds one made with the same parameters."""
    plan = partial(_rec_plan, dict_path, height, max_width, max_text_len)
    return synthesize(out_dir, num_train, num_val, seed, plan, reuse=True)
