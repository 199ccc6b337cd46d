"""A ``paddle.inference`` predictor that is safe to share between threads."""

from __future__ import annotations

import os
import threading

import numpy as np
import paddle.inference as pdi

from ppocr.errors import ConfigError
from ppocr.utils.logging import get_logger

MODEL_FILES = ("inference.json", "inference.pdmodel")


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
            return graph, params
    raise ConfigError(f"{model_dir}: no {prefix}.json or {prefix}.pdmodel (export with tools/export_model.py)")


class Predictor:
    """One ``paddle.inference`` predictor; calls are serialized by a lock.

    Paddle 3.3 turns oneDNN on for CPU predictors unless ``disable_mkldnn()`` is called,
    so ``enable_mkldnn=False`` calls it explicitly. If the graph fails under oneDNN
    the predictor is rebuilt without it and a warning says so. oneDNN's shape cache is
    bounded so memory stays flat over images of many sizes.
    """

    def __init__(self, model_dir: str, enable_mkldnn: bool = True, cpu_threads: int | None = None,
                 use_gpu: bool = False, mkldnn_cache_capacity: int = 10) -> None:
        self.model_dir = model_dir
        self.model_file, self.params_file = find_model_files(model_dir)
        self.use_gpu = use_gpu
        self.cpu_threads = cpu_threads or max(1, min(os.cpu_count() or 1, 8))
        self.mkldnn_cache_capacity = mkldnn_cache_capacity
        self.enable_mkldnn = bool(enable_mkldnn) and not use_gpu
        self._lock = threading.Lock()
        self._ran_ok = False
        self._predictor = self._create(self.enable_mkldnn)

    def _create(self, mkldnn: bool):
        config = pdi.Config(self.model_file, self.params_file)
        if self.use_gpu:
            config.enable_use_gpu(256, 0)
        else:
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(self.cpu_threads)
            if mkldnn:
                config.enable_mkldnn()
                config.set_mkldnn_cache_capacity(self.mkldnn_cache_capacity)
            else:
                config.disable_mkldnn()
        config.disable_glog_info()
        config.switch_use_feed_fetch_ops(False)
        config.switch_ir_optim(True)
        return pdi.create_predictor(config)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            try:
                return self._run(inputs)
            except Exception as exc:  # noqa: BLE001 - any oneDNN failure triggers the fallback
                if not (self.enable_mkldnn and not self._ran_ok):
                    raise
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
