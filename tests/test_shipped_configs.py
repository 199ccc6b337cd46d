"""Every shipped config builds: model, loss, optimizer, post-process, metric and transforms."""

from pathlib import Path

import pytest

from ppocr.config import load_config
from ppocr.data.imaug import build_transforms
from ppocr.losses import build_loss
from ppocr.metrics import build_metric
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.optimizer import build_optimizer
from ppocr.postprocess import build_post_process

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "configs").rglob("*.yml"))


def _no_pretrained(arch):
    for sub in (arch.get("Models") or {}).values():
        sub["pretrained"] = None
    return arch


@pytest.mark.parametrize("rel", CONFIGS)
def test_config_builds(rel):
    config = load_config(ROOT / rel)
    global_cfg = config["Global"]
    model = build_model(_no_pretrained(resolve_architecture(config)))
    assert sum(p.size for p in model.parameters()) > 0
    build_loss(config["Loss"], global_cfg=global_cfg)
    build_optimizer(config["Optimizer"], epochs=int(global_cfg.get("epoch_num", 1)), step_each_epoch=10,
                    model=model)
    build_post_process(config["PostProcess"], global_cfg)
    build_metric(config["Metric"])
    for mode in ("Train", "Eval"):
        ops = build_transforms(config[mode]["dataset"]["transforms"], global_cfg, where=f"{mode}.dataset.transforms")
        assert ops


def test_configs_found():
    assert any("ch_PP-OCRv2_rec.yml" in c for c in CONFIGS) and any("rec_synth_en_demo" in c for c in CONFIGS)
    assert "configs/rec/PP-OCRv4/ch_PP-OCRv4_rec_distill.yml" in CONFIGS
