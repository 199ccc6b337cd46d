"""Before/after of a fine-tune from an official model: the imported weights as they are, then N steps.

``ppocr demo finetune_v4`` (``python tools/demo.py finetune_v4``) runs it for
``configs/rec/finetune/ch_PP-OCRv4_rec_finetune_synth.yml``:

1. the config's synthetic training set (``Global.synth_data``, seed 0) and a held-out set rendered
   the same way with another seed (``heldout_seed``; its ``val`` split is scored);
2. the starting weights (``Global.pretrained_model``: a zoo name resolves to the pulled trainable
   checkpoint) scored on the held-out set and on the real ICDAR 2015 word crops;
3. training as the config says (``stop_after_steps`` caps it), then the ``latest`` weights scored on
   the same two sets (``latest``, not ``best_accuracy``: a fixed budget, not a pick on the eval set);
4. export with ``--verify`` (export_model's tolerances) and predictions of the real words through
   ``deploy/predict_rec.py``'s command.

The report (JSON) goes to ``SAVE_DIR/finetune_report.json``.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from ppocr.config import apply_overrides, check_sections, load_config
from ppocr.errors import ConfigError

FINETUNE_V4 = os.path.join("configs", "rec", "finetune", "ch_PP-OCRv4_rec_finetune_synth.yml")
REAL_WORDS = os.path.join("tests", "fixtures", "real", "ic15_words")  # in a source checkout
FIGURES = ("acc", "norm_edit_dis", "evaluated", "total", "eval_seconds")


def heldout_spec(config: dict[str, Any], seed: int, num_val: int) -> dict[str, Any]:
    """``Global.synth_data`` of the held-out set: the training set's renderer with another seed.

    Its ``out_dir`` is the training set's with ``_heldout_seed{seed}`` appended; only ``val`` is made.
    """
    spec = (config.get("Global") or {}).get("synth_data")
    if not isinstance(spec, dict) or spec.get("kind") != "rec" or not spec.get("out_dir"):
        raise ConfigError("the fine-tune config needs Global.synth_data with kind: rec and out_dir")
    if int(spec.get("seed", 0)) == int(seed):
        raise ConfigError(f"the held-out seed must differ from the training set's seed {seed}")
    out = dict(spec)
    out.update({"out_dir": os.path.normpath(str(spec["out_dir"])) + f"_heldout_seed{seed}",
                "seed": int(seed), "num_train": 0, "num_val": int(num_val)})
    return out


def with_eval_set(config: dict[str, Any], data_dir: str, weights: str) -> dict[str, Any]:
    """A copy of ``config`` whose ``Eval`` reads ``data_dir/label.txt`` and whose weights are ``weights``."""
    config = copy.deepcopy(config)
    dataset = config["Eval"]["dataset"]
    dataset["name"] = "SimpleDataSet"
    dataset["data_dir"] = data_dir
    dataset["label_file_list"] = [os.path.join(data_dir, "label.txt")]
    config["Global"]["checkpoints"] = None
    config["Global"]["pretrained_model"] = weights
    config["Global"]["synth_data"] = None  # the sets exist already: nothing to render
    return config


def score(config: dict[str, Any], sets: dict[str, str], weights: str) -> dict[str, dict[str, float]]:
    """``{set name: the metric's figures}`` of ``weights`` on each eval set dir."""
    from ppocr.commands.eval import run_eval

    out = {}
    for name, data_dir in sets.items():
        result = run_eval(with_eval_set(config, data_dir, weights))
        out[name] = {k: round(float(result[k]), 4) for k in FIGURES if k in result}
    return out


def resolve_weights(name_or_path: str) -> str:
    """A zoo name -> its pulled trainable checkpoint (pulled on first use); a path stays as it is."""
    from ppocr.zoo.models import ZOO

    if name_or_path in ZOO:
        from ppocr.zoo.pull import pretrained_checkpoint

        return pretrained_checkpoint(name_or_path)
    return name_or_path


def run_finetune(config_path: str = FINETUNE_V4, overrides: list[str] | None = None,
                 heldout_seed: int = 1, heldout_num: int = 200, stop_after_steps: int | None = None,
                 predict_images: int = 5) -> dict[str, Any]:
    """Score, fine-tune, score again, export (verified) and predict; returns (and writes) the report."""
    from ppocr.commands import export_model, predict_rec, train
    from ppocr.synth.from_config import ensure_synth_data
    from ppocr.utils.logging import get_logger

    overrides = list(overrides or [])
    config = apply_overrides(load_config(config_path), overrides)
    check_sections(config, f"{config_path} (with overrides)")
    g = config["Global"]
    ensure_synth_data(config)
    held = heldout_spec(config, heldout_seed, heldout_num)
    ensure_synth_data({"Global": {"synth_data": held}})
    sets = {f"synthetic_heldout_seed{heldout_seed}": os.path.join(held["out_dir"], "val")}
    if os.path.isdir(REAL_WORDS):
        sets["real_ic15_words"] = REAL_WORDS
    start = g.get("pretrained_model")
    if not start:
        raise ConfigError("the fine-tune config needs Global.pretrained_model (a zoo name or weights)")
    start = resolve_weights(str(start))
    report: dict[str, Any] = {"config": config_path, "overrides": overrides, "start_weights": start,
                              "before": score(config, sets, start)}
    steps = ["--stop_after_steps", str(stop_after_steps)] if stop_after_steps else []
    report["train"] = train.main(["-c", config_path, *steps, *(["-o", *overrides] if overrides else [])])
    latest = os.path.join(g["save_model_dir"], "latest")
    report["after"] = score(config, sets, latest)
    path = os.path.join(g["save_model_dir"], "finetune_report.json")
    _write(report, path)  # the scores stand even if the export below fails
    infer_dir = g.get("save_inference_dir") or os.path.join(g["save_model_dir"], "inference")
    report["export"] = export_model.main(["-c", config_path, "--verify", "-o", *overrides,
                                          f"Global.pretrained_model={latest}",
                                          f"Global.save_inference_dir={infer_dir}"])
    if predict_images > 0 and os.path.isdir(REAL_WORDS):
        report["predict_real_words"] = predict_rec.main(
            ["--image_dir", os.path.join(REAL_WORDS, "imgs"), "--rec_model_dir", infer_dir])[:predict_images]
    _write(report, path)
    log = get_logger()
    for when in ("before", "after"):
        for name, fig in report[when].items():
            log.info("%s %s: acc %.4f, norm_edit_dis %.4f (%d/%d)", when, name, fig.get("acc", 0.0),
                     fig.get("norm_edit_dis", 0.0), fig.get("evaluated", 0), fig.get("total", 0))
    log.info("fine-tune report: %s", path)
    return report


def _write(report: dict[str, Any], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=2, default=str)
