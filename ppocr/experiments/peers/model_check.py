"""Are the engines' model files the same models? sha256 per file, and ONNX vs Paddle outputs.

The RapidOCR onnxruntime/OpenVINO wheels ship ONNX conversions, the Paddle engines read the
released Paddle files: not the same bytes, so ``compare_onnx`` runs each ONNX file and its Paddle
counterpart (oneDNN off: plain fp32) on one fixed random input and reports the largest difference.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# ONNX file in rapidocr_onnxruntime/openvino 1.4.4 -> (official model, task, a test input shape)
ONNX_ORIGIN: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "ch_PP-OCRv4_det_infer.onnx": ("ch_PP-OCRv4_det", "det", (1, 3, 320, 480)),
    "ch_PP-OCRv4_rec_infer.onnx": ("ch_PP-OCRv4_rec", "rec", (2, 3, 48, 320)),
    "ch_ppocr_mobile_v2.0_cls_infer.onnx": ("ch_ppocr_mobile_v2.0_cls", "cls", (2, 3, 48, 192)),
}
# measured on the 1.4.4 wheels (both ship the same three files)
ONNX_SHA256 = {
    "ch_PP-OCRv4_det_infer.onnx": "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
    "ch_PP-OCRv4_rec_infer.onnx": "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx": "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
}


def official_name(file_name: str, sha256: str) -> str:
    """Which official model a file is: the zoo's pins for the Paddle files, ``ONNX_ORIGIN`` for the ONNX ones."""
    from ppocr.zoo.catalog import MEMBERS

    for wheel, members in MEMBERS.items():
        for key, member in members.items():
            if member.sha256 == sha256:
                return f"{key.split('/')[0]} (released, {wheel} pin)"
    if file_name in ONNX_ORIGIN:
        note = "" if ONNX_SHA256.get(file_name) == sha256 else ", other bytes than the 1.4.4 wheels'"
        return f"{ONNX_ORIGIN[file_name][0]} (ONNX conversion{note})"
    return "unknown"


def model_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per distinct (task, file, sha256) with the engines that read it."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        for task, entry in (row.get("models") or {}).items():
            for fname, sha in (entry.get("sha256") or {}).items():
                item = seen.setdefault((task, fname, sha), {"task": task, "file": fname, "sha256": sha,
                                                            "model": official_name(fname, sha), "engines": []})
                item["engines"].append(row["spec"])
    return sorted(seen.values(), key=lambda e: (e["task"], e["file"]))


def compare_onnx(onnx_files: dict[str, str], paddle_dirs: dict[str, str], threads: int = 2) -> list[dict[str, Any]]:
    """Max |ONNX - Paddle| per task on one seeded input (needs onnxruntime here: the ``[onnx]`` extra)."""
    from ppocr.inference.onnx_predictor import OnnxPredictor
    from ppocr.inference.predictor import create_predictor

    rng = np.random.default_rng(0)
    out = []
    for task, path in sorted(onnx_files.items()):
        shape = ONNX_ORIGIN.get(os.path.basename(path), (None, None, None))[2]
        if shape is None or task not in paddle_dirs:
            continue
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        a = OnnxPredictor(path, cpu_threads=threads).run(x)[0]
        b = create_predictor(paddle_dirs[task], cpu_threads=threads, enable_mkldnn=False).run(x)[0]
        out.append({"task": task, "onnx": path, "paddle": paddle_dirs[task], "input": list(shape),
                    "max_abs_diff": float(np.abs(a - b).max()) if a.shape == b.shape else None})
    return out


def format_models(entries: list[dict[str, Any]], checks: list[dict[str, Any]] | None = None) -> str:
    """Markdown: each model file (sha256 prefix), the official model it is, who reads it; ONNX checks."""
    lines = ["| task | file | sha256 | official model | engines |", "|---|---|---|---|---|"]
    for e in entries:
        lines.append(f"| {e['task']} | {e['file']} | {e['sha256'][:16]} | {e['model']} | {', '.join(e['engines'])} |")
    for c in checks or []:
        diff = "shapes differ" if c["max_abs_diff"] is None else f"{c['max_abs_diff']:.2e}"
        lines.append(f"\n{c['task']}: ONNX vs Paddle on one input {c['input']}: max |diff| {diff}")
    return "\n".join(lines)
