"""An OpenVINO predictor with the interface of ``Predictor`` and ``OnnxPredictor``.

OpenVINO reads Paddle 2 inference programs (``inference.pdmodel`` + ``.pdiparams``) and ONNX
files itself. Its Paddle frontend (2026.4) does not read Paddle 3's PIR ``inference.json``, and
Paddle 3.3 cannot write our models as Paddle 2 programs any more (its old-IR tracing fails on
``sigmoid`` in the DB head and on the rec models), so our own exports go through paddle2onnx,
which reads PIR: converted at load when ``paddle2onnx`` is importable, or ahead of time into an
``inference.onnx`` beside the json, which this predictor then picks. OpenVINO is the optional
extra ``ppocr[openvino]``; without it a ConfigError says how to add it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError

INSTALL_HINT = "pip install ppocr[openvino]"
PRECISIONS = {"fp32": "f32", "bf16": "bf16"}
# Cached primitive entries (several per input shape). OpenVINO's CPU plugin keeps 5000 by default:
# over 200 distinct shapes the v4 det grew 383 -> 1391 MB RSS and the v4 rec 397 -> 1448 MB. 100
# kept memory flat (~700 MB) but thrashed: the ~30 rec shapes of the 10 sample photos no longer fit,
# so warm calls ran as slowly as first ones (bf16 rec over 30 widths: 259-314 ms a call warm at 100,
# 188-205 at 1000). 1000 holds them; the v4 rec over 242 distinct shapes then levels off at ~0.9 GB
# (468 -> 897 MB over 300 calls, +26 MB over the last 50).
RUNTIME_CACHE_CAPACITY = 1000
PIR_HINT = ("OpenVINO reads Paddle 2 programs (inference.pdmodel) and .onnx files, not Paddle 3's "
            "inference.json: install paddle2onnx (converts it at load), or convert it once with "
            "`paddle2onnx --model_dir DIR --model_filename inference.json --params_filename "
            "inference.pdiparams --save_file DIR/inference.onnx`")
ONNX_OPSET = 14
# Substrings of OpenVINO's load errors about the weights rather than the program.
_PARAMS_ERRORS = ("pdiparams", "constant with name", "weight file")


def import_openvino() -> Any:
    """The ``openvino`` module, or a ConfigError naming the extra to install."""
    try:
        import openvino
    except ImportError as exc:
        raise ConfigError(f"engine openvino needs OpenVINO, which is not installed: {INSTALL_HINT}") from exc
    return openvino


_CORE: list[Any] = []
_CORE_LOCK = threading.Lock()


def _core(ov: Any) -> Any:
    """The process's one ``openvino.Core`` (each Core loads the plugins and their thread pools again)."""
    with _CORE_LOCK:
        if not _CORE:
            _CORE.append(ov.Core())
        return _CORE[0]


def _errors(ov: Any) -> tuple[type[BaseException], ...]:
    """OpenVINO's exception types: RuntimeError, and the frontend's, which derive from ``Exception`` only."""
    frontend = getattr(ov, "frontend", None)
    names = ("GeneralFailure", "InitializationFailure", "NotImplementedFailure", "OpConversionFailure",
             "OpValidationFailure")
    found = tuple(getattr(frontend, n) for n in names if isinstance(getattr(frontend, n, None), type))
    return (RuntimeError, ValueError, OSError, *found)


def _first_line(exc: BaseException) -> str:
    """The last meaningful line of an OpenVINO message (its first lines are C++ source locations)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("Exception from", "Check '", "FrontEnd API failed"))]
    return ((useful or lines or [type(exc).__name__])[-1])[:200]


def find_openvino_files(model: str) -> tuple[str, str | None]:
    """``(graph, params)``: an ``.onnx`` file (params None), or a dir's program + ``.pdiparams``.

    A dir's ``inference.pdmodel`` comes first, then its ``.onnx`` file, then ``inference.json``
    (converted through paddle2onnx at load).
    """
    if os.path.isfile(model):
        if model.endswith(".onnx"):
            return model, None
        if model.endswith(".pdmodel"):
            model = os.path.dirname(os.path.abspath(model))
        else:
            raise ConfigError(f"{model}: expected a model dir, an .onnx file or an inference.pdmodel")
    if not os.path.isdir(model):
        raise ConfigError(f"model not found: {model}")
    graph = os.path.join(model, "inference.pdmodel")
    params = os.path.join(model, "inference.pdiparams")
    if os.path.isfile(graph):
        if not os.path.isfile(params):
            raise ConfigError(f"{model}: has inference.pdmodel but no inference.pdiparams")
        return graph, params
    from ppocr.inference.predictor import find_onnx_file

    onnx_file = find_onnx_file(model)
    if onnx_file is not None:
        return onnx_file, None
    graph = os.path.join(model, "inference.json")
    if os.path.isfile(graph):
        if not os.path.isfile(params):
            raise ConfigError(f"{model}: has inference.json but no inference.pdiparams")
        return graph, params
    raise ConfigError(f"{model}: no inference.pdmodel, inference.json or .onnx file for OpenVINO")


class OpenVinoPredictor:
    """One OpenVINO CPU model with one infer request; calls are serialized by a lock.

    ``precision="fp32"`` pins ``INFERENCE_PRECISION_HINT`` to f32: OpenVINO would otherwise run
    bf16 on CPUs with AVX-512 BF16 or AMX, which changes results. ``"bf16"`` asks for it and is
    refused on CPUs without it (OpenVINO would silently run f32). Inputs keep the model's dynamic
    dims (det H/W, rec batch/width); compiled kernels per shape are capped
    (``RUNTIME_CACHE_CAPACITY``). ``enable_mkldnn`` is always False (CLIs report it as for the
    other engines).

    Raises:
        ConfigError: OpenVINO is missing, a bad precision, bf16 on a CPU without it, an
            ``inference.json`` without paddle2onnx.
        DataError: the file is not a loadable model (names the file).
    """

    engine = "openvino"

    def __init__(self, model: str, precision: str = "fp32", cpu_threads: int | None = None,
                 use_gpu: bool = False) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"precision {precision!r}: engine openvino takes {' or '.join(PRECISIONS)}")
        if use_gpu:
            raise ConfigError("engine openvino runs on the CPU here; drop --use_gpu or pick engine paddle")
        ov = import_openvino()
        self.model_file, self.params_file = find_openvino_files(model)
        self.model_dir = os.path.dirname(os.path.abspath(self.model_file))
        self.precision = precision
        self.cpu_threads = cpu_threads or max(1, min(os.cpu_count() or 1, 8))
        self.use_gpu = False
        self.enable_mkldnn = False
        self.version = str(ov.__version__).split("-")[0]
        self._errors = _errors(ov)
        core = _core(ov)
        if precision == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            raise ConfigError("precision bf16 needs a CPU with AVX-512 BF16 or AMX; this one has "
                              f"{', '.join(core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES'))}")
        graph = self._read(ov, core)
        config = {"INFERENCE_PRECISION_HINT": PRECISIONS[precision],
                  "INFERENCE_NUM_THREADS": int(self.cpu_threads), "PERFORMANCE_HINT": "LATENCY",
                  "NUM_STREAMS": 1, "CPU_RUNTIME_CACHE_CAPACITY": str(RUNTIME_CACHE_CAPACITY)}
        try:
            self._compiled = core.compile_model(graph, "CPU", config)
        except self._errors as exc:
            raise DataError(f"{self.model_file}: OpenVINO cannot compile the model ({_first_line(exc)})") from exc
        self._request = self._compiled.create_infer_request()
        self.input_names = [_name(p, i) for i, p in enumerate(self._compiled.inputs)]
        self.output_names = [_name(p, i) for i, p in enumerate(self._compiled.outputs)]
        self._lock = threading.Lock()

    def _read(self, ov: Any, core: Any) -> Any:
        """The ov.Model; a bad program or weights file is a DataError naming that file."""
        if self.params_file is None:
            return self._read_onnx(ov, self.model_file)
        if self.model_file.endswith(".json"):
            with tempfile.TemporaryDirectory(prefix="ppocr-pir2onnx-") as tmp:
                return self._read_onnx(ov, pir_to_onnx(self.model_file, self.params_file, tmp), self.model_file)
        from ppocr.inference.predictor import REEXPORT, check_program_desc

        check_program_desc(self.model_file)
        try:
            return core.read_model(self.model_file, self.params_file)
        except self._errors as exc:
            text = str(exc)
            bad = self.params_file if any(k in text for k in _PARAMS_ERRORS) else self.model_file
            what = "weights" if bad == self.params_file else "program"
            raise DataError(f"{bad}: OpenVINO cannot read the {what} ({_first_line(exc)}); {REEXPORT}") from exc

    def _read_onnx(self, ov: Any, path: str, source: str | None = None) -> Any:
        try:  # the ONNX frontend alone: read_model would try every frontend and log their noise
            frontend = ov.frontend.FrontEndManager().load_by_framework("onnx")
            return frontend.convert(frontend.load(path, False))  # no mmap: ``path`` may be a temp file
        except self._errors as exc:
            if source is not None:
                raise DataError(f"{source}: OpenVINO cannot read paddle2onnx's conversion ({_first_line(exc)})") \
                    from exc
            raise DataError(f"{path}: not a loadable ONNX model ({_first_line(exc)}); download or export it "
                            "again") from exc

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """The model's outputs (copies, in ``output_names`` order) for float32 inputs in ``input_names`` order."""
        if len(inputs) != len(self.input_names):
            raise ConfigError(f"{self.model_file}: model takes {len(self.input_names)} inputs, got {len(inputs)}")
        feed = {i: np.ascontiguousarray(a, dtype=np.float32) for i, a in enumerate(inputs)}
        with self._lock:
            try:
                self._request.infer(feed)
            except self._errors as exc:
                shapes = ", ".join(str(list(a.shape)) for a in feed.values())
                raise ConfigError(f"{self.model_file}: OpenVINO cannot run input {shapes} ({_first_line(exc)})") \
                    from exc
            # the request's buffers are reused by the next call: hand out copies
            return [np.array(self._request.get_output_tensor(i).data, copy=True)
                    for i in range(len(self.output_names))]

    def runtime_precisions(self) -> dict[str, int]:
        """How many executed nodes run in each precision (``{"f32": n, "bf16": m, ...}``): what fp32 really means."""
        counts: dict[str, int] = {}
        for op in self._compiled.get_runtime_model().get_ops():
            info = op.get_rt_info()
            if "runtimePrecision" in info:
                key = str(info["runtimePrecision"].astype(str))
                counts[key] = counts.get(key, 0) + 1
        return counts

    def describe(self) -> dict[str, Any]:
        """Engine, version, precision and threads, for logs and benchmark tables."""
        return {"engine": self.engine, "version": self.version, "precision": self.precision,
                "cpu_threads": self.cpu_threads, "model_file": self.model_file}


def pir_to_onnx(model_file: str, params_file: str, out_dir: str) -> str:
    """``out_dir/inference.onnx`` converted from a Paddle 3 PIR program by paddle2onnx (which reads PIR).

    Raises:
        ConfigError: paddle2onnx is not installed (``PIR_HINT`` says the two routes).
        DataError: paddle2onnx cannot convert the program (names the file).
    """
    try:
        import paddle2onnx
    except ImportError as exc:
        raise ConfigError(f"{os.path.dirname(model_file)}: {PIR_HINT}") from exc
    out = os.path.join(out_dir, "inference.onnx")
    try:
        paddle2onnx.export(model_file, params_file, out, opset_version=ONNX_OPSET, enable_onnx_checker=False,
                           enable_optimize=False)
    except Exception as exc:  # noqa: BLE001 - paddle2onnx raises assorted types (AssertionError too)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise DataError(f"{model_file}: paddle2onnx cannot convert it for OpenVINO ({first})") from exc
    if not os.path.isfile(out):
        raise DataError(f"{model_file}: paddle2onnx wrote no ONNX file for it")
    return out


def _name(port: Any, index: int) -> str:
    """A port's first tensor name (ONNX/Paddle graphs name them; a nameless one gets its index)."""
    names = sorted(port.get_names())
    return names[0] if names else str(index)
