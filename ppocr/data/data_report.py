"""Counts of bad samples per reason, found once at dataset load and reported once.

Upstream PaddleOCR finds bad samples while training (an exception, a log line, another
random index), so a label file full of missing images trains on a fraction of the data
without saying so. A ``DataReport`` makes the fraction visible: every dropped line is
counted under its reason with the first few ``file:line`` places, and a dataset with
nothing usable fails at once.
"""

from __future__ import annotations

import logging
import re

from ppocr.errors import DataError

__all__ = ["DataReport", "reason_key"]

_DETAIL = re.compile(r"\s*\([^()]*\)$")


def reason_key(reason: str) -> str:
    """The counting key of a reason: its text before ':' and without a trailing '(...)'.

    ``"characters outside dictionary: 'x'"`` and ``"... : 'y'"`` count together; the
    detail stays in the example.
    """
    key = reason.split(":", 1)[0].strip()
    return _DETAIL.sub("", key) or reason


class DataReport:
    """What a dataset found in its sources.

    Attributes:
        source: what was read (label files, LMDB dir), for messages.
        total: candidate samples (lines / LMDB records, blank lines excluded).
        valid: samples kept.
        unscorable: Eval samples dropped because their label cannot be encoded; the
            evaluator counts them as errors (``evaluated N/M``).
        problems: dropped samples per reason.
        notes: non-fatal findings per reason (the sample is kept).
        runtime: failures met while loading samples during an epoch, per reason
            (counted in the process that met them: with workers, each has its own).
    """

    def __init__(self, source: str, max_examples: int = 3) -> None:
        self.source = source
        self.max_examples = max_examples
        self.total = 0
        self.valid = 0
        self.unscorable = 0
        self.problems: dict[str, int] = {}
        self.notes: dict[str, int] = {}
        self.runtime: dict[str, int] = {}
        self.examples: dict[str, dict[str, list[str]]] = {"problems": {}, "notes": {}, "runtime": {}}
        self._logged = False
        self._seen_runtime: set[str] = set()

    def _count(self, name: str, reason: str, where: str) -> str:
        table: dict[str, int] = getattr(self, name)
        key = reason_key(reason)
        table[key] = table.get(key, 0) + 1
        examples = self.examples[name].setdefault(key, [])
        if len(examples) < self.max_examples:
            examples.append(where if key == reason else f"{where} ({reason})")
        return key

    def add_problem(self, reason: str, where: str, unscorable: bool = False) -> None:
        """Count a dropped candidate; ``unscorable`` for Eval labels that cannot be encoded."""
        self._count("problems", reason, where)
        if unscorable:
            self.unscorable += 1

    def add_note(self, reason: str, where: str) -> None:
        """Count a non-fatal finding on a kept sample."""
        self._count("notes", reason, where)

    def add_runtime(self, reason: str, where: str) -> bool:
        """Count an epoch-time failure; True the first time this place fails (log it then)."""
        self._count("runtime", reason, where)
        first = where not in self._seen_runtime
        self._seen_runtime.add(where)
        return first

    @property
    def dropped(self) -> int:
        return sum(self.problems.values())

    def _lines(self, name: str) -> list[str]:
        table: dict[str, int] = getattr(self, name)
        return [
            f"  {reason}: {count} (e.g. {', '.join(self.examples[name].get(reason, []))})"
            for reason, count in sorted(table.items(), key=lambda kv: -kv[1])
        ]

    def summary(self, mode: str = "") -> str:
        """Multi-line text: totals, then each reason with its first places."""
        head = f"{mode} data " if mode else "data "
        text = [f"{head}{self.source}: {self.valid} valid of {self.total} samples"]
        if self.problems:
            text.append(f" dropped {self.dropped}:")
            text += self._lines("problems")
        if self.unscorable:
            text.append(f" unscorable (counted as errors in eval): {self.unscorable}")
        if self.notes:
            text.append(" notes (samples kept):")
            text += self._lines("notes")
        if self.runtime:
            text.append(" failed while loading during the epoch:")
            text += self._lines("runtime")
        return "\n".join(text)

    def check_usable(self) -> None:
        """Raise ``DataError`` listing the reasons when no sample is usable."""
        if self.valid > 0:
            return
        if self.total == 0:
            raise DataError(f"no samples in {self.source} (empty label file or dataset?)")
        raise DataError("no usable samples. " + self.summary())

    def log(self, logger: logging.Logger, mode: str = "") -> None:
        """Log the summary once (warning level when anything was dropped)."""
        if self._logged:
            return
        self._logged = True
        level = logging.WARNING if self.problems else logging.INFO
        logger.log(level, "%s", self.summary(mode))
