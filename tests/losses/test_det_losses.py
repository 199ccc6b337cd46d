"""Dice / masked L1 / BCE / OHEM balancing and DBLoss, against hand-computed values."""

import math

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.losses import build_loss
from ppocr.losses.det_basic_loss import BalanceLoss, BCELoss, DiceLoss, MaskL1Loss


def t(x, grad=False):
    out = paddle.to_tensor(np.asarray(x, dtype=np.float32))
    out.stop_gradient = not grad
    return out


def test_dice_loss_value():
    pred, gt, mask = t([[0.5, 1.0, 0.0]]), t([[1.0, 1.0, 0.0]]), t([[1.0, 1.0, 1.0]])
    # intersection 1.5, union 1.5 + 2 -> 1 - 3 / 3.5
    assert float(DiceLoss(eps=0.0)(pred, gt, mask)) == pytest.approx(1 / 7, rel=1e-6)


def test_dice_loss_mask_and_weights():
    pred, gt = t([[0.5, 1.0, 0.9]]), t([[1.0, 1.0, 0.0]])
    masked = DiceLoss(eps=0.0)(pred, gt, t([[1.0, 1.0, 0.0]]))
    assert float(masked) == pytest.approx(1 / 7, rel=1e-6)  # the masked pixel does not count
    weighted = DiceLoss(eps=0.0)(pred, gt, t([[1.0, 1.0, 1.0]]), weights=t([[1.0, 1.0, 0.0]]))
    assert float(weighted) == pytest.approx(1 / 7, rel=1e-6)


def test_dice_loss_shape_mismatch_is_data_error():
    with pytest.raises(DataError, match=r"pred \[1, 3\].*gt \[1, 2\]"):
        DiceLoss()(t([[0.1, 0.2, 0.3]]), t([[1.0, 0.0]]), t([[1.0, 1.0, 1.0]]))


def test_mask_l1_value():
    loss = MaskL1Loss(eps=0.0)(t([0.2, 0.5, 0.9]), t([0.0, 1.0, 1.0]), t([1.0, 1.0, 0.0]))
    assert float(loss) == pytest.approx((0.2 + 0.5) / 2, rel=1e-6)


def test_bce_value_and_bad_reduction():
    loss = BCELoss()(t([0.8, 0.4]), t([1.0, 0.0]))
    assert float(loss) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-5)
    with pytest.raises(ConfigError, match="reduction"):
        BCELoss(reduction="avg")


def test_balance_loss_ohem_keeps_hardest_negatives():
    pred = np.array([[[0.9, 0.8, 0.1], [0.6, 0.3, 0.2]]], dtype=np.float32)
    gt = np.array([[[1, 0, 0], [0, 0, 0]]], dtype=np.float32)
    mask = np.ones_like(gt)
    loss = BalanceLoss(main_loss_type="BCELoss", negative_ratio=3)(t(pred), t(gt), t(mask))
    # 1 positive -> keep 3 of 5 negatives: the largest -log(1 - p) are p = 0.8, 0.6, 0.3
    neg = sorted((-math.log(1 - p) for p in (0.8, 0.1, 0.6, 0.3, 0.2)), reverse=True)[:3]
    expected = (-math.log(0.9) + sum(neg)) / (1 + 3 + 1e-6)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_balance_loss_without_positives_and_unbalanced():
    pred, gt, mask = t([[0.2, 0.4]]), t([[0.0, 0.0]]), t([[1.0, 1.0]])
    # no positives -> no negatives kept -> 0 / eps
    assert float(BalanceLoss(main_loss_type="BCELoss")(pred, gt, mask)) == 0.0
    plain = BalanceLoss(balance_loss=False, main_loss_type="BCELoss")(pred, gt, mask)
    np.testing.assert_allclose(plain.numpy(), [[-math.log(0.8), -math.log(0.6)]], rtol=1e-5)


def test_balance_loss_with_dice_scales_the_dice_value():
    pred, gt = t([[0.5, 1.0, 0.0, 0.2]]), t([[1.0, 1.0, 0.0, 0.0]])
    mask = t([[1.0, 1.0, 1.0, 1.0]])
    dice = float(DiceLoss()(pred, gt, mask))
    balanced, origin = BalanceLoss(return_origin=True)(pred, gt, mask)
    # P = 2, K = min(2, 6) = 2
    assert float(balanced) == pytest.approx(dice * 4 / (4 + 1e-6), rel=1e-6)
    assert float(origin) == pytest.approx(dice, rel=1e-6)


@pytest.mark.parametrize("kind", ["CrossEntropy", "Euclidean", "Focal"])
def test_balance_loss_rejects_unusable_main_loss(kind):
    with pytest.raises(ConfigError, match=kind):
        BalanceLoss(main_loss_type=kind)


def _det_batch():
    rng = np.random.default_rng(0)
    shrink = np.zeros((2, 4, 4), np.float32)
    shrink[:, 1:3, 1:3] = 1
    threshold = rng.uniform(0.3, 0.7, (2, 4, 4)).astype(np.float32)
    th_mask = np.zeros((2, 4, 4), np.float32)
    th_mask[:, :2] = 1
    sh_mask = np.ones((2, 4, 4), np.float32)
    maps = rng.uniform(0.05, 0.95, (2, 3, 4, 4)).astype(np.float32)
    return maps, [None, threshold, th_mask, shrink, sh_mask]


def test_db_loss_parts_and_total():
    maps, batch = _det_batch()
    loss = build_loss({"name": "DBLoss", "alpha": 5, "beta": 10, "ohem_ratio": 3})
    out = loss({"maps": t(maps)}, [None] + [t(b) for b in batch[1:]])
    assert set(out) == {"loss", "loss_shrink_maps", "loss_threshold_maps", "loss_binary_maps"}
    _, threshold, th_mask, shrink, sh_mask = batch
    l1 = (np.abs(maps[:, 1] - threshold) * th_mask).sum() / (th_mask.sum() + 1e-6)
    pb = maps[:, 2]
    dice = 1 - 2 * (pb * shrink).sum() / (pb.sum() + shrink.sum() + 1e-6)
    ps = maps[:, 0]
    dice_s = 1 - 2 * (ps * shrink).sum() / (ps.sum() + shrink.sum() + 1e-6)
    balanced = dice_s * (8 + 24) / (8 + 24 + 1e-6)  # P = 8, K = min(24, 24)
    assert float(out["loss_threshold_maps"]) == pytest.approx(10 * l1, rel=1e-5)
    assert float(out["loss_binary_maps"]) == pytest.approx(dice, rel=1e-5)
    assert float(out["loss_shrink_maps"]) == pytest.approx(5 * balanced, rel=1e-5)
    assert float(out["loss"]) == pytest.approx(5 * balanced + 10 * l1 + dice, rel=1e-5)


def test_db_loss_gradient_flows():
    maps, batch = _det_batch()
    pred = t(maps, grad=True)
    out = build_loss({"name": "DBLoss", "main_loss_type": "BCELoss"})({"maps": pred}, [None] + [t(b) for b in batch[1:]])
    out["loss"].backward()
    assert pred.grad is not None and float(paddle.abs(pred.grad).sum()) > 0


def test_db_loss_bad_inputs():
    loss = build_loss({"name": "DBLoss"})
    maps, batch = _det_batch()
    with pytest.raises(DataError, match="train mode"):
        loss({"maps": t(maps[:, :1])}, [None] + [t(b) for b in batch[1:]])
    with pytest.raises(DataError, match="threshold_map"):
        loss({"maps": t(maps)}, [None, t(batch[1])])
    with pytest.raises(ConfigError, match="ohem"):
        build_loss({"name": "DBLoss", "ohem": 3})
