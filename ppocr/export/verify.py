"""Exported graph vs dygraph on the same inputs: outputs within tolerance, same decoded output.

Two passes over the same batches, because they answer two questions:
- **native**: the graph on Paddle's own CPU kernels (oneDNN off), the kernels dygraph runs. This
  checks the export itself: it must give the dygraph model's outputs within ``atol`` (measured
  ~2e-6 on a fine-tuned PP-OCRv4 rec) and the same decoded texts.
- **oneDNN**: the graph as the predictors run it. oneDNN's float32 kernels round differently; on
  trained PP-OCRv4 models that moves the probabilities by up to ~3e-4 (measured 2.85e-4 on a
  fine-tuned v4 rec, 2e-6 natively, every decoded text the same), so this pass has its own,
  looser ``onednn_atol`` and must decode the same texts.
"""

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


def _compare(refs: list[np.ndarray], batches: list[Any], predictor: Predictor,
             post_process) -> tuple[float, int]:
    """(max |exported - dygraph|, decoded mismatches) of one predictor over the batches."""
    max_diff, mismatch = 0.0, 0
    for ref, batch in zip(refs, batches):
        images = batch[0]
        got = predictor.run(images.numpy() if isinstance(images, paddle.Tensor) else images)[0]
        if ref.shape != got.shape:
            raise AssertionError(f"exported output shape {got.shape} != dygraph {ref.shape}")
        max_diff = max(max_diff, float(np.abs(ref - got).max()))
        if post_process is not None and ref.ndim == 3:  # rec: compare decoded strings
            ref_text = [t for t, _ in post_process(ref)]
            got_text = [t for t, _ in post_process(got)]
            mismatch += sum(a != b for a, b in zip(ref_text, got_text))
    return max_diff, mismatch


def verify_export(model, save_dir: str, batches: list[Any], post_process=None,
                  enable_mkldnn: bool = True, atol: float = 1e-4, onednn_atol: float = 1e-3) -> dict[str, Any]:
    """Run the dygraph model and the export on ``batches`` (loader batches: image first).

    Returns ``samples``, the native pass's ``max_abs_diff`` and ``decoded_mismatch``, ``onednn``
    (whether the oneDNN pass ran), its ``onednn_max_abs_diff`` and ``onednn_decoded_mismatch``, and
    ``ok``: both passes within their tolerance with no decoded mismatch.
    """
    model.eval()
    refs = []
    for batch in batches:
        with paddle.no_grad():
            refs.append(_main_output(model(batch[0])))
    native = Predictor(save_dir, enable_mkldnn=False)
    max_diff, mismatch = _compare(refs, batches, native, post_process)
    report: dict[str, Any] = {"samples": sum(r.shape[0] for r in refs), "max_abs_diff": max_diff,
                              "decoded_mismatch": mismatch, "onednn": False}
    ok = max_diff <= atol and mismatch == 0
    if enable_mkldnn:
        onednn = Predictor(save_dir, enable_mkldnn=True)
        report["onednn"] = onednn.enable_mkldnn  # False on GPU: nothing more to check
        if onednn.enable_mkldnn:
            diff, bad = _compare(refs, batches, onednn, post_process)
            report.update(onednn_max_abs_diff=diff, onednn_decoded_mismatch=bad)
            ok = ok and diff <= onednn_atol and bad == 0
    report["ok"] = ok
    return report
