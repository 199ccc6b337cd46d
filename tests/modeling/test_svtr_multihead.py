"""PP-OCRv3/v4 heads: SVTR neck, MultiHead (CTC + SAR / NRTR), PFHeadLocal.

Architectures are upstream's ch_PP-OCRv3_rec.yml / ch_PP-OCRv4_rec.yml sections; their
``head.*`` state_dict keys must equal the manifest (built by upstream's own code).
"""

import copy
import json
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.modeling.heads.det_db_head import PFHeadLocal
from ppocr.modeling.heads.rec_multi_head import MultiHead
from ppocr.modeling.heads.rec_nrtr_head import Transformer
from ppocr.modeling.heads.rec_sar_head import SARHead
from ppocr.modeling.necks.sequence_encoder import SequenceEncoder
from ppocr.modeling.necks.svtr_encoder import EncoderWithSVTR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MANIFEST = json.loads((FIXTURES / "compat" / "ppocrv3v4_state_dict_manifest.json").read_text(encoding="utf-8"))

# Architecture sections of upstream's configs/rec/PP-OCRv3/ch_PP-OCRv3_rec.yml and PP-OCRv4/ch_PP-OCRv4_rec.yml
V3_ARCH = {
    "model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None,
    "Backbone": {"name": "MobileNetV1Enhance", "scale": 0.5, "last_conv_stride": [1, 2], "last_pool_type": "avg",
                 "last_pool_kernel_size": [2, 2]},
    "Head": {"name": "MultiHead", "head_list": [
        {"CTCHead": {"Neck": {"name": "svtr", "dims": 64, "depth": 2, "hidden_dims": 120, "use_guide": True},
                     "Head": {"fc_decay": 0.00001}}},
        {"SARHead": {"enc_dim": 512, "max_text_length": 25}}]},
}
V4_ARCH = {
    "model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None,
    "Backbone": {"name": "PPLCNetV3", "scale": 0.95},
    "Head": {"name": "MultiHead", "head_list": [
        {"CTCHead": {"Neck": {"name": "svtr", "dims": 120, "depth": 2, "hidden_dims": 120, "kernel_size": [1, 3],
                              "use_guide": True},
                     "Head": {"fc_decay": 0.00001}}},
        {"NRTRHead": {"nrtr_dim": 384, "max_text_length": 25}}]},
}


def _config(arch, dict_name, use_space_char=True):
    return {"Global": {"character_dict_path": str(FIXTURES / "dicts" / dict_name), "use_space_char": use_space_char},
            "Architecture": copy.deepcopy(arch)}


def _head_params(entries):
    return [e for e in entries if e[0].startswith("head.")]


@pytest.mark.parametrize("name, arch, dict_name", [
    ("ch_PP-OCRv3_rec", V3_ARCH, "ppocr_keys_v1.txt"), ("en_PP-OCRv3_rec", V3_ARCH, "en_dict.txt"),
    ("ch_PP-OCRv4_rec", V4_ARCH, "ppocr_keys_v1.txt"), ("en_PP-OCRv4_rec", V4_ARCH, "en_dict.txt"),
])
def test_multi_head_widths_follow_upstream_train_py(name, arch, dict_name):
    cfg = _config(arch, dict_name)
    resolved = resolve_architecture(cfg)
    assert resolved["Head"]["out_channels_list"] == MANIFEST[name]["out_channels"]
    assert "out_channels_list" not in cfg["Architecture"]["Head"]  # the config is not mutated


@pytest.mark.parametrize("name, arch", [("ch_PP-OCRv3_rec", V3_ARCH), ("ch_PP-OCRv4_rec", V4_ARCH)])
def test_head_state_dict_matches_upstream_manifest(name, arch):
    model = build_model(resolve_architecture(_config(arch, "ppocr_keys_v1.txt")))
    got = [[k, list(v.shape), str(v.dtype).replace("paddle.", "")] for k, v in model.state_dict().items()]
    expected = _head_params(MANIFEST[name]["params"])
    assert _head_params(got) == expected
    assert expected[0][0] == "head.ctc_encoder.encoder.conv1.conv.weight"


def _tiny_dict(tmp_path, n=5):
    path = tmp_path / "dict.txt"
    path.write_text("\n".join("abcdefghij"[:n]) + "\n", encoding="utf-8")
    return path


def _batch(n_ctc, guide_width, guide):
    label_ctc = paddle.to_tensor([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0]], dtype="int64")
    length = paddle.to_tensor([3, 2], dtype="int64")
    if guide == "sar":  # <start>=C-2 text <end>=C-2 <pad>=C-1
        start, pad = guide_width - 2, guide_width - 1
        label = np.full([2, 6], pad)
        label[0, :5] = [start, 1, 2, 3, start]
        label[1, :4] = [start, 4, 5, start]
    else:  # <s>=2 text </s>=3, 0-padded
        label = np.zeros([2, 8])
        label[0, :5] = [2, 5, 6, 7, 3]
        label[1, :4] = [2, 8, 8, 3]
    return [label_ctc, paddle.to_tensor(label, dtype="int64"), length, paddle.to_tensor([1.0, 0.5])]


@pytest.mark.parametrize("arch, guide, width", [(V3_ARCH, "sar", 64), (V4_ARCH, "nrtr", 120)])
def test_multi_head_train_dict_and_eval_ctc_probs(tmp_path, arch, guide, width):
    cfg = {"Global": {"character_dict_path": str(_tiny_dict(tmp_path)), "use_space_char": False},
           "Architecture": copy.deepcopy(arch)}
    resolved = resolve_architecture(cfg)
    n = resolved["Head"]["out_channels_list"]["CTCLabelDecode"]
    assert n == 6
    guide_width = n + (2 if guide == "sar" else 3)
    model = build_model(resolved)
    x = paddle.rand([2, 3, 48, 64])
    model.train()
    out = model(x, data=_batch(n, guide_width, guide))
    assert sorted(out) == sorted(["ctc", "ctc_neck", guide])
    steps = out["ctc"].shape[1]
    assert out["ctc"].shape == [2, steps, n]
    assert out["ctc_neck"].shape == [2, steps, width]
    if guide == "sar":  # every label step, SAR classes less padding
        assert out["sar"].shape == [2, 6, guide_width - 1]
    else:  # max(length) + 1 steps, vocabulary out_channels + 1
        assert out["nrtr"].shape == [2, 4, guide_width + 1]
    model.eval()
    probs = model(x)
    assert isinstance(probs, paddle.Tensor) and probs.shape[0] == 2 and probs.shape[2] == n
    np.testing.assert_allclose(probs.sum(axis=-1).numpy(), 1.0, rtol=1e-5)


def test_svtr_encoder_shapes_and_use_guide_stops_backbone_gradient():
    paddle.seed(0)
    x = paddle.rand([2, 32, 1, 10])
    x.stop_gradient = False
    neck = SequenceEncoder(32, "svtr", dims=16, depth=1, hidden_dims=24, use_guide=True, kernel_size=[1, 3])
    assert neck.out_channels == 16
    assert neck(x).shape == [2, 10, 16]
    neck(x).sum().backward()
    assert x.grad is None or float(paddle.abs(x.grad).sum()) == 0.0
    free = EncoderWithSVTR(32, dims=16, depth=1, hidden_dims=24, use_guide=False)
    y = paddle.rand([2, 32, 1, 10])
    y.stop_gradient = False
    free(y).sum().backward()
    assert float(paddle.abs(y.grad).sum()) > 0


def test_svtr_parameters_are_checked():
    with pytest.raises(ConfigError, match="only apply to encoder_type svtr"):
        SequenceEncoder(32, "rnn", dims=16)
    with pytest.raises(ConfigError, match="kernel_size"):
        SequenceEncoder(32, "svtr", kernel_size=[3])
    with pytest.raises(ConfigError, match="divisible by num_heads"):
        SequenceEncoder(32, "svtr", hidden_dims=20, num_heads=8)


def test_multi_head_config_errors():
    heads = copy.deepcopy(V3_ARCH["Head"]["head_list"])
    with pytest.raises(ConfigError, match="out_channels_list is missing"):
        MultiHead(512, head_list=heads)
    with pytest.raises(ConfigError, match="no SARLabelDecode"):
        MultiHead(512, {"CTCLabelDecode": 6}, head_list=heads)
    with pytest.raises(ConfigError, match="one CTCHead and one of SARHead / NRTRHead"):
        MultiHead(512, {"CTCLabelDecode": 6}, head_list=heads[:1])
    with pytest.raises(ConfigError, match="'AttnHead' is not supported"):
        MultiHead(512, {"CTCLabelDecode": 6}, head_list=[heads[0], {"AttnHead": {}}])
    with pytest.raises(ConfigError, match="has no parameter.*nrtr_dims"):
        MultiHead(480, {"CTCLabelDecode": 6, "NRTRLabelDecode": 9}, head_list=[heads[0], {"NRTRHead": {"nrtr_dims": 64}}])
    with pytest.raises(ConfigError, match="SARHead has no parameter 'enc_dims'"):
        MultiHead(512, {"CTCLabelDecode": 6, "SARLabelDecode": 8}, head_list=[heads[0], {"SARHead": {"enc_dims": 8}}])


def test_sar_eval_ignores_features_beyond_valid_width():
    paddle.seed(1)
    head = SARHead(16, 9, enc_dim=16, d_k=8, max_text_length=4)
    head.eval()
    feat = paddle.rand([1, 16, 2, 8])
    ratio = paddle.to_tensor([0.5])  # valid width 4: columns 5.. reach no unmasked key of the 3x3 conv
    changed = feat.numpy().copy()
    changed[..., 5:] = 7.0
    a = head(feat, [None, None, ratio])
    b = head(paddle.to_tensor(changed), [None, None, ratio])
    assert a.shape == [1, 4, 8]  # max_text_length steps, classes less padding
    np.testing.assert_allclose(a.numpy().sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    c = head(paddle.to_tensor(changed), [None, None, paddle.to_tensor([1.0])])
    assert not np.allclose(a.numpy(), c.numpy(), atol=1e-4)


def test_nrtr_decoder_is_causal_and_sized_by_max_length():
    paddle.seed(2)
    head = Transformer(d_model=32, nhead=2, num_encoder_layers=-1, num_decoder_layers=2, dim_feedforward=64,
                       residual_dropout_rate=0.0, out_channels=9)
    head.train()
    src = paddle.rand([1, 5, 32])
    label = paddle.to_tensor([[2, 5, 6, 7, 3, 0, 0]], dtype="int64")
    other = paddle.to_tensor([[2, 5, 6, 8, 3, 0, 0]], dtype="int64")
    length = paddle.to_tensor([3], dtype="int64")
    a = head(src, [label, length])
    b = head(src, [other, length])
    assert a.shape == [1, 4, 10]  # max(length) + 1 steps, out_channels + 1 classes
    np.testing.assert_allclose(a[:, :3].numpy(), b[:, :3].numpy(), rtol=1e-5, atol=1e-6)  # steps before the change
    assert not np.allclose(a[:, 3].numpy(), b[:, 3].numpy())
    head.eval()
    ids, probs = head(src)
    assert ids.shape == probs.shape and int(ids[0, 0]) == 2 and ids.shape[1] <= 25


def test_pf_head_local_matches_manifest_and_averages_maps():
    paddle.seed(3)
    head = PFHeadLocal(256, k=50, mode="large")
    got = [["head." + k, list(v.shape), str(v.dtype).replace("paddle.", "")] for k, v in head.state_dict().items()]
    assert got == _head_params(MANIFEST["ch_PP-OCRv4_det_teacher"]["params"])
    x = paddle.rand([1, 256, 4, 4])
    head.train()
    out = head(x)
    assert {k: v.shape for k, v in out.items()} == {"maps": [1, 3, 16, 16], "distance_maps": [1, 1, 16, 16],
                                                   "cbn_maps": [1, 1, 16, 16]}
    np.testing.assert_allclose(out["maps"][:, :1].numpy(), out["distance_maps"].numpy())
    head.eval()
    out = head(x)
    assert sorted(out) == ["cbn_maps", "maps"] and out["maps"].shape == [1, 1, 16, 16]
    shrink = head.binarize(x)
    np.testing.assert_allclose(out["maps"].numpy(), 0.5 * (shrink + out["cbn_maps"]).numpy(), rtol=1e-5)
    assert PFHeadLocal(64, mode="small").cbn_layer.last_3.conv.weight.shape == [8, 17, 3, 3]
    with pytest.raises(ConfigError, match="mode must be one of large, small"):
        PFHeadLocal(64, mode="medium")


def test_return_all_feats_keeps_the_multi_head_dict_as_head_out(tmp_path):
    """Distillation losses read ``head_out`` (the whole MultiHead dict) and ``neck_out`` (its ``ctc_neck``)."""
    cfg = {"Global": {"character_dict_path": str(_tiny_dict(tmp_path)), "use_space_char": False},
           "Architecture": {**copy.deepcopy(V3_ARCH), "return_all_feats": True}}
    resolved = resolve_architecture(cfg)
    n = resolved["Head"]["out_channels_list"]["CTCLabelDecode"]
    model = build_model(resolved)
    model.train()
    feats = model(paddle.rand([2, 3, 48, 64]), data=_batch(n, n + 2, "sar"))
    assert {"backbone_out", "neck_out", "head_out"} <= set(feats)
    assert sorted(feats["head_out"]) == ["ctc", "ctc_neck", "sar"]
    assert feats["neck_out"] is feats["head_out"]["ctc_neck"]
