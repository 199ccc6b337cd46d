"""The worker side of the benchmark: one process, one engine, one round; JSON lines on stdout.

Standalone on purpose (stdlib + numpy only, no ``ppocr``): peer workers import it as a sibling
module under other venvs' Python (numpy<2). The parent writes a job file (``specs.Job`` as JSON)
and the photos as ``.npy`` (decoded once, so every engine gets the same pixels); the worker
decodes nothing while timing.

Each message is one stdout line ``@@peer {json}`` (engines may print anything else):
``hello`` (pid, python), ``load`` (seconds to build the engine, info it reports), one ``result``
per photo per pass (``phase`` first/warm, ``ms``, a digest of the texts, and the lines on the
first pass), then ``done`` (peak RSS), or ``error`` (a one-line reason and the traceback's tail).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from typing import Any, Protocol

import numpy as np

MARK = "@@peer "


class Engine(Protocol):
    """What a worker's adapter provides: ``info`` (versions, model files, notes) and a call per photo."""

    info: dict[str, Any]

    def __call__(self, img: np.ndarray) -> list[dict[str, Any]]:
        """Lines ``{"box": [[x, y] x4], "text": str, "score": float}`` in the engine's reading order."""
        ...


def versions(*dists: str) -> dict[str, str]:
    """Installed versions of ``dists`` (those not installed left out)."""
    out = {}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def emit(kind: str, stream=None, **fields: Any) -> None:
    """Write one protocol line (flushed: the parent reads it as it comes)."""
    stream = stream or sys.stdout
    stream.write(MARK + json.dumps({"type": kind, **fields}, ensure_ascii=False) + "\n")
    stream.flush()


def texts_digest(lines: list[dict[str, Any]]) -> str:
    """A short hash of the texts in order: equal digests across passes mean the engine is deterministic."""
    joined = "\x1f".join(str(line["text"]) for line in lines)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def clean_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Boxes as 4 [x, y] float pairs rounded to 0.1 px, scores to 4 digits (JSON-able)."""
    out = []
    for line in lines:
        box = np.asarray(line["box"], dtype=np.float64).reshape(-1, 2)
        out.append({"box": np.round(box, 1).tolist(), "text": str(line["text"]),
                    "score": round(float(line["score"]), 4)})
    return out


def peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024.0, 1)


def model_files(path: str) -> dict[str, Any]:
    """``{"path", "sha256": {file name: sha256}}`` of a model file, or of a Paddle dir's ``inference.*`` files."""
    files = [path] if not os.path.isdir(path) else [
        os.path.join(path, n) for n in sorted(os.listdir(path))
        if n.startswith("inference.") and n.endswith((".pdmodel", ".pdiparams", ".json", ".onnx"))]
    return {"path": path, "sha256": {os.path.basename(f): _sha256(f) for f in files}}


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_images(job: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    return [(item["name"], np.load(item["npy"], allow_pickle=False)) for item in job["images"]]


def run_job(job: dict[str, Any], make_engine: Callable[[dict[str, Any]], Engine], stream=None) -> int:
    """Build the engine (timed as load), run a first pass and ``warm_passes`` more, report each photo."""
    out = {"stream": stream}
    emit("hello", **out, pid=os.getpid(), python=platform.python_version(), spec=job["spec"],
         round=job.get("round", 0))
    try:
        images = load_images(job)
        t0 = time.perf_counter()
        engine = make_engine(job)
        load_s = time.perf_counter() - t0
        emit("load", **out, seconds=round(load_s, 4), info=engine.info)
        for pass_no in range(1 + int(job["warm_passes"])):
            phase = "first" if pass_no == 0 else "warm"
            for name, ms, lines, amortized in _one_pass(engine, images):
                lines = clean_lines(lines)
                fields: dict[str, Any] = {"image": name, "pass": pass_no, "phase": phase, "ms": round(ms, 3),
                                          "digest": texts_digest(lines), "num_lines": len(lines)}
                if amortized:
                    fields["amortized"] = True
                if pass_no == 0:
                    fields["lines"] = lines
                emit("result", **out, **fields)
        emit("done", **out, peak_rss_mb=peak_rss_mb())
        return 0
    except Exception as exc:  # noqa: BLE001 - any engine failure is reported to the parent, then exit 1
        tail = traceback.format_exc().strip().splitlines()[-6:]
        emit("error", **out, message=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500],
             traceback=tail)
        return 1


def _one_pass(engine: Engine, images: list[tuple[str, np.ndarray]]):
    """``(name, ms, lines, amortized)`` per photo: one call each, or for a ``batched`` engine one
    ``run_many`` call over all photos with its time shared equally (``amortized``)."""
    if getattr(engine, "batched", False):
        t0 = time.perf_counter()
        results = engine.run_many([img for _, img in images])
        ms = (time.perf_counter() - t0) * 1e3 / max(1, len(images))
        return [(name, ms, lines, True) for (name, _), lines in zip(images, results)]
    timed = []
    for name, img in images:
        t0 = time.perf_counter()
        lines = engine(img)
        timed.append((name, (time.perf_counter() - t0) * 1e3, lines, False))
    return timed


def read_job(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def options(job: dict[str, Any], known: dict[str, tuple[str, ...] | None]) -> dict[str, str]:
    """The spec's options, checked: ``known`` maps each key to its allowed values (None: any value).

    Raises:
        ValueError: an unknown key or value (the message lists the known ones).
    """
    given = dict(job["spec"].get("options") or {})
    for key, value in given.items():
        if key not in known:
            raise ValueError(f"{job['spec']['kind']}: unknown option {key!r}; known: {sorted(known)}")
        allowed = known[key]
        if allowed is not None and value not in allowed:
            raise ValueError(f"{job['spec']['kind']}: option {key}={value!r}; expected one of {list(allowed)}")
    return given


def main(make_engine: Callable[[dict[str, Any]], Engine], argv: list[str] | None = None) -> int:
    """``python WORKER job.json``: run the job and exit with its status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: WORKER JOB.json\n")
        return 2
    return run_job(read_job(argv[0]), make_engine)
