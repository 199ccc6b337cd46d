"""configs/rec/PP-OCRv4/ch_PP-OCRv4_rec_distill.yml end to end: one training step of the frozen
SVTRNet teacher + PPLCNetV3 student on two real word crops prepared by the config's own Train
transforms (a 30-character dictionary keeps the heads small)."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.config import load_config
from ppocr.data.imaug import build_transforms, transform
from ppocr.losses import build_loss
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.optimizer import build_optimizer

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "rec" / "PP-OCRv4" / "ch_PP-OCRv4_rec_distill.yml"
WORDS = ROOT / "tests" / "fixtures" / "real" / "ic15_words"
CROPS = [("imgs/1223731.jpg", "GRAND"), ("imgs/1223733.jpg", "HOTEL")]  # from its label.txt
DICT_30 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    config = load_config(CONFIG)
    dict_path = tmp_path_factory.mktemp("dict") / "dict30.txt"
    dict_path.write_text("\n".join(DICT_30) + "\n", encoding="utf-8")
    config["Global"]["character_dict_path"] = str(dict_path)
    arch = resolve_architecture(config)
    for sub in arch["Models"].values():
        sub["pretrained"] = None
    paddle.seed(11)
    model = build_model(arch)
    ops = build_transforms(config["Train"]["dataset"]["transforms"], config["Global"], where="Train.dataset.transforms")
    random.seed(3)
    np.random.seed(3)
    samples = []
    for rel, text in CROPS:
        path = WORDS / rel
        samples.append(transform({"img_path": str(path), "image": path.read_bytes(), "label": text}, ops))
    batch = [paddle.to_tensor(np.stack([np.asarray(s[i]) for s in samples])) for i in range(len(samples[0]))]
    return config, model, batch


def _state(layer):
    return {k: v.numpy().copy() for k, v in layer.state_dict().items()}


def test_one_training_step(setup):
    config, model, batch = setup
    image, label_ctc, label_gtc, length, valid_ratio = batch  # the config's KeepKeys order
    assert list(image.shape) == [2, 3, 48, 320] and image.dtype == paddle.float32
    assert list(label_ctc.shape) == [2, 25] and length.numpy().tolist() == [5, 5]
    assert label_gtc.numpy()[0, :7].tolist() == [2] + [DICT_30.index(c) + 4 for c in "GRAND"] + [3]

    optim_cfg = copy.deepcopy(config["Optimizer"])
    optim_cfg["lr"]["warmup_epoch"] = 0  # the warm-up's first learning rate is 0: nothing would move
    optimizer, _ = build_optimizer(optim_cfg, epochs=1, step_each_epoch=1, model=model)
    loss_fn = build_loss(config["Loss"], global_cfg=config["Global"])
    teacher_before, student_before = _state(model.Teacher), _state(model.Student)

    model.train()
    assert model.Teacher.training and model.Teacher.backbone.blocks3[0].training  # as upstream's trainer
    preds = model(image, data=batch[1:])
    teacher_out, student_out = preds["Teacher"]["head_out"], preds["Student"]["head_out"]
    assert set(teacher_out) == set(student_out) == {"ctc", "ctc_neck", "nrtr"}
    n_ctc = len(DICT_30) + 2  # blank + dict + space
    assert list(teacher_out["ctc"].shape) == list(student_out["ctc"].shape) == [2, 40, n_ctc]
    assert list(teacher_out["nrtr"].shape) == list(student_out["nrtr"].shape) == [2, 6, n_ctc + 4]
    assert list(preds["Teacher"]["backbone_out"].shape) == [2, 192, 1, 40]

    losses = loss_fn(preds, batch)
    assert set(losses) == {"dkd_0", "loss_ctc_Student_0", "loss_nrtr_Student_0", "ctc_logits_0", "loss"}
    values = {k: float(v) for k, v in losses.items()}
    assert all(np.isfinite(v) for v in values.values()), values
    assert values["dkd_0"] > 0 and values["ctc_logits_0"] > 0
    parts = values["dkd_0"] + values["loss_ctc_Student_0"] + values["loss_nrtr_Student_0"] + values["ctc_logits_0"]
    np.testing.assert_allclose(values["loss"], parts, rtol=1e-5)  # parts are already weighted

    losses["loss"].backward()
    assert all(p.grad is None for p in model.Teacher.parameters())
    assert model.Student.backbone.conv1.conv.weight.grad is not None
    optimizer.step()
    optimizer.clear_grad()

    teacher_after, student_after = _state(model.Teacher), _state(model.Student)
    for key, value in teacher_after.items():
        if key.endswith(("._mean", "._variance")):
            continue  # running statistics move in train mode, as upstream's
        np.testing.assert_array_equal(value, teacher_before[key], err_msg=key)
    moved = [k for k in teacher_after if k.endswith("._mean") and not np.array_equal(teacher_after[k], teacher_before[k])]
    assert moved  # the teacher really ran in train mode
    changed = [k for k, v in student_after.items() if not np.array_equal(v, student_before[k])]
    assert len(changed) > len(student_after) // 2

    model.eval()
    out = model(image)
    assert list(out["Teacher"]["head_out"].shape) == [2, 40, n_ctc]  # eval: the CTC probabilities only
    np.testing.assert_allclose(out["Teacher"]["head_out"].sum(-1).numpy(), 1.0, rtol=1e-5)
