"""``demo finetune_v4`` dispatches to the fine-tune experiment with its own arguments."""

from __future__ import annotations

import ppocr.experiments.finetune as finetune
from ppocr.commands import demo


def test_finetune_v4_subcommand_passes_its_arguments(monkeypatch):
    seen = {}

    def fake(config, overrides, heldout_seed, heldout_num, stop_after_steps):
        seen.update(config=config, overrides=overrides, seed=heldout_seed, num=heldout_num, steps=stop_after_steps)
        return {"ok": True}

    monkeypatch.setattr(finetune, "run_finetune", fake)
    out = demo.main(["finetune_v4", "-o", "Global.seed=3", "--stop_after_steps", "5", "--heldout_seed", "7"])
    assert out == {"ok": True}
    assert seen == {"config": finetune.FINETUNE_V4, "overrides": ["Global.seed=3"], "seed": 7, "num": 200, "steps": 5}
