"""Every det demo config (configs/det/demo) trains a step and evaluates, on tiny synthetic scenes."""

import math
from pathlib import Path

import pytest

from ppocr.config import load_config
from ppocr.engine.trainer import Trainer
from ppocr.synth import ensure_det_dataset

ROOT = Path(__file__).resolve().parents[2]
DEMOS = sorted(p.name for p in (ROOT / "configs" / "det" / "demo").glob("*.yml"))


@pytest.fixture(scope="module")
def det_data(tmp_path_factory):
    return ensure_det_dataset(tmp_path_factory.mktemp("demo") / "synth_det", num_train=2, num_val=1, seed=0,
                              size=(128, 128))


def shrink(config, data, out):
    """The demo on tiny data: 96x96 crops, batch 2, no workers, output under ``out``."""
    g = config["Global"]
    g.update(save_model_dir=str(out), save_inference_dir=str(out / "inference"), print_batch_step=1)
    g.pop("synth_data")
    for mode, split in (("Train", "train"), ("Eval", "val")):
        section = config[mode]
        section["dataset"].update(data_dir=data[f"{split}_dir"], label_file_list=[data[f"{split}_label_file"]])
        section["loader"].update(num_workers=0, batch_size_per_card=2 if mode == "Train" else 1)
    for op in config["Train"]["dataset"]["transforms"]:
        if "EastRandomCropData" in op:
            op["EastRandomCropData"]["size"] = [96, 96]
    for sub in (config["Architecture"].get("Models") or {}).values():
        sub["pretrained"] = None  # the CML teacher's weights come from det_teacher_demo.yml's run
    return config


def test_demo_set_is_complete():
    assert DEMOS == ["det_cml_demo.yml", "det_copypaste_demo.yml", "det_dml_demo.yml", "det_pplcnet_demo.yml",
                     "det_ppocrv4_demo.yml", "det_student_demo.yml", "det_teacher_demo.yml"]


@pytest.mark.parametrize("name", DEMOS)
def test_demo_trains_a_step_and_evaluates(name, det_data, tmp_path):
    config = load_config(ROOT / "configs" / "det" / "demo" / name)
    assert config["Global"]["synth_data"]["out_dir"] == "./train_data/synth_det"  # one dataset for all demos
    trainer = Trainer(shrink(config, det_data, tmp_path))
    losses = []
    real_loss = trainer.loss_fn
    trainer.loss_fn = lambda preds, batch: losses.append(real_loss(preds, batch)) or losses[-1]
    assert trainer.train(stop_after_steps=1)["global_step"] == 1
    assert math.isfinite(float(losses[0]["loss"]))
    result = trainer.run_eval()
    assert {"precision", "recall", "hmean"} <= set(result) and result["evaluated"] == 1
    if "Models" in config["Architecture"]:
        assert "Student2_hmean" in result
