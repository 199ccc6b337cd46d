"""PP-OCRv2's tricks one at a time under one budget, behind tools/ablation.py.

Each variant (the baseline, then the baseline plus one trick) trains the same number
of steps, on the same data, from the same seed, then is evaluated on its Eval set (a
distillation model by its ``Metric.key`` sub-model, the Student). CML needs a trained
teacher: the task's teacher config is trained first under the same budget, its time is
reported on its own row, and its weights become the frozen ``Teacher``'s.

The LR schedule spans ``ceil(steps / steps_per_epoch)`` epochs for every variant (the
trainer schedules whole epochs); training stops after ``steps`` steps.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ppocr.config import apply_overrides, load_config
from ppocr.errors import ConfigError
from ppocr.utils.logging import get_logger

__all__ = ["TEACHERS", "VARIANTS", "Variant", "format_markdown", "run_ablation", "smoke_config",
           "train_and_evaluate", "write_report"]

DEFAULT_SEED = 1024
# Dataset keys that choose which samples are read (transform settings such as CopyPaste's
# ext_op_transform_idx may differ between variants).
DATA_KEYS = ("name", "data_dir", "label_file_list", "ratio_list")


@dataclass(frozen=True)
class Variant:
    """One row of the ablation.

    Args:
        task: ``det`` or ``rec``.
        name: shown in the table (``student``, ``+UDML``...).
        config: config path (relative to the working directory).
        teacher: sub-model whose ``pretrained`` becomes the task's trained teacher (CML).
    """

    task: str
    name: str
    config: str
    teacher: str | None = None


VARIANTS: dict[str, list[Variant]] = {
    "det": [
        Variant("det", "student", "configs/det/demo/det_student_demo.yml"),
        Variant("det", "+CopyPaste", "configs/det/demo/det_copypaste_demo.yml"),
        Variant("det", "+DML", "configs/det/demo/det_dml_demo.yml"),
        Variant("det", "+CML", "configs/det/demo/det_cml_demo.yml", teacher="Teacher"),
    ],
    "rec": [
        Variant("rec", "student", "configs/rec/demo/rec_student_demo.yml"),
        # control: the student with the tricks' extra fc layer (mid_channels), plain CTC
        Variant("rec", "student + fc", "configs/rec/demo/rec_student_mid_demo.yml"),
        Variant("rec", "+UDML", "configs/rec/demo/rec_udml_demo.yml"),
        Variant("rec", "+Enhanced CTC", "configs/rec/demo/rec_enhanced_ctc_demo.yml"),
    ],
}
TEACHERS: dict[str, str] = {"det": "configs/det/demo/det_teacher_demo.yml"}

ConfigLoader = Callable[[str], dict[str, Any]]


def train_and_evaluate(config: dict[str, Any], steps: int,
                       epoch_cache: dict[str, int] | None = None) -> dict[str, Any]:
    """Train ``steps`` steps (schedule over whole epochs covering them), then evaluate once.

    ``epoch_cache`` remembers the steps per epoch of each Train data + batch size, so that
    later variants are built with the right ``epoch_num`` at once instead of twice.
    """
    from ppocr.engine.evaluator import evaluate
    from ppocr.engine.trainer import Trainer
    from ppocr.synth.from_config import ensure_synth_data

    ensure_synth_data(config)
    epoch_cache = {} if epoch_cache is None else epoch_cache
    key = _train_data_key(config)
    if key in epoch_cache:
        config["Global"]["epoch_num"] = math.ceil(steps / epoch_cache[key])
    trainer = Trainer(config)
    epoch_cache[key] = trainer.steps_per_epoch
    epochs = math.ceil(steps / trainer.steps_per_epoch)
    if epochs != trainer.epoch_num:  # the schedule must span the budget: rebuild with the right length
        _detach_log(config["Global"]["save_model_dir"])
        config["Global"]["epoch_num"] = epochs
        trainer = Trainer(config)
    try:
        summary = trainer.train(stop_after_steps=steps)
        result = evaluate(trainer.model, trainer.eval_loader, trainer.post_process, trainer.metric,
                          show_progress=False)
    finally:
        _detach_log(config["Global"]["save_model_dir"])
    indicator = trainer.metric.main_indicator
    if indicator not in result:
        raise ConfigError(f"the metric reported no '{indicator}' (Metric.main_indicator); got {sorted(result)}")
    return {"metric": indicator, "value": float(result[indicator]),
            "figures": other_figures(result, indicator), "train_seconds": round(summary["seconds"], 1),
            "steps": summary["steps_this_run"], "epochs_scheduled": epochs,
            "evaluated": result["evaluated"], "total": result["total"], "eval_seconds": result["eval_seconds"]}


def other_figures(result: dict[str, Any], indicator: str) -> dict[str, float]:
    """The metric's figures besides the main one (e.g. ``norm_edit_dis``, a Teacher's ``acc``)."""
    skip = {indicator, "evaluated", "total", "unscorable", "eval_seconds"}
    return {k: round(float(v), 4) for k, v in result.items()
            if k not in skip and isinstance(v, (int, float)) and not isinstance(v, bool)}


def smoke_config(config: dict[str, Any], data_root: str, num_train: int = 8, num_val: int = 4,
                 batch_size: int = 2) -> dict[str, Any]:
    """A copy of a ``Global.synth_data`` config on a tiny synthetic set under ``data_root``.

    For a quick end-to-end check (``--smoke``): the dataset paths under the config's
    ``synth_data.out_dir`` move to ``data_root/<kind>``, loaders use at most
    ``batch_size`` samples per batch and no worker processes. Its numbers mean nothing.
    """
    config = copy.deepcopy(config)
    spec = (config.get("Global") or {}).get("synth_data")
    if not isinstance(spec, dict) or not spec.get("out_dir") or not spec.get("kind"):
        raise ConfigError("smoke runs need configs with Global.synth_data (kind, out_dir); this one has none")
    old = os.path.normpath(spec["out_dir"])
    new = os.path.join(data_root, str(spec["kind"]))

    def move(value: Any) -> Any:
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, str) and (os.path.normpath(value) + os.sep).startswith(old + os.sep):
            return os.path.join(new, os.path.relpath(os.path.normpath(value), old))
        return value

    spec.update({"out_dir": new, "num_train": num_train, "num_val": num_val})
    for section in ("Train", "Eval"):
        dataset = config[section]["dataset"]
        for key in ("data_dir", "label_file_list"):
            if key in dataset:
                dataset[key] = move(dataset[key])
        loader = config[section].setdefault("loader", {})
        loader["batch_size_per_card"] = min(int(loader.get("batch_size_per_card", batch_size)), batch_size)
        loader["num_workers"] = 0
    return config


def _data_of(config: dict[str, Any], section: str) -> dict[str, Any]:
    """The ``DATA_KEYS`` of a section's dataset: which samples it reads."""
    return {k: v for k, v in ((config.get(section) or {}).get("dataset") or {}).items() if k in DATA_KEYS}


def _train_data_key(config: dict[str, Any]) -> str:
    loader_cfg = (config.get("Train") or {}).get("loader") or {}
    loader = {k: loader_cfg.get(k) for k in ("batch_size_per_card", "drop_last")}
    return repr(((config.get("Global") or {}).get("synth_data"), _data_of(config, "Train"), loader))


def prepare(config: dict[str, Any], save_dir: str, seed: int) -> dict[str, Any]:
    """The variant's config for the ablation: own output folder, no mid-training eval or resume."""
    config = copy.deepcopy(config)
    g = config.setdefault("Global", {})
    g.update({"save_model_dir": save_dir, "eval_batch_step": [0, 0], "checkpoints": None,
              "pretrained_model": None, "seed": seed, "save_epoch_step": 10**6})
    return config


def same_data(task: str, configs: dict[str, dict[str, Any]]) -> None:
    """Every variant of a task must read the same data (augmentation is the trick's business)."""
    def data_of(cfg: dict[str, Any]) -> tuple:
        sections = [_data_of(cfg, s) for s in ("Train", "Eval")]
        return (repr((cfg.get("Global") or {}).get("synth_data")), repr(sections))

    items = list(configs.items())
    first_name, first = items[0]
    for name, cfg in items[1:]:
        if data_of(cfg) != data_of(first):
            raise ConfigError(f"ablation {task}: '{name}' reads other data than '{first_name}' "
                              "(Global.synth_data or Train/Eval dataset differ); a fair ablation needs the same data")


def run_ablation(tasks: Iterable[str], steps: int, work_dir: str, seed: int = DEFAULT_SEED,
                 overrides: Iterable[str] = (), load: ConfigLoader = load_config,
                 variants: dict[str, list[Variant]] | None = None,
                 teachers: dict[str, str] | None = None,
                 only: Iterable[str] | None = None,
                 on_row: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Train and evaluate every variant of ``tasks``; returns the rows (teachers included).

    Args:
        tasks: ``det`` and/or ``rec``.
        steps: training steps for every variant (and teacher).
        work_dir: outputs go to ``work_dir/<task>/<variant>``.
        seed: ``Global.seed`` of every run.
        overrides: ``-o`` overrides applied to every config (e.g. ``Global.use_gpu=true``).
        load: path -> config (tests shrink the demo configs through it).
        variants, teachers: default ``VARIANTS`` / ``TEACHERS``.
        only: variant names to run (e.g. ``+CML``; others of the task are skipped, and the
            teacher is trained only when a chosen variant needs it). Lets the rows of one
            table run in separate processes, one per core.
        on_row: called with each row as soon as it is measured (the CLI writes the table then,
            so an interrupted run keeps the rows it finished).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"--steps must be a positive integer, got {steps!r}")
    variants = VARIANTS if variants is None else variants
    teachers = TEACHERS if teachers is None else teachers
    logger = get_logger()
    overrides = list(overrides)
    rows: list[dict[str, Any]] = []
    epoch_cache: dict[str, int] = {}
    tasks = list(tasks)
    for task in tasks:
        if task not in variants:
            raise ConfigError(f"unknown ablation task {task!r}; one of {', '.join(variants)}")
    chosen = _choose(tasks, variants, only)
    for task in tasks:
        configs = {v.name: apply_overrides(load(v.config), overrides) for v in variants[task]}
        same_data(task, configs)
        todo = [v for v in variants[task] if v.name in chosen]
        teacher_weights = None
        if any(v.teacher for v in todo):
            if task not in teachers:
                raise ConfigError(f"ablation {task}: a variant needs a teacher but no teacher config is set")
            save_dir = os.path.join(work_dir, task, "teacher")
            cfg = prepare(apply_overrides(load(teachers[task]), overrides), save_dir, seed)
            logger.info("ablation %s: training the teacher (%s) for %d steps", task, teachers[task], steps)
            _add(rows, _row(task, "teacher (for CML)", teachers[task], "teacher",
                            train_and_evaluate(cfg, steps, epoch_cache)), on_row)
            teacher_weights = os.path.join(save_dir, "latest")
        for variant in todo:
            save_dir = os.path.join(work_dir, task, _slug(variant.name))
            cfg = prepare(configs[variant.name], save_dir, seed)
            if variant.teacher:
                _set_teacher(cfg, variant, teacher_weights)
            logger.info("ablation %s: training %s (%s) for %d steps", task, variant.name, variant.config, steps)
            _add(rows, _row(task, variant.name, variant.config, "variant",
                            train_and_evaluate(cfg, steps, epoch_cache)), on_row)
    return rows


def _add(rows: list[dict[str, Any]], row: dict[str, Any],
         on_row: Callable[[dict[str, Any]], None] | None) -> None:
    others = _figures_text(row["figures"])
    get_logger().info("ablation %s %s: %s %.4f (%s) after %d steps, %.1f s of training", row["task"],
                      row["variant"], row["metric"], row["value"], others or "-", row["steps"], row["train_seconds"])
    rows.append(row)
    if on_row is not None:
        on_row(row)


def _choose(tasks: list[str], variants: dict[str, list[Variant]], only: Iterable[str] | None) -> set[str]:
    names = [v.name for task in tasks for v in variants[task]]
    if only is None:
        return set(names)
    chosen = set(only)
    unknown = sorted(chosen - set(names))
    if unknown or not chosen:
        raise ConfigError(f"ablation: no variant named {', '.join(map(repr, unknown)) or '(none given)'} in "
                          f"{'/'.join(tasks)}; variants: {', '.join(names)}")
    return chosen


def _set_teacher(config: dict[str, Any], variant: Variant, weights: str | None) -> None:
    models = (config.get("Architecture") or {}).get("Models") or {}
    if variant.teacher not in models:
        raise ConfigError(f"{variant.config}: Architecture.Models has no '{variant.teacher}' to load the "
                          f"trained teacher into (has: {', '.join(models) or 'none'})")
    models[variant.teacher]["pretrained"] = weights


def _row(task: str, name: str, config: str, role: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"task": task, "variant": name, "role": role, "config": config,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **result}


def _figures_text(figures: dict[str, float] | None) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in (figures or {}).items())


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "variant"


def _detach_log(save_dir: str) -> None:
    """Close the train.log handler a Trainer added, so the next variant's log stays its own."""
    logger = get_logger()
    folder = os.path.abspath(save_dir)
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler) and os.path.dirname(handler.baseFilename) == folder:
            logger.removeHandler(handler)
            handler.close()


def _row_order(row: dict[str, Any]) -> tuple[str, int]:
    names = [v.name for v in VARIANTS.get(row.get("task", ""), [])]
    if row.get("role") == "teacher":
        return row.get("task", ""), -1
    return row.get("task", ""), names.index(row["variant"]) if row.get("variant") in names else len(names)


KEEP_MARKER = "<!-- hand-written notes below this line are kept when tools/ablation.py rewrites the file -->"

NOTES = """\
How to read it:
- Every row trains the same number of steps on the same data from the same seed
  (`Global.seed`); the LR schedule spans the whole epochs covering the budget and training
  stops after the budget. One seed and a small Eval set: differences of a point or two are noise.
- Distillation variants are scored on their `Metric.key` sub-model (the Student); their
  wall time includes the other sub-model(s) they train alongside.
- `student + fc` is a control, not a trick: the baseline plus the extra fc layer
  (`mid_channels: 96`) that the +UDML and +Enhanced CTC heads have, trained with plain CTC.
- `+UDML` trains two copies of the baseline network (Teacher, Student) with CTC + DML + L2 feature distance; as in
  PP-OCRv2, its heads have `mid_channels` (an extra fc layer the baseline lacks).
- `+Enhanced CTC` adds CenterLoss (weight 0.05) on the head's fc1 features. Its centers start
  random (no center file), upstream's default; for a second stage export centers from the
  trained model with `tools/export_center.py` and set `CenterLoss.center_file_path`.
- `+CML` trains two students with DML and distils a frozen teacher; the teacher is trained
  first under the same budget (its own row, time not counted in the CML row).
- The data are not tuned for any trick; the configs are the `configs/*/demo/` ones.
"""


def format_markdown(rows: list[dict[str, Any]]) -> str:
    """The ablation table (one row per run, teachers marked) plus how to read it."""
    lines = ["# PP-OCRv2 tricks: ablation on the CPU demos", "",
             "Written by `tools/ablation.py`; rerun it to refresh (rows of tasks not rerun are kept).", ""]
    for cmd in sorted({r.get("command", "") for r in rows if r.get("command")}):
        lines += ["```", cmd, "```"]
    lines += ["", "| task | variant | metric | value | train wall time (s) | steps | other figures |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        name = f"*{r['variant']}*" if r.get("role") == "teacher" else r["variant"]
        others = _figures_text(r.get("figures"))
        lines.append(f"| {r['task']} | {name} | {r['metric']} | {r['value']:.4f} | "
                     f"{r['train_seconds']:.1f} | {r['steps']} | {others} |")
    lines += ["", "Evaluated samples, config and date of each row are in the JSON next to this file.", "",
              NOTES]
    return "\n".join(lines)


def write_report(rows: list[dict[str, Any]], out_md: str, command: str) -> tuple[str, str]:
    """Write ``out_md`` and its ``.json``; earlier rows of the same task and variant are replaced, others kept.

    Rows are ordered by task, then teacher first and variants in ``VARIANTS`` order.
    Hand-written text after ``KEEP_MARKER`` in an existing ``out_md`` is kept.
    """
    json_path = os.path.splitext(out_md)[0] + ".json"
    rows = [{**r, "command": command} for r in rows]
    rerun = {(r["task"], r["variant"]) for r in rows}
    kept: list[dict[str, Any]] = []
    if os.path.isfile(json_path):
        with open(json_path, encoding="utf-8") as f:
            try:
                kept = [r for r in json.load(f).get("rows", []) if (r.get("task"), r.get("variant")) not in rerun]
            except (json.JSONDecodeError, AttributeError):
                get_logger().warning("%s is not an ablation report; rewriting it", json_path)
    all_rows = sorted(kept + rows, key=_row_order)
    notes = ""
    if os.path.isfile(out_md):
        with open(out_md, encoding="utf-8") as f:
            old = f.read()
        if KEEP_MARKER in old:
            notes = old[old.index(KEEP_MARKER):]
    os.makedirs(os.path.dirname(os.path.abspath(out_md)), exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump({"rows": all_rows}, f, indent=2)
        f.write("\n")
    with open(out_md, "w", encoding="utf-8") as f:
        f.write(format_markdown(all_rows) + ("\n" + notes if notes else ""))
    return out_md, json_path
