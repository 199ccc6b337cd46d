"""Config files: PaddleOCR 2.x layout, loaded safely, overridable from the command line."""

from __future__ import annotations

import ast
import copy
import difflib
import logging
import operator
import os
from collections.abc import Iterable
from typing import Any

import yaml

from ppocr.errors import ConfigError
from ppocr.resources import config_path

logger = logging.getLogger("ppocr")

SECTIONS = ("Global", "Architecture", "Loss", "Optimizer", "PostProcess", "Metric", "Train", "Eval")
# Top-level keys upstream's own config files carry that ppocr does not use (upstream's PP-OCRv4 det
# and en rec configs end with ``profiler_options: null``): accepted with a warning, never an error.
UNUSED_TOP_LEVEL = ("profiler_options",)

# Every Global key upstream PaddleOCR 2.x configs use, plus ours. Unknown keys only warn:
# Global is a bag that newer upstream versions keep growing.
KNOWN_GLOBAL_KEYS = frozenset(
    """
    use_gpu use_xpu use_npu use_mlu epoch_num log_smooth_window print_batch_step save_model_dir
    save_epoch_step eval_batch_step cal_metric_during_train pretrained_model checkpoints
    save_inference_dir use_visualdl use_wandb infer_img infer_mode character_dict_path
    character_type max_text_length use_space_char save_res_path distributed seed
    d2s_train_image_shape use_amp amp_level amp_dtype amp_custom_black_list amp_custom_white_list
    scale_loss use_dynamic_loss_scaling num_workers drop_last uniform_output_enabled
    max_keep_checkpoints max_nonfinite_steps allow_shape_mismatch log_file device
    image_shape save_epoch_count infer_visual_type save_visual synth_data debug label_list
    save_format allow_partial_load
    """.split()
)


# Limits on what a config file may ask the YAML loader to build. Real configs are small
# (shipped and upstream ones: at most ~6 KB, ~500 nodes, 11 levels), so each limit is far above
# them and far below what hurts: pure-Python YAML parses ~150 KB/s here, so 1 MiB is seconds,
# not minutes; Python's recursion limit (1000) is hit by deep nesting in the composer and
# again in deepcopy/safe_dump, so 64 levels leaves room for both; aliases are counted as
# the nodes they expand to, since every later deepcopy/dump expands them: a 2 KB "billion
# laughs" file claims ~10^9 nodes, while 10^6 still builds in about a second.
MAX_CONFIG_BYTES = 1 << 20
MAX_CONFIG_DEPTH = 64
MAX_CONFIG_NODES = 1_000_000


class _LimitedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses nesting deeper than ``MAX_CONFIG_DEPTH`` while composing."""

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_CONFIG_DEPTH:
                mark = self.peek_event().start_mark
                raise ConfigError(f"{self.source}: line {mark.line + 1}: nesting is deeper than "
                                  f"{MAX_CONFIG_DEPTH} levels (the limit for configs)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_expanded(node: yaml.Node, source: str) -> None:
    """Refuse alias graphs that expand past the node/depth limits, or into a cycle.

    Sizes are memoized per node, so this costs one visit per distinct node however
    often aliases repeat it.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, expanded depth)
    active: set[int] = set()

    def children(n: yaml.Node) -> list[yaml.Node]:
        if isinstance(n, yaml.MappingNode):
            return [item for pair in n.value for item in pair]
        return list(n.value) if isinstance(n, yaml.SequenceNode) else []

    def visit(n: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(n)
        where = f"{source}: line {n.start_mark.line + 1}"
        if key in sizes:
            count, sub_depth = sizes[key]
        elif key in active:
            raise ConfigError(f"{where}: an alias refers to a node that contains it (recursive YAML)")
        else:
            active.add(key)
            count, sub_depth = 1, 1
            for child in children(n):
                c, d = visit(child, depth + 1)
                count, sub_depth = count + c, max(sub_depth, d + 1)
                if count > MAX_CONFIG_NODES:
                    break
            active.discard(key)
            sizes[key] = count, sub_depth
        if count > MAX_CONFIG_NODES:
            raise ConfigError(f"{where}: aliases expand to more than {MAX_CONFIG_NODES:,} values (the limit "
                              "for configs; a YAML alias bomb?)")
        if depth + sub_depth - 1 > MAX_CONFIG_DEPTH:
            raise ConfigError(f"{where}: aliases nest values deeper than {MAX_CONFIG_DEPTH} levels (the "
                              "limit for configs)")
        return count, sub_depth

    visit(node, 1)


def safe_load_text(text: str, source: str) -> Any:
    """``yaml.safe_load`` with limits on nesting and alias expansion (``None`` for empty text).

    Raises:
        ConfigError: naming ``source``: invalid YAML, a refused tag (``!!python/...``), or a
            limit exceeded.
    """
    loader = None
    try:
        loader = _LimitedLoader(text, source)  # the reader already refuses control characters here
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded(node, source)
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        if "tag" in str(exc.problem):
            raise ConfigError(
                f"{source}: {_at(exc.problem_mark)}refused YAML tag ({exc.problem}). Configs are loaded "
                "with yaml.safe_load; write plain values, not python objects.") from exc
        raise ConfigError(f"{source}: {_at(exc.problem_mark)}cannot build a value: {exc.problem}") from exc
    except yaml.MarkedYAMLError as exc:
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{source}: {_at(exc.problem_mark)}not valid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from exc
    finally:
        if loader is not None:
            loader.dispose()


def _at(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def read_config_text(path: str, limit: int = MAX_CONFIG_BYTES) -> str:
    """The file's text, refusing more than ``limit`` bytes before anything is parsed."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            raw = f.read(limit + 1)  # bounded even when the size lies (a pipe, /dev/zero)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    if len(raw) > limit:
        raise ConfigError(f"{path}: config is {max(size, len(raw)):,} bytes, more than the {limit:,}-byte "
                          "limit for configs")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a YAML config safely (size, nesting and alias limits) and check its sections.

    ``configs/...`` names that do not exist under the working directory are looked up in
    the shipped configs (``ppocr.resources.config_path``), so tools run from anywhere.
    """
    path = config_path(path)
    cfg = safe_load_text(read_config_text(path), path)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping of sections ({', '.join(SECTIONS)})")
    check_sections(cfg, path)
    return cfg


def check_sections(cfg: dict[str, Any], source: str = "config") -> None:
    for key in cfg:
        if key in UNUSED_TOP_LEVEL:
            logger.warning("%s: top-level %s is not used by ppocr", source, key)
            continue
        if key not in SECTIONS:
            match = difflib.get_close_matches(str(key), SECTIONS, n=1)
            hint = f" Did you mean '{match[0]}'?" if match else ""
            raise ConfigError(f"{source}: unknown section '{key}'. Valid: {', '.join(SECTIONS)}.{hint}")
    for key in cfg.get("Global") or {}:
        if key not in KNOWN_GLOBAL_KEYS:
            match = difflib.get_close_matches(str(key), KNOWN_GLOBAL_KEYS, n=1)
            hint = f" (did you mean '{match[0]}'?)" if match else ""
            logger.warning("%s: Global.%s is not used by ppocr%s", source, key, hint)


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``A.b.0.c=value`` on the first '='; the value is parsed as a YAML scalar/list."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like Section.key=value")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override '{item}' has an empty key")
    value = safe_load_text(raw, f"override '{item}'") if raw.strip() else ""
    return key.strip().split("."), value


def apply_overrides(cfg: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``cfg`` with ``-o`` overrides applied (list items by index)."""
    cfg = copy.deepcopy(cfg)
    for item in overrides:
        keys, value = parse_override(item)
        if keys[0] not in SECTIONS:
            raise ConfigError(f"override '{item}': unknown section '{keys[0]}'. Valid: {', '.join(SECTIONS)}")
        node: Any = cfg
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if isinstance(node, list):
                if not key.lstrip("-").isdigit() or not -len(node) <= int(key) < len(node):
                    raise ConfigError(f"override '{item}': '{key}' is not an index of a {len(node)}-item list")
                if last:
                    node[int(key)] = value
                else:
                    node = node[int(key)]
            elif isinstance(node, dict):
                if last:
                    node[key] = value
                else:
                    node = node.setdefault(key, {})
            else:
                path = ".".join(keys[:depth])
                raise ConfigError(f"override '{item}': {path} is a value ({node!r}), not a section")
    return cfg


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def parse_number(value: Any, key: str = "value") -> float:
    """Numbers such as ``1./255.`` that YAML leaves as strings, parsed without eval."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a number, got {value!r}")

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        raise ValueError

    try:
        return walk(ast.parse(value.strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"{key}: expected a number or arithmetic like 1./255., got {value!r}") from exc


def dump_config(cfg: dict[str, Any], path: str | os.PathLike[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, sort_keys=False, allow_unicode=True)
