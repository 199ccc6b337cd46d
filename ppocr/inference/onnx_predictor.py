"""An onnxruntime predictor with the interface of ``Predictor`` (upstream's ``--use_onnx``).

The det/rec/cls predictors only swap the engine: pre- and post-processing stay the same.
onnxruntime is the optional extra ``ppocr[onnx]``; without it a ConfigError says how to add it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError

INSTALL_HINT = "pip install ppocr[onnx]"
_ORT_ERROR_NAMES = ("Fail", "InvalidArgument", "InvalidGraph", "InvalidProtobuf", "NoSuchFile", "NoModel",
                    "NotImplemented", "RuntimeException", "EngineError", "EPFail")


def import_onnxruntime() -> Any:
    """The ``onnxruntime`` module, or a ConfigError naming the extra to install."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ConfigError(f"ONNX models run on onnxruntime, which is not installed: {INSTALL_HINT}") from exc
    return onnxruntime


def _ort_errors(ort: Any) -> tuple[type[BaseException], ...]:
    """onnxruntime's own exception types (they derive from ``Exception`` only, not RuntimeError)."""
    state = getattr(getattr(ort, "capi", None), "onnxruntime_pybind11_state", None)
    return tuple(getattr(state, n) for n in _ORT_ERROR_NAMES if isinstance(getattr(state, n, None), type))


class OnnxPredictor:
    """One onnxruntime session on an ``.onnx`` file; calls are serialized by a lock.

    Memory stays bounded over many input shapes: the CPU arena (which grows to the largest
    request and keeps it) and memory patterns (one plan cached per input shape) are off.
    ``enable_mkldnn`` is always False (kept so CLIs can report the engine like ``Predictor``'s).

    Raises:
        ConfigError: onnxruntime is missing, or ``use_gpu`` without a CUDA provider.
        DataError: the file is not a loadable ONNX model (names the file).
    """

    engine = "onnxruntime"

    def __init__(self, model_file: str, cpu_threads: int | None = None, use_gpu: bool = False) -> None:
        ort = import_onnxruntime()
        if not os.path.isfile(model_file):
            raise ConfigError(f"ONNX model not found: {model_file}")
        self.model_file = model_file
        self.model_dir = os.path.dirname(os.path.abspath(model_file))
        self.cpu_threads = cpu_threads or max(1, min(os.cpu_count() or 1, 8))
        self.use_gpu = use_gpu
        self.enable_mkldnn = False
        self._errors = _ort_errors(ort)
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(self.cpu_threads)
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        options.log_severity_level = 3  # errors only: paddle2onnx files declare stale output shapes
        providers = ["CPUExecutionProvider"]
        if use_gpu:
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ConfigError("--use_gpu with an ONNX model needs onnxruntime's CUDAExecutionProvider "
                                  "(pip install onnxruntime-gpu); this onnxruntime has "
                                  f"{', '.join(ort.get_available_providers())}")
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self._session = ort.InferenceSession(model_file, sess_options=options, providers=providers)
        except (*self._errors, RuntimeError, ValueError, OSError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise DataError(f"{model_file}: not a loadable ONNX model ({first}); download or export it "
                            "again") from exc
        self.input_names = [i.name for i in self._session.get_inputs()]
        self.output_names = [o.name for o in self._session.get_outputs()]
        self._lock = threading.Lock()

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """The model's outputs, in ``output_names`` order, for float32 inputs in ``input_names`` order."""
        if len(inputs) != len(self.input_names):
            raise ConfigError(f"{self.model_file}: model takes {len(self.input_names)} inputs, got {len(inputs)}")
        feed = {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in zip(self.input_names, inputs)}
        with self._lock:
            try:
                return list(self._session.run(self.output_names, feed))
            except self._errors as exc:  # onnxruntime refuses the input (e.g. a shape the graph fixes)
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                shapes = ", ".join(str(list(a.shape)) for a in feed.values())
                raise ConfigError(f"{self.model_file}: onnxruntime cannot run input {shapes} ({first})") from exc
