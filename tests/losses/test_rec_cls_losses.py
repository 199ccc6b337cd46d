"""CTCLoss against a brute-force sum over alignments; ClsLoss against hand values."""

import itertools
import math

import numpy as np
import paddle
import pytest

from ppocr.errors import DataError
from ppocr.losses import build_loss


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def brute_force_ctc(logits, label):
    """-log P(label) summing every path of length T that collapses to the label (blank 0)."""
    probs = softmax(logits.astype(np.float64))
    steps, classes = probs.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
        if collapsed == label:
            total += math.prod(probs[i, c] for i, c in enumerate(path))
    return -math.log(total)


@pytest.fixture()
def ctc_case():
    logits = np.random.default_rng(1).normal(size=(2, 4, 3)).astype(np.float32)  # N=2, T=4, C=3
    labels = np.array([[1, 2, 0], [2, 2, 0]], dtype=np.int64)  # "12" and "22" (needs a blank between)
    lengths = np.array([2, 2], dtype=np.int64)
    expected = [brute_force_ctc(logits[0], [1, 2]), brute_force_ctc(logits[1], [2, 2])]
    return logits, [None, paddle.to_tensor(labels), paddle.to_tensor(lengths)], expected


def test_ctc_matches_brute_force(ctc_case):
    logits, batch, expected = ctc_case
    out = build_loss({"name": "CTCLoss"})(paddle.to_tensor(logits), batch)
    assert set(out) == {"loss"}
    assert float(out["loss"]) == pytest.approx(np.mean(expected), rel=1e-4)


def test_ctc_focal_weighting(ctc_case):
    logits, batch, expected = ctc_case
    out = build_loss({"name": "CTCLoss", "use_focal_loss": True})(paddle.to_tensor(logits), batch)
    focal = [loss * (1 - math.exp(-loss)) ** 2 for loss in expected]
    assert float(out["loss"]) == pytest.approx(np.mean(focal), rel=1e-4)


def test_ctc_reads_logits_last_of_return_feats_tuple(ctc_case):
    logits, batch, expected = ctc_case
    feats = paddle.zeros([2, 4, 5])
    out = build_loss({"name": "CTCLoss"})((feats, paddle.to_tensor(logits)), batch)
    assert float(out["loss"]) == pytest.approx(np.mean(expected), rel=1e-4)


def test_ctc_gradient_flows(ctc_case):
    logits, batch, _ = ctc_case
    x = paddle.to_tensor(logits, stop_gradient=False)
    build_loss({"name": "CTCLoss"})(x, batch)["loss"].backward()
    assert x.grad is not None and float(paddle.abs(x.grad).sum()) > 0


def test_ctc_bad_inputs(ctc_case):
    logits, batch, _ = ctc_case
    loss = build_loss({"name": "CTCLoss"})
    with pytest.raises(DataError, match=r"\[N, T, C\]"):
        loss(paddle.to_tensor(logits[0]), batch)
    with pytest.raises(DataError, match="image, label, length"):
        loss(paddle.to_tensor(logits), batch[:2])
    with pytest.raises(DataError, match="batch of 2"):
        loss(paddle.to_tensor(logits), [None, batch[1][:1], batch[2][:1]])


def test_cls_loss_is_nll_of_probabilities():
    probs = paddle.to_tensor([[0.8, 0.2], [0.3, 0.7]])
    out = build_loss({"name": "ClsLoss"})(probs, [None, paddle.to_tensor([0, 1])])
    assert float(out["loss"]) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-6)


def test_cls_loss_clips_zero_probability_and_accepts_column_labels():
    probs = paddle.to_tensor([[1.0, 0.0]])
    out = build_loss({"name": "ClsLoss"})(probs, [None, paddle.to_tensor([[1]])])
    assert float(out["loss"]) == pytest.approx(-math.log(1e-10), rel=1e-5)


def test_cls_loss_gradient_and_errors():
    logits = paddle.to_tensor([[0.5, -0.5], [0.1, 0.2]], stop_gradient=False)
    loss = build_loss({"name": "ClsLoss"})
    loss(paddle.nn.functional.softmax(logits), [None, paddle.to_tensor([1, 0])])["loss"].backward()
    assert logits.grad is not None and float(paddle.abs(logits.grad).sum()) > 0
    with pytest.raises(DataError, match="3 labels for 2"):
        loss(paddle.to_tensor([[0.5, 0.5], [0.5, 0.5]]), [None, paddle.to_tensor([0, 1, 1])])
    with pytest.raises(DataError, match="class_dim"):
        loss(paddle.to_tensor([0.5, 0.5]), [None, paddle.to_tensor([0])])
