"""DB text detection with ``paddle.inference``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ppocr.config import parse_number
from ppocr.data.imaug.det_resize import resize_for_test
from ppocr.errors import ConfigError
from ppocr.inference.buckets import det_side_bucket, pad_bottom_right
from ppocr.inference.crop import order_quad
from ppocr.inference.model_settings import preprocess_op, read_inference_yml
from ppocr.inference.predictor import create_predictor, settings_dir
from ppocr.inference.results import DetResult
from ppocr.postprocess.db_postprocess import DBPostProcess

# Upstream PaddleOCR's predictor defaults (tools/infer/utility.py).
DET_DEFAULTS = {"limit_side_len": 960, "limit_type": "max", "thresh": 0.3, "box_thresh": 0.6,
                "unclip_ratio": 1.5, "use_dilation": False, "score_mode": "fast", "box_type": "quad",
                "max_candidates": 1000}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class TextDetector:
    """Finds text boxes; explicit arguments win over ``inference.yml``, which wins over defaults.

    ``shape_buckets`` (attribute, default off): pad the network input to one of a few bucket sizes
    (``ppocr.inference.buckets``) so oneDNN's shape cache covers every photo; boxes move by a few
    pixels near the padded edges, so it is opt-in.
    """

    shape_buckets: bool = False

    def __init__(self, model_dir: str, limit_side_len: int | None = None, limit_type: str | None = None,
                 thresh: float | None = None, box_thresh: float | None = None,
                 unclip_ratio: float | None = None, use_dilation: bool | None = None,
                 score_mode: str | None = None, box_type: str | None = None,
                 enable_mkldnn: bool = True, cpu_threads: int | None = None, use_gpu: bool = False,
                 use_onnx: bool = False, engine: str | None = None, precision: str = "fp32") -> None:
        settings = read_inference_yml(settings_dir(model_dir))
        if settings is not None and settings["Global"].get("model_type") != "det":
            raise ConfigError(f"{model_dir} holds a {settings['Global'].get('model_type')} model, not det")
        resize = preprocess_op(settings, "DetResizeForTest") or {}
        post = (settings or {}).get("PostProcess") or {}
        chosen = dict(DET_DEFAULTS)
        chosen.update({k: resize[k] for k in ("limit_side_len", "limit_type") if k in resize})
        chosen.update({k: post[k] for k in DET_DEFAULTS if k in post})
        given = {"limit_side_len": limit_side_len, "limit_type": limit_type, "thresh": thresh,
                 "box_thresh": box_thresh, "unclip_ratio": unclip_ratio, "use_dilation": use_dilation,
                 "score_mode": score_mode, "box_type": box_type}
        chosen.update({k: v for k, v in given.items() if v is not None})
        self.settings = chosen
        norm = preprocess_op(settings, "NormalizeImage") or {}
        scale = parse_number(norm.get("scale", 1.0 / 255.0), "NormalizeImage.scale")
        mean = np.array(norm.get("mean", IMAGENET_MEAN), dtype=np.float32)
        std = np.array(norm.get("std", IMAGENET_STD), dtype=np.float32)
        # One multiply-add per pixel: (x * scale - mean) / std == x * a + b
        self._norm_a = (scale / std).astype(np.float32)
        self._norm_b = (-mean / std).astype(np.float32)
        self.postprocess = DBPostProcess(
            thresh=chosen["thresh"], box_thresh=chosen["box_thresh"], max_candidates=chosen["max_candidates"],
            unclip_ratio=chosen["unclip_ratio"], use_dilation=chosen["use_dilation"],
            score_mode=chosen["score_mode"], box_type=chosen["box_type"])
        self.predictor = create_predictor(model_dir, use_onnx=use_onnx, enable_mkldnn=enable_mkldnn,
                                          cpu_threads=cpu_threads, use_gpu=use_gpu, engine=engine,
                                          precision=precision)

    def preprocess(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        resized, (ratio_h, ratio_w) = resize_for_test(img, self.settings["limit_side_len"],
                                                      self.settings["limit_type"])
        x = resized.astype(np.float32) * self._norm_a + self._norm_b
        x = x.transpose(2, 0, 1)[None]
        shape = np.array([[img.shape[0], img.shape[1], ratio_h, ratio_w]], dtype=np.float32)
        return np.ascontiguousarray(x), shape

    def bucket_size(self, height: int, width: int) -> tuple[int, int]:
        """The network input size for a resized ``height x width`` (itself without ``shape_buckets``)."""
        if not self.shape_buckets:
            return height, width
        limit = None
        if self.settings["limit_type"] == "max":
            limit = max(32, int(round(self.settings["limit_side_len"] / 32)) * 32)
        return det_side_bucket(height, limit), det_side_bucket(width, limit)

    def infer(self, x: np.ndarray, run: Callable[[np.ndarray], list[np.ndarray]] | None = None) -> np.ndarray:
        """Probability maps ``[1, C, h, w]`` for a preprocessed ``[1, 3, h, w]``; the input is padded to
        its bucket (``shape_buckets``) and the maps cropped back, so post-processing sees ``h x w``.
        ``run`` replaces ``self.predictor.run`` (the throughput mode runs det on its own thread)."""
        h, w = x.shape[-2:]
        maps = (run or self.predictor.run)(pad_bottom_right(x, *self.bucket_size(h, w)))[0]
        return maps[..., :h, :w]

    def boxes(self, maps: np.ndarray, shape: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
        """DB post-processing of ``infer``'s maps into filtered boxes of a ``hw`` source image."""
        boxes = self.postprocess({"maps": maps}, shape)[0]["points"]
        return filter_boxes(np.asarray(boxes, dtype=np.float32), hw)

    def __call__(self, img: np.ndarray) -> DetResult:
        """Boxes ``[K, 4, 2]`` (float32, source coordinates, clockwise from top-left) and stage times."""
        t0 = time.perf_counter()
        x, shape = self.preprocess(img)
        t1 = time.perf_counter()
        maps = self.infer(x)
        t2 = time.perf_counter()
        boxes = self.boxes(maps, shape, img.shape[:2])
        t3 = time.perf_counter()
        return DetResult(boxes, {"preprocess": t1 - t0, "inference": t2 - t1, "postprocess": t3 - t2})

    def describe(self) -> dict[str, Any]:
        return {**self.settings, "onednn": self.predictor.enable_mkldnn}


def filter_boxes(boxes: np.ndarray, hw: tuple[int, int], min_side: float = 3.0) -> np.ndarray:
    """Clip to the image and drop boxes with a side of ``min_side`` pixels or less."""
    h, w = hw
    kept = []
    for box in boxes:
        if box.shape[0] == 4:
            box = order_quad(box)
        box = np.stack([np.clip(box[:, 0], 0, w - 1), np.clip(box[:, 1], 0, h - 1)], axis=1)
        width = np.linalg.norm(box[0] - box[1])
        height = np.linalg.norm(box[0] - box[-1])
        if width > min_side and height > min_side:
            kept.append(box)
    if not kept:
        return np.zeros((0, 4, 2), dtype=np.float32)
    if len({b.shape for b in kept}) == 1:
        return np.stack(kept).astype(np.float32)
    return np.array(kept, dtype=object)
