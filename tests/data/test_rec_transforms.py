"""Decode / normalize / label encode / resize / augment transforms for rec and cls."""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.label_ops import ClsLabelEncode, CTCLabelEncode
from ppocr.data.imaug.operators import DecodeImage, KeepKeys, NormalizeImage, ToCHWImage
from ppocr.data.imaug.rec_img_aug import (
    ClsResizeImg,
    RecAug,
    RecResizeImg,
    resize_norm_img,
    resize_norm_img_chinese,
)
from ppocr.errors import ConfigError, DataError


def _png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def _decode(img: np.ndarray, **kw) -> np.ndarray:
    return DecodeImage(**kw)({"image": _png(img), "img_path": "x.png"})["image"]


# ---- DecodeImage --------------------------------------------------------------------------
def test_decode_gray_becomes_three_equal_channels():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    out = _decode(gray, img_mode="BGR")
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_decode_rgba_drops_alpha_and_rgb_mode_swaps_channels():
    bgra = np.zeros((2, 3, 4), np.uint8)
    bgra[..., 0], bgra[..., 1], bgra[..., 2], bgra[..., 3] = 10, 20, 30, 0
    bgr = _decode(bgra, img_mode="BGR")
    assert bgr.shape == (2, 3, 3)
    assert bgr[0, 0].tolist() == [10, 20, 30]
    rgb = _decode(bgra, img_mode="RGB")
    assert rgb[0, 0].tolist() == [30, 20, 10]


def test_decode_16bit_scales_to_8bit():
    img16 = np.array([[0, 256, 1000, 65535]], np.uint16)
    out = _decode(img16, img_mode="BGR")
    assert out.dtype == np.uint8 and out.shape == (1, 4, 3)
    assert out[0, :, 0].tolist() == [0, 1, 3, 255]  # v >> 8, as cv2.IMREAD_COLOR


def test_decode_1x1_gray_mode_and_channel_first():
    px = np.full((1, 1, 3), (5, 6, 7), np.uint8)
    assert _decode(px, img_mode="BGR").tolist() == [[[5, 6, 7]]]
    chw = _decode(px, img_mode="BGR", channel_first=True)
    assert chw.shape == (3, 1, 1)
    gray = _decode(np.full((2, 2, 3), 100, np.uint8), img_mode="GRAY")
    assert gray.shape == (2, 2, 3) and (gray == 100).all()


def test_decode_refuses_huge_image_naming_path_and_size():
    img = np.zeros((200, 300, 3), np.uint8)
    with pytest.raises(DataError, match=r"big\.png: image is 300x200 pixels.*max_pixels=10000"):
        DecodeImage(img_mode="BGR", max_pixels=10000)({"image": _png(img), "img_path": "big.png"})
    assert DecodeImage(img_mode="BGR", max_pixels=None)({"image": _png(img)})["image"].shape == (200, 300, 3)


def test_decode_undecodable_and_bad_input_name_the_path(data_dir):
    broken = (data_dir / "real/broken/broken.jpg").read_bytes()
    with pytest.raises(DataError, match=r"broken\.jpg: image bytes cannot be decoded"):
        DecodeImage()({"image": broken, "img_path": "broken.jpg"})
    with pytest.raises(DataError, match="a.jpg: DecodeImage expects non-empty image bytes"):
        DecodeImage()({"image": b"", "img_path": "a.jpg"})
    with pytest.raises(ConfigError, match="img_mode"):
        DecodeImage(img_mode="HSV")


def test_decode_default_mode_is_upstream_rgb():
    assert DecodeImage().img_mode == "RGB"


# ---- Normalize / CHW / KeepKeys -------------------------------------------------------------
def test_normalize_parses_scale_string_and_computes_values():
    op = NormalizeImage(scale="1./255.", mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5], order="hwc")
    img = np.array([[[0, 255, 51]]], np.uint8)
    out = op({"image": img})["image"]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], [-1.0, 1.0, -0.6], atol=1e-6)
    chw = NormalizeImage(order="chw")({"image": np.full((3, 1, 1), 255, np.uint8)})["image"]
    np.testing.assert_allclose(chw[:, 0, 0], (1 - np.array([0.485, 0.456, 0.406])) / [0.229, 0.224, 0.225],
                               rtol=1e-5)


def test_normalize_rejects_bad_scale_and_order():
    with pytest.raises(ConfigError, match="NormalizeImage.scale"):
        NormalizeImage(scale="__import__('os')")
    with pytest.raises(ConfigError, match="order"):
        NormalizeImage(order="cwh")


def test_to_chw_and_keep_keys():
    out = ToCHWImage()({"image": np.zeros((4, 5, 3))})["image"]
    assert out.shape == (3, 4, 5)
    assert KeepKeys(["b", "a"])({"a": 1, "b": 2, "c": 3}) == [2, 1]
    with pytest.raises(ConfigError, match=r"KeepKeys needs \['length'\]"):
        KeepKeys(["length"])({"img_path": "p.jpg", "image": 1})


# ---- label encoders ----------------------------------------------------------------------
def test_ctc_encode_default_dict_lowercases_and_pads():
    op = CTCLabelEncode(max_text_length=6)
    out = op({"label": "Ab1"})
    assert out["label"].dtype == np.int64
    assert out["label"].tolist() == [11, 12, 2, 0, 0, 0]  # dict index + 1: '0'->1, 'a'->11
    assert int(out["length"]) == 3
    assert out["label_ace"].shape == (37,)
    assert out["label_ace"][0] == 3 and out["label_ace"][11] == 1 and out["label_ace"].sum() == 6


def test_ctc_check_label_reasons(data_dir):
    op = CTCLabelEncode(max_text_length=5, character_dict_path=str(data_dir / "dicts/ic15_dict.txt"))
    assert op.check_label("abc") is None
    assert op.check_label("") == "empty label"
    assert op.check_label("aXbY") == "characters outside dictionary: 'X', 'Y'"
    assert op.check_label("abcdef") == "text longer than max_text_length (6 > 5)"
    with pytest.raises(DataError, match="p.jpg: label 'aX'"):
        op({"label": "aX", "img_path": "p.jpg"})


def test_ctc_space_char_and_dict_errors(tmp_path, data_dir):
    op = CTCLabelEncode(max_text_length=5, character_dict_path=str(data_dir / "dicts/ic15_dict.txt"),
                        use_space_char=True)
    assert op.num_classes == 36 + 1 + 1
    assert op({"label": "a b"})["label"].tolist() == [11, 37, 12, 0, 0]
    with pytest.raises(DataError, match="character dict file not found"):
        CTCLabelEncode(max_text_length=5, character_dict_path=str(tmp_path / "nope.txt"))
    with pytest.raises(ConfigError, match="max_text_length"):
        CTCLabelEncode(max_text_length=0)


def test_ctc_gets_global_keys_and_rejects_unknown_params(data_dir):
    glob = {"max_text_length": 7, "character_dict_path": str(data_dir / "dicts/en_dict.txt"), "epoch_num": 3}
    (op,) = build_transforms([{"CTCLabelEncode": None}], glob)
    assert op.max_text_len == 7 and len(op.char_dict) == 95
    (op,) = build_transforms([{"CTCLabelEncode": {"max_text_length": 9}}], glob)
    assert op.max_text_len == 9
    with pytest.raises(ConfigError, match="no parameter 'max_len'"):
        build_transforms([{"CTCLabelEncode": {"max_len": 9}}], glob)


def test_cls_label_encode():
    op = ClsLabelEncode(label_list=["0", "180"])
    assert int(op({"label": "180"})["label"]) == 1
    assert op.check_label("90") == "label not in label_list ['0', '180']: '90'"
    assert ClsLabelEncode(label_list=[0, 180]).check_label("0") is None
    with pytest.raises(DataError, match="x.jpg"):
        op({"label": "90", "img_path": "x.jpg"})


# ---- resize -------------------------------------------------------------------------------
def test_resize_norm_img_hand_values():
    img = np.full((10, 20, 3), 255, np.uint8)
    out, ratio = resize_norm_img(img, [3, 32, 100])
    assert out.shape == (3, 32, 100) and out.dtype == np.float32
    assert math.isclose(ratio, 0.64)  # ceil(32 * 2) = 64 columns
    assert (out[:, :, :64] == 1.0).all() and (out[:, :, 64:] == 0.0).all()
    black, ratio = resize_norm_img(np.zeros((10, 1000, 3), np.uint8), [3, 32, 100])
    assert ratio == 1.0 and (black == -1.0).all()
    stretched, ratio = resize_norm_img(img, [3, 32, 100], padding=False)
    assert ratio == 1.0 and (stretched == 1.0).all()


def test_resize_norm_img_matches_upstream_recipe_bitwise():
    img = np.random.RandomState(0).randint(0, 256, (23, 57, 3)).astype(np.uint8)
    out, ratio = resize_norm_img(img, [3, 32, 100])
    w = int(math.ceil(32 * 57 / 23))  # 80
    ref = cv2.resize(img, (w, 32)).astype("float32").transpose((2, 0, 1)) / 255
    ref -= 0.5
    ref /= 0.5
    assert np.array_equal(out[:, :, :w], ref) and ratio == w / 100


def test_resize_chinese_widens_and_gray_channel():
    out, ratio = resize_norm_img_chinese(np.zeros((10, 100, 3), np.uint8), [3, 32, 100])
    assert out.shape == (3, 32, 320) and ratio == 1.0
    gray, _ = resize_norm_img(np.zeros((10, 10), np.uint8), [1, 32, 100])
    assert gray.shape == (1, 32, 100)


def test_rec_resize_img_and_cls_resize_img():
    img = np.full((16, 16, 3), 128, np.uint8)
    data = RecResizeImg(image_shape=[3, 32, 100])({"image": img})
    assert data["image"].shape == (3, 32, 100) and data["valid_ratio"].dtype == np.float32 and math.isclose(float(data["valid_ratio"]), 0.32, rel_tol=1e-6)
    data = RecResizeImg(image_shape=[3, 32, 100], infer_mode=True)({"image": np.zeros((8, 80, 3), np.uint8)})
    assert data["image"].shape == (3, 32, 320)
    assert ClsResizeImg(image_shape=[3, 48, 192])({"image": img})["image"].shape == (3, 48, 192)
    with pytest.raises(ConfigError, match=r"image_shape must be \[C, H, W\]"):
        RecResizeImg(image_shape=[32, 100])


# ---- RecAug -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 1, 3), (8, 5, 3), (32, 100, 3)])
def test_rec_aug_is_deterministic_given_random_seed(shape):
    img = np.random.RandomState(1).randint(0, 256, shape).astype(np.uint8)
    aug = RecAug(aug_prob=1.0)
    outs = []
    for seed in (5, 5, 6):
        random.seed(seed)
        outs.append(aug({"image": img.copy()})["image"])
    assert outs[0].dtype == np.uint8 and outs[0].ndim == 3 and outs[0].shape[1] == shape[1]
    assert np.array_equal(outs[0], outs[1])
    if shape[0] >= 8:
        assert not np.array_equal(outs[0], outs[2])


def test_rec_aug_signatures():
    old = RecAug(use_tia=False, aug_prob=0.3)
    assert old.probs["tia_prob"] == 0.0 and old.probs["blur_prob"] == 0.3
    new = RecAug(tia_prob=0.1, crop_prob=0.2)
    assert new.probs["tia_prob"] == 0.1 and new.probs["crop_prob"] == 0.2 and new.probs["noise_prob"] == 0.4
    img = np.random.RandomState(2).randint(0, 256, (32, 64, 3)).astype(np.uint8)
    assert np.array_equal(RecAug(aug_prob=0.0)({"image": img.copy()})["image"], img)
    reversed_only = RecAug(aug_prob=0.0, reverse_prob=1.0)({"image": img.copy()})["image"]
    assert np.array_equal(reversed_only, 255 - img)
    with pytest.raises(ConfigError, match="RecAug.blur_prob"):
        RecAug(blur_prob=1.5)
