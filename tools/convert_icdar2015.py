"""Convert ICDAR 2015 ground truth (gt_img_N.txt) to a PaddleOCR detection label file.

Example:
    python tools/convert_icdar2015.py --gt_dir ch4_training_localization_transcription_gt \\
        --img_dir ch4_training_images --out train_icdar2015_label.txt \\
        --img_prefix icdar2015/text_localization/ch4_training_images
"""

from __future__ import annotations

import argparse
import sys

from ppocr.data.icdar2015 import convert_icdar2015
from ppocr.errors import DataError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gt_dir", required=True, help="folder of gt_img_N.txt files")
    p.add_argument("--img_dir", required=True, help="folder of img_N.jpg images")
    p.add_argument("--out", required=True, help="label file to write")
    p.add_argument("--img_prefix", default="", help="path written before each image name (relative to data_dir)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Convert, print a summary and every skipped line; 0 on success, 2 when nothing usable."""
    args = build_parser().parse_args(argv)
    try:
        report = convert_icdar2015(args.gt_dir, args.img_dir, args.out, img_prefix=args.img_prefix)
    except DataError as exc:
        print(f"convert_icdar2015: error: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    print(f"wrote {args.out}: {report.images} images, {report.instances} text instances "
          f"({report.ignored} ###), {len(report.problems)} problems")
    return 0 if report.images > 0 else 2


if __name__ == "__main__":
    sys.exit(main())
