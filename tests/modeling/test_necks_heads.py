"""Necks, heads and the ResNet_vd backbone: shapes, hand-computed values, upstream names, errors."""

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.modeling.backbones.det_resnet_vd import ResNet_vd
from ppocr.modeling.heads.cls_head import ClsHead
from ppocr.modeling.heads.det_db_head import DBHead
from ppocr.modeling.heads.rec_ctc_head import CTCHead
from ppocr.modeling.necks.db_fpn import DBFPN
from ppocr.modeling.necks.sequence_encoder import SequenceEncoder
from ppocr.modeling.necks.upsample import upsample_nearest
from ppocr.registry import BACKBONES, HEADS, NECKS


@pytest.fixture(autouse=True)
def _seed():
    paddle.seed(7)
    np.random.seed(7)


# --------------------------------------------------------------------------- upsample
@pytest.mark.parametrize("factor", [2, 4, 8])
@pytest.mark.parametrize("hw", [(1, 1), (3, 5), (7, 4)])
def test_upsample_nearest_equals_f_upsample(factor, hw):
    x = paddle.randn([2, 3, *hw])
    ours = upsample_nearest(x, factor).numpy()
    ref = F.upsample(x, scale_factor=factor, mode="nearest").numpy()
    assert ours.shape == (2, 3, hw[0] * factor, hw[1] * factor)
    np.testing.assert_array_equal(ours, ref)


def test_upsample_nearest_hand_values_and_grad():
    x = paddle.to_tensor([[[[1.0, 2.0], [3.0, 4.0]]]], stop_gradient=False)
    y = upsample_nearest(x, 2)
    np.testing.assert_array_equal(
        y.numpy()[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    weights = paddle.arange(16, dtype="float32").reshape([1, 1, 4, 4])
    (y * weights).sum().backward()
    # each input pixel receives the sum of the weights of its 2x2 block
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7],
                                                         [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]])


def test_upsample_nearest_rejects_bad_factor_and_rank():
    x = paddle.ones([1, 1, 2, 2])
    assert upsample_nearest(x, 1) is x
    for bad in (0, 2.0, True, -2):
        with pytest.raises(ValueError, match="factor"):
            upsample_nearest(x, bad)
    with pytest.raises(ValueError, match="NCHW"):
        upsample_nearest(paddle.ones([2, 2, 2]), 2)


# --------------------------------------------------------------------------- DBFPN
def _pyramid(n=1, size=32, channels=(8, 12, 16, 20)):
    return [paddle.randn([n, c, size // s, size // s]) for c, s in zip(channels, (4, 8, 16, 32))]


def test_dbfpn_matches_reference_with_f_upsample():
    fpn = DBFPN(in_channels=[8, 12, 16, 20], out_channels=16)
    fpn.eval()
    feats = _pyramid(n=2, size=64)
    c2, c3, c4, c5 = feats
    up = lambda t, s: F.upsample(t, scale_factor=s, mode="nearest", align_mode=1)  # noqa: E731
    in5, in4, in3, in2 = fpn.in5_conv(c5), fpn.in4_conv(c4), fpn.in3_conv(c3), fpn.in2_conv(c2)
    out4 = in4 + up(in5, 2)
    out3 = in3 + up(out4, 2)
    out2 = in2 + up(out3, 2)
    ref = paddle.concat([up(fpn.p5_conv(in5), 8), up(fpn.p4_conv(out4), 4), up(fpn.p3_conv(out3), 2),
                         fpn.p2_conv(out2)], axis=1)
    out = fpn(feats)
    assert out.shape == [2, 16, 16, 16]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)


def test_dbfpn_upstream_names_and_asf():
    fpn = DBFPN(in_channels=[8, 12, 16, 20], out_channels=16)
    assert list(fpn.state_dict()) == [f"{n}.weight" for n in (
        "in2_conv", "in3_conv", "in4_conv", "in5_conv", "p5_conv", "p4_conv", "p3_conv", "p2_conv")]
    assert fpn.state_dict()["in3_conv.weight"].shape == [16, 12, 1, 1]
    asf = DBFPN(in_channels=[8, 12, 16, 20], out_channels=16, use_asf=True)
    assert "asf.conv.weight" in asf.state_dict()
    assert asf(_pyramid()).shape == [1, 16, 8, 8]


def test_dbfpn_config_errors():
    with pytest.raises(ConfigError, match="4 backbone stage widths"):
        DBFPN(in_channels=[8, 12, 16], out_channels=16)
    with pytest.raises(ConfigError, match="multiple of 4"):
        DBFPN(in_channels=[8, 12, 16, 20], out_channels=18)
    with pytest.raises(ConfigError, match="no parameter 'out_channel'"):
        NECKS.build({"name": "DBFPN", "out_channel": 16}, in_channels=[8, 12, 16, 20])


# --------------------------------------------------------------------------- DBHead
def test_dbhead_train_and_eval_outputs():
    head = DBHead(in_channels=16, k=50)
    x = paddle.randn([2, 16, 5, 6])
    head.train()
    maps = head(x)["maps"]
    assert maps.shape == [2, 3, 20, 24]
    shrink, thresh, binary = maps[:, 0], maps[:, 1], maps[:, 2]
    expected = 1.0 / (1.0 + np.exp(-50.0 * (shrink.numpy() - thresh.numpy())))
    np.testing.assert_allclose(binary.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert float(maps.min()) >= 0.0 and float(maps.max()) <= 1.0
    head.eval()
    out = head(x)
    assert list(out) == ["maps"] and out["maps"].shape == [2, 1, 20, 24]
    assert "thresh" not in out


def test_dbhead_upstream_names_and_shapes():
    sd = DBHead(in_channels=96).state_dict()
    assert sd["binarize.conv1.weight"].shape == [24, 96, 3, 3]
    assert sd["binarize.conv2.weight"].shape == [24, 24, 2, 2]
    assert sd["thresh.conv3.weight"].shape == [24, 1, 2, 2]
    assert sd["thresh.conv_bn2._variance"].shape == [24]
    np.testing.assert_allclose(sd["binarize.conv_bn1.bias"].numpy(), 1e-4)
    with pytest.raises(ConfigError, match="kernel_list"):
        DBHead(in_channels=16, kernel_list=[3, 2])


# --------------------------------------------------------------------------- CTCHead
def test_ctc_head_train_eval_and_feats():
    head = CTCHead(in_channels=8, out_channels=5, mid_channels=4, return_feats=True)
    x = paddle.randn([2, 7, 8])
    head.train()
    feats, logits = head(x)
    assert feats.shape == [2, 7, 4] and logits.shape == [2, 7, 5]
    np.testing.assert_allclose(logits.numpy(), head.fc2(head.fc1(x)).numpy(), rtol=1e-6, atol=1e-6)
    head.eval()
    probs = head(x)
    assert isinstance(probs, paddle.Tensor) and probs.shape == [2, 7, 5]
    np.testing.assert_allclose(probs.numpy(), F.softmax(logits, axis=2).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs.numpy().sum(-1), 1.0, rtol=1e-5)


def test_ctc_head_single_fc_and_decay():
    head = CTCHead(in_channels=8, out_channels=5, fc_decay=0.001)
    assert [k for k in head.state_dict()] == ["fc.weight", "fc.bias"]
    assert head.fc.weight.regularizer._coeff == pytest.approx(0.001)
    assert float(paddle.abs(head.fc.weight).max()) <= 1 / np.sqrt(8) + 1e-6
    head.train()
    x = paddle.randn([1, 3, 8])
    assert head(x).shape == [1, 3, 5]
    head.return_feats = True
    feats, _ = head(x)
    np.testing.assert_array_equal(feats.numpy(), x.numpy())  # no fc1: the input is the feature
    with pytest.raises(ConfigError, match="mid_channels"):
        CTCHead(in_channels=8, out_channels=5, mid_channels=0)


def test_ctc_head_default_width_and_registry():
    head = HEADS.build({"name": "CTCHead", "mid_channels": 96, "fc_decay": 2e-5}, in_channels=128)
    assert head.fc2.weight.shape == [96, 6625]
    assert head.fc1.bias.regularizer._coeff == pytest.approx(2e-5)


# --------------------------------------------------------------------------- ClsHead
def test_cls_head_softmax_in_train_and_eval():
    head = ClsHead(in_channels=6, class_dim=2)
    x = paddle.randn([3, 6, 2, 5])
    ref = F.softmax(head.fc(x.mean(axis=[2, 3])), axis=1).numpy()
    for mode in (head.train, head.eval):
        mode()
        out = head(x)
        assert out.shape == [3, 2]
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    assert list(head.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(ConfigError, match="class_dim"):
        ClsHead(in_channels=6, class_dim=0)


# --------------------------------------------------------------------------- SequenceEncoder
def test_sequence_encoder_reshape_fc_rnn():
    x = paddle.randn([2, 6, 1, 9])
    only = SequenceEncoder(6, "reshape")
    out = only(x)
    assert only.out_channels == 6 and out.shape == [2, 9, 6]
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, :, 0, :].transpose(0, 2, 1))
    assert only.state_dict() == {}

    fc = SequenceEncoder(6, "fc", hidden_size=5)
    assert fc.out_channels == 5 and fc(x).shape == [2, 9, 5]
    assert list(fc.state_dict()) == ["encoder.fc.weight", "encoder.fc.bias"]

    rnn = SequenceEncoder(6, "rnn", hidden_size=4)
    assert rnn.out_channels == 8 and rnn(x).shape == [2, 9, 8]
    keys = list(rnn.state_dict())
    assert keys[0] == "encoder.lstm.weight_ih_l0" and "encoder.lstm.1.cell_bw.bias_hh" in keys


def test_sequence_encoder_errors():
    with pytest.raises(ConfigError, match="encoder_type must be one of reshape, fc, rnn, svtr"):
        SequenceEncoder(6, "cascadernn")
    with pytest.raises(ConfigError, match="hidden_size"):
        SequenceEncoder(6, "rnn", hidden_size=0)
    with pytest.raises(DataError, match="height 1"):
        SequenceEncoder(6, "reshape")(paddle.randn([1, 6, 2, 9]))


# --------------------------------------------------------------------------- ResNet_vd
def test_resnet18_vd_outputs_and_names():
    net = ResNet_vd(in_channels=3, layers=18)
    assert net.out_channels == [64, 128, 256, 512]
    outs = net(paddle.randn([1, 3, 64, 96]))
    assert [o.shape for o in outs] == [[1, 64, 16, 24], [1, 128, 8, 12], [1, 256, 4, 6], [1, 512, 2, 3]]
    keys = list(net.state_dict())
    assert keys[:2] == ["conv1_1._conv.weight", "conv1_1._batch_norm.weight"]
    assert "bb_0_0.short._conv.weight" in keys and "bb_0_1.short._conv.weight" not in keys
    assert not any(k.startswith("stages") for k in keys)
    assert net.bb_1_0.short.is_vd_mode and not net.bb_0_0.short.is_vd_mode


def test_resnet_vd_depths_out_indices_and_dcn():
    assert ResNet_vd(layers=34).out_channels == [64, 128, 256, 512]
    assert len([k for k in ResNet_vd(layers=34).state_dict() if k.endswith("conv0._conv.weight")]) == 16
    net = ResNet_vd(layers=50, out_indices=[1, 3], dcn_stage=[False, False, False, True])
    assert net.out_channels == [512, 2048]
    sd = net.state_dict()
    assert sd["bb_3_0.conv1._conv.conv_offset.weight"].shape == [2 * 3 * 9, 512, 3, 3]
    assert "bb_2_0.conv1._conv.weight" in sd
    outs = net(paddle.randn([1, 3, 32, 32]))
    assert [o.shape for o in outs] == [[1, 512, 4, 4], [1, 2048, 1, 1]]


def test_resnet_vd_errors_and_scope():
    with pytest.raises(ConfigError, match="layers must be one of"):
        ResNet_vd(layers=20)
    with pytest.raises(ConfigError, match="out_indices"):
        ResNet_vd(layers=18, out_indices=[4])
    with pytest.raises(ConfigError, match="dcn_stage"):
        ResNet_vd(layers=50, dcn_stage=[True])
    assert BACKBONES.get("ResNet_vd", "det") is ResNet_vd
    with pytest.raises(ConfigError, match="unknown backbone 'ResNet_vd' for model_type 'rec'"):
        BACKBONES.get("ResNet_vd", "rec")
