"""Bundled fonts: present, loadable, licensed, and their glyph coverage is known."""

from pathlib import Path

import numpy as np
import pytest

from ppocr.errors import DataError
from ppocr.synth.fonts import FONT_DIR, height_ratio, list_fonts, load_font, supported_chars


def test_bundled_fonts_load_and_draw():
    fonts = list_fonts()
    assert len(fonts) >= 8
    assert fonts == sorted(fonts)
    for path in fonts:
        font = load_font(path, 24)
        mask = np.asarray(font.getmask("Ag"))
        assert mask.max() > 200, path.name  # real ink, not an empty glyph
        assert 0.9 < height_ratio(path) < 1.6


def test_fonts_have_licence_and_readme():
    names = {p.name for p in FONT_DIR.iterdir()}
    assert {"README.md", "LICENSE-DejaVu.txt", "LICENSE-Liberation.txt"} <= names
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    for path in list_fonts():
        assert path.name in readme, f"{path.name} has no origin row in fonts/README.md"
    total = sum(p.stat().st_size for p in list_fonts())
    assert total < 4_500_000


def test_supported_chars_excludes_missing_glyphs():
    fonts = list_fonts()
    got = supported_chars(fonts, "aZ09$ 中\t")
    assert got == {"a", "Z", "0", "9", "$", " "}  # no CJK glyph, no tab


def test_list_fonts_errors(tmp_path: Path):
    with pytest.raises(DataError, match="not found"):
        list_fonts(tmp_path / "nope")
    with pytest.raises(DataError, match="no .ttf"):
        list_fonts(tmp_path)
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(DataError, match="cannot load font"):
        load_font(bad, 12)
