"""Scratch venvs for the peer engines: created once under a cache dir, reused while their pins hold.

The peers are not project dependencies (several need ``numpy<2``): each kind gets its own venv,
``$PPOCR_HOME/bench_venvs/KIND`` by default, made with ``python -m venv`` and ``pip install`` of the
pinned requirements below. A venv is ready when its ``ready.json`` (written last) lists the same
requirements; otherwise it is removed and made again. ``--venv KIND=DIR`` uses an existing one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ppocr.errors import ConfigError, DataError
from ppocr.zoo.wheels import default_home

READY = "ready.json"
# kind -> pip requirements. openvino: rapidocr_openvino 1.4.4 allows <=2024.0.0 and pip takes
# 2024.0.0 (the version the issue measured); onnxruntime: what pip took on 2026-12-01 (1.32.0);
# both pinned so a resolver change cannot move them. numpy<2: what the peers were built against.
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "rapidocr_openvino": ("rapidocr_openvino==1.4.4", "openvino==2024.0.0", "numpy<2"),
    "rapidocr_onnxruntime": ("rapidocr_onnxruntime==1.4.4", "onnxruntime==1.32.0", "numpy<2"),
    "paddleocr2": ("paddleocr==2.10.0", "paddlepaddle==3.3.1", "numpy<2"),
    "rapidocr_paddle": ("rapidocr_paddle==1.4.5", "paddlepaddle==3.3.1", "numpy<2"),
}
# kind -> distributions whose versions the table reports
VERSIONED: dict[str, tuple[str, ...]] = {
    "rapidocr_openvino": ("rapidocr_openvino", "openvino", "numpy", "opencv-python"),
    "rapidocr_onnxruntime": ("rapidocr_onnxruntime", "onnxruntime", "numpy", "opencv-python"),
    "paddleocr2": ("paddleocr", "paddlepaddle", "numpy", "opencv-python"),
    "rapidocr_paddle": ("rapidocr_paddle", "paddlepaddle", "numpy", "opencv-python"),
    "ours": ("ppocr", "paddlepaddle", "numpy", "opencv-python", "openvino", "onnxruntime"),
    "fake": ("numpy",),
}


def default_venvs_dir() -> str:
    """``$PPOCR_HOME/bench_venvs`` (``~/.cache/ppocr/bench_venvs``)."""
    return os.path.join(default_home(), "bench_venvs")


def venv_python(venv: str | os.PathLike[str]) -> str:
    return str(Path(venv) / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))


def is_ready(venv: str | os.PathLike[str], requirements: tuple[str, ...]) -> bool:
    """The venv exists, finished its install, and was made for exactly ``requirements``."""
    marker = Path(venv) / READY
    if not (marker.is_file() and Path(venv_python(venv)).exists()):
        return False
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8")).get("requirements")
    except (OSError, ValueError):
        return False
    return recorded == list(requirements)


def ensure_venv(kind: str, venvs_dir: str | None = None, python: str = sys.executable,
                log=print) -> str:
    """The Python of ``kind``'s venv, created (``venv`` + ``pip install``) unless ready.

    Raises:
        ConfigError: ``kind`` has no venv (ours runs in this interpreter).
        DataError: the venv could not be made (pip's last lines say why).
    """
    if kind not in REQUIREMENTS:
        raise ConfigError(f"no scratch venv for {kind!r}; kinds with one: {', '.join(REQUIREMENTS)}")
    requirements = REQUIREMENTS[kind]
    venv = Path(venvs_dir or default_venvs_dir()) / kind
    if is_ready(venv, requirements):
        return venv_python(venv)
    if venv.exists():
        log(f"[venv] {venv}: incomplete or other pins; making it again")
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    log(f"[venv] creating {venv}: pip install {' '.join(requirements)} (first run only; minutes)")
    _run([python, "-m", "venv", str(venv)], "create the venv")
    _run([venv_python(venv), "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements],
         f"pip install {' '.join(requirements)}")
    versions = probe_versions(venv_python(venv), VERSIONED.get(kind, ()))
    (venv / READY).write_text(json.dumps({"requirements": list(requirements), "versions": versions},
                                         indent=1), encoding="utf-8")
    log(f"[venv] {kind} ready: {versions}")
    return venv_python(venv)


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env())
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise DataError(f"could not {what} (exit {proc.returncode}): {tail}")


_PROBE = ("import json, sys\nfrom importlib import metadata\nout = {}\nfor d in sys.argv[1:]:\n"
          "    try:\n        out[d] = metadata.version(d)\n    except metadata.PackageNotFoundError:\n"
          "        pass\nprint(json.dumps(out))\n")


def probe_versions(python: str, dists: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of ``dists`` as ``python`` sees them (missing ones left out)."""
    proc = subprocess.run([python, "-c", _PROBE, *dists], capture_output=True, text=True, env=clean_env(),
                          cwd=os.path.dirname(python) or None)
    if proc.returncode != 0:
        return {}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}


def clean_env(threads: int | None = None) -> dict[str, str]:
    """This environment without ``PYTHONPATH``/``PYTHONHOME`` (a peer must not see this repo's
    ``ppocr``: upstream PaddleOCR has a top-level package of that name), with thread caps set."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    if threads is not None:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(threads)
    return env


def parse_venv_overrides(items: list[str]) -> dict[str, str]:
    """``["paddleocr2=/tmp/upvenv"]`` -> ``{"paddleocr2": "/tmp/upvenv/bin/python"}`` (a venv dir or its python)."""
    out: dict[str, str] = {}
    for item in items:
        kind, eq, path = item.partition("=")
        if not eq or kind not in REQUIREMENTS:
            raise ConfigError(f"--venv {item!r}: expected KIND=DIR with KIND one of {', '.join(REQUIREMENTS)}")
        python = path if os.path.isfile(path) else venv_python(path)
        if not os.path.exists(python):
            raise ConfigError(f"--venv {item!r}: no Python at {python}")
        out[kind] = python
    return out
