"""Random chains of the det transforms: polys/texts/ignore_tags always stay aligned."""

import json
import random

import cv2
import numpy as np
import pytest

from ppocr.data.imaug import build_transforms

LABEL = json.dumps([
    {"transcription": "alpha", "points": [[10, 10], [70, 12], [69, 30], [11, 28]]},
    {"transcription": "###", "points": [[100, 40], [150, 40], [150, 60], [100, 60]]},
    {"transcription": "six", "points": [[20, 80], [50, 80], [80, 80], [80, 100], [50, 100], [20, 100]]},
    {"transcription": "line", "points": [[120, 100], [160, 100]]},  # degenerate: tagged ignore
    {"transcription": "edge", "points": [[150, 5], [200, 5], [200, 25], [150, 25]]},  # past the right edge
    {"transcription": "tiny", "points": [[5, 110], [9, 110], [9, 113], [5, 113]]},
])

GEOMETRY = [
    {"IaaAugment": None},
    {"IaaAugment": {"augmenter_args": [{"type": "Affine", "args": {"rotate": [-45, 45], "scale": [0.5, 1.5]}}]}},
    {"EastRandomCropData": {"size": [96, 96], "max_tries": 50, "keep_ratio": True}},
    {"EastRandomCropData": {"size": [128, 64], "max_tries": 10, "keep_ratio": False}},
    {"CopyPaste": {"objects_paste_ratio": 0.5}},
]
MAPS = [{"MakeBorderMap": None}, {"MakeShrinkMap": None}]


def make_sample():
    img = np.full((120, 180, 3), 40, np.uint8)
    cv2.putText(img, "alpha", (12, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    return {"img_path": "chain.jpg", "image": img, "label": LABEL}


def check(d, where):
    n = len(d["polys"])
    assert n == len(d["texts"]) == len(d["ignore_tags"]), where
    assert isinstance(d["polys"], np.ndarray) and d["polys"].dtype == np.float32 and d["polys"].ndim == 3, where
    assert d["polys"].shape[2] == 2 and np.isfinite(d["polys"]).all(), where
    assert np.asarray(d["ignore_tags"]).dtype == bool, where
    assert all(isinstance(t, str) for t in d["texts"]), where
    assert d["image"].dtype == np.uint8 and d["image"].ndim == 3, where


@pytest.mark.parametrize("seed", range(12))
def test_random_chains_keep_lengths_consistent(seed):
    rng = random.Random(seed)
    chain = rng.sample(GEOMETRY, rng.randint(1, len(GEOMETRY)))
    cfg = [{"DetLabelEncode": None}] + chain + MAPS
    ops = build_transforms(cfg)
    label_op = ops[0]
    random.seed(seed)
    np.random.seed(seed)
    ext = make_sample()
    ext["image"] = cv2.flip(ext["image"], 1)
    data = make_sample()
    data["ext_data"] = [label_op(ext)]  # as the dataset prepares it (decoded + labels)
    data = label_op(data)
    check(data, "DetLabelEncode")
    assert data["ignore_tags"].tolist() == [False, True, False, True, False, False]
    for spec, op in zip(cfg[1:], ops[1:]):
        data = op(data)
        check(data, next(iter(spec)))
    h, w = data["image"].shape[:2]
    for key in ("threshold_map", "threshold_mask", "shrink_map", "shrink_mask"):
        assert data[key].shape == (h, w) and data[key].dtype == np.float32, key
    assert 0.3 - 1e-6 <= data["threshold_map"].min() and data["threshold_map"].max() <= 0.7 + 1e-6
    for key in ("threshold_mask", "shrink_map", "shrink_mask"):
        assert set(np.unique(data[key])) <= {0.0, 1.0}, key
