"""Checkpoints (upstream PaddleOCR 2.x layout): save, resume, prune.

A checkpoint is a path prefix: ``output/rec/latest`` names ``latest.pdparams`` (model
state_dict), ``latest.pdopt`` (optimizer state_dict) and ``latest.states`` (a pickled
dict). The ``.states`` file keeps upstream's keys (``epoch`` = last finished epoch,
``global_step``, ``best_model_dict``), so upstream can resume from our checkpoints, and
adds ours under ``"ppocr"``: the trainer's position, LR schedule, RNG states, config,
versions and the size + sha256 of the weight files written with it.

Saving is atomic per file (temp name in the same folder, fsync, ``os.replace``) and the
``.states`` file is replaced last, so an interrupted save leaves either the old set or a
set whose hashes no longer match — which loading reports instead of resuming from it.
"""

from __future__ import annotations

import copy
import logging
import os
import pickle
import random
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import paddle

import ppocr
from ppocr.errors import ConfigError, DataError
from ppocr.weights.files import strip_ext, sync_and_digest, sync_dir, temp_path
from ppocr.weights.pretrained import first_names, match_state_dict, summarize

logger = logging.getLogger("ppocr")

EXTS = (".pdparams", ".pdopt", ".states")
FORMAT = 1
_NAME_TABLE = "StructuredToParameterName@@"


# ----------------------------------------------------------------------------- saving
def save_checkpoint(
    prefix: str,
    model: paddle.nn.Layer,
    optimizer: paddle.optimizer.Optimizer,
    lr_scheduler: paddle.optimizer.lr.LRScheduler | None,
    state: Mapping[str, Any],
) -> None:
    """Write ``prefix.pdparams``, ``prefix.pdopt`` and ``prefix.states`` atomically.

    Args:
        state: the trainer's position: ``epoch`` (the epoch to resume in, from 1),
            ``global_step``, optional ``step_in_epoch`` (iterations of ``epoch`` already
            done), ``best_metric`` (dict) and ``config``; other keys are kept as given.
            Values must be plain Python/numpy data.
    """
    state = _check_state(state)
    prefix = os.fspath(prefix)
    folder = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    temps: dict[str, str] = {}
    try:
        files: dict[str, dict[str, Any]] = {}
        for ext, obj in ((".pdparams", model.state_dict()), (".pdopt", optimizer.state_dict())):
            temps[ext] = temp_path(prefix + ext)
            paddle.save(obj, temps[ext])
            files[ext] = sync_and_digest(temps[ext])
        states = {
            "epoch": state["epoch"] - 1,  # upstream: the last finished epoch, resumes at +1
            "global_step": state["global_step"],
            "best_model_dict": state["best_metric"],
            "ppocr": {
                "format": FORMAT,
                "state": state,
                "lr_scheduler": _plain(lr_scheduler.state_dict(), "lr_scheduler") if lr_scheduler else None,
                "lr_scheduler_class": type(lr_scheduler).__name__ if lr_scheduler else None,
                "rng": _rng_state(),
                "versions": {"ppocr": ppocr.__version__, "paddle": paddle.__version__},
                "files": files,
            },
        }
        temps[".states"] = temp_path(prefix + ".states")
        with open(temps[".states"], "wb") as f:
            pickle.dump(states, f, protocol=2)
            f.flush()
            os.fsync(f.fileno())
        for ext in EXTS:  # .states last: it vouches for the other two
            os.replace(temps.pop(ext), prefix + ext)
        sync_dir(folder)
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
    return _plain(state, "state")


def _plain(obj: Any, where: str) -> Any:
    """A deep copy made of builtins only, so ``.states`` loads without arbitrary classes."""
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, paddle.Tensor) and obj.size == 1:
        return obj.item()
    if isinstance(obj, Mapping):
        return {k: _plain(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    raise ConfigError(f"checkpoint {where}: cannot store a {type(obj).__name__} (plain data only)")


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
    prefix = strip_ext(os.fspath(prefix))
    params_path = prefix + ".pdparams"
    if not os.path.isfile(params_path):
        raise DataError(f"checkpoint not found: {params_path} (Global.checkpoints is a prefix such "
                        f"as output/rec/latest)")
    raw = _read_states(prefix + ".states") if os.path.isfile(prefix + ".states") else None
    ours = raw["ppocr"] if isinstance(raw, dict) and isinstance(raw.get("ppocr"), dict) else None
    if ours is not None:
        _verify_files(prefix, ours.get("files") or {})

    params = paddle.load(params_path, keep_name_table=True)
    name_table = params.pop(_NAME_TABLE, None)
    report, new_state = match_state_dict(model, params)
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
        _set_rng_state(ours.get("rng") or {}, prefix)
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


def _verify_files(prefix: str, files: Mapping[str, Any]) -> None:
    for ext, info in files.items():
        path = prefix + ext
        if not os.path.isfile(path):
            raise DataError(f"{path} is missing but {prefix}.states lists it; the checkpoint is incomplete")
        size = os.path.getsize(path)
        if size != info.get("size"):
            raise DataError(f"{path} has {size} bytes but {prefix}.states recorded {info.get('size')}: "
                            f"the file is half-written or was replaced; resume from another checkpoint")
        digest = sync_and_digest(path)["sha256"]
        if digest != info.get("sha256"):
            raise DataError(f"{path}: sha256 differs from the one recorded in {prefix}.states: the file "
                            f"is corrupt or was replaced; resume from another checkpoint")


def _load_optimizer(prefix: str, optimizer: Any, name_table: Any, model: paddle.nn.Layer,
                    ours: dict[str, Any] | None) -> None:
    path = prefix + ".pdopt"
    if not os.path.isfile(path):
        logger.warning("%s not found: the optimizer starts afresh", path)
        return
    opt_state = _rename_optimizer_state(paddle.load(path), name_table, model, optimizer)
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


_ALLOWED_GLOBALS = {
    ("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "complex",
                              "bool", "str", "bytes", "bytearray")
} | {("collections", "OrderedDict"), ("_codecs", "encode"), ("numpy", "ndarray"), ("numpy", "dtype")} | {
    (mod, n) for mod in ("numpy.core.multiarray", "numpy._core.multiarray") for n in ("_reconstruct", "scalar")
}


class _StatesUnpickler(pickle.Unpickler):
    """Loads ``.states`` holding plain data and numpy values, refusing any other class."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}")
        return super().find_class(module, name)


def _read_states(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            return _StatesUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(f"{path} is not a readable checkpoint states file: {exc}") from exc


# ----------------------------------------------------------------------------- RNG
def _rng_state() -> dict[str, Any]:
    kind = paddle.device.get_device().split(":")[0]
    np_state = np.random.get_state()
    return {
        "python": _plain(random.getstate(), "rng.python"),
        "numpy": [np_state[0], np_state[1].tolist(), *(_plain(v, "rng.numpy") for v in np_state[2:])],
        "paddle_cpu": [s.__getstate__() for s in paddle.get_rng_state("cpu")],
        "paddle_device": kind,
        "paddle_device_states": (
            None if kind == "cpu" else [s.__getstate__() for s in paddle.get_rng_state(kind)]),
    }


def _generator_states(raw: list) -> list:
    states = []
    for item in raw:
        state = paddle.base.core.GeneratorState.__new__(paddle.base.core.GeneratorState)
        state.__setstate__(tuple(item))
        states.append(state)
    return states


def _set_rng_state(rng: Mapping[str, Any], where: str) -> None:
    if not rng:
        return
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, *rest = rng["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), *rest))
    paddle.set_rng_state(_generator_states(rng["paddle_cpu"]), "cpu")
    kind = paddle.device.get_device().split(":")[0]
    saved = rng.get("paddle_device_states")
    if kind == "cpu" or saved is None:
        if kind != rng.get("paddle_device", "cpu"):
            logger.warning("%s: saved on %s, resumed on %s; device RNG not restored",
                           where, rng.get("paddle_device"), kind)
        return
    if kind != rng.get("paddle_device") or len(saved) != len(paddle.get_rng_state(kind)):
        logger.warning("%s: device RNG saved for %d %s device(s) does not fit this machine; not restored",
                       where, len(saved), rng.get("paddle_device"))
        return
    paddle.set_rng_state(_generator_states(saved), kind)


# ----------------------------------------------------------------------------- pruning
def prune_checkpoints(save_dir: str, prefix: str = "iter_epoch_", keep: int = 3) -> list[str]:
    """Delete all but the ``keep`` newest ``{prefix}N`` sets (by N); ``keep <= 0`` keeps all.

    Each set's ``.states`` goes first so a half-pruned set never looks valid.

    Returns:
        The removed prefixes, oldest first.
    """
    if keep <= 0 or not os.path.isdir(save_dir):
        return []
    pattern = re.compile(re.escape(prefix) + r"(\d+)(" + "|".join(re.escape(e) for e in EXTS) + r")$")
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
