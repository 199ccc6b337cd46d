"""PP-OCRv2's tricks one at a time under one budget: a table of what each adds.

``python tools/ablation.py --task rec --steps 300 [--variants student +UDML]
[--work_dir ./output/ablation] [--out docs/ABLATION.md] [-o Global.use_gpu=true]``; ``--smoke --steps 2`` checks every
variant end to end on tiny data first (its table goes under ``--work_dir``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from ppocr.config import load_config
from ppocr.experiments.ablation import DEFAULT_SEED, run_ablation, smoke_config, write_report


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("det", "rec", "all"), default="all")
    parser.add_argument("--steps", type=int, required=True, help="training steps of every variant")
    parser.add_argument("--work_dir", default="./output/ablation", help="checkpoints and logs of each run")
    parser.add_argument("--out", default=None,
                        help="markdown table, a .json next to it (default docs/ABLATION.md; with --smoke "
                             "WORK_DIR/ABLATION_smoke.md)")
    parser.add_argument("--variants", nargs="+", default=None, metavar="NAME",
                        help="run only these rows (e.g. student +CopyPaste); the table keeps the other rows "
                             "from earlier runs, so rows can train in parallel processes")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Global.seed of every run")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny copies of the synthetic data (8 train / 4 val, batch 2): checks that every "
                             "variant runs; the numbers mean nothing")
    parser.add_argument("-o", "--opt", nargs="+", action="extend", default=[], metavar="Key.sub=value",
                        help="override applied to every config")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    tasks = ("det", "rec") if args.task == "all" else (args.task,)
    load = load_config
    if args.smoke:
        data_root = os.path.join(args.work_dir, "smoke_data")
        load = lambda path: smoke_config(load_config(path), data_root)  # noqa: E731
    out = args.out or (os.path.join(args.work_dir, "ABLATION_smoke.md") if args.smoke else "docs/ABLATION.md")
    command = ("python tools/ablation.py " + " ".join(shlex.quote(a) for a in argv)).strip()
    written: list[str] = []

    def on_row(row: dict) -> None:  # each row lands in the table as soon as it is measured
        written[:] = write_report([row], out, command)

    rows = run_ablation(tasks, args.steps, args.work_dir, seed=args.seed, overrides=args.opt, load=load,
                        only=args.variants, on_row=on_row)
    print(f"wrote {written[0]} and {written[1]}")
    return rows
