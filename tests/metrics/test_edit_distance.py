"""Levenshtein distance against hand values and a brute-force reference."""

import itertools
import random

import pytest

from ppocr.utils.edit_distance import levenshtein, normalized_distance


@pytest.mark.parametrize("a,b,d", [
    ("", "", 0), ("abc", "", 3), ("", "ab", 2), ("abc", "abc", 0), ("kitten", "sitting", 3),
    ("flaw", "lawn", 2), ("ab", "ba", 2), ("中文", "中国", 1), ("abcdef", "azced", 3),
    ("prefix_x_suffix", "prefix_yy_suffix", 2),
])
def test_hand_cases(a, b, d):
    assert levenshtein(a, b) == d
    assert levenshtein(b, a) == d


def _reference(a, b):
    if not a or not b:
        return len(a) + len(b)
    return min(_reference(a[1:], b) + 1, _reference(a, b[1:]) + 1,
               _reference(a[1:], b[1:]) + (a[0] != b[0]))


def test_matches_brute_force_on_small_strings():
    rng = random.Random(0)
    for _ in range(200):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))
        assert levenshtein(a, b) == _reference(a, b), (a, b)


def test_normalized():
    assert normalized_distance("", "") == 0.0
    assert normalized_distance("kitten", "sitting") == pytest.approx(3 / 7)
    assert normalized_distance("abc", "") == 1.0
    for a, b in itertools.product(["", "a", "ab", "xyz"], repeat=2):
        assert 0.0 <= normalized_distance(a, b) <= 1.0
