"""CombinedLoss: weights, part names of the PP-OCRv2 configs, Global pass-through, bad configs."""

import copy

import numpy as np
import paddle
import pytest
import yaml

from ppocr.errors import ConfigError, UnknownComponentError
from ppocr.losses import build_loss
from ppocr.losses.center_loss import save_centers
from ppocr.utils.character_dict import CharacterDict

RNG = np.random.default_rng(5)


def t(x):
    return paddle.to_tensor(np.asarray(x, dtype=np.float32))


# Loss sections of upstream's ch_PP-OCRv2_det_cml.yml (with its duplicated model_name_pairs key)
# and ch_PP-OCRv2_rec_distillation.yml.
CML = """
name: CombinedLoss
loss_config_list:
- DistillationDilaDBLoss:
    weight: 1.0
    model_name_pairs:
    - ["Student", "Teacher"]
    - ["Student2", "Teacher"]
    key: maps
    balance_loss: true
    main_loss_type: DiceLoss
    alpha: 5
    beta: 10
    ohem_ratio: 3
- DistillationDMLLoss:
    model_name_pairs:
    - ["Student", "Student2"]
    maps_name: "thrink_maps"
    weight: 1.0
    model_name_pairs: ["Student", "Student2"]
    key: maps
- DistillationDBLoss:
    weight: 1.0
    model_name_list: ["Student", "Student2"]
    balance_loss: true
    main_loss_type: DiceLoss
    alpha: 5
    beta: 10
    ohem_ratio: 3
"""

REC_DISTILL = """
name: CombinedLoss
loss_config_list:
- DistillationCTCLoss:
    weight: 1.0
    model_name_list: ["Student", "Teacher"]
    key: head_out
- DistillationDMLLoss:
    weight: 1.0
    act: "softmax"
    use_log: true
    model_name_pairs:
    - ["Student", "Teacher"]
    key: head_out
- DistillationDistanceLoss:
    weight: 1.0
    mode: "l2"
    model_name_pairs:
    - ["Student", "Teacher"]
    key: backbone_out
"""


def det_batch():
    shrink = np.zeros((2, 4, 4), np.float32)
    shrink[:, 1:3, 1:3] = 1
    return [None, t(RNG.uniform(0.3, 0.7, (2, 4, 4))), t(np.ones((2, 4, 4))), t(shrink), t(np.ones((2, 4, 4)))]


def test_ppocrv2_det_cml_part_names():
    cfg = yaml.safe_load(CML)
    original = copy.deepcopy(cfg)
    loss = build_loss(cfg)
    assert cfg == original  # weights are not popped out of the user's config
    preds = {n: {"maps": t(RNG.uniform(0.05, 0.95, (2, 3, 4, 4)))} for n in ("Student", "Student2", "Teacher")}
    out = loss(preds, det_batch())
    db = [f"db_{m}_loss_{p}_maps" for m in ("Student", "Student2") for p in ("shrink", "threshold", "binary")]
    assert list(out) == ["dila_dbloss_Student_Teacher", "dila_dbloss_Student2_Teacher", "dml_thrink_maps_0",
                         *db, "loss"]
    assert float(out["loss"]) == pytest.approx(float(sum(v for k, v in out.items() if k != "loss")), rel=1e-6)


def test_ppocrv2_rec_distillation_part_names():
    preds = {n: {"head_out": t(RNG.normal(size=(2, 4, 3))), "backbone_out": t(RNG.normal(size=(2, 2, 1, 4)))}
             for n in ("Student", "Teacher")}
    batch = [None, paddle.to_tensor([[1, 2], [2, 0]]), paddle.to_tensor([2, 1])]
    out = build_loss(yaml.safe_load(REC_DISTILL))(preds, batch)
    assert list(out) == ["loss_ctc_Student_0", "loss_ctc_Teacher_1", "dml_0", "loss_distance_l2_Student_Teacher_0",
                         "loss"]


def ctc_center_predicts():
    feats = paddle.to_tensor(RNG.normal(size=(2, 3, 4)).astype(np.float32), stop_gradient=False)
    logits = paddle.to_tensor(RNG.normal(size=(2, 3, 5)).astype(np.float32), stop_gradient=False)
    batch = [None, paddle.to_tensor([[1, 0], [3, 4]]), paddle.to_tensor([1, 2])]
    return (feats, logits), batch


def test_weights_total_and_single_loss_naming():
    preds, batch = ctc_center_predicts()
    cfg = {"name": "CombinedLoss", "loss_config_list": [
        {"CTCLoss": {"weight": 1.0, "use_focal_loss": False}},
        {"CenterLoss": {"weight": 0.05, "num_classes": 5, "feat_dim": 4, "init_center": False,
                        "center_file_path": "./train_center.pkl"}},
    ]}
    paddle.seed(11)
    out = build_loss(cfg)(preds, batch)
    paddle.seed(11)
    center = build_loss({"name": "CenterLoss", "num_classes": 5, "feat_dim": 4})(preds, batch)["loss_center"]
    ctc = build_loss({"name": "CTCLoss"})(preds, batch)["loss"]
    assert list(out) == ["CTCLoss_0", "loss_center", "loss"]
    assert float(out["loss_center"]) == pytest.approx(0.05 * float(center), rel=1e-6)
    assert float(out["CTCLoss_0"]) == pytest.approx(float(ctc), rel=1e-6)
    assert float(out["loss"]) == pytest.approx(float(ctc) + 0.05 * float(center), rel=1e-6)
    out["loss"].backward()
    assert all(x.grad is not None and float(paddle.abs(x.grad).sum()) > 0 for x in preds)


def test_repeated_part_names_are_kept_apart():
    preds = {n: {"head_out": t(RNG.normal(size=(2, 4, 3)))} for n in ("Student", "Teacher")}
    dml = {"weight": 1.0, "act": "softmax", "use_log": True, "model_name_pairs": ["Student", "Teacher"],
           "key": "head_out"}
    out = build_loss({"name": "CombinedLoss", "loss_config_list": [
        {"DistillationDMLLoss": dml}, {"DistillationDMLLoss": {**dml, "weight": 2.0}},
        {"DistillationDMLLoss": {**dml, "name": "dml_b", "weight": 0.5}}]})(preds, None)
    assert list(out) == ["dml_0", "dml_0_1", "dml_b_0", "loss"]
    assert float(out["dml_0_1"]) == pytest.approx(2 * float(out["dml_0"]), rel=1e-6)
    assert float(out["loss"]) == pytest.approx(3.5 * float(out["dml_0"]), rel=1e-6)


def test_global_dict_reaches_center_loss(tmp_path):
    path = tmp_path / "centers.npz"
    save_centers(path, np.zeros((5, 4)), CharacterDict().digest())
    cfg = {"name": "CombinedLoss", "loss_config_list": [
        {"CenterLoss": {"weight": 1.0, "num_classes": 5, "feat_dim": 4, "center_file_path": str(path)}}]}
    build_loss(cfg, global_cfg={"use_space_char": False, "epoch_num": 3})
    with pytest.raises(ConfigError, match=r"loss_config_list\[0\].*digest"):
        build_loss(cfg, global_cfg={"character_dict_path": "en_dict.txt"})


@pytest.mark.parametrize(
    "items, error, pattern",
    [
        ([{"CTCLoss": {"weight": 1.0}}, {"CTCLos": {"weight": 1.0}}], UnknownComponentError,
         r"loss_config_list\[1\]: unknown loss 'CTCLos'.*Did you mean 'CTCLoss'"),
        ([{"CTCLoss": {"weight": 1.0, "use_focal": True}}], ConfigError,
         r"loss_config_list\[0\]: loss 'CTCLoss' has no parameter 'use_focal'"),
        ([{"CTCLoss": {"use_focal_loss": True}}], ConfigError, r"loss_config_list\[0\]: CTCLoss needs a 'weight'"),
        ([{"CTCLoss": None}], ConfigError, r"loss_config_list\[0\]: CTCLoss needs a 'weight'"),
        ([{"CTCLoss": {"weight": "1"}}], ConfigError, r"CTCLoss.weight must be a number"),
        ([{"CTCLoss": {"weight": 1}, "DBLoss": {"weight": 1}}], ConfigError, r"loss_config_list\[0\]: expected one"),
        ([{"DistillationDistanceLoss": {"weight": 1, "mode": "l3", "model_name_pairs": ["a", "b"]}}], ConfigError,
         r"loss_config_list\[0\]: DistanceLoss.mode"),
        ([], ConfigError, "non-empty list"),
    ],
)
def test_bad_configs_name_the_item(items, error, pattern):
    with pytest.raises(error, match=pattern):
        build_loss({"name": "CombinedLoss", "loss_config_list": items})


def test_enhanced_ctc_on_a_real_ctc_head():
    from ppocr.modeling.heads.rec_ctc_head import CTCHead

    head = CTCHead(in_channels=8, out_channels=5, mid_channels=4, return_feats=True)
    head.train()
    preds = head(paddle.to_tensor(RNG.normal(size=(2, 6, 8)).astype(np.float32)))
    batch = [None, paddle.to_tensor([[1, 2, 0], [3, 0, 0]]), paddle.to_tensor([2, 1])]
    loss = build_loss({"name": "CombinedLoss", "loss_config_list": [
        {"CTCLoss": {"weight": 1.0}}, {"CenterLoss": {"weight": 0.05, "num_classes": 5, "feat_dim": 4}}]})
    loss(preds, batch)["loss"].backward()
    assert head.fc1.weight.grad is not None and float(paddle.abs(head.fc1.weight.grad).sum()) > 0
