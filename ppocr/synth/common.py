"""What the rec/det/cls dataset makers share: per-sample seeding, the split-writing loop, and the
make/ensure skeleton (``synthesize``) that each kind feeds with a ``KindPlan``."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ppocr.errors import ConfigError
from ppocr.synth.effects import encode_jpeg, random_jpeg_quality
from ppocr.synth.writers import SplitWriter, atomic_dir, is_current
from ppocr.utils.logging import get_logger

# Bump when the renderer's output changes: ensure_* then rebuilds datasets made by older code.
SYNTH_VERSION = 1
KIND_CODES = {"rec": 1, "det": 2, "cls": 3, "preview": 9}
SPLITS = ("train", "val")

SampleFn = Callable[[str, int], tuple[bytes, str]]
# (sample generator, split, index) -> (RGB uint8 image [H, W, 3], label column of label.txt)
RenderFn = Callable[[np.random.Generator, str, int], tuple[np.ndarray, str]]


def sample_rng(seed: int, kind: str, split: str, index: int) -> np.random.Generator:
    """The generator of one sample: a function of (seed, kind, split, index) only.

    Sample ``i`` is therefore the same whatever the dataset size, order or worker count.
    """
    return np.random.default_rng([int(seed), KIND_CODES[kind], SPLITS.index(split), int(index)])


def charset_digest(chars: str) -> str:
    """Short hash naming a charset in ``params.json`` (dataset depends on content, not path)."""
    return hashlib.sha256(chars.encode("utf-8")).hexdigest()[:16]


def check_counts(num_train: int, num_val: int) -> None:
    for key, value in (("num_train", num_train), ("num_val", num_val)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{key}: expected an integer >= 0, got {value!r}")
    if num_train + num_val == 0:
        raise ConfigError("num_train + num_val is 0: nothing to generate")


def summary(out_dir: str | Path, params: dict[str, Any], created: bool, lmdb: bool) -> dict[str, Any]:
    """Paths and counts of a dataset: what callers (configs, quick start) need to point at it."""
    out = Path(out_dir)
    info: dict[str, Any] = {"out_dir": str(out), "created": created, "params": params}
    for split in SPLITS:
        info[f"{split}_dir"] = str(out / split)
        info[f"{split}_label_file"] = str(out / split / "label.txt")
        info[f"num_{split}"] = params[f"num_{split}"]
        if lmdb:
            info[f"{split}_lmdb"] = str(out / f"{split}_lmdb")
    return info


def write_splits(
    out_dir: str | Path, params: dict[str, Any], make_sample: SampleFn, lmdb: bool
) -> dict[str, Any]:
    """Generate both splits into a temp dir and swap it in; returns ``summary`` plus speed."""
    counts = {split: int(params[f"num_{split}"]) for split in SPLITS}
    width = max(6, len(str(max(counts.values()))))
    start = time.perf_counter()
    with atomic_dir(out_dir, params) as tmp:
        for split in SPLITS:
            lmdb_dir = tmp / f"{split}_lmdb" if lmdb else None
            with SplitWriter(tmp / split, lmdb_dir) as writer:
                for i in range(counts[split]):
                    jpeg, label = make_sample(split, i)
                    writer.add(f"{i:0{width}d}", jpeg, label)
    seconds = time.perf_counter() - start
    info = summary(out_dir, params, created=True, lmdb=lmdb)
    total = sum(counts.values())
    info["seconds"] = round(seconds, 3)
    info["samples_per_second"] = round(total / max(seconds, 1e-9), 1)
    get_logger().info(
        "synthesized %s dataset %s: %d train + %d val in %.1fs (%.0f samples/s)",
        params["kind"],
        out_dir,
        counts["train"],
        counts["val"],
        seconds,
        info["samples_per_second"],
    )
    return info


@dataclass(frozen=True)
class KindPlan:
    """What one dataset kind supplies to ``synthesize``; everything else is shared.

    ``render`` draws from the sample's generator only, so a sample is a function of
    (seed, kind, split, index); the skeleton then draws the JPEG quality from the same generator.
    """

    kind: str  # a key of KIND_CODES; stamped as params["kind"]
    charset: str  # characters labels may use; params.json stores its digest
    options: dict[str, Any]  # the kind's own parameters, stamped after the common keys
    render: RenderFn
    lmdb: bool = False  # also write {train,val}_lmdb copies
    extra_info: dict[str, Any] = field(default_factory=dict)  # added to a new dataset's summary


def dataset_params(plan: KindPlan, num_train: int, num_val: int, seed: int) -> dict[str, Any]:
    """The ``params.json`` stamp: what the dataset's bytes depend on, compared by ``is_current``."""
    return {
        "kind": plan.kind,
        "version": SYNTH_VERSION,
        "num_train": int(num_train),
        "num_val": int(num_val),
        "seed": int(seed),
        "charset_digest": charset_digest(plan.charset),
        **plan.options,
    }


def synthesize(
    out_dir: str | Path,
    num_train: int,
    num_val: int,
    seed: int,
    plan: Callable[[], KindPlan],
    reuse: bool,
) -> dict[str, Any]:
    """The make/ensure skeleton of every kind: check counts, build the kind's plan, then reuse
    ``out_dir`` when ``reuse`` and it was made with the same parameters, else render both splits.

    ``plan`` is called after the counts are checked (building it loads fonts and the charset).
    Returns ``summary`` (``created`` False when reused), plus speed and the plan's ``extra_info``
    when the dataset was (re)built.
    """
    check_counts(num_train, num_val)
    spec = plan()
    params = dataset_params(spec, num_train, num_val, seed)
    if reuse and is_current(out_dir, params):
        return summary(out_dir, params, created=False, lmdb=spec.lmdb)

    def make_sample(split: str, index: int) -> tuple[bytes, str]:
        rng = sample_rng(seed, spec.kind, split, index)
        image, label = spec.render(rng, split, index)
        return encode_jpeg(image, random_jpeg_quality(rng)), label

    info = write_splits(out_dir, params, make_sample, spec.lmdb)
    info.update(spec.extra_info)
    return info
