"""Centers for Enhanced CTC's CenterLoss from a trained recogniser.

``python tools/export_center.py -c CFG -o Global.pretrained_model=output/rec/best_accuracy
[--save_path ./train_center.npz] [--model_name Student]``; train with them through
``CenterLoss.center_file_path``.
"""

from __future__ import annotations

from ppocr.commands.cli_args import config_parser, load_cli_config
from ppocr.synth.from_config import ensure_synth_data


def main(argv: list[str] | None = None) -> dict:
    parser = config_parser(__doc__)
    parser.add_argument("--save_path", default="./train_center.npz",
                        help="center file to write (.npz tied to the dictionary; default ./train_center.npz)")
    parser.add_argument("--model_name", default=None,
                        help="sub-model of a DistillationModel config to read (e.g. Student)")
    parser.add_argument("--max_batches", type=int, default=None,
                        help="stop after this many batches of the Train data (quick estimate)")
    args = parser.parse_args(argv)
    config = load_cli_config(args)
    ensure_synth_data(config)
    from ppocr.engine.centers import export_centers

    return export_centers(config, args.save_path, model_name=args.model_name, max_batches=args.max_batches)
