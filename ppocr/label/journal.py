"""The write-ahead journal: each edit is appended and fsynced before it is acknowledged.

One JSON object per line, each the full new state of one image (so replaying is idempotent: the last
record of an image wins). The store clears the journal once PPOCRLabel's files hold every record;
after a crash (``kill -9``, power loss) the records still in it are replayed at the next start. A
torn last line (the process died while writing it, so it was never acknowledged) is dropped; any
other unreadable line is an error, since it may hold an acknowledged edit.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ppocr.errors import DataError
from ppocr.weights.files import sync_dir


class Journal:
    """``append`` (durable on return), ``records`` (replay), ``clear`` (after a checkpoint)."""

    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._file = open(path, "ab")  # noqa: SIM115 - kept open for the server's lifetime
        sync_dir(os.path.dirname(os.path.abspath(path)))
        self._drop_torn_tail()

    def _drop_torn_tail(self) -> None:
        """Cut a last line without its newline, so the next record starts on a line of its own."""
        with open(self.path, "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            self._file.truncate(data.rfind(b"\n") + 1)
            os.fsync(self._file.fileno())

    def records(self) -> list[dict[str, Any]]:
        """Every complete record, oldest first."""
        return read_records(self.path)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and fsync it."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        size = os.fstat(self._file.fileno()).st_size
        try:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError:
            self._file.truncate(size)  # no half record before the next one (e.g. the disk was full)
            raise

    def clear(self) -> None:
        """Empty the journal (every record is in the label files now)."""
        self._file.truncate(0)
        self._file.seek(0)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def read_records(path: str) -> list[dict[str, Any]]:
    """The complete records of the journal at ``path``, oldest first (a torn last line is dropped)."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    lines.pop()  # after the last newline: b"", or a torn line that was never acknowledged
    out = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise DataError(f"{path}:{number}: unreadable journal record; move the file away to start "
                            "without it (its edits are then lost)") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{number}: journal record is not an object")
        out.append(record)
    return out
