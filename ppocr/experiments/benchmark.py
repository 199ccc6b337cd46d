"""Per-stage latency of the OCR system with oneDNN on and off, measured in one run."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np

from ppocr.config import load_config
from ppocr.export.exporter import export_model
from ppocr.inference.cls import TextClassifier
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer
from ppocr.modeling.architectures import build_model, resolve_architecture

PPOCRV2_CONFIGS = {
    "det": "configs/det/ch_PP-OCRv2/ch_PP-OCRv2_det_student.yml",
    "cls": "configs/cls/cls_mv3.yml",
    "rec": "configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec.yml",
}
STAGES = ("det_preprocess", "det_inference", "det_postprocess", "cls", "rec")


def export_ppocrv2(work_dir: str, repo_root: str = ".") -> dict[str, str]:
    """Export the PP-OCRv2 det/cls/rec architectures (random weights: speed does not need training)."""
    import paddle

    paddle.seed(0)
    dirs = {}
    for kind, rel in PPOCRV2_CONFIGS.items():
        config = load_config(os.path.join(repo_root, rel))
        model = build_model(resolve_architecture(config))
        dirs[kind] = export_model(config, model, os.path.join(work_dir, kind))[0]
    return dirs


def text_like_crops(img: np.ndarray, count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` crops of text-line proportions (height 20-48 px, aspect 2-12) cut from ``img``."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    crops = []
    for _ in range(count):
        ch = int(rng.integers(20, 49))
        cw = int(min(w, ch * rng.uniform(2, 12)))
        y = int(rng.integers(0, max(1, h - ch)))
        x = int(rng.integers(0, max(1, w - cw)))
        crops.append(img[y:y + ch, x:x + cw].copy())
    return crops


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1e3, 2)


def measure(dirs: dict[str, str], img: np.ndarray, crops: list[np.ndarray], enable_mkldnn: bool,
            limit_side_len: int, repeats: int, warmup: int, cpu_threads: int | None,
            rec_char_dict_path: str | None) -> dict[str, Any]:
    det = TextDetector(dirs["det"], limit_side_len=limit_side_len, limit_type="max",
                       enable_mkldnn=enable_mkldnn, cpu_threads=cpu_threads)
    cls = TextClassifier(dirs["cls"], enable_mkldnn=enable_mkldnn, cpu_threads=cpu_threads)
    rec = TextRecognizer(dirs["rec"], char_dict_path=rec_char_dict_path, enable_mkldnn=enable_mkldnn,
                         cpu_threads=cpu_threads)
    samples: dict[str, list[float]] = {s: [] for s in STAGES}
    num_boxes = 0
    for i in range(warmup + repeats):
        found = det(img)
        t0 = time.perf_counter()
        cls(crops)
        t1 = time.perf_counter()
        rec(crops)
        t2 = time.perf_counter()
        if i >= warmup:
            samples["det_preprocess"].append(found.times["preprocess"])
            samples["det_inference"].append(found.times["inference"])
            samples["det_postprocess"].append(found.times["postprocess"])
            samples["cls"].append(t1 - t0)
            samples["rec"].append(t2 - t1)
            num_boxes = len(found.boxes)
    result = {s: _median_ms(v) for s, v in samples.items()}
    result["total"] = round(sum(result[s] for s in STAGES), 2)
    result["onednn_active"] = det.predictor.enable_mkldnn
    result["det_boxes"] = num_boxes
    result["det_input"] = list(det.preprocess(img)[0].shape)
    return result


def run_benchmark(dirs: dict[str, str], img: np.ndarray, num_crops: int = 20, limit_side_len: int = 960,
                  repeats: int = 5, warmup: int = 2, cpu_threads: int | None = None,
                  rec_char_dict_path: str | None = None) -> dict[str, Any]:
    crops = text_like_crops(img, num_crops)
    on = measure(dirs, img, crops, True, limit_side_len, repeats, warmup, cpu_threads, rec_char_dict_path)
    off = measure(dirs, img, crops, False, limit_side_len, repeats, warmup, cpu_threads, rec_char_dict_path)
    ratio = {s: round(off[s] / on[s], 2) if on[s] else None for s in (*STAGES, "total")}
    return {"onednn_on": on, "onednn_off": off, "ratio_off_over_on": ratio, "num_crops": num_crops}


def format_table(result: dict[str, Any]) -> str:
    on, off, ratio = result["onednn_on"], result["onednn_off"], result["ratio_off_over_on"]
    lines = ["| stage | oneDNN on (ms) | oneDNN off (ms) | off/on |", "|---|---:|---:|---:|"]
    for stage in (*STAGES, "total"):
        lines.append(f"| {stage} | {on[stage]} | {off[stage]} | {ratio[stage]}x |")
    lines.append(f"\ndet input {on['det_input']}, cls/rec on {result['num_crops']} crops; "
                 f"oneDNN actually active: {on['onednn_active']} / {off['onednn_active']}")
    return "\n".join(lines)
