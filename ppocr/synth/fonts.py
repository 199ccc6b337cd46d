"""Bundled fonts: find them, load them at a size, and know which characters they can draw."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from ppocr.errors import DataError

FONT_DIR = Path(__file__).parent / "fonts"

# A code point no font here maps: what the font draws for it is its "missing glyph" box.
_MISSING = "\U0010fffd"
_PROBE_SIZE = 24


def list_fonts(font_dir: str | Path | None = None) -> list[Path]:
    """The TrueType/OpenType files of ``font_dir`` (default: the bundled ones), sorted by name.

    Sorted so that a seed picks the same font on every machine.
    """
    root = Path(font_dir) if font_dir is not None else FONT_DIR
    if not root.is_dir():
        raise DataError(f"font directory not found: {root}")
    fonts = sorted(p for p in root.iterdir() if p.suffix.lower() in (".ttf", ".otf"))
    if not fonts:
        raise DataError(f"{root}: no .ttf/.otf font files")
    return fonts


@lru_cache(maxsize=512)
def load_font(path: str | Path, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType font; the basic layout engine keeps output identical with or without raqm."""
    try:
        return ImageFont.truetype(str(path), int(size), layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise DataError(f"{path}: cannot load font ({exc})") from exc


@lru_cache(maxsize=64)
def height_ratio(path: str | Path) -> float:
    """(ascent + descent) / font size: converts a wanted line height in pixels into a font size."""
    ascent, descent = load_font(path, 100).getmetrics()
    return (ascent + descent) / 100.0


@lru_cache(maxsize=64)
def _covered(path: str, chars: str) -> frozenset[str]:
    font = load_font(path, _PROBE_SIZE)
    missing = font.getmask(_MISSING)
    missing_sig = (missing.size, bytes(missing))
    ok = set()
    for ch in chars:
        if ch == " ":
            ok.add(ch)
            continue
        if not ch.isprintable():
            continue
        mask = font.getmask(ch)
        if mask.getbbox() is None:  # draws nothing: unusable as a label character
            continue
        if (mask.size, bytes(mask)) != missing_sig:
            ok.add(ch)
    return frozenset(ok)


def supported_chars(fonts: Sequence[str | Path], chars: Iterable[str]) -> set[str]:
    """Characters of ``chars`` that every font in ``fonts`` draws with a real glyph.

    A text line may get any font, so only characters all fonts share can appear in labels.
    """
    wanted = "".join(sorted(set(chars)))
    result: set[str] | None = None
    for path in fonts:
        cov = _covered(str(path), wanted)
        result = set(cov) if result is None else result & cov
    return result or set()
