"""DB detection end to end on tiny synthetic scenes: train, eval, export, paddle.inference with oneDNN.

Upstream's exported DB models crash Paddle 3.3's oneDNN predictor (``nearest_interp``
attributes); ours must run there with dynamic H/W and give dygraph's maps.
"""

import copy
import json
import os

import numpy as np
import paddle
import pytest
import yaml

from ppocr.commands.infer_common import build_infer_ops, preprocess_file
from ppocr.engine.evaluator import format_eval
from ppocr.engine.trainer import Trainer
from ppocr.errors import ConfigError
from ppocr.export.exporter import export_model
from ppocr.inference.det import TextDetector
from ppocr.inference.images import list_images, read_image
from ppocr.inference.predictor import Predictor
from ppocr.synth import make_det_dataset

NORMALIZE = {"NormalizeImage": {"scale": "1./255.", "mean": [0.485, 0.456, 0.406],
                                "std": [0.229, 0.224, 0.225], "order": "hwc"}}

TINY_DET = {
    "Global": {"epoch_num": 1, "print_batch_step": 1, "eval_batch_step": [0, 2], "seed": 5,
               "log_smooth_window": 2},
    "Architecture": {"model_type": "det", "algorithm": "DB",
                     "Backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35, "disable_se": True},
                     "Neck": {"name": "DBFPN", "out_channels": 16},
                     "Head": {"name": "DBHead", "k": 50}},
    "Loss": {"name": "DBLoss", "balance_loss": True, "main_loss_type": "DiceLoss", "alpha": 5, "beta": 10,
             "ohem_ratio": 3},
    "Optimizer": {"name": "Adam", "lr": {"name": "Cosine", "learning_rate": 0.001}},
    "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6, "unclip_ratio": 1.5},
    "Metric": {"name": "DetMetric", "main_indicator": "hmean"},
    "Train": {"dataset": {"name": "SimpleDataSet", "transforms": [
        {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
        {"DetLabelEncode": None},
        {"IaaAugment": None},
        {"EastRandomCropData": {"size": [160, 160], "max_tries": 20, "keep_ratio": True}},
        {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
        {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}},
        NORMALIZE, {"ToCHWImage": None},
        {"KeepKeys": {"keep_keys": ["image", "threshold_map", "threshold_mask", "shrink_map", "shrink_mask"]}}]},
        "loader": {"shuffle": True, "batch_size_per_card": 4, "drop_last": True, "num_workers": 0}},
    "Eval": {"dataset": {"name": "SimpleDataSet", "transforms": [
        {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
        {"DetLabelEncode": None},
        {"DetResizeForTest": {"limit_side_len": 960, "limit_type": "max"}},
        NORMALIZE, {"ToCHWImage": None},
        {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}}]},
        "loader": {"shuffle": False, "batch_size_per_card": 1, "drop_last": False, "num_workers": 0}},
}


def tiny_det_config(data_dir, out_dir) -> dict:
    """TINY_DET reading ``data_dir/{train,val}`` (made by ``make_det_dataset``), writing to ``out_dir``."""
    cfg = copy.deepcopy(TINY_DET)
    for mode, split in (("Train", "train"), ("Eval", "val")):
        cfg[mode]["dataset"]["data_dir"] = os.path.join(data_dir, split)
        cfg[mode]["dataset"]["label_file_list"] = [os.path.join(data_dir, split, "label.txt")]
    cfg["Global"]["save_model_dir"] = os.path.join(out_dir, "model")
    cfg["Global"]["save_inference_dir"] = os.path.join(out_dir, "inference")
    return cfg


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("det_pipeline")
    make_det_dataset(tmp / "synth", num_train=8, num_val=2, seed=0, size=(160, 160))
    cfg = tiny_det_config(str(tmp / "synth"), str(tmp))
    trainer = Trainer(cfg)
    summary = trainer.train()
    return cfg, trainer, summary


@pytest.fixture(scope="module")
def exported(trained):
    cfg, trainer, _ = trained
    (out,) = export_model(cfg, trainer.model, cfg["Global"]["save_inference_dir"])
    return out


def test_training_steps_and_eval_report(trained):
    cfg, trainer, summary = trained
    assert summary["global_step"] == 2 and summary["steps_this_run"] == 2
    save_dir = cfg["Global"]["save_model_dir"]
    assert os.path.isfile(os.path.join(save_dir, "best_accuracy.pdparams"))  # eval ran at step 2
    result = trainer.run_eval()
    assert {"precision", "recall", "hmean"} <= set(result)
    for key in ("precision", "recall", "hmean"):
        assert 0.0 <= result[key] <= 1.0
    assert (result["evaluated"], result["total"]) == (2, 2)
    assert "evaluated 2/2" in format_eval(result)
    assert "evaluated 2/2" in open(os.path.join(save_dir, "train.log"), encoding="utf-8").read()


def test_exported_graph_has_no_nearest_interp(exported):
    assert sorted(os.listdir(exported)) == ["inference.json", "inference.pdiparams", "inference.yml"]
    with open(os.path.join(exported, "inference.json"), encoding="utf-8") as f:
        assert "nearest_interp" not in f.read()


@pytest.mark.parametrize("hw", [(160, 160), (96, 224)])
def test_onednn_predictor_matches_dygraph_at_dynamic_sizes(trained, exported, hw):
    _, trainer, _ = trained
    predictor = Predictor(exported, enable_mkldnn=True)
    x = np.random.default_rng(hw[0]).standard_normal((1, 3, *hw)).astype("float32")
    got = predictor.run(x)[0]
    assert predictor.enable_mkldnn is True  # ran under oneDNN, no fallback
    trainer.model.eval()
    with paddle.no_grad():
        ref = trainer.model(paddle.to_tensor(x))["maps"].numpy()
    assert got.shape == ref.shape == (1, 1, *hw)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)


def test_text_detector_preprocesses_like_eval_and_reads_inference_yml(trained, exported):
    cfg, trainer, _ = trained
    detector = TextDetector(exported)
    assert detector.settings["limit_side_len"] == 960 and detector.settings["limit_type"] == "max"
    assert detector.settings["box_thresh"] == 0.6 and detector.settings["unclip_ratio"] == 1.5
    ops = build_infer_ops(cfg, ["image", "shape"])
    paths = list_images(os.path.join(cfg["Eval"]["dataset"]["data_dir"], "images"))
    assert len(paths) == 2
    trainer.model.eval()
    for path in paths:
        x, shape = detector.preprocess(read_image(path))
        image, ref_shape = preprocess_file(path, ops)
        np.testing.assert_allclose(x[0], image, atol=1e-5)
        np.testing.assert_allclose(shape[0], ref_shape, rtol=1e-6)
        with paddle.no_grad():
            ref = trainer.model(paddle.to_tensor(image[None]))["maps"].numpy()
        np.testing.assert_allclose(detector.predictor.run(x)[0], ref, atol=1e-4, rtol=0)


def test_infer_det_writes_results_file_and_drawn_images(trained, tmp_path):
    from ppocr.commands import infer_det

    cfg, _, _ = trained
    save_dir = cfg["Global"]["save_model_dir"]
    val_images = os.path.join(cfg["Eval"]["dataset"]["data_dir"], "images")
    rows = infer_det.main(["-c", os.path.join(save_dir, "config.yml"), "--output_dir", str(tmp_path), "-o",
                           f"Global.pretrained_model={save_dir}/best_accuracy", f"Global.infer_img={val_images}",
                           "PostProcess.thresh=0.0", "PostProcess.box_thresh=0.0"])
    paths = list_images(val_images)
    assert [r["path"] for r in rows] == paths
    lines = open(tmp_path / "predicts_det.txt", encoding="utf-8").read().splitlines()
    assert len(lines) == 2
    for line, row, path in zip(lines, rows, paths):
        name, boxes = line.split("\t")
        assert name == path and json.loads(boxes) == row["boxes"]
        # every pixel above 0: one box, the whole 160x160 image
        assert [b["points"] for b in row["boxes"]] == [[[0, 0], [160, 0], [160, 160], [0, 160]]]
        assert all(b["transcription"] == "" for b in row["boxes"])
        drawn = read_image(str(tmp_path / "det_results" / os.path.basename(path)))
        assert drawn.shape == (160, 160, 3)


def test_infer_det_needs_an_input(trained):
    from ppocr.commands import infer_det

    cfg, _, _ = trained
    with pytest.raises(ConfigError, match="Global.infer_img"):
        infer_det.main(["-c", os.path.join(cfg["Global"]["save_model_dir"], "config.yml"), "-o", "Global.infer_img="])


def test_infer_det_distillation_model_writes_one_result_per_sub_model(trained, tmp_path):
    from ppocr.commands import infer_det
    from ppocr.engine.components import build_components

    cfg = copy.deepcopy(trained[0])
    sub = {**cfg["Architecture"], "pretrained": None, "freeze_params": False, "return_all_feats": False}
    cfg["Architecture"] = {"name": "DistillationModel", "algorithm": "Distillation", "model_type": "det",
                           "Models": {"Student": copy.deepcopy(sub), "Student2": copy.deepcopy(sub)}}
    cfg["PostProcess"] = {"name": "DistillationDBPostProcess", "model_name": ["Student", "Student2"],
                          "thresh": 0.0, "box_thresh": 0.0}
    paddle.seed(1)
    paddle.save(build_components(cfg, mode="model").model.state_dict(), str(tmp_path / "w.pdparams"))
    image = list_images(os.path.join(cfg["Eval"]["dataset"]["data_dir"], "images"))[0]
    cfg["Global"].update({"pretrained_model": str(tmp_path / "w"), "infer_img": image,
                          "save_res_path": str(tmp_path / "res" / "out.txt")})
    with open(tmp_path / "cfg.yml", "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f)
    (row,) = infer_det.main(["-c", str(tmp_path / "cfg.yml")])
    assert set(row["result"]) == {"Student", "Student2"}
    name, entry = open(tmp_path / "res" / "out.txt", encoding="utf-8").read().rstrip("\n").split("\t")
    assert name == image and json.loads(entry) == row["result"]
    for sub_name in ("Student", "Student2"):
        assert len(row["result"][sub_name]) == 1
        assert os.path.isfile(tmp_path / "res" / f"det_results_{sub_name}" / os.path.basename(image))
