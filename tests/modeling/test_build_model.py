"""Public builders: upstream import paths, channel wiring, clear errors."""

import pytest

from ppocr.errors import ConfigError, UnknownComponentError
from ppocr.losses import build_loss
from ppocr.metrics import build_metric
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.postprocess import build_post_process

ARCH = {"model_type": "rec", "algorithm": "CRNN",
        "Backbone": {"name": "MobileNetV1Enhance", "scale": 0.5},
        "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 48},
        "Head": {"name": "CTCHead", "fc_decay": 0.00001}}


def test_ctc_head_width_comes_from_the_dict(data_dir):
    cfg = {"Global": {"character_dict_path": str(data_dir / "dicts" / "ppocr_keys_v1.txt"), "use_space_char": True},
           "Architecture": ARCH}
    arch = resolve_architecture(cfg)
    assert arch["Head"]["out_channels"] == 6625 and "out_channels" not in ARCH["Head"]
    model = build_model(arch)
    assert model.head.fc.weight.shape == [96, 6625]  # neck out 96 (BiLSTM 2x48) wired automatically
    cfg["Global"] = {"character_dict_path": None}
    assert resolve_architecture(cfg)["Head"]["out_channels"] == 37  # blank + 0-9a-z


def test_unknown_backbone_lists_names_for_the_model_type():
    arch = {**ARCH, "Backbone": {"name": "MobileNetV1Enhanse"}}
    with pytest.raises(UnknownComponentError, match=r"unknown backbone 'MobileNetV1Enhanse' for model_type 'rec'.*Did you mean 'MobileNetV1Enhance'"):
        build_model(arch)


def test_unknown_parameter_is_named_with_its_section():
    arch = {**ARCH, "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hiden_size": 48}}
    with pytest.raises(ConfigError, match=r"Architecture.Neck: neck 'SequenceEncoder' has no parameter 'hiden_size'"):
        build_model(arch)


def test_bad_model_type():
    with pytest.raises(ConfigError, match="model_type"):
        build_model({**ARCH, "model_type": "ocr"})


def test_other_builders_name_their_section():
    with pytest.raises(ConfigError, match="Loss: loss 'CTCLoss' has no parameter 'use_focal'"):
        build_loss({"name": "CTCLoss", "use_focal": True})
    with pytest.raises(UnknownComponentError, match="unknown metric 'RecMetrics'"):
        build_metric({"name": "RecMetrics"})
    assert build_post_process({"name": "None"}) is None  # upstream's spelling for "no post-process"
    decoder = build_post_process({"name": "CTCLabelDecode"}, {"character_dict_path": None})
    assert decoder.num_classes == 37
