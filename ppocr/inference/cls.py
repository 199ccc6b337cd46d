"""Text direction (0/180 degrees) classification with ``paddle.inference``."""

from __future__ import annotations

import time

import cv2
import numpy as np

from ppocr.data.imaug.rec_img_aug import resize_norm_img
from ppocr.errors import ConfigError
from ppocr.inference.model_settings import parse_shape, read_inference_yml
from ppocr.inference.predictor import create_predictor, settings_dir
from ppocr.inference.results import ClsLabel, ClsResult

UPSTREAM_CLS_SHAPE = "3, 48, 192"


class TextClassifier:
    """Says whether each crop is upside down; ``__call__`` flips those above ``cls_thresh``."""

    def __init__(self, model_dir: str, cls_image_shape: str | list[int] | None = None,
                 label_list: list[str] | None = None, batch_num: int = 6, cls_thresh: float = 0.9,
                 enable_mkldnn: bool = True, cpu_threads: int | None = None, use_gpu: bool = False,
                 use_onnx: bool = False, engine: str | None = None, precision: str = "fp32") -> None:
        settings = read_inference_yml(settings_dir(model_dir))
        if settings is not None and settings["Global"].get("model_type") != "cls":
            raise ConfigError(f"{model_dir} holds a {settings['Global'].get('model_type')} model, not cls")
        g = (settings or {}).get("Global") or {}
        self.image_shape = parse_shape(cls_image_shape or g.get("image_shape") or UPSTREAM_CLS_SHAPE,
                                       "cls_image_shape")
        post = (settings or {}).get("PostProcess") or {}
        self.label_list = list(label_list or post.get("label_list") or ["0", "180"])
        self.batch_num = max(1, int(batch_num))
        self.cls_thresh = float(cls_thresh)
        self.predictor = create_predictor(model_dir, use_onnx=use_onnx, enable_mkldnn=enable_mkldnn,
                                          cpu_threads=cpu_threads, use_gpu=use_gpu, engine=engine,
                                          precision=precision)

    def __call__(self, crops: list[np.ndarray]) -> ClsResult:
        """Crops (rotated where a '180' label scores above ``cls_thresh``), labels, stage seconds."""
        crops = list(crops)
        labels = [ClsLabel("0", 0.0)] * len(crops)
        rotated = [False] * len(crops)
        times = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        order = np.argsort([c.shape[1] / max(c.shape[0], 1) for c in crops], kind="stable")
        for start in range(0, len(crops), self.batch_num):
            idx = order[start:start + self.batch_num]
            t0 = time.perf_counter()
            batch = np.stack([resize_norm_img(crops[i], self.image_shape, padding=True)[0] for i in idx])
            t1 = time.perf_counter()
            probs = self.predictor.run(batch)[0]
            t2 = time.perf_counter()
            for i, p in zip(idx, probs):
                k = int(np.argmax(p))
                label, score = self.label_list[k], float(p[k])
                labels[i] = ClsLabel(label, score)
                if "180" in label and score > self.cls_thresh:
                    crops[i] = cv2.rotate(crops[i], cv2.ROTATE_180)
                    rotated[i] = True
            times["preprocess"] += t1 - t0
            times["inference"] += t2 - t1
            times["postprocess"] += time.perf_counter() - t2
        return ClsResult(crops=crops, labels=labels, rotated=rotated, times=times)
