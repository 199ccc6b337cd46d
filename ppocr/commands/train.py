"""Train a model from a PaddleOCR-style config: ``python tools/train.py -c CFG -o Key=value``."""

from __future__ import annotations

from ppocr.commands.cli_args import config_parser, load_cli_config
from ppocr.synth.from_config import ensure_synth_data


def main(argv: list[str] | None = None) -> dict:
    parser = config_parser(__doc__)
    parser.add_argument("--stop_after_steps", type=int, default=None,
                        help="stop after this many steps of this run, saving 'latest' (resume with "
                             "-o Global.checkpoints=SAVE_DIR/latest)")
    parser.add_argument("--eval_at_end", action="store_true", help="evaluate once more after training")
    args = parser.parse_args(argv)
    config = load_cli_config(args)
    import paddle.distributed as dist

    if dist.get_rank() == 0:
        ensure_synth_data(config)
    if dist.get_world_size() > 1:
        dist.init_parallel_env()
        dist.barrier()
    from ppocr.engine.trainer import Trainer

    trainer = Trainer(config)
    summary = trainer.train(stop_after_steps=args.stop_after_steps)
    if args.eval_at_end and trainer.eval_loader is not None:
        summary["final_eval"] = trainer.run_eval()
    return summary
