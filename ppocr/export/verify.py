"""Exported graph vs dygraph on the same inputs: logits within tolerance, same decoded output."""

from __future__ import annotations

from typing import Any

import numpy as np
import paddle

from ppocr.inference.predictor import Predictor


def _main_output(preds: Any) -> np.ndarray:
    if isinstance(preds, dict):
        preds = preds.get("maps", next(iter(preds.values())))
    if isinstance(preds, (list, tuple)):
        preds = preds[-1]
    return preds.numpy() if isinstance(preds, paddle.Tensor) else np.asarray(preds)


def verify_export(model, save_dir: str, batches: list[Any], post_process=None,
                  enable_mkldnn: bool = True, atol: float = 1e-4) -> dict[str, Any]:
    """Run both on ``batches`` (loader batches: image first); report max diff and mismatches."""
    model.eval()
    predictor = Predictor(save_dir, enable_mkldnn=enable_mkldnn)
    max_diff, decoded_mismatch, samples = 0.0, 0, 0
    for batch in batches:
        images = batch[0]
        with paddle.no_grad():
            ref = _main_output(model(images))
        got = predictor.run(images.numpy() if isinstance(images, paddle.Tensor) else images)[0]
        if ref.shape != got.shape:
            raise AssertionError(f"exported output shape {got.shape} != dygraph {ref.shape}")
        max_diff = max(max_diff, float(np.abs(ref - got).max()))
        samples += ref.shape[0]
        if post_process is not None and ref.ndim == 3:  # rec: compare decoded strings
            ref_text = [t for t, _ in post_process(ref)]
            got_text = [t for t, _ in post_process(got)]
            decoded_mismatch += sum(a != b for a, b in zip(ref_text, got_text))
    return {"samples": samples, "max_abs_diff": max_diff, "decoded_mismatch": decoded_mismatch,
            "onednn": predictor.enable_mkldnn, "ok": max_diff <= atol and decoded_mismatch == 0}
