"""Training samples/s of a config, ppocr against upstream PaddleOCR (see ``ppocr.experiments.train_speed``).

``python tools/train_speed.py --upstream_dir SRC --upstream_python PY --data_dir DIR --first_bs 32``
"""

from __future__ import annotations

import argparse
import json


def main(argv: list[str] | None = None) -> dict:
    from ppocr.experiments.train_speed import CONFIG, measure

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream_dir", required=True, help="upstream PaddleOCR's source tree (tools/train.py)")
    parser.add_argument("--upstream_python", required=True, help="the Python of upstream's venv")
    parser.add_argument("--data_dir", required=True, help="a dir with label.txt (path<TAB>text) and its images")
    parser.add_argument("--first_bs", type=int, default=192, help="Train.sampler.first_bs (= batch_size_per_card)")
    parser.add_argument("-c", "--config", default=CONFIG, help="the config, same relative path on both sides")
    parser.add_argument("--steps", type=int, default=14)
    parser.add_argument("--skip", type=int, default=4, help="steps left out of the rate (warm-up)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per side, alternating")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--num_workers", type=int, default=2)
    parser.add_argument("--max_rss_gb", type=float, default=8.0, help="kill a run whose process tree grows past this")
    parser.add_argument("--timeout_s", type=float, default=900.0)
    parser.add_argument("--sides", default="ours,upstream")
    parser.add_argument("--work_dir", default="/tmp/train_speed")
    parser.add_argument("--output", help="write the result as JSON here")
    args = parser.parse_args(argv)
    result = measure(args.upstream_dir, args.upstream_python, args.data_dir, args.first_bs, steps=args.steps,
                     skip=args.skip, rounds=args.rounds, threads=args.threads, num_workers=args.num_workers,
                     config=args.config, max_rss_gb=args.max_rss_gb, timeout_s=args.timeout_s,
                     work_dir=args.work_dir, sides=tuple(args.sides.split(",")))
    print(f"ours {result.get('ours')} samples/s, upstream {result.get('upstream')} samples/s, "
          f"ours/upstream {result.get('ratio_ours_over_upstream')}; s per equal-pixel batch: ours "
          f"{result.get('ours_s_per_batch')}, upstream {result.get('upstream_s_per_batch')}, batch-rate ratio "
          f"ours/upstream {result.get('batch_rate_ratio_ours_over_upstream')}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
