"""CopyPaste: pasted instances are exact source pixels, do not overlap text, keep lengths aligned."""

import logging
import random

import cv2
import numpy as np
import pytest
from shapely.geometry import Polygon

from ppocr.data.imaug import build_transforms, copy_paste
from ppocr.data.imaug.copy_paste import CopyPaste
from ppocr.errors import ConfigError


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def ext_sample():
    rng = np.random.RandomState(1)
    img = rng.randint(0, 255, (80, 120, 3)).astype(np.uint8)
    polys = np.array([rect(5, 5, 40, 20), [[50, 10], [90, 14], [88, 30], [52, 26]], rect(10, 40, 30, 70),
                      rect(60, 50, 110, 70)], np.float32)
    return {"image": img, "polys": polys, "texts": ["one", "two", "###", "four"],
            "ignore_tags": np.array([False, False, True, False])}


def dst_sample(with_ext=True):
    img = np.zeros((160, 200, 3), np.uint8)
    d = {"image": img, "polys": np.array([rect(20, 20, 80, 50)], np.float32), "texts": ["base"],
         "ignore_tags": np.array([False])}
    if with_ext:
        d["ext_data"] = [ext_sample()]
    return d


@pytest.mark.parametrize("seed", range(6))
def test_pastes_exact_source_pixels_without_overlap(seed):
    random.seed(seed)
    ext = ext_sample()
    data = dst_sample()
    data["ext_data"] = [ext]
    src_img = data["image"]
    original = src_img.copy()
    out = CopyPaste(objects_paste_ratio=1.0, limit_paste=True)(data)
    n = len(out["polys"])
    assert n == len(out["texts"]) == len(out["ignore_tags"]) and n > 1
    assert out["polys"].dtype == np.float32 and out["ignore_tags"].dtype == bool
    assert out["texts"][0] == "base" and "###" not in out["texts"][1:]  # ignore regions are not pasted
    assert out["ignore_tags"][1:].tolist() == [False] * (n - 1)
    assert (src_img == original).all() and (out["image"] != original).any()  # pasted into a copy
    geoms = [Polygon(p) for p in out["polys"]]
    for i in range(n):
        for j in range(i + 1, n):
            assert not geoms[i].intersects(geoms[j]), f"instances {i} and {j} overlap"
    h, w = out["image"].shape[:2]
    for k in range(1, n):
        pasted = out["polys"][k]
        src_idx = ext_sample()["texts"].index(out["texts"][k])
        src = ext["polys"][src_idx]
        shift = pasted[0] - src[0]
        np.testing.assert_allclose(pasted - src, np.broadcast_to(shift, src.shape), atol=1e-4)
        assert np.allclose(shift, np.round(shift)) and pasted.min() >= 0
        assert pasted[:, 0].max() <= w - 1 and pasted[:, 1].max() <= h - 1  # inside the image
        mask = np.zeros(ext["image"].shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(src).astype(np.int32)], 1)
        ys, xs = np.nonzero(mask)
        dx, dy = int(round(shift[0])), int(round(shift[1]))
        np.testing.assert_array_equal(out["image"][ys + dy, xs + dx], ext["image"][ys, xs])


def test_only_polygon_pixels_are_copied():
    random.seed(0)
    ext = ext_sample()
    ext["ignore_tags"] = np.array([True, False, True, True])  # only the slanted quad
    out = CopyPaste(objects_paste_ratio=1.0)({**dst_sample(with_ext=False), "ext_data": [ext]})
    assert out["texts"] == ["base", "two"]
    pasted = np.zeros(out["image"].shape[:2], np.uint8)
    cv2.fillPoly(pasted, [np.round(out["polys"][1]).astype(np.int32)], 1)
    x0, y0 = np.floor(out["polys"][1].min(axis=0)).astype(int)
    x1, y1 = np.ceil(out["polys"][1].max(axis=0)).astype(int)
    box = np.zeros_like(pasted)
    box[y0:y1 + 1, x0:x1 + 1] = 1
    corners = (box == 1) & (pasted == 0)
    assert corners.any() and (out["image"][corners] == 0).all()  # box corners outside the quad untouched


def test_ratio_selects_at_least_one():
    random.seed(0)
    out = CopyPaste(objects_paste_ratio=0.0)(dst_sample())
    assert len(out["texts"]) == 2


def test_mixed_point_counts_are_padded():
    random.seed(0)
    ext = ext_sample()
    ext["polys"] = np.array([[[5, 5], [20, 5], [40, 5], [40, 20], [20, 20], [5, 20]]] * 1, np.float32)
    ext["texts"], ext["ignore_tags"] = ["six"], np.array([False])
    out = CopyPaste(objects_paste_ratio=1.0)({**dst_sample(with_ext=False), "ext_data": [ext]})
    assert out["polys"].shape == (2, 6, 2) and out["texts"] == ["base", "six"]


def test_no_place_left_skips_instance():
    random.seed(0)
    data = dst_sample()
    data["polys"] = np.array([rect(0, 0, 199, 159)], np.float32)  # text everywhere
    out = CopyPaste(objects_paste_ratio=1.0, limit_paste=True)(data)
    assert out["texts"] == ["base"] and out["polys"].shape == (1, 4, 2)


def test_no_ext_data_is_a_noop_logged_once(monkeypatch, caplog):
    monkeypatch.setattr(copy_paste, "_inactive_logged", False)
    logger = logging.getLogger("ppocr")
    monkeypatch.setattr(logger, "propagate", True)
    op = CopyPaste()
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        for _ in range(3):
            data = dst_sample(with_ext=False)
            img = data["image"]
            out = op(data)
            assert out["image"] is img and out["texts"] == ["base"]
        out = op({**dst_sample(with_ext=False), "ext_data": []})
        assert out["texts"] == ["base"]
    msgs = [r.getMessage() for r in caplog.records if "CopyPaste" in r.getMessage()]
    assert len(msgs) == 1 and "inactive" in msgs[0] and "ext_data" in msgs[0]


def test_undecoded_ext_sample_is_a_config_error():
    data = dst_sample(with_ext=False)
    data["ext_data"] = [{"image": b"bytes", "label": "[]"}]
    with pytest.raises(ConfigError, match="ext_op_transform_idx"):
        CopyPaste()(data)


def test_config():
    (op,) = build_transforms([{"CopyPaste": {"objects_paste_ratio": 0.2, "limit_paste": True}}])
    assert op.ext_data_num == 1
    with pytest.raises(ConfigError):
        build_transforms([{"CopyPaste": {"objects_paste_ratio": 2}}])
