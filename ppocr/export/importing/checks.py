"""Does our model with the imported weights compute what the source computes?

Random inputs at three shapes (batch 2; fixed dimensions of the source's input kept) and
the given images (preprocessed by the config's Eval transforms, batch 1) go through both;
the main output (probabilities / probability maps, our model in eval mode) must agree
within ``atol``. Two float32 implementations of a deep model can differ by more than that on
real images (the PP-OCRv2 recognizer: up to ~3e-4 between onnxruntime's optimised and
unoptimised runs of the same file), so an input over ``atol`` still passes when the
difference is within ``NOISE_FACTOR`` times the source runtime's own optimised-vs-plain
difference on it; the report records both. On a mismatch, the mapped layers' activations
are compared pair by pair on that input and the first pair that differs is named.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import paddle

from ppocr.errors import ConfigError, DataError
from ppocr.export.importing.graph import SourceGraph, SourceOp
from ppocr.export.importing.mapping import MappingResult
from ppocr.export.importing.trace import Tracer
from ppocr.export.spec import image_shape_for

DET_SHAPES = ((320, 320), (256, 416), (480, 288))
LAYER_RTOL = 1e-3  # an activation differs when max|diff| > LAYER_RTOL * max(1, max|value|)
NOISE_FACTOR = 2.0


@dataclass
class OutputCheck:
    """One input through both models: its origin, NCHW shape and the max abs output difference.

    ``argmax_equal`` (rec/cls) says whether every row's best class is the same in both.
    ``source_noise`` is set when the difference exceeded ``atol``: the source runtime's own
    difference between its optimised and unoptimised runs on the same input. Such an input
    passes when the difference is within ``NOISE_FACTOR`` times that noise.
    """

    input: str
    shape: list[int]
    max_abs_diff: float
    argmax_equal: bool | None = None
    source_noise: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"input": self.input, "shape": self.shape, "max_abs_diff": self.max_abs_diff}
        if self.argmax_equal is not None:
            out["argmax_equal"] = self.argmax_equal
        if self.source_noise is not None:
            out["source_noise"] = self.source_noise
        return out


def input_shapes(config: dict[str, Any], model_type: str, declared: list[int]) -> list[list[int]]:
    """Three NCHW shapes for random inputs: the config's image shape and two others.

    rec/cls keep the height and vary the width (1x, 1/2x, 3/2x); det uses multiples of 32.
    A dimension the source fixes (``declared[k] > 0``) is used as fixed; when that leaves
    fewer than three shapes, the batch size varies instead.
    """
    if model_type == "det":
        hw = [list(s) for s in DET_SHAPES]
        channels = 3
    else:
        channels, height, width = image_shape_for(config, model_type)
        hw = [[height, width], [height, max(16, width // 2 // 4 * 4)], [height, width * 3 // 2 // 4 * 4]]
    shapes: list[list[int]] = []
    for batch, (h, w) in [(2, hw[0]), (2, hw[1]), (2, hw[2]), (1, hw[0]), (3, hw[0])]:
        shape = [batch, channels, h, w]
        for k, dim in enumerate(declared[:4]):
            if dim > 0:
                shape[k] = int(dim)
        if shape not in shapes and len(shapes) < 3:
            shapes.append(shape)
    return shapes


def load_images(config: dict[str, Any], paths: list[str]) -> list[tuple[str, np.ndarray]]:
    """Each image through the config's Eval transforms (train-only ones dropped), as ``[1, C, H, W]``."""
    items = []
    for path in paths:
        if not os.path.isfile(path):
            raise DataError(f"image not found: {path}")
        with open(path, "rb") as f:
            items.append((path, f.read()))
    return preprocess(config, items)


def preprocess(config: dict[str, Any], items: list[tuple[str, bytes]]) -> list[tuple[str, np.ndarray]]:
    """Encoded images (``(label, bytes)``) through the config's Eval transforms, as ``[1, C, H, W]``."""
    from ppocr.data.imaug import build_transforms, inference_ops, transform

    try:
        eval_ops = config["Eval"]["dataset"]["transforms"]
    except (KeyError, TypeError) as exc:
        raise ConfigError("checking on images needs Eval.dataset.transforms (the preprocessing)") from exc
    ops = build_transforms(inference_ops(eval_ops) + [{"KeepKeys": {"keep_keys": ["image"]}}],
                           config.get("Global") or {}, where="Eval.dataset.transforms (import check)")
    out = []
    for label, data in items:
        result = transform({"image": data, "img_path": label}, ops)
        if result is None:
            raise DataError(f"{label}: the Eval transforms rejected the image")
        out.append((label, np.asarray(result[0], dtype=np.float32)[None]))
    return out


def main_output(preds: Any) -> np.ndarray:
    """Probabilities (rec/cls) or the probability map (det ``maps``) as numpy.

    A sub-model built with ``return_all_feats`` returns ``{backbone_out, neck_out, head_out}``:
    the head's output is the one inference models give.
    """
    if isinstance(preds, dict) and "head_out" in preds:
        preds = preds["head_out"]
    if isinstance(preds, dict):
        preds = preds.get("maps", next(iter(preds.values())))
    if isinstance(preds, (list, tuple)):
        preds = preds[-1]
    return preds.numpy() if isinstance(preds, paddle.Tensor) else np.asarray(preds)


def _relayout(value: np.ndarray, op: SourceOp) -> np.ndarray:
    if op.probe_layout == "onnx_lstm":  # [T, D, N, H] -> [N, T, D*H]
        t, d, n, h = value.shape
        return value.transpose(2, 0, 1, 3).reshape(n, t, d * h)
    if op.probe_layout == "time_major":  # [T, N, C] -> [N, T, C]
        return value.transpose(1, 0, 2)
    return value


def first_divergence(tracer: Tracer, graph: SourceGraph, mapping: MappingResult, runner: Any,
                     x: np.ndarray) -> str:
    """Which mapped pair first computes something else on ``x`` (a sentence for the error)."""
    tracer.run(x, capture=True)
    values = [graph.ops[p.sources[-1]].output for p in mapping.pairs]
    theirs_all = runner.probe(x, values)
    worst = 0.0
    for pair in mapping.pairs:
        op = graph.ops[pair.sources[-1]]
        layer = tracer.layers[pair.targets[-1]]
        ours = tracer.outputs[pair.targets[-1]]
        theirs = _relayout(theirs_all[op.output], op)
        where = f"our {layer.path} vs source {op.op_type} '{op.name}'"
        if ours is None or ours.shape != theirs.shape:
            got = None if ours is None else list(ours.shape)
            return f"first divergent layer: {where} (shapes {got} vs {list(theirs.shape)})"
        diff = float(np.abs(ours - theirs).max()) if ours.size else 0.0
        scale = max(1.0, float(np.abs(theirs).max()) if theirs.size else 0.0)
        worst = max(worst, diff / scale)
        if diff > LAYER_RTOL * scale:
            return (f"first divergent layer: {where} (max |diff| {diff:.3g}, values up to {scale:.3g}); the "
                    "ops between it and the previous mapped layer, or its own settings, differ")
    last = tracer.layers[mapping.pairs[-1].targets[-1]].path if mapping.pairs else "(none)"
    return (f"all {len(mapping.pairs)} mapped layers agree (max relative diff {worst:.2g}); the difference "
            f"arises after the last one ({last}), in ops without weights (activation, pooling, softmax...)")


def run_checks(model: Any, tracer: Tracer, graph: SourceGraph, mapping: MappingResult, runner: Any,
               shapes: list[list[int]], images: list[tuple[str, np.ndarray]], atol: float, where: str,
               seed: int = 0, source_outputs: dict[str, np.ndarray] | None = None) -> list[OutputCheck]:
    """Compare on random inputs of ``shapes`` and on ``images``.

    ``source_outputs`` (input label -> the source's output) is filled on the first call and
    reused by a second one on the same inputs (the importer checks a fused and an unfused model).

    Raises:
        ConfigError: an output differs by more than ``atol`` (or in shape), with the first
            divergent layer.
    """
    rng = np.random.default_rng(seed)
    inputs = [(f"random uniform(-1, 1) #{k} (seed {seed})", rng.uniform(-1, 1, size=s).astype(np.float32))
              for k, s in enumerate(shapes)]
    inputs += list(images)
    checks = []
    model.eval()
    for label, x in inputs:
        with paddle.no_grad():
            ours = main_output(model(paddle.to_tensor(x)))
        if source_outputs is not None and label in source_outputs:
            theirs = source_outputs[label]
        else:
            theirs = np.asarray(runner.run(x))
            if source_outputs is not None:
                source_outputs[label] = theirs
        if ours.shape != theirs.shape:
            raise ConfigError(f"{where}: output shape {list(ours.shape)} in our model, {list(theirs.shape)} in the "
                              f"source, on {label} {list(x.shape)}")
        diff = float(np.abs(ours - theirs).max())
        argmax = bool((ours.argmax(-1) == theirs.argmax(-1)).all()) if ours.ndim in (2, 3) else None
        check = OutputCheck(label, list(x.shape), diff, argmax)
        checks.append(check)
        if diff <= atol:
            continue
        check.source_noise = float(np.abs(theirs - np.asarray(runner.run_plain(x))).max())
        if diff <= NOISE_FACTOR * check.source_noise:
            continue
        reason = first_divergence(tracer, graph, mapping, runner, x)
        raise ConfigError(f"{where}: the imported weights do not reproduce the source: max |diff| {diff:.3g} > "
                          f"{atol:g} on {label} {list(x.shape)} (the source's own optimised-vs-plain difference "
                          f"there: {check.source_noise:.3g}); {reason}")
    return checks
