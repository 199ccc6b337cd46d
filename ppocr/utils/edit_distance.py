"""Levenshtein distance for the recognition metric (upstream uses the ``rapidfuzz`` package).

Pure Python: eval labels are short words, and one dependency less matters more than
speed here. Values equal ``rapidfuzz.distance.Levenshtein.distance`` /
``normalized_distance`` with unit weights.
"""

from __future__ import annotations

__all__ = ["levenshtein", "normalized_distance"]


def levenshtein(a: str, b: str) -> int:
    """Minimum number of single-character insertions, deletions and substitutions.

    Args:
        a: first string.
        b: second string.

    Returns:
        The edit distance (0 when the strings are equal).
    """
    if a == b:
        return 0
    # A shared prefix or suffix never changes the distance: trim it so that the
    # quadratic part only sees the differing middle.
    start = 0
    stop = min(len(a), len(b))
    while start < stop and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    if not a:
        return len(b)
    if not b:
        return len(a)
    if len(a) < len(b):  # one row of the shorter length
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ch_a in enumerate(a, 1):
        current = [i]
        for j, ch_b in enumerate(b, 1):
            current.append(min(previous[j] + 1,  # delete ch_a
                               current[j - 1] + 1,  # insert ch_b
                               previous[j - 1] + (ch_a != ch_b)))  # substitute
        previous = current
    return previous[-1]


def normalized_distance(a: str, b: str) -> float:
    """Edit distance divided by the longer length, in [0, 1]; 0.0 for two empty strings."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 0.0
    return levenshtein(a, b) / longest
