"""PPHGNet_small (PP-OCRv4 det teacher backbone, and the rec variant): upstream's state_dict, shapes, blocks, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle
import pytest

import ppocr.modeling.architectures  # noqa: F401  (registers every backbone)
from ppocr.errors import ConfigError
from ppocr.modeling.backbones.rec_hgnet import HGBlock
from ppocr.registry import BACKBONES

MANIFEST = Path(__file__).parents[1] / "fixtures" / "compat" / "ppocrv3v4_state_dict_manifest.json"
DET = {"name": "PPHGNet_small", "det": True}  # upstream's ch_PP-OCRv4_det_teacher.yml Backbone


def layout(layer: paddle.nn.Layer, prefix: str = "") -> list[list]:
    return [[prefix + k, list(v.shape), str(v.dtype).replace("paddle.", "")] for k, v in layer.state_dict().items()]


def test_det_state_dict_matches_upstream():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    backbone = BACKBONES.build(DET, scope="det", in_channels=3)
    expected = [p for p in manifest["ch_PP-OCRv4_det_teacher"]["params"] if p[0].startswith("backbone.")]
    assert layout(backbone, "backbone.") == expected


def test_det_shapes():
    backbone = BACKBONES.build(DET, scope="det", in_channels=3)
    assert backbone.out_channels == [256, 512, 768, 1024]
    backbone.eval()
    outs = backbone(paddle.rand([1, 3, 64, 96]))
    assert [o.shape for o in outs] == [[1, 256, 16, 24], [1, 512, 8, 12], [1, 768, 4, 6], [1, 1024, 2, 3]]


def test_det_out_indices():
    backbone = BACKBONES.build({**DET, "out_indices": [2, 3]}, scope="det", in_channels=3)
    assert backbone.out_channels == [768, 1024]
    backbone.eval()
    assert [o.shape for o in backbone(paddle.rand([1, 3, 64, 64]))] == [[1, 768, 4, 4], [1, 1024, 2, 2]]


def test_rec_shapes_and_layout():
    backbone = BACKBONES.build({"name": "PPHGNet_small"}, scope="rec", in_channels=3)
    assert backbone.out_channels == 1024
    keys = [k for k, _, _ in layout(backbone)]
    # The rec stage 1 downsamples (stride (2, 1)); the det one does not.
    assert "stages.0.downsample.conv.weight" in keys
    assert "stages.0.downsample.conv.weight" not in [k for k, _, _ in layout(BACKBONES.build(DET, scope="det"))]
    backbone.eval()
    assert backbone(paddle.rand([1, 3, 48, 160])).shape == [1, 1024, 1, 20]


@pytest.mark.parametrize("identity", [True, False])
def test_hg_block_residual(identity):
    """With the aggregation conv's BN zeroed the block outputs 0, plus its input when it has the residual."""
    block = HGBlock(8, 4, 8, layer_num=2, identity=identity)
    block.eval()
    block.aggregation_conv.bn.weight.set_value(paddle.zeros([8]))
    block.aggregation_conv.bn.bias.set_value(paddle.zeros([8]))
    x = paddle.to_tensor(np.random.default_rng(0).normal(0, 1, [1, 8, 5, 5]).astype("float32"))
    out = block(x).numpy()
    np.testing.assert_allclose(out, x.numpy() if identity else np.zeros_like(out), atol=1e-6)
    assert block.aggregation_conv.conv.weight.shape == [8, 8 + 2 * 4, 1, 1]


@pytest.mark.parametrize(("cfg", "message"), [
    ({"out_indices": [4]}, "out_indices must be stage indices 0..3"),
    ({"det": 1}, "det must be true or false"),
    ({"layer_num": 3}, "has no parameter 'layer_num'"),
])
def test_config_errors(cfg, message):
    with pytest.raises(ConfigError, match=message):
        BACKBONES.build({"name": "PPHGNet_small", **cfg}, scope="det", in_channels=3)
