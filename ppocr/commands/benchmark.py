"""Per-stage latency with oneDNN on and off, in one run, and their ratio.

``python tools/benchmark.py --image docs/images/scene.jpg`` exports the PP-OCRv2 det/cls/rec
architectures (random weights) unless model dirs are given.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

from ppocr.experiments.benchmark import export_ppocrv2, format_table, run_benchmark
from ppocr.inference.images import read_image


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", required=True)
    parser.add_argument("--det_model_dir")
    parser.add_argument("--cls_model_dir")
    parser.add_argument("--rec_model_dir")
    parser.add_argument("--rec_char_dict_path", default=None)
    parser.add_argument("--det_limit_side_len", type=int, default=960)
    parser.add_argument("--num_crops", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cpu_threads", type=int, default=None)
    parser.add_argument("--output", default=None, help="write the result as JSON")
    args = parser.parse_args(argv)
    given = {"det": args.det_model_dir, "cls": args.cls_model_dir, "rec": args.rec_model_dir}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = export_ppocrv2(tmp) if not all(given.values()) else given
        dirs = {k: given[k] or dirs[k] for k in given}
        result = run_benchmark(dirs, read_image(args.image), args.num_crops, args.det_limit_side_len,
                               args.repeats, args.warmup, args.cpu_threads, args.rec_char_dict_path)
    result["image"] = os.path.basename(args.image)
    print(format_table(result))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
