"""A tiny recognition config on the 10 real ICDAR words, for engine tests."""

import copy
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "fixtures" / "real"

TINY_REC = {
    "Global": {"epoch_num": 2, "print_batch_step": 1, "eval_batch_step": [0, 1000], "character_dict_path": None,
               "max_text_length": 25, "use_space_char": False, "seed": 7, "log_smooth_window": 5},
    "Architecture": {"model_type": "rec", "algorithm": "CRNN",
                     "Backbone": {"name": "MobileNetV1Enhance", "scale": 0.5},
                     "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 16},
                     "Head": {"name": "CTCHead", "fc_decay": 0.00001}},
    "Loss": {"name": "CTCLoss"},
    "Optimizer": {"name": "Adam", "lr": {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 1},
                  "regularizer": {"name": "L2", "factor": 0.00001}},
    "PostProcess": {"name": "CTCLabelDecode"},
    "Metric": {"name": "RecMetric", "main_indicator": "acc"},
    "Train": {"dataset": {"name": "SimpleDataSet", "data_dir": str(DATA / "ic15_words"),
                          "label_file_list": [str(DATA / "ic15_words" / "label.txt")],
                          "transforms": [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
                                         {"RecAug": None}, {"CTCLabelEncode": None},
                                         {"RecResizeImg": {"image_shape": [3, 32, 64]}},
                                         {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]},
              "loader": {"shuffle": True, "batch_size_per_card": 2, "drop_last": True, "num_workers": 0}},
    "Eval": {"dataset": {"name": "LMDBDataSet", "data_dir": str(DATA / "ic15_words_lmdb"),
                         "transforms": [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
                                        {"CTCLabelEncode": None},
                                        {"RecResizeImg": {"image_shape": [3, 32, 64]}},
                                        {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]},
             "loader": {"shuffle": False, "batch_size_per_card": 4, "drop_last": False, "num_workers": 0}},
}


@pytest.fixture
def rec_config(tmp_path):
    cfg = copy.deepcopy(TINY_REC)
    cfg["Global"]["save_model_dir"] = str(tmp_path / "out")
    cfg["Global"]["save_inference_dir"] = str(tmp_path / "inference")
    return cfg
