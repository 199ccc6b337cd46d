"""DistillationDKDLoss (DKD on MultiHead's NRTR branch) and DistillCTCLogits (KL of time-averaged
CTC distributions), against small numpy references written from the papers'/upstream's formulas."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.losses import build_loss
from ppocr.losses.basic_loss import DKDLoss
from ppocr.losses.distillation_loss import DistillationDKDLoss, DistillCTCLogits


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def dkd_reference(student, teacher, target, temperature=1.0, alpha=1.0, beta=1.0):
    """Per position: TCKD = KL of [p(target), p(others)], NCKD = KL over the non-target classes."""
    s = student.reshape(-1, student.shape[-1]).astype(np.float64) / temperature
    t = teacher.reshape(-1, teacher.shape[-1]).astype(np.float64) / temperature
    tckd, nckd = [], []
    for si, ti, g in zip(s, t, target.reshape(-1)):
        ps, pt = _softmax(si), _softmax(ti)
        bs = np.array([ps[g], ps.sum() - ps[g]])
        bt = np.array([pt[g], pt.sum() - pt[g]])
        tckd.append((bt * (np.log(bt + 1e-10) - np.log(bs))).sum())
        si2, ti2 = si.copy(), ti.copy()
        si2[g] -= 1000.0
        ti2[g] -= 1000.0
        pt2 = _softmax(ti2)
        log_ps2 = si2 - si2.max() - np.log(np.exp(si2 - si2.max()).sum())
        nckd.append((pt2 * (np.log(pt2 + 1e-10) - log_ps2)).sum())
    return (alpha * np.mean(tckd) + beta * np.mean(nckd)) * temperature**2


def ctc_logits_reference(student, teacher):
    def freq(z):
        z = z.astype(np.float64).copy()
        z[..., 0] = -z[..., 0]  # blank logit negated
        return _softmax(z / 0.5).mean(axis=1)

    qs, qt = freq(student), freq(teacher)
    return (qt * np.log((qt + 1e-6) / (qs + 1e-6) + 1e-6)).sum() / student.shape[0]


def _batch(label_gtc, length, n):
    return [paddle.zeros([n, 3, 4, 4]), paddle.zeros([n, 5], dtype="int64"),
            paddle.to_tensor(np.array(label_gtc, dtype=np.int64)), paddle.to_tensor(np.array(length, dtype=np.int64)),
            paddle.ones([n])]


RNG = np.random.default_rng(0)
C = 9
# label_gtc: <s>=2, chars, </s>=3, padding 0 (NRTRLabelEncode); lengths 2 and 1 -> targets [:, 1:4]
LABEL_GTC = [[2, 5, 7, 3, 0, 0], [2, 6, 3, 0, 0, 0]]
LENGTH = [2, 1]
TARGET = np.array(LABEL_GTC)[:, 1:4]


@pytest.mark.parametrize("temperature, alpha, beta", [(1.0, 1.0, 1.0), (1.0, 1.0, 2.0), (2.5, 0.5, 3.0)])
def test_dkd_matches_reference(temperature, alpha, beta):
    s, t = RNG.normal(size=(2, 3, C)).astype(np.float32), RNG.normal(size=(2, 3, C)).astype(np.float32) * 2
    got = DKDLoss(temperature, alpha, beta)(paddle.to_tensor(s), paddle.to_tensor(t), paddle.to_tensor(TARGET))
    assert got.shape == [] or got.size == 1
    np.testing.assert_allclose(float(got), dkd_reference(s, t, TARGET, temperature, alpha, beta), rtol=1e-4)


def test_dkd_of_identical_logits_is_zero_and_padding_positions_count():
    s = RNG.normal(size=(2, 3, C)).astype(np.float32)
    assert abs(float(DKDLoss()(paddle.to_tensor(s), paddle.to_tensor(s), paddle.to_tensor(TARGET)))) < 1e-5
    t = RNG.normal(size=(2, 3, C)).astype(np.float32)
    full = float(DKDLoss()(paddle.to_tensor(s), paddle.to_tensor(t), paddle.to_tensor(TARGET)))
    # upstream averages over every position, padding (class 0) included: the mean of per-position values
    per_pos = [dkd_reference(s[i:i + 1, j:j + 1], t[i:i + 1, j:j + 1], TARGET[i:i + 1, j:j + 1])
               for i in range(2) for j in range(3)]
    assert TARGET[1, 2] == 0
    np.testing.assert_allclose(full, np.mean(per_pos), rtol=1e-4)


def _dkd_predicts(s, t, ctc_s=None, ctc_t=None):
    def out(nrtr, ctc):
        return {"head_out": {"ctc": ctc if ctc is not None else paddle.zeros([2, 4, C]), "ctc_neck": None,
                             "nrtr": nrtr}}
    return {"Student": out(s, ctc_s), "Teacher": out(t, ctc_t)}


def test_distillation_dkd_loss_reads_gtc_branch_and_batch_2_3():
    s_np, t_np = RNG.normal(size=(2, 3, C)).astype(np.float32), RNG.normal(size=(2, 3, C)).astype(np.float32)
    s = paddle.to_tensor(s_np, stop_gradient=False)
    t = paddle.to_tensor(t_np)  # a frozen teacher's outputs carry no gradient
    loss_fn = DistillationDKDLoss(model_name_pairs=[["Student", "Teacher"]], key="head_out", multi_head=True,
                                  alpha=1.0, beta=2.0, dis_head="gtc", name="dkd")
    losses = loss_fn(_dkd_predicts(s, t), _batch(LABEL_GTC, LENGTH, 2))
    assert list(losses) == ["dkd_0", "loss"]
    expected = dkd_reference(s_np, t_np, TARGET, beta=2.0)
    np.testing.assert_allclose(float(losses["dkd_0"]), expected, rtol=1e-4)
    np.testing.assert_allclose(float(losses["loss"]), expected, rtol=1e-4)
    losses["loss"].backward()
    # the student's gradient is the reference's (central differences at a few entries)
    grad = s.grad.numpy()
    for idx in [(0, 0, 5), (0, 1, 2), (1, 2, 0), (1, 1, 3)]:
        plus, minus = s_np.astype(np.float64), s_np.astype(np.float64)
        plus[idx] += 1e-3
        minus[idx] -= 1e-3
        numeric = (dkd_reference(plus, t_np, TARGET, beta=2.0) - dkd_reference(minus, t_np, TARGET, beta=2.0)) / 2e-3
        np.testing.assert_allclose(grad[idx], numeric, rtol=2e-2, atol=1e-4)
    assert t.grad is None


def test_distillation_dkd_loss_pairs_named_by_index_in_combined_loss():
    s, t = paddle.to_tensor(RNG.normal(size=(2, 3, C)).astype(np.float32)), paddle.to_tensor(
        RNG.normal(size=(2, 3, C)).astype(np.float32))
    preds = _dkd_predicts(s, t)
    preds["Student2"] = preds["Student"]
    combined = build_loss({"name": "CombinedLoss", "loss_config_list": [{"DistillationDKDLoss": {
        "weight": 0.1, "model_name_pairs": [["Student", "Teacher"], ["Student2", "Teacher"]], "key": "head_out",
        "multi_head": True, "dis_head": "nrtr"}}]})
    losses = combined(preds, _batch(LABEL_GTC, LENGTH, 2))
    assert set(losses) == {"dkd_0", "dkd_1", "loss"}
    np.testing.assert_allclose(float(losses["loss"]), 0.2 * dkd_reference(s.numpy(), t.numpy(), TARGET), rtol=1e-4)


def test_distillation_dkd_loss_errors():
    with pytest.raises(ConfigError, match="multi_head: true"):
        DistillationDKDLoss(model_name_pairs=["Student", "Teacher"], key="head_out")
    with pytest.raises(ConfigError, match="maps_name"):
        DistillationDKDLoss(model_name_pairs=["Student", "Teacher"], multi_head=True, maps_name="thrink_maps")
    with pytest.raises(ConfigError, match="temperature"):
        DistillationDKDLoss(model_name_pairs=["Student", "Teacher"], multi_head=True, temperature=0)
    loss_fn = DistillationDKDLoss(model_name_pairs=["Student", "Teacher"], key="head_out", multi_head=True,
                                  dis_head="gtc")
    s = paddle.zeros([2, 4, C])  # 4 positions, but max(length) + 1 = 3 targets
    with pytest.raises(DataError, match="6 targets for 2x4"):
        loss_fn(_dkd_predicts(s, s), _batch(LABEL_GTC, LENGTH, 2))
    with pytest.raises(DataError, match="label_gtc"):
        loss_fn(_dkd_predicts(s, s), _batch(LABEL_GTC, LENGTH, 2)[:3])
    with pytest.raises(DataError, match="no 'nrtr'"):
        loss_fn({"Student": {"head_out": {"ctc": s}}, "Teacher": {"head_out": {"ctc": s}}},
                _batch(LABEL_GTC, LENGTH, 2))


def test_distill_ctc_logits_matches_reference():
    s_np = RNG.normal(size=(2, 5, C)).astype(np.float32) * 3
    t_np = RNG.normal(size=(2, 5, C)).astype(np.float32) * 3
    s = paddle.to_tensor(s_np, stop_gradient=False)
    t = paddle.to_tensor(t_np)
    loss_fn = DistillCTCLogits(model_name_pairs=[["Student", "Teacher"]], key="head_out", reduction="mean")
    losses = loss_fn(_dkd_predicts(None, None, s, t), _batch(LABEL_GTC, LENGTH, 2))
    assert list(losses) == ["ctc_logits_0", "loss"]
    expected = ctc_logits_reference(s_np, t_np)
    assert expected > 0.01
    np.testing.assert_allclose(float(losses["ctc_logits_0"]), expected, rtol=1e-4)
    losses["loss"].backward()
    assert s.grad is not None and float(paddle.abs(s.grad).sum()) > 0 and t.grad is None
    # the logits handed in are not modified (upstream negates the blank out of place too)
    np.testing.assert_array_equal(s.numpy(), s_np)
    # reduction is ignored, as upstream; without key the outputs are the logits themselves
    plain = DistillCTCLogits(model_name_pairs=["Student", "Teacher"], reduction="sum")(
        {"Student": paddle.to_tensor(s_np), "Teacher": t}, [])
    np.testing.assert_allclose(float(plain["ctc_logits_0"]), expected, rtol=1e-4)


def test_distill_ctc_logits_zero_for_identical_and_shape_errors():
    z = paddle.to_tensor(RNG.normal(size=(2, 5, C)).astype(np.float32))
    same = DistillCTCLogits(model_name_pairs=["Student", "Teacher"])({"Student": z, "Teacher": z}, [])
    assert abs(float(same["loss"])) < 1e-5
    for other in ([2, 5, C + 1], [2, 4, C]):  # upstream fails on any shape difference too
        with pytest.raises(DataError, match="of one shape"):
            DistillCTCLogits(model_name_pairs=["Student", "Teacher"])(
                {"Student": z, "Teacher": paddle.zeros(other)}, [])
