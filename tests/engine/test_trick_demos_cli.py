"""Each PP-OCRv2 trick demo through the user's commands: train -> export (Student) -> predict.

The demo configs (configs/det/demo, configs/rec/demo) are shrunk to tiny synthetic data and
one training step, written back to YAML and driven through the same ``main`` functions as
``tools/train.py``, ``tools/export_model.py --verify`` and ``deploy/predict_*.py``.
"""

import json
import os
from pathlib import Path

import numpy as np
import paddle
import pytest
import yaml

from ppocr.commands import export_model, predict_det, predict_rec, train
from ppocr.config import load_config
from ppocr.experiments.ablation import smoke_config

ROOT = Path(__file__).resolve().parents[2]


def write_tiny(rel: str, data_root: Path, out: Path) -> Path:
    """The demo config on tiny synthetic data under ``data_root``, outputs under ``out``, as a file."""
    cfg = smoke_config(load_config(ROOT / rel), str(data_root), num_train=4, num_val=2, batch_size=2)
    g = cfg["Global"]
    g.update(save_model_dir=str(out / "train"), save_inference_dir=str(out / "inference"),
             print_batch_step=1, eval_batch_step=[0, 0])
    if g["synth_data"]["kind"] == "det":
        g["synth_data"]["size"] = [128, 128]
        for op in cfg["Train"]["dataset"]["transforms"]:
            if "EastRandomCropData" in op:
                op["EastRandomCropData"]["size"] = [96, 96]
    path = out / Path(rel).name
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def train_export(cfg_path: Path, out: Path, extra: list[str] = (), atol: float = 1e-4) -> dict:
    summary = train.main(["-c", str(cfg_path), "--stop_after_steps", "1", *(["-o", *extra] if extra else [])])
    assert summary["steps_this_run"] == 1
    latest = out / "train" / "latest"
    assert (out / "train" / "latest.pdparams").is_file()
    result = export_model.main(["-c", str(cfg_path), "--verify", "--verify_batches", "1", "--verify_atol", str(atol),
                                "-o", f"Global.checkpoints={latest}", *extra])
    for name, check in result["verify"].items():
        assert check["ok"] and check["samples"] >= 1, (name, check)
    return result


@pytest.fixture(scope="module")
def det_teacher(tmp_path_factory):
    """det_teacher_demo.yml trained one step: the frozen teacher of the CML demo."""
    base = tmp_path_factory.mktemp("det_demos")
    out = base / "teacher"
    cfg = write_tiny("configs/det/demo/det_teacher_demo.yml", base / "data", out)
    summary = train.main(["-c", str(cfg), "--stop_after_steps", "1"])
    assert summary["steps_this_run"] == 1
    return base, out / "train" / "latest"


@pytest.mark.parametrize("name, students", [
    ("det_student_demo.yml", ["inference"]),
    ("det_copypaste_demo.yml", ["inference"]),
    ("det_pplcnet_demo.yml", ["inference"]),
    ("det_dml_demo.yml", ["Student", "Student2"]),
    ("det_cml_demo.yml", ["Teacher", "Student", "Student2"]),  # every sub-model, as upstream exports
])
def test_det_demo_trains_exports_and_predicts(name, students, det_teacher):
    base, teacher = det_teacher
    out = base / name.removesuffix(".yml")
    cfg = write_tiny(f"configs/det/demo/{name}", base / "data", out)
    extra = [f"Architecture.Models.Teacher.pretrained={teacher}"] if "cml" in name else []
    # The one-step ResNet teacher's BatchNorm statistics are still the initial ones, so its neck
    # outputs reach ~300 (the students' ~3) and float32 reordering moves its maps by ~2e-4 (7e-5
    # without oneDNN); the students' maps stay within 1e-6.
    result = train_export(cfg, out, extra, atol=1e-3 if "cml" in name else 1e-4)
    if "cml" in name:
        assert all(result["verify"][s]["max_abs_diff"] < 1e-5 for s in ("Student", "Student2"))
    dirs = [os.path.relpath(d, out) for d in result["dirs"]]
    expected = ["inference"] if students == ["inference"] else [f"inference/{s}" for s in students]
    assert dirs == expected
    if "cml" in name:  # the frozen teacher holds the teacher run's weights, unchanged by training
        own = paddle.load(str(teacher) + ".pdparams")
        cml = paddle.load(str(out / "train" / "latest.pdparams"))
        assert len(own) > 0 and all(np.array_equal(cml[f"Teacher.{k}"].numpy(), v.numpy()) for k, v in own.items())
    image_dir = base / "data" / "det" / "val" / "images"
    images = sorted(os.listdir(image_dir))
    json_out = out / "predict.json"
    student = next(d for d in dirs if not d.endswith("Teacher"))
    rows = predict_det.main(["--image_dir", str(image_dir), "--det_model_dir", str(out / student),
                             "--draw_img_save_dir", str(out / "vis"), "--output", str(json_out)])
    assert [os.path.basename(r["path"]) for r in rows] == images
    assert json.loads(json_out.read_text(encoding="utf-8"))["unreadable"] == []
    assert sorted(os.listdir(out / "vis")) == sorted(["det_results.txt"] + [f"det_res_{i}" for i in images])


@pytest.mark.parametrize("name, sub_dirs", [
    ("rec_student_demo.yml", ["inference"]),
    ("rec_student_mid_demo.yml", ["inference"]),
    ("rec_udml_demo.yml", ["inference/Teacher", "inference/Student"]),
    ("rec_enhanced_ctc_demo.yml", ["inference"]),
])
def test_rec_demo_trains_exports_and_predicts(name, sub_dirs, tmp_path):
    out = tmp_path / name.removesuffix(".yml")
    cfg = write_tiny(f"configs/rec/demo/{name}", tmp_path / "data", out)
    result = train_export(cfg, out)
    dirs = [os.path.relpath(d, out) for d in result["dirs"]]
    assert sorted(dirs) == sorted(sub_dirs)
    model_dir = out / ("inference/Student" if "inference/Student" in dirs else "inference")
    image_dir = tmp_path / "data" / "rec" / "val" / "images"
    json_out = out / "predict.json"
    rows = predict_rec.main(["--image_dir", str(image_dir), "--rec_model_dir", str(model_dir),
                             "--output", str(json_out)])
    assert len(rows) == 2 and all(0.0 <= r["score"] <= 1.0 and isinstance(r["text"], str) for r in rows)
    # the CenterLoss features stay out of the export: the predictor reads one probability tensor
    saved = json.loads(json_out.read_text(encoding="utf-8"))
    assert [r["path"] for r in saved["results"]] == [r["path"] for r in rows]
