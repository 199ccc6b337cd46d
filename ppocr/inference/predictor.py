"""A ``paddle.inference`` predictor that is safe to share between threads."""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import paddle.inference as pdi

from ppocr.errors import ConfigError
from ppocr.utils.logging import get_logger

if TYPE_CHECKING:
    from ppocr.inference.onnx_predictor import OnnxPredictor
    from ppocr.inference.openvino_predictor import OpenVinoPredictor

MODEL_FILES = ("inference.json", "inference.pdmodel")
ENGINES = ("paddle", "onnxruntime", "openvino")
PRECISIONS = ("fp32", "bf16")


def find_model_files(model_dir: str, prefix: str = "inference") -> tuple[str, str]:
    """Paddle 3 (``.json``) or Paddle 2 (``.pdmodel``) graph plus ``.pdiparams``."""
    if not os.path.isdir(model_dir):
        raise ConfigError(f"model dir not found: {model_dir}")
    params = os.path.join(model_dir, f"{prefix}.pdiparams")
    for ext in (".json", ".pdmodel"):
        graph = os.path.join(model_dir, prefix + ext)
        if os.path.isfile(graph):
            if not os.path.isfile(params):
                raise ConfigError(f"{model_dir}: has {os.path.basename(graph)} but no {prefix}.pdiparams")
            if ext == ".pdmodel":
                check_program_desc(graph)
            return graph, params
    raise ConfigError(f"{model_dir}: no {prefix}.json or {prefix}.pdmodel (export with tools/export_model.py)")


REEXPORT = "re-export it with tools/export_model.py"
# Substrings of paddle.inference's load errors, and which file each one is about.
_PARAMS_ERRORS = ("tensor desc", "Deserialize to tensor", "Cannot read tensor", "tensor data")
_GRAPH_ERRORS = ("json.exception", "program_desc", "Invalid model file")
_MISMATCH_ERRORS = ("load_combine", "partial data")
_SOURCE_LINE = re.compile(r"\s*\(at /paddle/[^)]*\)")


def check_program_desc(path: str) -> None:
    """Refuse a Paddle 2 ``.pdmodel`` that is not a protobuf ``ProgramDesc`` with operators.

    Paddle's C++ loader crashes the process (SIGSEGV) on some such bytes instead of
    raising, so the file is parsed here first (the Python protobuf that Paddle ships).
    """
    try:
        from google.protobuf.message import DecodeError
        from paddle.base.proto.framework_pb2 import ProgramDesc
    except ImportError:  # a Paddle without the Python protos: leave the check to Paddle
        return
    with open(path, "rb") as f:
        data = f.read()
    try:
        program = ProgramDesc.FromString(data)
    except DecodeError as exc:
        raise ConfigError(f"{path}: not a Paddle inference model (the {len(data):,}-byte program does not "
                          f"parse: truncated or corrupt); {REEXPORT}") from exc
    if not program.blocks or not program.blocks[0].ops:
        raise ConfigError(f"{path}: not a Paddle inference model (the program has no operators); {REEXPORT}")


def load_error(exc: BaseException, model_dir: str, model_file: str, params_file: str) -> ConfigError:
    """A one-line ConfigError naming the file ``paddle.inference`` could not load."""
    text = str(exc).strip()
    first = _SOURCE_LINE.sub("", (text.splitlines() or [type(exc).__name__])[0])[:200]
    if any(k in text for k in _MISMATCH_ERRORS):
        return ConfigError(f"{params_file}: weights do not match {os.path.basename(model_file)} ({first}); "
                           f"{REEXPORT}")
    if any(k in text for k in _PARAMS_ERRORS):
        return ConfigError(f"{params_file}: not the weights of a Paddle inference model ({first}); {REEXPORT}")
    if any(k in text for k in _GRAPH_ERRORS):
        return ConfigError(f"{model_file}: not a Paddle inference model ({first}); {REEXPORT}")
    return ConfigError(f"{model_dir}: paddle.inference cannot load the model ({first})")


# Input shapes oneDNN keeps kernels for (Paddle evicts beyond it), read when a Predictor is made. Each
# cached shape of the official models holds tens of MB: measured over 120 varied photos (PP-OCRv4 set,
# exact shapes), 10 keeps RSS flat at ~2.1 GB, 200 grows it to 5.3 GB. A larger cache pays only
# where shapes repeat (the same photo sizes, or ppocr.inference.buckets' padded shapes).
MKLDNN_CACHE_CAPACITY = 10

_RUNNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ppocr-predictor")
_RUNNER_THREAD: list[threading.Thread] = []


def _on_runner(fn, *args):
    """Run ``fn(*args)`` on the process's one predictor thread (directly when already on it)."""
    if _RUNNER_THREAD and threading.current_thread() is _RUNNER_THREAD[0]:
        return fn(*args)

    def call():
        if not _RUNNER_THREAD:
            _RUNNER_THREAD.append(threading.current_thread())
        return fn(*args)

    return _RUNNER.submit(call).result()


class Predictor:
    """One ``paddle.inference`` predictor; every call runs on the process's one predictor thread.

    Paddle's oneDNN keeps per-thread state: a predictor run on a thread that then exits fails
    (``std::exception``) when a later thread reuses that thread's id for a shape the dead one ran,
    and a predictor run from N threads holds N kernel caches (and N malloc arenas). So ``run`` hands
    the work to one long-lived thread shared by all predictors, whichever thread calls it. On a CPU
    each run already uses ``cpu_threads`` cores, so serializing runs costs little.

    Paddle 3.3 turns oneDNN on for CPU predictors unless ``disable_mkldnn()`` is called,
    so ``enable_mkldnn=False`` calls it explicitly. If the graph fails under oneDNN
    the predictor is rebuilt without it and a warning says so. oneDNN's shape cache is
    bounded so memory stays flat over images of many sizes.

    ``precision="bf16"`` runs oneDNN's bfloat16 kernels (``enable_mkldnn_bfloat16``). Paddle
    3.3 runs the official PP-OCRv4 rec and mobile v2.0 cls that way but not the PP-OCRv4 det
    (an ``elementwise_mul`` gets bf16 data where it expects float32): a model that fails in
    bf16 is a ConfigError on its first run, never a silent fp32 fallback. Measured on the 10
    sample photos (v4 det fp32, rec + cls bf16): 168/180 texts as in fp32, under the 97 % that
    OpenVINO's bf16 meets (175/180), and rec only ~1.3x faster; OpenVINO is the bf16 to use.
    """

    engine = "paddle.inference"

    def __init__(self, model_dir: str, enable_mkldnn: bool = True, cpu_threads: int | None = None,
                 use_gpu: bool = False, mkldnn_cache_capacity: int | None = None, precision: str = "fp32") -> None:
        self.model_dir = model_dir
        self.model_file, self.params_file = find_model_files(model_dir)
        self.use_gpu = use_gpu
        self.cpu_threads = cpu_threads or max(1, min(os.cpu_count() or 1, 8))
        self.mkldnn_cache_capacity = mkldnn_cache_capacity or MKLDNN_CACHE_CAPACITY
        self.enable_mkldnn = bool(enable_mkldnn) and not use_gpu
        self.precision = check_paddle_precision(precision, self.enable_mkldnn, model_dir)
        self._lock = threading.Lock()
        self._ran_ok = False
        self._predictor = self._create(self.enable_mkldnn)

    def _create(self, mkldnn: bool):
        try:
            return pdi.create_predictor(self._config(mkldnn))
        except (RuntimeError, ValueError, IndexError, OSError, MemoryError) as exc:
            raise load_error(exc, self.model_dir, self.model_file, self.params_file) from exc

    def _config(self, mkldnn: bool) -> pdi.Config:
        config = pdi.Config(self.model_file, self.params_file)
        if self.use_gpu:
            config.enable_use_gpu(256, 0)
        else:
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(self.cpu_threads)
            if mkldnn:
                config.enable_mkldnn()
                config.set_mkldnn_cache_capacity(self.mkldnn_cache_capacity)
                if self.precision == "bf16":
                    config.enable_mkldnn_bfloat16()
            else:
                config.disable_mkldnn()
        config.disable_glog_info()
        config.switch_use_feed_fetch_ops(False)
        config.switch_ir_optim(True)
        return config

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Outputs for ``inputs`` (float32 arrays, one per model input), computed on the worker thread."""
        return _on_runner(self._run_with_fallback, inputs)

    def run_on_this_thread(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """``run`` on the calling thread instead of the shared one, for a caller that owns a
        long-lived thread of its own (``run_many``'s det thread); never from short-lived threads."""
        return self._run_with_fallback(inputs)

    def _run_with_fallback(self, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        with self._lock:
            try:
                return self._run(inputs)
            except Exception as exc:  # noqa: BLE001 - any oneDNN failure triggers the fallback
                if not (self.enable_mkldnn and not self._ran_ok):
                    raise
                if self.precision == "bf16":
                    first = _SOURCE_LINE.sub("", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
                    raise ConfigError(f"{self.model_dir}: Paddle's oneDNN bf16 cannot run this model "
                                      f"({first[:200]}); use precision fp32 or engine openvino") from exc
                get_logger().warning("%s failed under oneDNN (%s); rebuilding the predictor without oneDNN",
                                     self.model_dir, str(exc).splitlines()[0][:200])
                self.enable_mkldnn = False
                self._predictor = self._create(False)
                return self._run(inputs)

    def _run(self, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        names = self._predictor.get_input_names()
        if len(names) != len(inputs):
            raise ConfigError(f"{self.model_dir}: model takes {len(names)} inputs, got {len(inputs)}")
        for name, array in zip(names, inputs):
            handle = self._predictor.get_input_handle(name)
            handle.reshape(list(array.shape))
            handle.copy_from_cpu(np.ascontiguousarray(array, dtype=np.float32))
        self._predictor.run()
        outputs = [self._predictor.get_output_handle(n).copy_to_cpu()
                   for n in self._predictor.get_output_names()]
        self._ran_ok = True
        return outputs

    def describe(self) -> dict[str, Any]:
        """Engine, precision, oneDNN and threads, for logs and benchmark tables."""
        return {"engine": "paddle", "version": pdi.get_version().splitlines()[0].split()[-1],
                "precision": self.precision, "onednn": self.enable_mkldnn, "cpu_threads": self.cpu_threads,
                "model_file": self.model_file}

    @property
    def input_names(self) -> list[str]:
        return list(self._predictor.get_input_names())

    @property
    def output_names(self) -> list[str]:
        return list(self._predictor.get_output_names())


def check_paddle_precision(precision: str, mkldnn: bool, model_dir: str) -> str:
    """``precision`` if paddle.inference can run it here (bf16: oneDNN on, a CPU with bf16)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r}: expected {' or '.join(PRECISIONS)}")
    if precision == "bf16":
        if not mkldnn:
            raise ConfigError(f"{model_dir}: precision bf16 on engine paddle needs oneDNN (enable_mkldnn true, "
                              "no GPU)")
        from paddle.base import core

        if not core.supports_bfloat16():
            raise ConfigError("precision bf16 needs a CPU with AVX-512 BF16 or AMX; this one has neither")
    return precision


def find_onnx_file(model_dir: str) -> str | None:
    """The dir's ``inference.onnx``, else its only ``.onnx`` file (None when it has none)."""
    found = sorted(f for f in os.listdir(model_dir) if f.endswith(".onnx"))
    if "inference.onnx" in found:
        return os.path.join(model_dir, "inference.onnx")
    if len(found) > 1:
        raise ConfigError(f"{model_dir}: several .onnx files ({', '.join(found)}); pass the one to use")
    return os.path.join(model_dir, found[0]) if found else None


def settings_dir(model: str) -> str:
    """Where a model's ``inference.yml`` would be: the dir itself, or the folder of an ``.onnx`` file."""
    return os.path.dirname(os.path.abspath(model)) if os.path.isfile(model) else model


def create_predictor(model: str, use_onnx: bool = False, enable_mkldnn: bool = True,
                     cpu_threads: int | None = None, use_gpu: bool = False, engine: str | None = None,
                     precision: str = "fp32") -> Predictor | OnnxPredictor | OpenVinoPredictor:
    """A ``Predictor`` (paddle.inference), ``OnnxPredictor`` (onnxruntime) or ``OpenVinoPredictor``.

    ``model`` is a model dir or an ``.onnx`` file. ``engine`` None keeps upstream's choice:
    onnxruntime runs an ``.onnx`` file, a dir holding an ``.onnx`` but no Paddle graph, or any
    dir with an ``.onnx`` when ``use_onnx`` (upstream's ``--use_onnx``); otherwise
    paddle.inference runs the dir. ``engine="openvino"`` reads a dir's ``inference.pdmodel`` or
    an ``.onnx`` file. ``precision`` is ``"fp32"`` or ``"bf16"`` (paddle: oneDNN bf16; openvino:
    its precision hint; onnxruntime: fp32 only). All take ``run(*inputs) -> list[np.ndarray]``
    and have ``input_names``/``output_names``.
    """
    if engine is not None and engine not in ENGINES:
        raise ConfigError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r}: expected {' or '.join(PRECISIONS)}")
    if use_onnx and engine not in (None, "onnxruntime"):
        raise ConfigError(f"--use_onnx asks for onnxruntime but engine is {engine}: pass one of them")
    if engine == "openvino":
        from ppocr.inference.openvino_predictor import OpenVinoPredictor

        return OpenVinoPredictor(model, precision=precision, cpu_threads=cpu_threads, use_gpu=use_gpu)
    onnx_file = None
    if os.path.isfile(model):
        if not model.endswith(".onnx"):
            raise ConfigError(f"{model}: expected a model dir or an .onnx file")
        if engine == "paddle":
            raise ConfigError(f"{model}: engine paddle runs Paddle inference dirs; an .onnx file needs engine "
                              "onnxruntime or openvino")
        onnx_file = model
    elif os.path.isdir(model) and engine != "paddle":
        has_paddle = any(os.path.isfile(os.path.join(model, f)) for f in MODEL_FILES)
        if use_onnx or engine == "onnxruntime" or not has_paddle:
            onnx_file = find_onnx_file(model)
            if onnx_file is None and (use_onnx or engine == "onnxruntime"):
                flag = "--use_onnx" if use_onnx else "engine onnxruntime"
                raise ConfigError(f"{model}: {flag} but no .onnx file in it")
    if onnx_file is None:
        return Predictor(model, enable_mkldnn=enable_mkldnn, cpu_threads=cpu_threads, use_gpu=use_gpu,
                         precision=precision)
    if precision != "fp32":
        raise ConfigError(f"{onnx_file}: engine onnxruntime runs fp32 only; for bf16 pick engine openvino")
    from ppocr.inference.onnx_predictor import OnnxPredictor

    return OnnxPredictor(onnx_file, cpu_threads=cpu_threads, use_gpu=use_gpu)
