"""Fine-tuning starts from the pulled official weights: every tensor loads, optimizer, warmup and data compose.

The fine-tune configs name the zoo model in ``Global.pretrained_model`` (pulled on first use). A few
steps on tiny synthetic data check that training really starts from the released function: before
any step the official recognizer already reads synthetic English lines.
"""

from ppocr.commands import eval as eval_cmd
from ppocr.config import load_config
from ppocr.engine.trainer import Trainer
from ppocr.experiments.ablation import smoke_config
from ppocr.synth.from_config import ensure_synth_data

REC = "configs/rec/finetune/ch_PP-OCRv2_rec_finetune_synth.yml"
DET = "configs/det/finetune/ch_PP-OCRv3_det_finetune_synth.yml"


def tiny(path: str, tmp_path, **global_updates) -> dict:
    cfg = smoke_config(load_config(path), str(tmp_path / "data"), num_train=4, num_val=8, batch_size=2)
    cfg["Global"].update(save_model_dir=str(tmp_path / "out"), print_batch_step=1, eval_batch_step=[0, 1000],
                         **global_updates)
    return cfg


def with_data(cfg: dict) -> dict:
    ensure_synth_data(cfg)
    return cfg


def test_rec_finetune_starts_from_the_official_recognizer(tmp_path, caplog):
    cfg = with_data(tiny(REC, tmp_path))
    before = eval_cmd.run_eval(cfg)
    assert before["acc"] >= 0.5  # the released weights, not a random head: it reads synthetic lines
    trainer = Trainer(cfg)
    assert "loaded 179" in caplog.text and "missing" not in caplog.text.split("loaded 179")[1].split("\n")[0]
    summary = trainer.train(stop_after_steps=2)
    assert summary["steps_this_run"] == 2
    assert "global_step: 1, lr: 0.000200" in caplog.text  # the fine-tune rate of the config, not upstream's
    cfg["Global"]["checkpoints"] = str(tmp_path / "out" / "latest")
    after = eval_cmd.run_eval(cfg)
    assert after["evaluated"] == before["evaluated"] == 8


def test_det_finetune_starts_from_the_official_detector(tmp_path, caplog):
    cfg = tiny(DET, tmp_path)
    cfg["Global"]["synth_data"]["size"] = [[160, 320], [160, 320]]
    for op in cfg["Train"]["dataset"]["transforms"]:
        if "EastRandomCropData" in op:
            op["EastRandomCropData"]["size"] = [160, 160]
    trainer = Trainer(with_data(cfg))
    line = next(ln for ln in caplog.text.splitlines() if "pretrained" in ln and "loaded" in ln)
    assert "loaded 301" in line  # 288 released tensors + the threshold branch written by the import
    assert trainer.train(stop_after_steps=2)["steps_this_run"] == 2
