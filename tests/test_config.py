"""Config loading: safe YAML, sections, overrides, numbers like 1./255."""

import logging

import pytest

from ppocr.config import apply_overrides, load_config, parse_number, parse_override
from ppocr.errors import ConfigError


def write(tmp_path, text, name="c.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_sections(tmp_path):
    cfg = load_config(write(tmp_path, "Global:\n  epoch_num: 2\nArchitecture:\n  model_type: rec\n"))
    assert cfg["Global"]["epoch_num"] == 2 and cfg["Architecture"]["model_type"] == "rec"


def test_python_tags_are_refused(tmp_path):
    path = write(tmp_path, "Global:\n  x: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match=r"refused YAML tag.*safe_load"):
        load_config(path)


def test_unknown_section_names_closest(tmp_path):
    with pytest.raises(ConfigError, match="unknown section 'Optimiser'.*Did you mean 'Optimizer'"):
        load_config(write(tmp_path, "Global: {}\nOptimiser: {}\n"))


def test_unknown_global_key_warns(tmp_path, caplog):
    logger = logging.getLogger("ppocr")
    logger.propagate = True
    try:
        with caplog.at_level(logging.WARNING, logger="ppocr"):
            load_config(write(tmp_path, "Global:\n  epoch_nums: 2\n"))
    finally:
        logger.propagate = False
    assert "Global.epoch_nums" in caplog.text and "epoch_num" in caplog.text


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "Global: [unclosed\n"))
    with pytest.raises(ConfigError, match="mapping of sections"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_overrides_parse_yaml_values_and_list_indices():
    cfg = {"Global": {"epoch_num": 1}, "Train": {"dataset": {"transforms": [{"A": None}, {"B": {"x": 1}}]}}}
    out = apply_overrides(cfg, ["Global.epoch_num=3", "Train.loader.batch_size_per_card=8",
                                "Train.dataset.transforms.1.B.x=[1, 2]", "Global.name=a=b"])
    assert out["Global"]["epoch_num"] == 3
    assert out["Train"]["loader"]["batch_size_per_card"] == 8
    assert out["Train"]["dataset"]["transforms"][1]["B"]["x"] == [1, 2]
    assert out["Global"]["name"] == "a=b"  # split on the first '=' only
    assert cfg["Global"]["epoch_num"] == 1  # input not mutated


def test_bad_overrides():
    cfg = {"Global": {"epoch_num": 1}, "Train": {"t": [1, 2]}}
    with pytest.raises(ConfigError, match="Section.key=value"):
        apply_overrides(cfg, ["Global.epoch_num"])
    with pytest.raises(ConfigError, match="unknown section 'Globl'"):
        apply_overrides(cfg, ["Globl.epoch_num=2"])
    with pytest.raises(ConfigError, match="not an index"):
        apply_overrides(cfg, ["Train.t.5=0"])
    with pytest.raises(ConfigError, match="is a value"):
        apply_overrides(cfg, ["Global.epoch_num.x=1"])
    assert parse_override("Global.use_gpu=false") == (["Global", "use_gpu"], False)


@pytest.mark.parametrize("text,value", [("1./255.", 1 / 255), ("0.5", 0.5), ("-2*3", -6.0), (4, 4.0)])
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("bad", ["__import__('os')", "1/0", "abc", None, True])
def test_parse_number_rejects(bad):
    with pytest.raises(ConfigError, match="scale"):
        parse_number(bad, "NormalizeImage.scale")
