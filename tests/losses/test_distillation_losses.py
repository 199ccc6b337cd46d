"""Distillation losses: hand-computed values, upstream's part names, DilaDB's target."""

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.losses import build_loss
from ppocr.losses.basic_loss import DistanceLoss, DMLLoss
from ppocr.losses.det_basic_loss import BalanceLoss, DiceLoss
from ppocr.losses.distillation_loss import DistillationDBLoss, dilate_teacher_maps
from ppocr.losses.rec_ctc_loss import CTCLoss

RNG = np.random.default_rng(3)


def t(x, grad=False):
    return paddle.to_tensor(np.asarray(x, dtype=np.float32), stop_gradient=not grad)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_dml_use_log_is_symmetric_batchmean_kl():
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 4))
    p, q = softmax(a) + 1e-10, softmax(b) + 1e-10
    kl_qp = (q * (np.log(q + 1e-10) - np.log(p))).sum() / 2
    kl_pq = (p * (np.log(p + 1e-10) - np.log(q))).sum() / 2
    loss = DMLLoss(act="softmax", use_log=True)(t(a), t(b))
    assert float(loss) == pytest.approx((kl_qp + kl_pq) / 2, rel=1e-4)
    assert float(DMLLoss(act="softmax", use_log=True)(t(a), t(a))) == pytest.approx(0.0, abs=1e-5)


def test_dml_maps_is_smoothed_symmetric_kl_mean():
    p1, p2 = RNG.uniform(0.05, 0.95, (2, 3, 3)), RNG.uniform(0.05, 0.95, (2, 3, 3))
    e = 1e-5
    elem = 0.5 * (p2 * np.log((p2 + e) / (p1 + e) + e) + p1 * np.log((p1 + e) / (p2 + e) + e))
    assert float(DMLLoss()(t(p1), t(p2))) == pytest.approx(elem.mean(), rel=1e-4)


def test_distance_modes():
    x, y = t([[0.5, -2.0]]), t([[0.0, 0.0]])
    assert float(DistanceLoss("l1")(x, y)) == pytest.approx(1.25)
    assert float(DistanceLoss("l2")(x, y)) == pytest.approx((0.25 + 4) / 2)
    assert float(DistanceLoss("smooth_l1")(x, y)) == pytest.approx((0.125 + 1.5) / 2)
    with pytest.raises(ConfigError, match="l1, l2, smooth_l1"):
        DistanceLoss("l3")
    with pytest.raises(ConfigError, match="'softmax', 'sigmoid'"):
        DMLLoss(act="relu")


def rec_predicts(grad=False):
    logits = {n: t(RNG.normal(size=(2, 4, 3)), grad) for n in ("Student", "Teacher")}
    backbone = {n: t(RNG.normal(size=(2, 5, 1, 4)), grad) for n in ("Student", "Teacher")}
    return {n: {"head_out": logits[n], "backbone_out": backbone[n]} for n in logits}


REC_BATCH = [None, paddle.to_tensor([[1, 2, 0], [2, 0, 0]]), paddle.to_tensor([2, 1])]


def test_distillation_rec_losses_names_and_values():
    preds = rec_predicts()
    s, te = preds["Student"], preds["Teacher"]
    ctc = build_loss({"name": "DistillationCTCLoss", "model_name_list": ["Student", "Teacher"], "key": "head_out"})(
        preds, REC_BATCH)
    assert list(ctc) == ["loss_ctc_Student_0", "loss_ctc_Teacher_1", "loss"]
    assert float(ctc["loss_ctc_Teacher_1"]) == pytest.approx(float(CTCLoss()(te["head_out"], REC_BATCH)["loss"]))
    assert float(ctc["loss"]) == pytest.approx(float(ctc["loss_ctc_Student_0"] + ctc["loss_ctc_Teacher_1"]))

    dml = build_loss({"name": "DistillationDMLLoss", "act": "softmax", "use_log": True,
                      "model_name_pairs": [["Student", "Teacher"]], "key": "head_out"})(preds, REC_BATCH)
    assert list(dml) == ["dml_0", "loss"]
    expected = DMLLoss(act="softmax", use_log=True)(s["head_out"], te["head_out"])
    assert float(dml["dml_0"]) == pytest.approx(float(expected))

    # upstream appends "_l2" whatever the mode
    dist = build_loss({"name": "DistillationDistanceLoss", "mode": "l1",
                       "model_name_pairs": [["Student", "Teacher"]], "key": "backbone_out"})(preds, REC_BATCH)
    assert list(dist) == ["loss_distance_l2_Student_Teacher_0", "loss"]
    diff = np.abs(s["backbone_out"].numpy() - te["backbone_out"].numpy()).mean()
    assert float(dist["loss"]) == pytest.approx(diff, rel=1e-5)


def test_multi_head_selects_the_ctc_branch_and_skips_batch_2():
    preds = rec_predicts()
    multi = {n: {"head_out": {"ctc": v["head_out"]}} for n, v in preds.items()}
    batch = [None, REC_BATCH[1], paddle.to_tensor([[9, 9]]), REC_BATCH[2]]
    out = build_loss({"name": "DistillationCTCLoss", "model_name_list": ["Student"], "key": "head_out",
                      "multi_head": True})(multi, batch)
    assert float(out["loss"]) == pytest.approx(float(CTCLoss()(preds["Student"]["head_out"], REC_BATCH)["loss"]))
    dml = build_loss({"name": "DistillationDMLLoss", "model_name_pairs": ["Student", "Teacher"], "key": "head_out",
                      "act": "softmax", "use_log": True, "multi_head": True, "dis_head": "ctc"})(multi, batch)
    assert "dml_0" in dml


def det_predicts(names=("Student", "Student2", "Teacher"), grad=False):
    return {n: {"maps": t(RNG.uniform(0.05, 0.95, (2, 3, 4, 4)), grad)} for n in names}


def det_batch():
    shrink = np.zeros((2, 4, 4), np.float32)
    shrink[:, 1:3, 1:3] = 1
    return [None, t(RNG.uniform(0.3, 0.7, (2, 4, 4))), t(np.ones((2, 4, 4))), t(shrink), t(np.ones((2, 4, 4)))]


def test_distillation_dml_on_det_maps_flat_pair_and_name():
    preds = det_predicts()
    cfg = {"name": "DistillationDMLLoss", "model_name_pairs": ["Student", "Student2"], "maps_name": "thrink_maps",
           "key": "maps"}
    out = build_loss(cfg)(preds, det_batch())
    assert list(out) == ["dml_thrink_maps_0", "loss"]
    expected = DMLLoss()(preds["Student"]["maps"][:, 0], preds["Student2"]["maps"][:, 0])
    assert float(out["loss"]) == pytest.approx(float(expected))
    two = build_loss({**cfg, "maps_name": ["thrink_maps", "binary_maps"]})(preds, det_batch())
    assert list(two) == ["dml_thrink_maps_0", "dml_binary_maps_0", "loss"]
    with pytest.raises(ConfigError, match="thrink_maps, threshold_maps, binary_maps"):
        build_loss({**cfg, "maps_name": "shrink_maps"})


def test_distillation_db_loss_names():
    preds, batch = det_predicts(), det_batch()
    # a parameter literally called `name`: only reachable inside CombinedLoss or directly
    out = DistillationDBLoss(model_name_list=["Student", "Student2"], name="DBLoss")(preds, batch)
    parts = [f"DBLoss_{m}_loss_{p}_maps" for m in ("Student", "Student2") for p in ("shrink", "threshold", "binary")]
    assert list(out) == parts + ["loss"]
    single = build_loss({"name": "DBLoss"})(preds["Student2"], batch)
    assert float(out["DBLoss_Student2_loss_threshold_maps"]) == pytest.approx(float(single["loss_threshold_maps"]))
    assert float(out["loss"]) == pytest.approx(float(sum(out[p] for p in parts)), rel=1e-6)


def test_dila_target_thresholds_and_dilates_down_right():
    maps = np.zeros((1, 4, 4), np.float32)
    maps[0, 1, 1] = 0.9
    maps[0, 3, 0] = 0.3  # not > 0.3
    expected = np.zeros((1, 4, 4), np.float32)
    expected[0, 1:3, 1:3] = 1
    np.testing.assert_array_equal(dilate_teacher_maps(t(maps)).numpy(), expected)


def test_distillation_dila_db_loss_value_and_eval_mode_teacher():
    preds, batch = det_predicts(), det_batch()
    preds["Teacher"] = {"maps": preds["Teacher"]["maps"][:, :1]}  # frozen teacher in eval mode
    out = build_loss({"name": "DistillationDilaDBLoss", "model_name_pairs": [["Student", "Teacher"]],
                      "key": "maps", "alpha": 5})(preds, batch)
    assert list(out) == ["dila_dbloss_Student_Teacher", "loss"]
    target = dilate_teacher_maps(preds["Teacher"]["maps"][:, 0])
    s = preds["Student"]["maps"]
    expected = 5 * BalanceLoss()(s[:, 0], target, batch[4]) + DiceLoss()(s[:, 2], target, batch[4])
    assert float(out["loss"]) == pytest.approx(float(expected), rel=1e-6)


def test_gradients_flow_through_every_distillation_loss():
    det, rec = det_predicts(grad=True), rec_predicts(grad=True)
    cases = [
        (det, det_batch(), {"name": "DistillationDilaDBLoss", "model_name_pairs": ["Student", "Teacher"], "key": "maps"}),
        (det, det_batch(), {"name": "DistillationDBLoss", "model_name_list": ["Student"]}),
        (det, det_batch(), {"name": "DistillationDMLLoss", "model_name_pairs": ["Student", "Student2"],
                            "maps_name": "thrink_maps", "key": "maps"}),
        (rec, REC_BATCH, {"name": "DistillationCTCLoss", "model_name_list": ["Student"], "key": "head_out"}),
        (rec, REC_BATCH, {"name": "DistillationDistanceLoss", "model_name_pairs": ["Student", "Teacher"],
                          "key": "backbone_out"}),
    ]
    for preds, batch, cfg in cases:
        for v in preds.values():
            for x in v.values():
                x.clear_gradient()
        build_loss(cfg)(preds, batch)["loss"].backward()
        student = preds["Student"]["maps" if "maps" in preds["Student"] else cfg["key"]]
        assert student.grad is not None and float(paddle.abs(student.grad).sum()) > 0, cfg["name"]


def test_bad_configs_and_missing_outputs():
    with pytest.raises(ConfigError, match="model_name_pairs"):
        build_loss({"name": "DistillationDMLLoss", "model_name_pairs": [["Student"]]})
    with pytest.raises(ConfigError, match="model_name_list"):
        build_loss({"name": "DistillationCTCLoss"})
    with pytest.raises(ConfigError, match="has no parameter 'use_focal_loss'"):
        build_loss({"name": "DistillationCTCLoss", "model_name_list": ["S"], "use_focal_loss": True})
    loss = build_loss({"name": "DistillationCTCLoss", "model_name_list": ["Student"], "key": "neck_out"})
    with pytest.raises(DataError, match="no 'neck_out'.*head_out"):
        loss(rec_predicts(), REC_BATCH)
    with pytest.raises(DataError, match="model 'Ghost'.*Student, Teacher"):
        build_loss({"name": "DistillationCTCLoss", "model_name_list": ["Ghost"]})(rec_predicts(), REC_BATCH)
