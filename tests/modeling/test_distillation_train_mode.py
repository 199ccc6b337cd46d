"""A frozen sub-model follows the DistillationModel's mode, as upstream (its trainer calls
``model.train()`` on the whole model; ``freeze_params`` only sets ``trainable = False``)."""

import numpy as np
import paddle
import pytest

from ppocr.modeling.architectures import build_model


def _det(freeze):
    return {"pretrained": None, "freeze_params": freeze, "return_all_feats": False, "model_type": "det",
            "algorithm": "DB", "Transform": None, "Backbone": {"name": "ResNet_vd", "layers": 18},
            "Neck": {"name": "DBFPN", "out_channels": 16}, "Head": {"name": "DBHead", "k": 50}}


@pytest.fixture(scope="module")
def model():
    paddle.seed(1)
    return build_model({"name": "DistillationModel", "algorithm": "Distillation", "model_type": "det",
                        "Models": {"Teacher": _det(True), "Student": _det(False)}})


def test_frozen_teacher_trains_in_train_mode_without_gradients(model):
    model.train()
    assert model.Teacher.training and all(layer.training for layer in model.Teacher.sublayers())
    bn = model.Teacher.backbone.conv1_1._batch_norm
    weight, mean = bn.weight.numpy().copy(), bn._mean.numpy().copy()
    out = model(paddle.randn([2, 3, 32, 32]) * 3 + 1)
    assert out["Teacher"]["maps"].shape == [2, 3, 32, 32]  # training outputs: all three maps
    assert not np.array_equal(bn._mean.numpy(), mean)  # batch statistics, running ones updated
    (out["Teacher"]["maps"].mean() + out["Student"]["maps"].mean()).backward()
    assert all(p.grad is None for p in model.Teacher.parameters())
    assert model.Student.head.binarize.conv1.weight.grad is not None
    np.testing.assert_array_equal(bn.weight.numpy(), weight)
    model.clear_gradients()


def test_frozen_teacher_evaluates_in_eval_mode(model):
    model.eval()
    assert not model.Teacher.training
    bn = model.Teacher.backbone.conv1_1._batch_norm
    mean = bn._mean.numpy().copy()
    out = model(paddle.randn([1, 3, 32, 32]))
    assert out["Teacher"]["maps"].shape == out["Student"]["maps"].shape == [1, 1, 32, 32]
    np.testing.assert_array_equal(bn._mean.numpy(), mean)
