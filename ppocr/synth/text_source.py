"""Random label text: words, pseudo-words, numbers, dates, prices and codes within a charset.

Every string returned uses only characters of the charset, so a recognition model trained on
it never sees a label its dictionary cannot encode.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable

import numpy as np

from ppocr.errors import DataError
from ppocr.utils.character_dict import CharacterDict

DEFAULT_CHARSET = string.digits + string.ascii_letters

# Common English words, written for this project (no external list): realistic shapes of text.
_WORDS = (
    "the and for with from this that open close hotel street road avenue park station exit entry "
    "sale price total cash card credit debit store shop market bank coffee tea bread milk water "
    "pizza burger menu daily special fresh hot cold new old big small left right north south east "
    "west city center school office house home garden bridge river lake hill tower gate door "
    "floor room hall main first second third stop go slow only one way no parking taxi bus train "
    "airport hospital police fire pharmacy post mail library museum theatre cinema music book "
    "paper news time date day week month year today open now free help info service public "
    "private staff only push pull welcome thank you please order number account invoice receipt "
    "amount tax net gross item qty unit rate discount change balance payment due ref code model "
    "serial part version battery power energy oil gas green red blue black white yellow orange "
    "brown gray silver gold light dark good best fast easy smart super mega mini max plus pro"
).split()

_ONSETS = (
    "b c d f g h j k l m n p r s t v w z bl br ch cl cr dr fl fr gr kl pl pr sc sh sk sl sm sn sp "
    "st str sw th tr wh"
).split()
_VOWELS = "a e i o u a e i o ai ea ee ie oo ou".split()
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "x"]
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_CURRENCY = ("$", "EUR ", "USD ", "", "")


def charset_from_dict(dict_path: str | None) -> str:
    """The charset labels may use: the dictionary's characters, or digits + ASCII letters.

    Unlike the recognizer's default dictionary (lowercase), the default charset keeps case:
    case variety makes more realistic images, and the label encoder lowercases when it must.
    """
    if dict_path is None:
        return DEFAULT_CHARSET
    return "".join(dict.fromkeys(CharacterDict(dict_path).characters))


class TextSource:
    """Draws label strings from a fixed charset; all randomness comes from the caller's generator."""

    def __init__(self, charset: Iterable[str]) -> None:
        chars = [ch for ch in dict.fromkeys(charset) if ch == " " or (ch.isprintable() and not ch.isspace())]
        self.chars: tuple[str, ...] = tuple(chars)
        self.allowed = frozenset(chars)
        self.has_space = " " in self.allowed
        visible = [ch for ch in chars if ch != " "]
        if not visible:
            raise DataError("text charset has no drawable characters")
        self._visible = np.array(visible)
        self._kinds: tuple[tuple[float, Callable[[np.random.Generator], str]], ...] = (
            (0.30, self._word),
            (0.18, self._pseudo_word),
            (0.12, self._number),
            (0.07, self._date),
            (0.07, self._price),
            (0.10, self._code),
            (0.16, self._random_chars),
        )
        self._probs = np.array([p for p, _ in self._kinds])
        self._probs /= self._probs.sum()

    def sample(self, rng: np.random.Generator, max_len: int = 25, min_len: int = 1) -> str:
        """One label: 1..``max_len`` characters of the charset, never starting/ending with a space."""
        max_len = max(1, int(max_len))
        min_len = max(1, min(int(min_len), max_len))
        parts: list[str] = []
        n_parts = int(rng.integers(1, 4)) if self.has_space and rng.random() < 0.35 else 1
        for _ in range(n_parts):
            kind = int(rng.choice(len(self._kinds), p=self._probs))
            parts.append(self._fit(self._kinds[kind][1](rng)))
        text = " ".join(p for p in parts if p)
        text = text[:max_len].strip()
        while len(text) < min_len:
            extra = self._random_chars(rng)
            text = (text + extra)[:max_len].strip()
        return text

    def sample_words(self, rng: np.random.Generator, n_words: int, max_len: int = 25) -> list[str]:
        """``n_words`` independent single-part strings (for det lines joined by spaces)."""
        out = []
        for _ in range(n_words):
            kind = int(rng.choice(len(self._kinds), p=self._probs))
            word = self._fit(self._kinds[kind][1](rng))[:max_len].strip()
            out.append(word or self._random_chars(rng)[:max_len])
        return out

    # -- helpers ---------------------------------------------------------------------------
    def _fit(self, text: str) -> str:
        """Map characters into the charset: swap case if only the other case exists, else drop."""
        out = []
        for ch in text:
            if ch in self.allowed:
                out.append(ch)
            elif ch.swapcase() in self.allowed:
                out.append(ch.swapcase())
        return " ".join("".join(out).split())

    @staticmethod
    def _case(rng: np.random.Generator, word: str) -> str:
        r = rng.random()
        if r < 0.45:
            return word.lower()
        if r < 0.75:
            return word.capitalize()
        return word.upper()

    def _word(self, rng: np.random.Generator) -> str:
        return self._case(rng, _WORDS[int(rng.integers(len(_WORDS)))])

    def _pseudo_word(self, rng: np.random.Generator) -> str:
        syllables = []
        for _ in range(int(rng.integers(1, 4))):
            syllables.append(
                _ONSETS[int(rng.integers(len(_ONSETS)))]
                + _VOWELS[int(rng.integers(len(_VOWELS)))]
                + _CODAS[int(rng.integers(len(_CODAS)))]
            )
        return self._case(rng, "".join(syllables))

    @staticmethod
    def _number(rng: np.random.Generator) -> str:
        r = rng.random()
        digits = int(rng.integers(1, 8))
        value = int(rng.integers(0, 10**digits))
        if r < 0.5:
            return str(value)
        if r < 0.75:
            return f"{value:,}"
        return f"{value / 100:.2f}"

    @staticmethod
    def _date(rng: np.random.Generator) -> str:
        y, m, d = int(rng.integers(1950, 2040)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        fmt = int(rng.integers(5))
        if fmt == 0:
            return f"{y:04d}-{m:02d}-{d:02d}"
        if fmt == 1:
            return f"{d:02d}/{m:02d}/{y:04d}"
        if fmt == 2:
            return f"{d:02d}.{m:02d}.{y % 100:02d}"
        if fmt == 3:
            return f"{d}{_MONTHS[m - 1]}{y}"
        return f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"

    @staticmethod
    def _price(rng: np.random.Generator) -> str:
        value = float(rng.integers(1, 10 ** int(rng.integers(2, 6)))) / 100.0
        cur = _CURRENCY[int(rng.integers(len(_CURRENCY)))]
        return f"{cur}{value:,.2f}" if rng.random() < 0.7 else f"{value:.2f}{cur.strip()}"

    @staticmethod
    def _code(rng: np.random.Generator) -> str:
        pool = string.ascii_uppercase + string.digits
        groups = []
        for _ in range(int(rng.integers(1, 4))):
            n = int(rng.integers(2, 6))
            groups.append("".join(pool[int(i)] for i in rng.integers(0, len(pool), n)))
        sep = ("-", "", "/", ".")[int(rng.integers(4))]
        code = sep.join(groups)
        return code.lower() if rng.random() < 0.2 else code

    def _random_chars(self, rng: np.random.Generator) -> str:
        """Uniform characters of the charset: covers symbols and scripts the generators miss."""
        n = int(rng.integers(1, 11))
        return "".join(self._visible[rng.integers(0, len(self._visible), n)].tolist())
