"""Config loading: safe YAML, sections, overrides, numbers like 1./255."""

import logging
import re
import time

import pytest

from ppocr.config import MAX_CONFIG_BYTES, apply_overrides, load_config, parse_number, parse_override
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


# ---------------------------------------------------------------- limits against config bombs
def alias_bomb(levels: int = 9) -> str:
    """The 'billion laughs' YAML: ``levels`` anchors, each a list of 9 aliases of the previous one."""
    lines = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "Global:\n" + "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_load(tmp_path):
    path = write(tmp_path, alias_bomb())
    assert path.stat().st_size < 2048  # expands to 9**9 ~ 387 million strings
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: line 8: aliases expand to more than "
                                          r"1,000,000 values"):
        load_config(path)
    assert time.perf_counter() - start < 5


def test_small_aliases_and_merge_keys_still_load(tmp_path):
    cfg = load_config(write(tmp_path, alias_bomb(levels=3) + "  max_text_length: &max_text_length 25\n"
                            "  base: &base {a: 1, b: 2}\n  derived: {<<: *base, b: 3}\n"
                            "PostProcess:\n  max_text_length: *max_text_length\n"))
    assert len(cfg["Global"]["l2"]) == 9 and cfg["Global"]["l2"][8][0] == ["lol"] * 9
    assert cfg["PostProcess"]["max_text_length"] == 25
    assert cfg["Global"]["derived"] == {"a": 1, "b": 3}


def test_recursive_alias_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="alias refers to a node that contains it"):
        load_config(write(tmp_path, "Global:\n  x: &x [1, *x]\n"))


def test_deep_nesting_is_refused_with_its_line(tmp_path):
    deep = "Global:\n  a: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(ConfigError, match=r"c\.yml: line 2: nesting is deeper than 64 levels"):
        load_config(write(tmp_path, deep))
    value = load_config(write(tmp_path, "Global:\n  a: " + "[" * 60 + "]" * 60 + "\n"))["Global"]["a"]
    for _ in range(59):
        assert len(value) == 1
        value = value[0]
    assert value == []


def test_aliases_cannot_nest_past_the_depth_limit(tmp_path):
    # each anchor is shallow, but every alias adds a level: 100 anchors nest 100 deep
    lines = ["  a0: &a0 [1]"] + [f"  a{i}: &a{i} [*a{i - 1}]" for i in range(1, 100)]
    with pytest.raises(ConfigError, match="aliases nest values deeper than 64 levels"):
        load_config(write(tmp_path, "Global:\n" + "\n".join(lines) + "\n"))


def test_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yml"
    with open(path, "w", encoding="utf-8") as f:
        f.write("Global:\n")
        f.write("  k: [" + "1, " * (MAX_CONFIG_BYTES // 3 + 10) + "1]\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"big\.yml: config is [\d,]+ bytes, more than the "
                                          rf"{MAX_CONFIG_BYTES:,}-byte limit"):
        load_config(path)
    assert time.perf_counter() - start < 1  # refused without parsing


def test_binary_and_control_characters_are_config_errors(tmp_path):
    path = tmp_path / "bin.yml"
    path.write_bytes(b"Global:\n  x: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"bin\.yml: not UTF-8 text"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"c\.yml: not valid YAML: unacceptable character"):
        load_config(write(tmp_path, "Global:\n  x: a\x00b\n"))


def test_errors_are_one_line(tmp_path):
    for text in ("Global: [unclosed\n", "Global:\n  x: !!python/object/apply:os.system ['echo hi']\n",
                 "Global:\n  ? [a, b]\n  : 1\n"):
        with pytest.raises(ConfigError) as info:
            load_config(write(tmp_path, text))
        assert "\n" not in str(info.value) and str(info.value).startswith(str(tmp_path / "c.yml"))
    with pytest.raises(ConfigError, match=r"c\.yml: line 2, column 5: cannot build a value: found unhashable key"):
        load_config(write(tmp_path, "Global:\n  ? [a, b]\n  : 1\n"))


def test_override_values_get_the_same_limits():
    bomb = "[" + ", ".join(["*a"] * 9) + "]"
    with pytest.raises(ConfigError, match=r"override 'Global\.x=.*': line 1: nesting is deeper"):
        parse_override("Global.x=" + "[" * 100 + "]" * 100)
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_override("Global.x=" + bomb)  # undefined alias
    levels = "&a [" + ", ".join(["1"] * 1000) + "]"
    chain = "[" + ", ".join([f"{levels}"] + ["*a"] * 1000) + "]"
    with pytest.raises(ConfigError, match="aliases expand to more than 1,000,000 values"):
        parse_override("Global.x=" + chain)


def test_upstream_profiler_options_key_is_accepted_with_a_warning(tmp_path, caplog):
    """Upstream's PP-OCRv4 det and en rec configs end with ``profiler_options: null``."""
    path = tmp_path / "v4.yml"
    path.write_text("Global:\n  epoch_num: 1\nprofiler_options: null\n", encoding="utf-8")
    from ppocr.config import load_config

    assert load_config(str(path))["profiler_options"] is None
    assert "top-level profiler_options is not used by ppocr" in caplog.text
