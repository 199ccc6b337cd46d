"""The quick start: train the synthetic recognition demo, export it, predict a few images.

``ppocr demo`` (or ``python tools/demo.py``); ``-o`` overrides apply to the demo config.
``ppocr demo finetune_v4 [-o ...] [--stop_after_steps N]``: fine-tune the official PP-OCRv4
recognizer on synthetic English lines, scored before and after (``ppocr.experiments.finetune``).
"""

from __future__ import annotations

import argparse
import os

from ppocr.utils.logging import get_logger

DEMO_CONFIG = os.path.join("configs", "rec", "rec_synth_en_demo.yml")
REAL_WORDS = os.path.join("tests", "fixtures", "real", "ic15_words")  # in a source checkout


def main(argv: list[str] | None = None) -> dict:
    if argv is None:
        import sys

        argv = sys.argv[1:]
    if argv and argv[0] == "finetune_v4":
        return finetune_v4(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--config", default=DEMO_CONFIG)
    parser.add_argument("-o", "--opt", nargs="+", action="extend", default=[])
    args = parser.parse_args(argv)
    from ppocr.commands import eval as eval_cmd
    from ppocr.commands import export_model, predict_rec, train

    logger = get_logger()
    overrides = ["-o", *args.opt] if args.opt else []
    summary = train.main(["-c", args.config, *overrides])
    save_dir = _value(args, "Global.save_model_dir", "./output/rec_synth_en_demo")
    infer_dir = _value(args, "Global.save_inference_dir", "./inference/rec_synth_en_demo")
    best = os.path.join(save_dir, "best_accuracy")
    weights = best if os.path.exists(best + ".pdparams") else os.path.join(save_dir, "latest")
    export = export_model.main(["-c", args.config, "--verify", "-o", *args.opt,
                                f"Global.pretrained_model={weights}", f"Global.save_inference_dir={infer_dir}"])
    result = {"train": summary, "export": export}
    if os.path.isdir(REAL_WORDS):
        result["real_ic15_words"] = eval_cmd.main([
            "-c", args.config, "-o", *args.opt, f"Global.checkpoints={weights}",
            f"Eval.dataset.data_dir={REAL_WORDS}", f"Eval.dataset.label_file_list=['{REAL_WORDS}/label.txt']"])
    val_images = _value(args, "Global.infer_img", "./train_data/synth_rec/val/images")
    sample = sorted(os.listdir(val_images))[:5] if os.path.isdir(val_images) else []
    if sample:
        tmp = os.path.join(save_dir, "demo_predict_images")
        os.makedirs(tmp, exist_ok=True)
        for name in sample:
            with open(os.path.join(val_images, name), "rb") as src, open(os.path.join(tmp, name), "wb") as dst:
                dst.write(src.read())
        result["predict"] = predict_rec.main(["--image_dir", tmp, "--rec_model_dir", infer_dir])
    logger.info("demo done: weights %s, exported to %s", weights, infer_dir)
    return result


def finetune_v4(argv: list[str]) -> dict:
    """``demo finetune_v4``: the official ch_PP-OCRv4_rec before and after a CPU fine-tune."""
    from ppocr.experiments.finetune import FINETUNE_V4, run_finetune

    parser = argparse.ArgumentParser(prog="demo finetune_v4", description=finetune_v4.__doc__)
    parser.add_argument("-c", "--config", default=FINETUNE_V4)
    parser.add_argument("-o", "--opt", nargs="+", action="extend", default=[])
    parser.add_argument("--stop_after_steps", type=int, default=None)
    parser.add_argument("--heldout_seed", type=int, default=1, help="seed of the held-out synthetic set")
    parser.add_argument("--heldout_num", type=int, default=200, help="lines in the held-out synthetic set")
    args = parser.parse_args(argv)
    return run_finetune(args.config, args.opt, heldout_seed=args.heldout_seed, heldout_num=args.heldout_num,
                        stop_after_steps=args.stop_after_steps)


def _value(args: argparse.Namespace, key: str, default: str) -> str:
    """The value ``-o`` gives ``key`` (the last one wins, as ``apply_overrides`` applies them)."""
    for item in reversed(args.opt):
        if item.startswith(key + "="):
            return item.split("=", 1)[1]
    return default


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
