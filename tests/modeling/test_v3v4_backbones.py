"""The PP-OCRv3/v4 backbones that reuse PP-OCRv2 classes: MobileNetV1Enhance with the v3 rec
options and the ResNet_vd 50 CML teachers build upstream's state_dict (the manifest)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle
import pytest

import ppocr.modeling.architectures  # noqa: F401  (registers every backbone)
from ppocr.registry import BACKBONES

MANIFEST = Path(__file__).parents[1] / "fixtures" / "compat" / "ppocrv3v4_state_dict_manifest.json"
# Upstream's Backbone sections of configs/rec/PP-OCRv3/*.yml and configs/det/ch_PP-OCRv{3,4}/*_cml.yml.
V3_REC = {"name": "MobileNetV1Enhance", "scale": 0.5, "last_conv_stride": [1, 2], "last_pool_type": "avg",
          "last_pool_kernel_size": [2, 2]}
RESNET50 = {"name": "ResNet_vd", "in_channels": 3, "layers": 50}

CASES = [
    ("ch_PP-OCRv3_rec", "backbone.", "rec", V3_REC),
    ("en_PP-OCRv3_rec", "backbone.", "rec", V3_REC),
    ("ch_PP-OCRv3_rec_distillation", "Teacher.backbone.", "rec", V3_REC),
    ("ch_PP-OCRv3_rec_distillation", "Student.backbone.", "rec", V3_REC),
    ("ch_PP-OCRv3_det_cml", "Teacher.backbone.", "det", RESNET50),
    ("ch_PP-OCRv4_det_cml", "Teacher.backbone.", "det", RESNET50),
]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("entry", "prefix", "scope", "cfg"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_state_dict_matches_upstream(manifest, entry, prefix, scope, cfg):
    backbone = BACKBONES.build(cfg, scope=scope, in_channels=3)
    got = [[prefix + k, list(v.shape), str(v.dtype).replace("paddle.", "")] for k, v in backbone.state_dict().items()]
    expected = [p for p in manifest[entry]["params"] if p[0].startswith(prefix)]
    assert expected and got == expected


def test_v3_rec_pools_to_40_columns():
    """[N, 3, 48, 320] -> three (2, 1) strides and the last [1, 2] -> [N, 512, 3, 80] -> avg 2x2 -> [N, 512, 1, 40]."""
    backbone = BACKBONES.build(V3_REC, scope="rec", in_channels=3)
    backbone.eval()
    x = paddle.to_tensor(np.random.default_rng(0).uniform(-1, 1, [1, 3, 48, 320]).astype("float32"))
    out = backbone(x)
    assert out.shape == [1, 512, 1, 40]
    feats = backbone.block_list(backbone.conv1(x))
    assert feats.shape == [1, 512, 3, 80]  # the 2x2 pool drops the third row
    np.testing.assert_allclose(out.numpy(), paddle.nn.functional.avg_pool2d(feats, 2).numpy(), rtol=1e-6)


def test_v2_rec_default_pool_unchanged():
    backbone = BACKBONES.build({"name": "MobileNetV1Enhance", "scale": 0.5}, scope="rec", in_channels=3)
    backbone.eval()
    assert isinstance(backbone.pool, paddle.nn.MaxPool2D)
    assert backbone(paddle.rand([1, 3, 32, 100])).shape == [1, 512, 1, 25]
