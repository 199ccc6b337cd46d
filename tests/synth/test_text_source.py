"""Label text stays inside the charset, within length, and varies in kind and case."""

import string

import numpy as np
import pytest

from ppocr.errors import DataError
from ppocr.synth.text_source import DEFAULT_CHARSET, TextSource, charset_from_dict


def _samples(source: TextSource, n: int = 300, max_len: int = 25) -> list[str]:
    rng = np.random.default_rng(0)
    return [source.sample(rng, max_len) for _ in range(n)]


def test_default_charset_keeps_case(data_dir):
    assert charset_from_dict(None) == string.digits + string.ascii_letters
    texts = _samples(TextSource(DEFAULT_CHARSET))
    joined = "".join(texts)
    assert set(joined) <= set(DEFAULT_CHARSET)
    assert any(c.isupper() for c in joined) and any(c.islower() for c in joined)
    assert any(t.isdigit() for t in texts)
    assert all(1 <= len(t) <= 25 for t in texts)


def test_lowercase_dict_maps_case(data_dir):
    chars = charset_from_dict(str(data_dir / "dicts" / "ic15_dict.txt"))
    assert set(chars) == set(string.digits + string.ascii_lowercase)
    texts = _samples(TextSource(chars))
    assert set("".join(texts)) <= set(chars)
    assert len(set("".join(texts))) > 30  # words are lowercased, not dropped


def test_space_and_punctuation_only_when_in_charset(data_dir):
    en = charset_from_dict(str(data_dir / "dicts" / "en_dict.txt"))
    texts = _samples(TextSource(en))
    assert any(" " in t for t in texts)
    assert any(c in "$.:-/," for t in texts for c in t)
    assert all(t == t.strip() and "  " not in t for t in texts)
    assert not any(" " in t for t in _samples(TextSource(DEFAULT_CHARSET)))


def test_digits_only_and_max_len():
    texts = _samples(TextSource("0123456789"), max_len=4)
    assert all(t.isdigit() and 1 <= len(t) <= 4 for t in texts)
    rng = np.random.default_rng(1)
    assert all(len(TextSource("ab").sample(rng, 5, min_len=3)) >= 3 for _ in range(50))


def test_same_generator_same_text():
    source = TextSource(DEFAULT_CHARSET)
    a = [source.sample(np.random.default_rng(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2]


def test_empty_charset_is_an_error():
    with pytest.raises(DataError, match="no drawable"):
        TextSource(" \t")
