"""Shipped configs are found from any working directory, in a checkout and in an installed package."""

from pathlib import Path

import pytest

from ppocr import resources
from ppocr.config import load_config
from ppocr.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DEMO = "configs/det/demo/det_cml_demo.yml"


def test_checkout_configs_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resources.config_path(DEMO) == str(ROOT / DEMO)
    assert load_config(DEMO)["Architecture"]["name"] == "DistillationModel"


def test_a_local_file_wins_over_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs/det/demo").mkdir(parents=True)
    (tmp_path / DEMO).write_text("Global: {}\n")
    assert resources.config_path(DEMO) == DEMO


def test_installed_layout_uses_bundled_configs(tmp_path, monkeypatch):
    package = tmp_path / "site" / "ppocr"
    (package / "bundled_configs" / "det" / "demo").mkdir(parents=True)
    (package / "bundled_configs" / "det" / "demo" / "det_cml_demo.yml").write_text("Global: {}\n")
    monkeypatch.setattr(resources, "__file__", str(package / "resources.py"))
    monkeypatch.chdir(tmp_path)
    assert resources.configs_root() == package / "bundled_configs"
    assert resources.config_path(DEMO) == str(package / "bundled_configs" / "det/demo/det_cml_demo.yml")


def test_missing_config_names_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"config file not found: configs/rec/nope.yml \(looked in the working "
                                          r"directory and in the shipped configs at .*configs\)"):
        resources.config_path("configs/rec/nope.yml")
    with pytest.raises(ConfigError, match=r"^config file not found: elsewhere.yml$"):
        resources.config_path("elsewhere.yml")


def test_every_shipped_config_is_in_the_wheel_manifest():
    """setup.py's package_data globs reach every config file (at most three folders deep)."""
    configs = sorted(p.relative_to(ROOT / "configs") for p in (ROOT / "configs").rglob("*.yml"))
    assert configs and all(len(p.parts) <= 3 for p in configs)
    assert '"ppocr.bundled_configs": ["*.yml", "*/*.yml", "*/*/*.yml"]' in (ROOT / "setup.py").read_text()
