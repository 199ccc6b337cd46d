"""Classify text line direction (0/180) with ``paddle.inference``.

``python deploy/predict_cls.py --image_dir IMG_OR_DIR --cls_model_dir inference/cls``
"""

from __future__ import annotations

import json

from ppocr.inference.cli import add_cls_args, base_parser, build_classifier, read_all
from ppocr.inference.images import list_images
from ppocr.utils.logging import get_logger


def main(argv: list[str] | None = None) -> list[dict]:
    parser = base_parser(__doc__)
    add_cls_args(parser)
    args = parser.parse_args(argv)
    logger = get_logger()
    classifier = build_classifier(args)
    loaded, failed = read_all(list_images(args.image_dir), logger)
    result = classifier([img for _, img in loaded])
    rows = [{"path": p, **label.to_dict()} for (p, _), label in zip(loaded, result.labels)]
    for row in rows:
        print(f"{row['path']}\t{row['label']}\t{row['score']:.4f}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"results": rows, "unreadable": failed}, f, indent=2)
    return rows


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
