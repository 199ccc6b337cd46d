"""RecConAug: extra text lines appended side by side, as upstream decides which and how."""

from __future__ import annotations

import numpy as np
import pytest

from ppocr.data.imaug.rec_img_aug import RecConAug
from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.errors import ConfigError


def flat(h: int, w: int, value: int) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def sample(image, label, *ext):
    return {"image": image, "label": label, "ext_data": [{"image": i, "label": t} for i, t in ext]}


def test_appends_in_order_resized_to_height():
    op = RecConAug(prob=1.0, image_shape=[8, 64, 3], max_text_length=10, ext_data_num=2)  # max w/h = 8
    out = op(sample(flat(8, 16, 10), "ab", (flat(4, 8, 20), "c"), (flat(10, 30, 30), "d")))
    img = out["image"]
    assert img.shape == (8, 16 + 16 + 24, 3)  # round(8/4*8) = 16, round(30/10*8) = 24
    assert (img[:, :16] == 10).all() and (img[:, 16:32] == 20).all() and (img[:, 32:] == 30).all()
    assert out["label"] == "abcd" and "ext_data" not in out


def test_first_misfit_stops_appending():
    op = RecConAug(prob=1.0, image_shape=[8, 64, 3], max_text_length=3, ext_data_num=2)
    out = op(sample(flat(8, 16, 10), "ab", (flat(8, 8, 20), "c"), (flat(8, 8, 30), "d")))
    assert out["label"] == "abc" and out["image"].shape == (8, 24, 3)  # "abcd" would be 4 > 3
    wide_first = RecConAug(prob=1.0, image_shape=[8, 64, 3], max_text_length=10)
    out = wide_first(sample(flat(8, 16, 10), "ab", (flat(8, 56, 20), "c"), (flat(8, 8, 30), "d")))
    assert out["label"] == "ab" and out["image"].shape == (8, 16, 3)  # 2 + 7 > 8: stop, even if "d" fits
    assert (out["image"] == 10).all()


def test_python_rounding_and_probability():
    op = RecConAug(prob=1.0, image_shape=[8, 64, 3], max_text_length=10)
    out = op(sample(flat(16, 5, 10), "a", (flat(8, 8, 20), "b")))  # 5/16*8 = 2.5 -> 2 (half to even)
    assert out["image"].shape == (8, 2 + 8, 3)
    never = RecConAug(prob=0.0, image_shape=[8, 64, 3])
    img = flat(8, 16, 10)
    out = never(sample(img, "a", (flat(8, 8, 20), "b")))
    assert out["image"] is img and out["label"] == "a" and "ext_data" not in out
    assert RecConAug(prob=1.0)({"image": img, "label": "a"})["image"] is img  # no extra samples


def test_parameters_are_checked():
    with pytest.raises(ConfigError, match="prob must be a probability"):
        RecConAug(prob=2)
    with pytest.raises(ConfigError, match=r"image_shape must be \[H, W, C\]"):
        RecConAug(image_shape=[48, 320])
    with pytest.raises(ConfigError, match="ext_data_num must be an integer >= 0"):
        RecConAug(ext_data_num=-1)
    assert RecConAug.train_only and RecConAug.global_keys == ("max_text_length",)


def test_dataset_hands_decoded_extras_deterministically(data_dir):
    words = data_dir / "real/ic15_words"
    labels = [line.split("\t")[1] for line in (words / "label.txt").read_text().splitlines()]
    ops = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
           {"RecConAug": {"prob": 1.0, "ext_data_num": 2, "image_shape": [48, 320, 3]}}]
    ds = SimpleDataSet(str(words), [str(words / "label.txt")], ops, mode="Train", seed=4,
                       global_config={"max_text_length": 25}, ext_op_transform_idx=1)
    assert ds.ext_data_num == 2 and ds.ops[1].max_text_length == 25
    epoch0 = []
    for i in range(len(ds)):
        a, b = ds[i], ds[i]
        assert a["label"] == b["label"] and np.array_equal(a["image"], b["image"])
        assert a["label"].startswith(labels[i]) and len(a["label"]) <= 25
        if a["label"] != labels[i]:
            assert a["image"].shape[0] == 48 and a["image"].shape[1] <= 320 + 2  # joint w/h <= 320/48
        epoch0.append(a["label"])
    assert sum(t != own for t, own in zip(epoch0, labels, strict=True)) >= 3
    ds.set_epoch(1)
    assert [ds[i]["label"] for i in range(len(ds))] != epoch0  # extras are drawn per (seed, epoch, index)


def test_rec_resize_eval_mode_widens_like_infer_mode():
    from ppocr.data.imaug.rec_img_aug import RecResizeImg

    wide = flat(8, 80, 255)  # w/h 10 > 100/32
    plain = RecResizeImg(image_shape=[3, 32, 100], character_dict_path=None)({"image": wide.copy()})
    assert plain["image"].shape == (3, 32, 100)
    ev = RecResizeImg(image_shape=[3, 32, 100], eval_mode=True, character_dict_path=None)({"image": wide.copy()})
    assert ev["image"].shape == (3, 32, 320) and ev["valid_ratio"] == 1.0 and (ev["image"] == 1.0).all()
