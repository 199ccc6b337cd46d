"""MultiLoss, SARLoss, NRTRLoss and the multi-head distillation losses: hand-computed values.

Batches follow MultiLabelEncode's KeepKeys order ``[image, label_ctc, label_sar|label_gtc,
length, valid_ratio]``.
"""

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.losses import build_loss
from ppocr.losses.basic_loss import DMLLoss
from ppocr.losses.distillation_loss import DistillationDMLLoss
from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.losses.rec_multi_loss import MultiLoss
from ppocr.losses.rec_nrtr_loss import NRTRLoss
from ppocr.losses.rec_sar_loss import SARLoss

RNG = np.random.default_rng(7)


def t(x, dtype="float32"):
    return paddle.to_tensor(np.asarray(x), dtype=dtype)


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def ce(logits, targets, ignore):
    keep = targets != ignore
    lp = log_softmax(logits[keep])
    return -lp[np.arange(len(lp)), targets[keep]].mean()


# SAR classes C = 6 (dictionary 3 + unknown 3, start/end 4, padding 5); predictions C - 1 = 5
SAR_LABEL = np.array([[4, 1, 2, 4, 5, 5], [4, 3, 4, 5, 5, 5]])
SAR_LOGITS = RNG.normal(size=(2, 6, 5)).astype(np.float32)


def test_sar_loss_is_shifted_cross_entropy_without_padding():
    loss = SARLoss(ignore_index=5)(t(SAR_LOGITS), [None, t(SAR_LABEL, "int64")])["loss"]
    expected = ce(SAR_LOGITS[:, :-1].reshape(-1, 5), SAR_LABEL[:, 1:].reshape(-1), ignore=5)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    noisy = SAR_LOGITS.copy()
    noisy[0, 3:] = 50.0  # steps whose targets are padding, and the last step
    noisy[1, 2:] = -50.0
    assert float(SARLoss(ignore_index=5)(t(noisy), [None, t(SAR_LABEL, "int64")])["loss"]) == pytest.approx(
        expected, rel=1e-5)


def test_sar_ignore_index_comes_from_the_dictionary(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    assert SARLoss(character_dict_path=str(path)).ignore_index == 5  # CTC classes 4 + 1
    assert SARLoss(character_dict_path=str(path), use_space_char=True).ignore_index == 6
    loss = build_loss({"name": "MultiLoss", "loss_config_list": [{"CTCLoss": None}, {"SARLoss": None}]},
                      global_cfg={"character_dict_path": str(path), "use_space_char": False})
    assert loss.loss_funcs[1].ignore_index == 5
    assert SARLoss(ignore_index=92, character_dict_path=str(path)).ignore_index == 92


# NRTR: <s>=2 text </s>=3, 0-padded; lengths 2 and 1 -> 3 target steps
NRTR_LABEL = np.array([[2, 5, 6, 3, 0, 0], [2, 7, 3, 0, 0, 0]])
NRTR_LENGTH = np.array([2, 1])
NRTR_LOGITS = RNG.normal(size=(2, 3, 8)).astype(np.float32)


def nrtr_batch():
    return [None, t(NRTR_LABEL, "int64"), t(NRTR_LENGTH, "int64")]


def test_nrtr_loss_plain_and_smoothed():
    tgt = NRTR_LABEL[:, 1:4].reshape(-1)  # [5, 6, 3, 7, 3, 0]
    flat = NRTR_LOGITS.reshape(-1, 8)
    plain = NRTRLoss(smoothing=False)(t(NRTR_LOGITS), nrtr_batch())["loss"]
    assert float(plain) == pytest.approx(ce(flat, tgt, ignore=0), rel=1e-5)
    soft = np.full((6, 8), 0.1 / 7)
    soft[np.arange(6), tgt] = 0.9
    per_token = -(soft * log_softmax(flat)).sum(1)
    smoothed = NRTRLoss(smoothing=True)(t(NRTR_LOGITS), nrtr_batch())["loss"]
    assert float(smoothed) == pytest.approx(per_token[tgt != 0].mean(), rel=1e-5)
    with pytest.raises(DataError, match="steps must be max"):
        NRTRLoss()(t(NRTR_LOGITS[:, :2]), nrtr_batch())


def test_multi_loss_weights_ctc_and_sar_parts():
    ctc_logits = RNG.normal(size=(2, 7, 4)).astype(np.float32)
    label_ctc = np.array([[1, 2, 0, 0, 0, 0], [3, 0, 0, 0, 0, 0]])
    length = np.array([2, 1])
    batch = [None, t(label_ctc, "int64"), t(SAR_LABEL, "int64"), t(length, "int64"), t([1.0, 1.0])]
    loss = MultiLoss([{"CTCLoss": None}, {"SARLoss": {"ignore_index": 5}}], weight_1=0.5, weight_2=2.0)
    out = loss({"ctc": t(ctc_logits), "sar": t(SAR_LOGITS), "ctc_neck": None}, batch)
    assert list(out) == ["CTCLoss", "SARLoss", "loss"]
    ctc = float(CTCLoss()(t(ctc_logits), [None, t(label_ctc, "int64"), t(length, "int64")])["loss"])
    sar = ce(SAR_LOGITS[:, :-1].reshape(-1, 5), SAR_LABEL[:, 1:].reshape(-1), ignore=5)
    assert float(out["CTCLoss"]) == pytest.approx(0.5 * ctc, rel=1e-5)
    assert float(out["SARLoss"]) == pytest.approx(2.0 * sar, rel=1e-5)
    assert float(out["loss"]) == pytest.approx(0.5 * ctc + 2.0 * sar, rel=1e-5)


def test_multi_loss_nrtr_reads_label_gtc_and_length():
    ctc_logits = RNG.normal(size=(2, 7, 4)).astype(np.float32)
    batch = [None, t([[1, 2, 0], [3, 0, 0]], "int64"), t(NRTR_LABEL, "int64"), t(NRTR_LENGTH, "int64"), t([1.0, 1.0])]
    out = MultiLoss([{"CTCLoss": None}, {"NRTRLoss": {"smoothing": False}}])({"ctc": t(ctc_logits),
                                                                              "nrtr": t(NRTR_LOGITS)}, batch)
    assert float(out["NRTRLoss"]) == pytest.approx(float(NRTRLoss(smoothing=False)(t(NRTR_LOGITS), nrtr_batch())["loss"]))


def test_multi_loss_errors():
    with pytest.raises(ConfigError, match="MultiLoss supports CTCLoss, SARLoss, NRTRLoss, got 'AttnLoss'"):
        MultiLoss([{"CTCLoss": None}, {"AttnLoss": None}])
    with pytest.raises(ConfigError, match="has no parameter 'smooth'"):
        MultiLoss([{"NRTRLoss": {"smooth": True}}])
    loss = MultiLoss([{"CTCLoss": None}, {"SARLoss": {"ignore_index": 5}}])
    with pytest.raises(DataError, match="with 'sar'"):
        loss({"ctc": t(RNG.normal(size=(2, 7, 4)))}, [None, t([[1], [1]], "int64"), None, t([1, 1], "int64"), None])


def _multi_head_predicts(shift):
    ctc = RNG.normal(size=(2, 7, 4)).astype(np.float32)
    return {"backbone_out": t(RNG.normal(size=(2, 3, 1, 7)) + shift),
            "head_out": {"ctc": t(ctc + shift), "sar": t(SAR_LOGITS + shift), "ctc_neck": t(ctc)}}


V3_DISTILL_LOSS = {"name": "CombinedLoss", "loss_config_list": [
    {"DistillationDMLLoss": {"weight": 1.0, "act": "softmax", "use_log": True, "model_name_pairs": [["Student", "Teacher"]],
                             "key": "head_out", "multi_head": True, "dis_head": "ctc", "name": "dml_ctc"}},
    {"DistillationDMLLoss": {"weight": 0.5, "act": "softmax", "use_log": True, "model_name_pairs": [["Student", "Teacher"]],
                             "key": "head_out", "multi_head": True, "dis_head": "sar", "name": "dml_sar"}},
    {"DistillationDistanceLoss": {"weight": 1.0, "mode": "l2", "model_name_pairs": [["Student", "Teacher"]],
                                  "key": "backbone_out"}},
    {"DistillationCTCLoss": {"weight": 1.0, "model_name_list": ["Student", "Teacher"], "key": "head_out",
                             "multi_head": True}},
    {"DistillationSARLoss": {"weight": 1.0, "model_name_list": ["Student", "Teacher"], "key": "head_out",
                             "multi_head": True}},
]}


def test_v3_distillation_loss_parts_and_sar_values(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")  # SAR classes 6, padding 5: SAR_LABEL's layout
    loss = build_loss(V3_DISTILL_LOSS, global_cfg={"character_dict_path": str(path)})
    predicts = {"Student": _multi_head_predicts(0.0), "Teacher": _multi_head_predicts(0.3)}
    batch = [None, t([[1, 2, 0], [3, 0, 0]], "int64"), t(SAR_LABEL, "int64"), t([2, 1], "int64"), t([1.0, 1.0])]
    out = loss(predicts, batch)
    assert list(out) == ["dml_ctc_0", "dml_sar_0", "loss_distance_l2_Student_Teacher_0", "loss_ctc_Student_0",
                         "loss_ctc_Teacher_1", "loss_sar_Student_0", "loss_sar_Teacher_1", "loss"]
    sar_teacher = ce(SAR_LOGITS[:, :-1].reshape(-1, 5) + 0.3, SAR_LABEL[:, 1:].reshape(-1), ignore=5)
    assert float(out["loss_sar_Teacher_1"]) == pytest.approx(sar_teacher, rel=1e-5)
    assert float(out["loss"]) == pytest.approx(sum(float(v) for k, v in out.items() if k != "loss"), rel=1e-5)


def test_distillation_nrtr_loss_and_gtc_alias():
    nrtr_s, nrtr_t = NRTR_LOGITS, NRTR_LOGITS[::-1].copy()
    predicts = {"Student": {"head_out": {"nrtr": t(nrtr_s)}}, "Teacher": {"head_out": {"nrtr": t(nrtr_t)}}}
    batch = [None, t([[1], [2]], "int64"), t(NRTR_LABEL, "int64"), t(NRTR_LENGTH, "int64"), t([1.0, 1.0])]
    out = build_loss({"name": "DistillationNRTRLoss", "model_name_list": ["Student"], "key": "head_out",
                      "multi_head": True, "smoothing": False})(predicts, batch)
    assert list(out) == ["loss_nrtr_Student_0", "loss"]
    assert float(out["loss"]) == pytest.approx(float(NRTRLoss(smoothing=False)(t(nrtr_s), nrtr_batch())["loss"]))
    dml = DistillationDMLLoss(model_name_pairs=["Student", "Teacher"], key="head_out", act="softmax", use_log=True,
                              multi_head=True, dis_head="gtc", name="dml_gtc")  # upstream's 2024 name of "nrtr"
    expected = DMLLoss(act="softmax", use_log=True)(t(nrtr_s), t(nrtr_t))
    assert float(dml(predicts, batch)["dml_gtc_0"]) == pytest.approx(float(expected), rel=1e-6)
