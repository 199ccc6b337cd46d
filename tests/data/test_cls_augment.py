"""Classifier augmentations of upstream's cls_mv3.yml: BaseDataAugmentation and RandAugment."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from ppocr.data.imaug import build_transforms, transform
from ppocr.data.imaug.rand_augment import OP_NAMES, RandAugment, op_levels
from ppocr.data.imaug.rec_img_aug import BaseDataAugmentation, RecAug
from ppocr.errors import ConfigError, DataError

_PROBS = ("crop_prob", "reverse_prob", "noise_prob", "jitter_prob", "blur_prob", "hsv_aug_prob")


def _image(shape=(24, 48, 3), seed=0) -> np.ndarray:
    """Random BGR image whose green channel spans only 40..199 (so autocontrast/equalize act)."""
    rs = np.random.RandomState(seed)
    img = rs.randint(0, 256, shape).astype(np.uint8)
    if len(shape) == 3:
        img[:, :, 1] = rs.randint(40, 200, shape[:2])
    return img


def _seeded(op, img: np.ndarray, seed: int) -> np.ndarray:
    random.seed(seed)
    np.random.seed(seed)
    return op({"image": img.copy(), "img_path": "a.jpg"})["image"]


# ---- BaseDataAugmentation ------------------------------------------------------------------
def test_bda_defaults_are_upstreams():
    assert BaseDataAugmentation().probs == dict.fromkeys(_PROBS, 0.4)


@pytest.mark.parametrize("shape", [(1, 1, 3), (8, 5, 3), (32, 64, 3)])
def test_bda_keeps_dtype_width_and_is_deterministic(shape):
    img = _image(shape, seed=1)
    aug = BaseDataAugmentation(**dict.fromkeys(_PROBS, 1.0))
    a, b, c = (_seeded(aug, img, s) for s in (3, 3, 4))
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[1:] == shape[1:]
    assert a.shape[0] <= shape[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bda_crop_only_from_20px_and_only_rows():
    crop = BaseDataAugmentation(**{**dict.fromkeys(_PROBS, 0.0), "crop_prob": 1.0})
    big = _image((40, 64, 3))
    heights = {_seeded(crop, big, s).shape for s in range(8)}
    assert all(w == 64 and 30 <= h <= 40 for h, w, _ in heights) and len(heights) > 1
    small = _image((19, 64, 3))
    assert np.array_equal(_seeded(crop, small, 0), small)


def test_bda_zero_probs_is_identity_and_reverse_inverts():
    img = _image((32, 64, 3))
    assert np.array_equal(_seeded(BaseDataAugmentation(**dict.fromkeys(_PROBS, 0.0)), img, 0), img)
    only_reverse = BaseDataAugmentation(**{**dict.fromkeys(_PROBS, 0.0), "reverse_prob": 1.0})
    assert np.array_equal(_seeded(only_reverse, img, 0), 255 - img)


@pytest.mark.parametrize("shape", [(8, 5, 3), (32, 64, 3)])
def test_bda_is_rec_aug_without_tia(shape):
    probs = {"crop_prob": 1.0, "reverse_prob": 0.5, "noise_prob": 0.5, "jitter_prob": 0.5, "blur_prob": 0.5,
             "hsv_aug_prob": 0.5}
    bda, rec = BaseDataAugmentation(**probs), RecAug(tia_prob=0.0, **probs)
    img = _image(shape)
    for seed in range(4):
        assert np.array_equal(_seeded(bda, img, seed), _seeded(rec, img, seed))


def test_bda_bad_params_name_the_parameter():
    with pytest.raises(ConfigError, match=r"BaseDataAugmentation\.noise_prob must be a probability"):
        BaseDataAugmentation(noise_prob=1.5)
    with pytest.raises(ConfigError, match=r"BaseDataAugmentation\.crop_prob"):
        BaseDataAugmentation(crop_prob="0.4")
    with pytest.raises(ConfigError, match="no parameter 'tia_prob'"):
        build_transforms([{"BaseDataAugmentation": {"tia_prob": 0.1}}])


# ---- RandAugment ---------------------------------------------------------------------------
def test_rand_augment_defaults_and_levels():
    aug = RandAugment()
    assert (aug.prob, aug.num_layers, aug.magnitude, aug.fillcolor) == (0.5, 2, 5.0, (128, 128, 128))
    levels = op_levels(5)
    assert levels["posterize"] == 2 and levels["solarize"] == 128.0 and levels["rotate"] == 15.0
    assert levels["shearX"] == pytest.approx(0.15) and levels["translateY"] == pytest.approx(75 / 331)
    assert op_levels(0)["color"] == 0.0 and set(levels) == set(OP_NAMES)


@pytest.mark.parametrize("magnitude", [1, 5, 9])
@pytest.mark.parametrize("name", OP_NAMES)
def test_each_op_changes_the_image(name, magnitude):
    img = _image()
    random.seed(0)
    out = RandAugment(magnitude=magnitude).apply_op(name, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert not np.array_equal(out, img)


def test_op_hand_values():
    img = _image()
    aug = RandAugment(magnitude=5, fillcolor=[10, 20, 30])
    assert np.array_equal(aug.apply_op("invert", img), 255 - img)
    assert np.array_equal(aug.apply_op("posterize", img), img & 0xC0)  # 2 bits at magnitude 5
    assert np.array_equal(aug.apply_op("solarize", img), np.where(img >= 128, 255 - img, img))
    rotated = aug.apply_op("rotate", img)
    assert rotated[0, 0].tolist() == [10, 20, 30]  # uncovered corner: fillcolor, in BGR order
    assert rotated[12, 24].tolist() == img[12, 24].tolist()  # the centre stays
    assert np.array_equal(RandAugment(magnitude=1).apply_op("posterize", img), np.zeros_like(img))
    # translateX by 150/331 * 0.5 * 331 = 75 px: columns move right or left, the rest is filled.
    wide = _image((4, 331, 3))
    random.seed(0)
    sign = random.choice((-1, 1))
    random.seed(0)
    moved = aug.apply_op("translateX", wide)
    if sign > 0:
        assert np.array_equal(moved[:, :256], wide[:, 75:]) and (moved[:, 256:] == [10, 20, 30]).all()
    else:
        assert np.array_equal(moved[:, 75:], wide[:, :256]) and (moved[:, :75] == [10, 20, 30]).all()


def test_color_uses_bgr_channel_order():
    # Pure red (BGR [0, 0, 255]) has luma 0.299 * 255 = 76; magnitude 10 with sign -1 keeps
    # 10% of the color: 76 + 0.1 * (channel - 76). Blue taken for red would give luma 29.
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 2] = 255
    seed = next(s for s in range(20) if random.seed(s) or random.choice((-1, 1)) < 0)
    random.seed(seed)
    faded = RandAugment(magnitude=10).apply_op("color", red).astype(float)
    np.testing.assert_allclose(faded[0, 0], [68.4, 68.4, 93.9], atol=1.0)


def test_gray_2d_image_supported():
    img = _image((16, 24))
    random.seed(0)
    out = RandAugment(magnitude=5).apply_op("rotate", img)
    assert out.shape == img.shape and out[0, 0] == 128


def test_rand_augment_prob_zero_and_no_layers_are_identity():
    img = _image()
    for aug in (RandAugment(prob=0.0), RandAugment(prob=1.0, num_layers=0)):
        for seed in range(5):
            assert np.array_equal(_seeded(aug, img, seed), img)


def test_rand_augment_deterministic_and_applies_at_prob():
    img = _image()
    aug = RandAugment(prob=0.5, num_layers=2, magnitude=5)
    a, b = _seeded(aug, img, 7), _seeded(aug, img, 7)
    assert np.array_equal(a, b) and a.dtype == np.uint8 and a.shape == img.shape
    outs = [_seeded(aug, img, s) for s in range(60)]
    changed = sum(not np.array_equal(o, img) for o in outs)
    assert 15 <= changed <= 45
    assert len({o.tobytes() for o in outs}) > 10


def test_rand_augment_bad_params_name_the_parameter():
    bad = [({"prob": 1.5}, "prob"), ({"prob": True}, "prob"), ({"num_layers": -1}, "num_layers"),
           ({"num_layers": 2.0}, "num_layers"), ({"magnitude": 11}, "magnitude"),
           ({"magnitude": "5"}, "magnitude"), ({"fillcolor": [1, 2]}, "fillcolor"),
           ({"fillcolor": [0, 0, 300]}, "fillcolor")]
    for params, name in bad:
        with pytest.raises(ConfigError, match=rf"RandAugment\.{name} must be"):
            RandAugment(**params)
    with pytest.raises(ConfigError, match="no parameter 'magnitute'.*Did you mean 'magnitude'"):
        build_transforms([{"RandAugment": {"magnitute": 5}}])
    assert RandAugment(fillcolor=0).fillcolor == (0, 0, 0)


def test_rand_augment_bad_image_names_the_path():
    with pytest.raises(DataError, match=r"a\.jpg: RandAugment expects an HxWx3 or HxW uint8 image"):
        _seeded(RandAugment(prob=1.0), np.zeros((4, 4, 3), np.float32), 0)


# ---- upstream cls_mv3 train pipeline ---------------------------------------------------------
def test_cls_mv3_train_pipeline():
    ops = build_transforms([
        {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
        {"ClsLabelEncode": None},
        {"BaseDataAugmentation": None},
        {"RandAugment": None},
        {"ClsResizeImg": {"image_shape": [3, 48, 192]}},
        {"KeepKeys": {"keep_keys": ["image", "label"]}},
    ], {"label_list": ["0", "180"]})
    ok, png = cv2.imencode(".png", _image((30, 90, 3)))
    outs = []
    for _ in range(2):
        random.seed(11)
        np.random.seed(11)
        outs.append(transform({"image": png.tobytes(), "label": "180", "img_path": "a.png"}, ops))
    image, label = outs[0]
    assert image.shape == (3, 48, 192) and image.dtype == np.float32 and int(label) == 1
    assert np.array_equal(outs[0][0], outs[1][0])
