"""PP-OCRv2's recognition tricks on the demo configs: UDML and Enhanced CTC train and export."""

import os
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.config import load_config
from ppocr.engine.trainer import Trainer
from ppocr.experiments.ablation import smoke_config
from ppocr.export.exporter import export_model
from ppocr.synth.from_config import ensure_synth_data

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "configs" / "rec" / "demo"


def tiny(name, tmp_path):
    cfg = smoke_config(load_config(DEMOS / name), str(tmp_path / "data"))
    cfg["Global"].update({"save_model_dir": str(tmp_path / "out"), "print_batch_step": 1,
                          "eval_batch_step": [0, 0]})
    ensure_synth_data(cfg)
    return cfg


def first_batch_losses(trainer):
    batch = next(iter(trainer.train_loader))
    trainer.model.train()
    return trainer.loss_fn(trainer.model(batch[0], data=batch[1:]), batch)


def test_rec_demos_share_the_synth_en_data_and_network():
    ref = load_config(ROOT / "configs" / "rec" / "rec_synth_en_demo.yml")
    for name in ("rec_student_demo.yml", "rec_student_mid_demo.yml", "rec_udml_demo.yml", "rec_enhanced_ctc_demo.yml"):
        cfg = load_config(DEMOS / name)
        assert cfg["Global"]["synth_data"] == ref["Global"]["synth_data"], name
        assert cfg["Train"] == ref["Train"] and cfg["Eval"] == ref["Eval"], name
        assert cfg["Optimizer"] == ref["Optimizer"] and cfg["Global"]["seed"] == ref["Global"]["seed"], name
    assert load_config(DEMOS / "rec_student_demo.yml")["Architecture"] == ref["Architecture"]
    udml = load_config(DEMOS / "rec_udml_demo.yml")["Architecture"]["Models"]
    enh = load_config(DEMOS / "rec_enhanced_ctc_demo.yml")
    for arch in (udml["Teacher"], udml["Student"], enh["Architecture"]):
        assert arch["Backbone"] == ref["Architecture"]["Backbone"] and arch["Neck"] == ref["Architecture"]["Neck"]
    center = enh["Loss"]["loss_config_list"][1]["CenterLoss"]
    assert center["feat_dim"] == enh["Architecture"]["Head"]["mid_channels"]
    assert center["num_classes"] == 37  # blank + the 36 default characters


def test_udml_trains_with_distillation_losses_and_exports_both_models(tmp_path):
    cfg = tiny("rec_udml_demo.yml", tmp_path)
    trainer = Trainer(cfg)
    summary = trainer.train(stop_after_steps=2)
    assert summary["steps_this_run"] == 2
    losses = first_batch_losses(trainer)
    assert set(losses) == {"loss", "loss_ctc_Student_0", "loss_ctc_Teacher_1", "dml_0",
                           "loss_distance_l2_Student_Teacher_0"}
    parts = sum(float(v) for k, v in losses.items() if k != "loss")
    assert float(losses["loss"]) == pytest.approx(parts, rel=1e-5)
    log = open(os.path.join(cfg["Global"]["save_model_dir"], "train.log"), encoding="utf-8").read()
    assert "dml_0" in log and "loss_distance_l2_Student_Teacher_0" in log
    # both sub-models train: their weights differ after two steps from different random starts
    state = trainer.model.state_dict()
    assert not np.allclose(state["Student.head.fc2.weight"].numpy(), state["Teacher.head.fc2.weight"].numpy())

    dirs = export_model(cfg, trainer.model, str(tmp_path / "inference"))
    dirs = {os.path.basename(d): d for d in dirs}
    assert sorted(dirs) == ["Student", "Teacher"]
    for d in dirs.values():
        for f in ("inference.json", "inference.pdiparams", "inference.yml"):
            assert os.path.isfile(os.path.join(d, f)), (d, f)
    # the exported Student is the Student: same probabilities as the dygraph sub-model
    static = paddle.jit.load(os.path.join(dirs["Student"], "inference"))
    x = paddle.rand([1, 3, 32, 128])
    trainer.model.eval()
    dygraph = trainer.model.Student(x)["head_out"]  # return_all_feats: eval gives {"head_out": probs}
    exported = static(x)
    exported = exported["head_out"] if isinstance(exported, dict) else exported
    assert dygraph.shape == [1, 32, 37]
    np.testing.assert_allclose(exported.numpy(), dygraph.numpy(), atol=1e-5)


def test_enhanced_ctc_trains_with_ctc_and_center_parts(tmp_path):
    cfg = tiny("rec_enhanced_ctc_demo.yml", tmp_path)
    trainer = Trainer(cfg)
    assert trainer.train(stop_after_steps=2)["steps_this_run"] == 2
    losses = first_batch_losses(trainer)
    assert set(losses) == {"loss", "CTCLoss_0", "loss_center"}
    # CombinedLoss weighs the center part by 0.05: the total is ctc + weighted center
    assert float(losses["loss"]) == pytest.approx(float(losses["CTCLoss_0"]) + float(losses["loss_center"]),
                                                  rel=1e-5)
    center = trainer.loss_fn.loss_func[1]
    assert center.centers.shape == [37, 96] and trainer.loss_fn.loss_weight == [1.0, 0.05]
    # eval mode: probabilities only, as an exported model gives
    trainer.model.eval()
    probs = trainer.model(paddle.rand([2, 3, 32, 128]))
    assert probs.shape == [2, 32, 37]
    np.testing.assert_allclose(probs.sum(-1).numpy(), 1.0, rtol=1e-5)
