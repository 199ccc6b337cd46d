"""Checkpoints (upstream PaddleOCR 2.x layout): save, resume, prune.

A checkpoint is a path prefix: ``output/rec/latest`` names ``latest.pdparams`` (model
state_dict), ``latest.pdopt`` (optimizer state_dict) and ``latest.states`` (a pickled
dict). The ``.states`` file keeps upstream's keys (``epoch`` = last finished epoch,
``global_step``, ``best_model_dict``), so upstream can resume from our checkpoints, and
adds ours under ``"ppocr"``: the trainer's position, LR schedule, RNG states, config,
versions and the size + sha256 of the weight files written with it.

A save commits the files as one set (``checkpoint_set``: temp files, a ``prefix.saving``
marker, the previous set kept as ``prefix.prev`` until ``.states`` lands), so a kill leaves
either a whole set or one that loading refuses, naming the set to use instead. Every file
is read without executing code (``ppocr.weights.safe_pickle``). ``Global.save_format:
safetensors`` writes the model as ``prefix.safetensors``; loading finds either.
"""

from __future__ import annotations

import copy
import logging
import os
import pickle
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import paddle

import ppocr
from ppocr.engine.checkpoint_set import (
    SAVING_SUFFIX,
    STATES_EXT,
    check_committed,
    commit_set,
    remove_orphan_temps,
)
from ppocr.engine.plain_data import plain
from ppocr.engine.rng_state import rng_state, set_rng_state
from ppocr.errors import ConfigError, DataError
from ppocr.weights.files import sync_and_digest, temp_path
from ppocr.weights.pretrained import first_names, match_state_dict, summarize
from ppocr.weights.safe_pickle import safe_load_pickle
from ppocr.weights.state_dict_io import (
    NAME_TABLE,
    SAFETENSORS_EXT,
    find_weights_file,
    read_state_dict,
    save_safetensors,
    strip_weights_ext,
)

logger = logging.getLogger("ppocr")

EXTS = (".pdparams", ".safetensors", ".pdopt", ".states")
FORMAT = 1
WEIGHTS_FORMATS = {"pdparams": ".pdparams", "safetensors": SAFETENSORS_EXT}


# ----------------------------------------------------------------------------- saving
def save_checkpoint(
    prefix: str,
    model: paddle.nn.Layer,
    optimizer: paddle.optimizer.Optimizer,
    lr_scheduler: paddle.optimizer.lr.LRScheduler | None,
    state: Mapping[str, Any],
    weights_format: str = "pdparams",
) -> None:
    """Write ``prefix.pdparams`` (or ``.safetensors``), ``prefix.pdopt`` and ``prefix.states`` as one set.

    The set commits atomically (``checkpoint_set``): a kill at any point leaves the previous
    set loadable and the interrupted one refused, never a mix.

    Args:
        state: the trainer's position: ``epoch`` (the epoch to resume in, from 1),
            ``global_step``, optional ``step_in_epoch`` (iterations of ``epoch`` already
            done), ``best_metric`` (dict) and ``config``; other keys are kept as given.
            Values must be plain Python/numpy data.
        weights_format: ``pdparams`` (upstream's pickle) or ``safetensors`` for the model file.
    """
    if weights_format not in WEIGHTS_FORMATS:
        raise ConfigError(f"Global.save_format must be one of {list(WEIGHTS_FORMATS)}, got {weights_format!r}")
    state = _check_state(state)
    prefix = os.fspath(prefix)
    folder = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    remove_orphan_temps(prefix)
    temps: dict[str, str] = {}
    try:
        files: dict[str, dict[str, Any]] = {}
        model_state = model.state_dict()
        if weights_format == "safetensors":
            model_state = {k: v.numpy() for k, v in model_state.items()}
        for ext, obj in ((WEIGHTS_FORMATS[weights_format], model_state), (".pdopt", optimizer.state_dict())):
            temps[ext] = temp_path(prefix + ext)
            if ext == SAFETENSORS_EXT:
                save_safetensors(obj, temps[ext])
            else:
                paddle.save(obj, temps[ext])
            files[ext] = sync_and_digest(temps[ext])
        states = {
            "epoch": state["epoch"] - 1,  # upstream: the last finished epoch, resumes at +1
            "global_step": state["global_step"],
            "best_model_dict": state["best_metric"],
            "ppocr": {
                "format": FORMAT,
                "state": state,
                "lr_scheduler": plain(lr_scheduler.state_dict(), "lr_scheduler") if lr_scheduler else None,
                "lr_scheduler_class": type(lr_scheduler).__name__ if lr_scheduler else None,
                "rng": rng_state(),
                "versions": {"ppocr": ppocr.__version__, "paddle": paddle.__version__},
                "files": files,
            },
        }
        temps[".states"] = temp_path(prefix + ".states")
        with open(temps[".states"], "wb") as f:
            pickle.dump(states, f, protocol=2)
            f.flush()
            os.fsync(f.fileno())
        commit_set(prefix, temps)
        temps.clear()
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.remove(tmp)


def _check_state(state: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(state, Mapping):
        raise ConfigError(f"checkpoint state must be a dict, got {type(state).__name__}")
    state = dict(state)
    for key, low in (("epoch", 1), ("global_step", 0), ("step_in_epoch", 0)):
        value = state.setdefault(key, 0) if key == "step_in_epoch" else state.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"checkpoint state['{key}'] must be an int >= {low}, got {value!r}")
        state[key] = int(value)
    state.setdefault("best_metric", {})
    state.setdefault("config", None)
    if not isinstance(state["best_metric"], Mapping):
        raise ConfigError(f"checkpoint state['best_metric'] must be a dict, got {state['best_metric']!r}")
    return plain(state, "state")


# ----------------------------------------------------------------------------- loading
def load_checkpoint(
    prefix: str,
    model: paddle.nn.Layer,
    optimizer: paddle.optimizer.Optimizer | None = None,
    lr_scheduler: paddle.optimizer.lr.LRScheduler | None = None,
) -> dict[str, Any]:
    """Restore model, optimizer, LR schedule and RNG from a checkpoint; return the state.

    Reads our checkpoints (files verified against the sizes/hashes in ``.states``) and
    upstream ones (``.states`` with ``epoch``/``best_model_dict``, or none at all): for
    those the state resumes at ``epoch + 1``, step 0, and ``source`` is ``"upstream"``.
    The model must match the checkpoint exactly (use ``load_pretrained_weights`` to
    start from other weights).

    Returns:
        ``epoch`` (to resume in), ``step_in_epoch``, ``global_step``, ``best_metric``,
        ``config`` and any other key the trainer saved, plus ``source``.
    """
    prefix = strip_weights_ext(os.fspath(prefix))
    ours, raw = read_committed_states(prefix)
    params_path = find_weights_file(prefix)
    if params_path is None:
        raise DataError(f"checkpoint not found: {prefix}.pdparams (Global.checkpoints is a prefix such "
                        f"as output/rec/latest)")
    params = read_state_dict(params_path, "checkpoint weights")
    name_table = params.pop(NAME_TABLE, None)
    report, new_state = match_state_dict(model, params, params_path)
    if report["missing"] or report["unexpected"] or report["shape_mismatch"]:
        raise DataError(f"{params_path} does not fit this model: {summarize(report)}. A checkpoint resumes "
                        f"the same architecture; use Global.pretrained_model to start from other weights")
    model.set_state_dict(new_state)

    if optimizer is not None:
        _load_optimizer(prefix, optimizer, name_table, model, ours)
    if ours is not None:
        if lr_scheduler is not None and ours.get("lr_scheduler") is not None:
            if ours.get("lr_scheduler_class") == type(lr_scheduler).__name__:
                lr_scheduler.set_state_dict(copy.deepcopy(ours["lr_scheduler"]))
            else:
                logger.warning("%s: LR schedule was %s, now %s; the schedule starts afresh",
                               prefix, ours.get("lr_scheduler_class"), type(lr_scheduler).__name__)
        set_rng_state(ours.get("rng") or {}, prefix)
        state = dict(ours["state"])
        state["source"] = "ppocr"
        return state
    raw = raw if isinstance(raw, dict) else {}
    if not raw:
        logger.warning("%s.states missing: resuming at epoch 1 with fresh metrics", prefix)
    best = raw.get("best_model_dict")
    return {
        "epoch": int(raw["epoch"]) + 1 if "epoch" in raw else 1,
        "step_in_epoch": 0,
        "global_step": int(raw.get("global_step", 0)),
        "best_metric": dict(best) if isinstance(best, Mapping) else {},
        "config": None,
        "source": "upstream",
    }


def _load_optimizer(prefix: str, optimizer: Any, name_table: Any, model: paddle.nn.Layer,
                    ours: dict[str, Any] | None) -> None:
    path = prefix + ".pdopt"
    if not os.path.isfile(path):
        logger.warning("%s not found: the optimizer starts afresh", path)
        return
    opt_state = _rename_optimizer_state(read_state_dict(path, "optimizer state"), name_table, model,
                                        optimizer)
    own_lr = getattr(optimizer, "_learning_rate", None)
    if isinstance(own_lr, paddle.optimizer.lr.LRScheduler):
        saved_class = ours.get("lr_scheduler_class") if ours else None
        if "LR_Scheduler" not in opt_state or (saved_class and saved_class != type(own_lr).__name__):
            opt_state["LR_Scheduler"] = own_lr.state_dict()  # keep the current schedule as it is
    try:
        optimizer.set_state_dict(opt_state)
    except (AssertionError, RuntimeError, KeyError, ValueError) as exc:
        raise DataError(f"{path} does not fit this optimizer ({type(optimizer).__name__}): {exc}") from exc


def _rename_optimizer_state(opt_state: dict[str, Any], name_table: Any, model: paddle.nn.Layer,
                            optimizer: Any) -> dict[str, Any]:
    """Key the saved accumulators by the names this optimizer will look them up under.

    Paddle keys optimizer state by ``param.name`` plus a unique-name counter
    (``linear_3.w_0_moment1_0``); both depend on construction order and on what the
    process built before. The ``.pdparams`` name table maps structured names to the saved
    parameter names, so each accumulator is renamed to this model's parameter and, when
    the accumulators are not created yet (the usual resume), to the counter Paddle's
    unique-name generator will hand out next.
    """
    if not isinstance(name_table, Mapping):
        return dict(opt_state)
    current = {key: param.name for key, param in model.named_parameters()}
    rename = {old: current[key] for key, old in name_table.items() if key in current}
    ids = getattr(paddle.base.unique_name.generator, "ids", None)
    if getattr(optimizer, "_accumulators", None) or not isinstance(ids, Mapping):
        ids = None
    olds = sorted(set(name_table.values()), key=len, reverse=True)
    out: dict[str, Any] = {}
    for key, value in opt_state.items():
        if key == "master_weights" and isinstance(value, Mapping):
            out[key] = {rename.get(k, k): v for k, v in value.items()}
            continue
        new_key = key
        for old in olds:
            if key.startswith(old + "_"):
                new_name = rename.get(old, old)
                acc, _, counter = key[len(old) + 1:].rpartition("_")
                if ids is not None and acc and counter.isdigit():
                    new_key = f"{new_name}_{acc}_{ids.get(f'{new_name}_{acc}', 0)}"
                else:
                    new_key = new_name + key[len(old):]
                break
        out[new_key] = value
    return out


def read_committed_states(prefix: str) -> tuple[dict[str, Any] | None, Any]:
    """``(ours, raw)`` of the set at ``prefix`` after refusing an interrupted or corrupt set.

    ``raw`` is the unpickled ``.states`` (``None`` without one); ``ours`` its ``"ppocr"`` part
    (``None`` for upstream's). Our files are checked against the recorded hashes.
    """
    path = prefix + STATES_EXT
    raw = safe_load_pickle(path, "checkpoint states file") if os.path.isfile(path) else None
    ours = raw["ppocr"] if isinstance(raw, dict) and isinstance(raw.get("ppocr"), dict) else None
    check_committed(prefix, ours)
    return ours, raw


# ----------------------------------------------------------------------------- pruning
def prune_checkpoints(save_dir: str, prefix: str = "iter_epoch_", keep: int = 3) -> list[str]:
    """Delete all but the ``keep`` newest ``{prefix}N`` sets (by N); ``keep <= 0`` keeps all.

    Each set's ``.states`` goes first so a half-pruned set never looks valid.

    Returns:
        The removed prefixes, oldest first.
    """
    if keep <= 0 or not os.path.isdir(save_dir):
        return []
    pattern = re.compile(re.escape(prefix) + r"(\d+)(" + "|".join(re.escape(e) for e in (*EXTS, SAVING_SUFFIX)) + r")$")
    sets: dict[int, list[str]] = {}
    for name in os.listdir(save_dir):
        match = pattern.fullmatch(name)
        if match:
            sets.setdefault(int(match.group(1)), []).append(name)
    removed = []
    for number in sorted(sets)[:-keep]:
        for name in sorted(sets[number], key=lambda n: not n.endswith(".states")):
            os.remove(os.path.join(save_dir, name))
        removed.append(os.path.join(save_dir, f"{prefix}{number}"))
    if removed:
        logger.info("pruned %d old checkpoint(s): %s", len(removed), first_names(removed))
    return removed
