"""One logger for the toolkit; only rank 0 writes in multi-process runs."""

from __future__ import annotations

import logging
import os
import sys

_FORMAT = "[%(asctime)s] ppocr %(levelname)s: %(message)s"


def get_logger(log_file: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """The ``ppocr`` logger: console (rank 0 only) plus an optional file.

    Calling again with a new ``log_file`` adds that file once.
    """
    logger = logging.getLogger("ppocr")
    rank = int(os.environ.get("PADDLE_TRAINER_ID", "0"))
    if not getattr(logger, "_ppocr_configured", False):
        logger.setLevel(level if rank == 0 else logging.ERROR)
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y/%m/%d %H:%M:%S"))
        logger.addHandler(handler)
        logger.propagate = False
        logger._ppocr_configured = True  # type: ignore[attr-defined]
    if log_file and rank == 0:
        path = os.path.abspath(log_file)
        if not any(getattr(h, "baseFilename", None) == path for h in logger.handlers):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fh = logging.FileHandler(path, encoding="utf-8")
            fh.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y/%m/%d %H:%M:%S"))
            logger.addHandler(fh)
    return logger
