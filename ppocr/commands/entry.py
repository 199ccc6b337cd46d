"""How every CLI ends: a typed error prints ``error: <message>`` and exits 1, a bug keeps its traceback.

``ConfigError``/``DataError`` (and ``UnknownComponentError``) already say which file, line or
key is wrong and what was expected; a traceback under them only hides that line. ``--debug``
anywhere on the command line (or ``PPOCR_DEBUG=1``) re-raises them with the traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ppocr.errors import ConfigError, DataError

DEBUG_FLAG = "--debug"
EXIT_TYPED_ERROR = 1


def split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    """``argv`` without ``--debug``, and whether it (or ``PPOCR_DEBUG=1``) asked for tracebacks."""
    args = [a for a in argv if a != DEBUG_FLAG]
    return args, len(args) != len(argv) or os.environ.get("PPOCR_DEBUG", "") not in ("", "0")


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def run_cli(main: Callable[[list[str]], Any], argv: Sequence[str] | None = None) -> Any:
    """Call ``main(argv)``; on a typed error print one line to stderr and exit ``EXIT_TYPED_ERROR``."""
    args, debug = split_debug(list(sys.argv[1:] if argv is None else argv))
    try:
        return main(args)
    except (ConfigError, DataError) as exc:
        if debug:
            raise
        print(f"error: {one_line(exc)}", file=sys.stderr)
        raise SystemExit(EXIT_TYPED_ERROR) from None
