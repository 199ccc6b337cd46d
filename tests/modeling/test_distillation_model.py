"""DistillationModel: sub-model names/order, freezing, eval-mode teacher, pretrained hook, errors."""

import copy

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError
from ppocr.modeling.architectures import build_model
from ppocr.modeling.architectures.distillation_model import DistillationModel


def _det(freeze=False, pretrained=None, in_eval=False):
    return {
        "pretrained": pretrained,
        "freeze_params": freeze,
        **({"frozen_in_eval": True} if in_eval else {}),
        "return_all_feats": False,
        "model_type": "det",
        "algorithm": "DB",
        "Transform": None,
        "Backbone": {"name": "ResNet_vd", "layers": 18},
        "Neck": {"name": "DBFPN", "out_channels": 16},
        "Head": {"name": "DBHead", "k": 50},
    }


def _arch(models):
    return {"name": "DistillationModel", "algorithm": "Distillation", "model_type": "det", "Models": models}


@pytest.fixture(scope="module")
def model():
    """A teacher frozen with ``frozen_in_eval`` (ppocr's opt-in; upstream's default is
    tests/modeling/test_distillation_train_mode.py)."""
    paddle.seed(1)
    return build_model(_arch({"Teacher": _det(freeze=True, in_eval=True), "Student": _det()}))


def test_names_follow_config_order(model):
    keys = list(model.state_dict())
    assert keys[0] == "Teacher.backbone.conv1_1._conv.weight"
    first_student = next(i for i, k in enumerate(keys) if k.startswith("Student."))
    assert all(k.startswith("Teacher.") for k in keys[:first_student])
    assert keys[first_student] == "Student.backbone.conv1_1._conv.weight"
    assert model.model_name_list == ["Teacher", "Student"]
    reversed_model = build_model(_arch({"Student": _det(), "Teacher": _det()}))
    assert list(reversed_model.state_dict())[0].startswith("Student.")


def test_forward_returns_dict_per_sub_model(model):
    model.train()
    out = model(paddle.randn([1, 3, 64, 64]))
    assert list(out) == ["Teacher", "Student"]
    assert out["Student"]["maps"].shape == [1, 3, 64, 64]
    # the frozen_in_eval teacher runs in eval mode: shrink map only
    assert out["Teacher"]["maps"].shape == [1, 1, 64, 64]
    model.eval()
    out = model(paddle.randn([1, 3, 64, 64]))
    assert out["Student"]["maps"].shape == [1, 1, 64, 64]


def test_frozen_params_get_no_gradient(model):
    teacher_params = model.Teacher.parameters()
    assert teacher_params and all(p.stop_gradient and not p.trainable for p in teacher_params)
    frozen_in_student = [n for n, p in model.Student.named_parameters() if p.stop_gradient]
    # only BatchNorm running statistics, which are never trained
    assert frozen_in_student and all(n.endswith(("._mean", "._variance")) for n in frozen_in_student)
    model.train()
    out = model(paddle.randn([1, 3, 32, 32]))
    out["Student"]["maps"].mean().backward()
    assert model.Student.head.binarize.conv1.weight.grad is not None
    assert all(p.grad is None for p in teacher_params)
    model.clear_gradients()


def test_frozen_sub_model_stays_in_eval_mode(model):
    returned = model.train()
    assert returned is model
    assert model.training and model.Student.training and model.Student.backbone.bb_0_0.training
    assert not model.Teacher.training
    assert not any(layer.training for layer in model.Teacher.sublayers())
    bn = model.Teacher.backbone.conv1_1._batch_norm
    student_bn = model.Student.backbone.conv1_1._batch_norm
    before, student_before = bn._mean.numpy().copy(), student_bn._mean.numpy().copy()
    model(paddle.randn([2, 3, 32, 32]) * 3 + 1)
    np.testing.assert_array_equal(bn._mean.numpy(), before)  # running stats untouched
    assert not np.array_equal(student_bn._mean.numpy(), student_before)


@pytest.mark.parametrize("section", [{"freeze_params": False, "frozen_in_eval": True},
                                     {"freeze_params": True, "frozen_in_eval": "yes"}])
def test_frozen_in_eval_needs_frozen_params(section):
    teacher = {**_det(), **section}
    with pytest.raises(ConfigError, match="Architecture.Models.Teacher.frozen_in_eval"):
        build_model(_arch({"Teacher": teacher, "Student": _det()}))


def test_wrapper_setting_flags_does_not_wake_frozen_model(model):
    class Wrapper(paddle.nn.Layer):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)

    wrapper = Wrapper(model)
    wrapper.train()  # Layer.train sets every sublayer's flag, bypassing DistillationModel.train
    assert model.Teacher.training
    out = wrapper(paddle.randn([1, 3, 32, 32]))
    assert not model.Teacher.training and out["Teacher"]["maps"].shape[1] == 1
    assert model.Student.training


def test_pretrained_is_loaded_per_sub_model(monkeypatch):
    from ppocr.modeling.architectures import distillation_model

    calls = []

    def load_pretrained_weights(model, path, allow_shape_mismatch=False):
        calls.append((model, path))
        return {"loaded": len(model.state_dict())}

    monkeypatch.setattr(distillation_model, "load_pretrained_weights", load_pretrained_weights)
    net = DistillationModel(model_type="det", Models={"Teacher": _det(pretrained="./w/teacher"),
                                                      "Student": _det()})
    assert len(calls) == 1
    assert calls[0][0] is net.Teacher and calls[0][1] == "./w/teacher"


def test_sub_model_inherits_model_type_and_accepts_null_transform():
    section = _det()
    del section["model_type"]
    net = DistillationModel(model_type="det", Models={"Only": section})
    assert net.Only.model_type == "det"


@pytest.mark.parametrize("mutate,match", [
    (lambda s: s.update(Backbon={"name": "ResNet_vd"}), r"Architecture.Models.Teacher: .*no parameter 'Backbon'"),
    (lambda s: s.update(freeze_params="yes"), r"Architecture.Models.Teacher.freeze_params must be true or false"),
    (lambda s: s.update(pretrained=3), r"Architecture.Models.Teacher.pretrained must be a path"),
    (lambda s: s.update(Transform={"name": "TPS"}), r"Transform is not supported"),
])
def test_bad_sub_model_sections(mutate, match):
    section = copy.deepcopy(_det())
    mutate(section)
    with pytest.raises(ConfigError, match=match):
        DistillationModel(model_type="det", Models={"Teacher": section})


def test_bad_models_and_unknown_top_level_key():
    with pytest.raises(ConfigError, match="Architecture.Models must map"):
        DistillationModel(model_type="det", Models={})
    with pytest.raises(ConfigError, match="expected a mapping"):
        DistillationModel(model_type="det", Models={"Teacher": None})
    with pytest.raises(ConfigError, match="no parameter 'Backbone'"):
        build_model({**_arch({"Student": _det()}), "Backbone": {"name": "ResNet_vd"}})
