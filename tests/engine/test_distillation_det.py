"""Det distillation end to end: DML/CML training, metric keys, export, sub-model extraction."""

import copy
import json
import os

import numpy as np
import paddle
import pytest
import yaml

from ppocr.commands import extract_submodel as extract_cmd
from ppocr.commands.eval import run_eval
from ppocr.engine.components import build_components
from ppocr.engine.evaluator import to_numpy
from ppocr.engine.trainer import Trainer
from ppocr.errors import ConfigError, DataError
from ppocr.export.exporter import export_model
from ppocr.export.extract import extract_submodel, sub_model_names
from ppocr.modeling.architectures import build_model
from ppocr.postprocess import build_post_process
from ppocr.synth import ensure_det_dataset

NORMALIZE = {"NormalizeImage": {"scale": "1./255.", "mean": [0.485, 0.456, 0.406],
                                "std": [0.229, 0.224, 0.225], "order": "hwc"}}
TRAIN_OPS = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
             {"EastRandomCropData": {"size": [96, 96], "max_tries": 10, "keep_ratio": True}},
             {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
             {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}}, NORMALIZE, {"ToCHWImage": None},
             {"KeepKeys": {"keep_keys": ["image", "threshold_map", "threshold_mask", "shrink_map",
                                         "shrink_mask"]}}]
EVAL_OPS = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
            {"DetResizeForTest": {"limit_side_len": 128, "limit_type": "max"}}, NORMALIZE, {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}}]
DB_POST = {"thresh": 0.3, "box_thresh": 0.3, "max_candidates": 100, "unclip_ratio": 1.5}
DB_LOSS = {"balance_loss": True, "main_loss_type": "DiceLoss", "alpha": 5, "beta": 10, "ohem_ratio": 3}
PLAIN_KEYS = ("precision", "recall", "hmean")


def sub_model(backbone, neck_channels, pretrained=None, freeze=False):
    return {"pretrained": pretrained, "freeze_params": freeze, "return_all_feats": False, "model_type": "det",
            "algorithm": "DB", "Transform": None, "Backbone": backbone,
            "Neck": {"name": "DBFPN", "out_channels": neck_channels}, "Head": {"name": "DBHead", "k": 50}}


MV3 = {"name": "MobileNetV3", "scale": 0.35, "model_name": "small", "disable_se": True}


@pytest.fixture(scope="module")
def det_data(tmp_path_factory):
    return ensure_det_dataset(tmp_path_factory.mktemp("data") / "synth_det", num_train=4, num_val=3, seed=0,
                              size=(128, 128))


def make_config(data, out, models, losses, names):
    return {
        "Global": {"use_gpu": False, "epoch_num": 1, "print_batch_step": 1, "eval_batch_step": [0, 1000],
                   "save_model_dir": str(out / "train"), "save_inference_dir": str(out / "inference"),
                   "seed": 7, "log_smooth_window": 5},
        "Architecture": {"name": "DistillationModel", "algorithm": "Distillation", "model_type": "det",
                         "Models": models},
        "Loss": {"name": "CombinedLoss", "loss_config_list": losses},
        "Optimizer": {"name": "Adam", "beta1": 0.9, "beta2": 0.999,
                      "lr": {"name": "Cosine", "learning_rate": 0.01, "warmup_epoch": 0},
                      "regularizer": {"name": "L2", "factor": 0}},
        "PostProcess": {"name": "DistillationDBPostProcess", "model_name": names, **DB_POST},
        "Metric": {"name": "DistillationMetric", "base_metric_name": "DetMetric", "main_indicator": "hmean",
                   "key": "Student"},
        "Train": {"dataset": {"name": "SimpleDataSet", "data_dir": data["train_dir"],
                              "label_file_list": [data["train_label_file"]], "transforms": TRAIN_OPS},
                  "loader": {"shuffle": True, "batch_size_per_card": 2, "drop_last": True, "num_workers": 0}},
        "Eval": {"dataset": {"name": "SimpleDataSet", "data_dir": data["val_dir"],
                             "label_file_list": [data["val_label_file"]], "transforms": EVAL_OPS},
                 "loader": {"shuffle": False, "batch_size_per_card": 1, "drop_last": False, "num_workers": 0}},
    }


def plain_config(config, name, weights):
    """The config tools/eval.py would use for the extracted sub-model alone."""
    cfg = copy.deepcopy(config)
    section = cfg["Architecture"]["Models"][name]
    cfg["Architecture"] = {k: v for k, v in section.items() if k not in ("pretrained", "freeze_params")}
    cfg["PostProcess"] = {k: v for k, v in cfg["PostProcess"].items() if k != "model_name"}
    cfg["PostProcess"]["name"] = "DBPostProcess"
    cfg["Metric"] = {"name": "DetMetric", "main_indicator": "hmean"}
    cfg["Global"]["checkpoints"] = weights
    return cfg


def weights(layer):
    return {k: v.numpy().copy() for k, v in layer.state_dict().items()}


def pseudo_labelled_eval(config, model, out):
    """Eval data whose ground truth is two thirds of each student's own detections.

    After two training steps no detector finds real text, so on the real labels every
    metric is 0 and "same metric" would prove nothing. Labelling the val images with
    the students' boxes gives them a precision/recall well above 0 that any difference
    between a distillation sub-model and its extracted weights would change.
    """
    parts = build_components(config, mode="eval")
    model.eval()
    with paddle.no_grad():
        batches = list(parts.eval_loader)
        outs = [model(b[0]) for b in batches]
    maps = np.concatenate([o[n]["maps"].numpy().ravel() for o in outs for n in ("Student", "Student2")])
    # The untrained maps are speckled: pick the percentile threshold that gives both students most blobs.
    best = None
    for q in range(40, 90, 5):
        cfg = copy.deepcopy(config)
        thresh, box_thresh = (round(float(np.percentile(maps, p)), 4) for p in (q, q - 10))
        cfg["PostProcess"].update(thresh=thresh, box_thresh=box_thresh)
        post = build_post_process(cfg["PostProcess"], cfg["Global"])
        found = [post(pred, batch[1].numpy()) for batch, pred in zip(batches, outs)]
        fewest = min(sum(len(f[n][0]["points"]) for f in found) for n in ("Student", "Student2"))
        if best is None or fewest > best[0]:
            best = (fewest, cfg, found)
    fewest, cfg, found = best
    assert fewest > 0, "a student found no blob at any threshold"
    lines = []
    for idx, boxes in enumerate(found):
        keep = [b for name in ("Student", "Student2") for i, b in enumerate(boxes[name][0]["points"]) if i % 3 != 2]
        if keep:
            label = [{"transcription": "x", "points": np.asarray(b).tolist()} for b in keep]
            name = os.path.relpath(parts.eval_loader.dataset.sample_path(idx), config["Eval"]["dataset"]["data_dir"])
            lines.append(f"{name}\t{json.dumps(label)}")
    label_file = out / "pseudo_label.txt"
    label_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg["Eval"]["dataset"]["label_file_list"] = [str(label_file)]
    return cfg


@pytest.fixture(scope="module")
def dml(det_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("dml")
    models = {"Student": sub_model(MV3, 16), "Student2": sub_model(MV3, 16)}
    losses = [{"DistillationDMLLoss": {"weight": 1.0, "model_name_pairs": ["Student", "Student2"],
                                       "maps_name": "thrink_maps", "key": "maps"}},
              {"DistillationDBLoss": {"weight": 1.0, "model_name_list": ["Student", "Student2"], "name": "DBLoss",
                                      **DB_LOSS}}]
    config = make_config(det_data, out, models, losses, ["Student", "Student2"])
    paddle.seed(11)
    trainer = Trainer(config)
    summary = trainer.train(stop_after_steps=2)
    config = pseudo_labelled_eval(config, trainer.model, out)
    config["Global"]["checkpoints"] = os.path.join(config["Global"]["save_model_dir"], "latest")
    trainer = Trainer(config)  # resumed from the 2 steps, evaluating on the pseudo labels
    result = trainer.run_eval()  # first eval: also saves best_accuracy
    return config, trainer, summary, result, out


def test_dml_trains_and_reports_distillation_metric_keys(dml):
    config, trainer, summary, result, _ = dml
    assert summary["global_step"] == 2 and summary["steps_this_run"] == 2
    for fig in PLAIN_KEYS:
        assert fig in result and f"Student2_{fig}" in result
    assert not any(k.startswith("Student_") for k in result)  # the key model is reported plain
    assert result["evaluated"] == result["total"] >= 1
    assert os.path.isfile(os.path.join(config["Global"]["save_model_dir"], "best_accuracy.pdparams"))


def test_export_writes_one_folder_per_student(dml):
    config, trainer, *_ , out = dml
    save_dir = str(out / "exported")
    dirs = export_model(config, trainer.model, save_dir)
    assert dirs == [os.path.join(save_dir, "Student"), os.path.join(save_dir, "Student2")]
    for folder in dirs:
        assert sorted(os.listdir(folder)) == ["inference.json", "inference.pdiparams", "inference.yml"]
        with open(os.path.join(folder, "inference.yml"), encoding="utf-8") as f:
            settings = yaml.safe_load(f)
        assert settings["Global"]["model_type"] == "det"
        assert settings["PostProcess"]["name"] == "DBPostProcess" and "model_name" not in settings["PostProcess"]


def test_extracted_student_evaluates_exactly_like_the_distillation_student(dml):
    config, trainer, _, result, out = dml
    ckpt = os.path.join(config["Global"]["save_model_dir"], "best_accuracy")
    for name, prefix in (("Student", ""), ("Student2", "Student2_")):
        report = extract_submodel(ckpt, name, str(out / name.lower()))
        assert report["sub_models"] == ["Student", "Student2"] and report["path"].endswith(".pdparams")
        plain_cfg = plain_config(config, name, str(out / name.lower()))
        plain = build_model(plain_cfg["Architecture"])
        assert report["tensors"] == len(plain.state_dict())  # every tensor, nothing else
        plain_result = run_eval(plain_cfg)
        assert plain_result["hmean"] > 0.1  # a figure that any weight difference would move
        assert {k: plain_result[k] for k in PLAIN_KEYS} == {k: result[prefix + k] for k in PLAIN_KEYS}
        assert plain_result["evaluated"] == result["evaluated"]


def test_extracted_weights_reproduce_the_sub_model_maps(dml):
    config, trainer, *_ , out = dml
    extract_submodel(os.path.join(config["Global"]["save_model_dir"], "latest"), "Student", str(out / "s_latest"))
    parts = build_components(plain_config(config, "Student", None), mode="eval")
    plain = parts.model
    plain.set_state_dict(paddle.load(str(out / "s_latest.pdparams")))
    plain.eval()
    trainer.model.eval()
    batch = next(iter(parts.eval_loader))
    with paddle.no_grad():
        mine = plain(batch[0])["maps"].numpy()
        theirs = {k: v["maps"].numpy() for k, v in trainer.model(batch[0]).items()}
    np.testing.assert_array_equal(mine, theirs["Student"])
    assert not np.array_equal(mine, theirs["Student2"])  # the two students really differ
    post = parts.post_process(plain(batch[0]), to_numpy(batch)[1])
    assert len(post) == 1 and "points" in post[0]


def test_extract_errors_name_what_is_there(dml, tmp_path, capsys):
    config, trainer, *_ = dml
    ckpt = os.path.join(config["Global"]["save_model_dir"], "latest")
    with pytest.raises(ConfigError, match=r"no sub-model 'Teacher'; it has: Student, Student2"):
        extract_submodel(ckpt, "Teacher", str(tmp_path / "t"))
    assert not os.path.exists(tmp_path / "t.pdparams")
    with pytest.raises(DataError, match="checkpoint not found"):
        extract_submodel(str(tmp_path / "nope"), "Student", str(tmp_path / "t"))
    with pytest.raises(ConfigError, match="overwrite the checkpoint"):
        extract_submodel(ckpt, "Student", ckpt + ".pdparams")
    extract_submodel(ckpt, "Student", str(tmp_path / "plain"))
    with pytest.raises(DataError, match="plain model's checkpoint"):
        extract_submodel(str(tmp_path / "plain"), "backbone", str(tmp_path / "again"))
    with pytest.raises(SystemExit) as exc:
        extract_cmd.main(["--checkpoint", ckpt, "--name", "student2", "--out", str(tmp_path / "t")])
    assert exc.value.code == 2
    assert "it has: Student, Student2. Did you mean 'Student2'?" in capsys.readouterr().err
    result = extract_cmd.main(["--checkpoint", ckpt, "--name", "Student2", "--out", str(tmp_path / "s2")])
    assert result["tensors"] > 0 and os.path.isfile(tmp_path / "s2.pdparams")
    assert not [f for f in os.listdir(tmp_path) if ".tmp" in f]


def test_sub_model_names_in_file_order():
    params = {"Teacher.backbone.w": 0, "Student.head.b": 0, "Teacher.neck.w": 0, "odd": 0}
    assert sub_model_names(params) == ["Teacher", "Student"]


# ---------------------------------------------------------------------------- CML
@pytest.fixture(scope="module")
def cml(det_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("cml")
    teacher_arch = sub_model({"name": "ResNet_vd", "layers": 18}, 32)
    paddle.seed(5)
    teacher = build_model({k: v for k, v in teacher_arch.items() if k not in ("pretrained", "freeze_params")})
    paddle.save(teacher.state_dict(), str(out / "teacher.pdparams"))
    models = {"Teacher": sub_model({"name": "ResNet_vd", "layers": 18}, 32, pretrained=str(out / "teacher"),
                                   freeze=True),
              "Student": sub_model(MV3, 16), "Student2": sub_model(MV3, 16)}
    losses = [{"DistillationDilaDBLoss": {"weight": 1.0, "model_name_pairs": [["Student", "Teacher"],
                                                                             ["Student2", "Teacher"]],
                                          "key": "maps", **DB_LOSS}},
              {"DistillationDMLLoss": {"weight": 1.0, "model_name_pairs": ["Student", "Student2"],
                                       "maps_name": "thrink_maps", "key": "maps"}},
              {"DistillationDBLoss": {"weight": 1.0, "model_name_list": ["Student", "Student2"], **DB_LOSS}}]
    config = make_config(det_data, out, models, losses, ["Student", "Student2", "Teacher"])
    trainer = Trainer(config)
    return trainer, weights(teacher)


def test_cml_trains_students_only_with_the_cml_losses(cml):
    trainer, teacher_file = cml
    model = trainer.model
    assert weights(model.Teacher).keys() == teacher_file.keys()
    for key, value in weights(model.Teacher).items():  # pretrained loaded into the teacher
        np.testing.assert_array_equal(value, teacher_file[key], err_msg=key)
    students_before = weights(model.Student)
    seen = []
    real_loss = trainer.loss_fn

    def recording_loss(preds, batch):
        losses = real_loss(preds, batch)
        seen.append(set(losses))
        return losses

    trainer.loss_fn = recording_loss
    trainer.train(stop_after_steps=2)
    expected = {"loss", "dila_dbloss_Student_Teacher", "dila_dbloss_Student2_Teacher", "dml_thrink_maps_0"}
    expected |= {f"db_{m}_loss_{p}_maps" for m in ("Student", "Student2") for p in ("shrink", "threshold", "binary")}
    assert seen == [expected, expected]
    stats = ("._mean", "._variance")
    for key, value in weights(model.Teacher).items():  # frozen: weights untouched
        if not key.endswith(stats):
            np.testing.assert_array_equal(value, teacher_file[key], err_msg=key)
    # as upstream, the frozen teacher trains in train mode: its BatchNorm running statistics move
    assert any(not np.array_equal(v, teacher_file[k]) for k, v in weights(model.Teacher).items() if k.endswith(stats))
    assert all(p.stop_gradient for p in model.Teacher.parameters())
    changed = [k for k, v in weights(model.Student).items() if not np.array_equal(v, students_before[k])]
    assert len(changed) > len(students_before) // 2
