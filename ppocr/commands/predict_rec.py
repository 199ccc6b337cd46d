"""Recognize text line images with ``paddle.inference``.

``python deploy/predict_rec.py --image_dir IMG_OR_DIR --rec_model_dir inference/rec``
"""

from __future__ import annotations

import json
import time

from ppocr.inference.cli import add_rec_args, base_parser, build_recognizer, read_all
from ppocr.inference.images import list_images
from ppocr.utils.logging import get_logger


def main(argv: list[str] | None = None) -> list[dict]:
    parser = base_parser(__doc__)
    add_rec_args(parser)
    args = parser.parse_args(argv)
    logger = get_logger()
    recognizer = build_recognizer(args)
    loaded, failed = read_all(list_images(args.image_dir), logger)
    paths, images = [p for p, _ in loaded], [im for _, im in loaded]
    start = time.perf_counter()
    result = recognizer(images)
    elapsed = time.perf_counter() - start
    rows = [{"path": p, **t.to_dict()} for p, t in zip(paths, result.texts)]
    for row in rows:
        print(f"{row['path']}\t{row['text']}\t{row['score']:.4f}")
    logger.info("%d images in %.1f ms (%.2f ms/image; preprocess %.1f, inference %.1f, postprocess %.1f ms), "
                "oneDNN %s; %d unreadable", len(rows), elapsed * 1e3, elapsed * 1e3 / max(len(rows), 1),
                result.times["preprocess"] * 1e3, result.times["inference"] * 1e3,
                result.times["postprocess"] * 1e3,
                "on" if recognizer.predictor.enable_mkldnn else "off", len(failed))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"results": rows, "unreadable": failed}, f, ensure_ascii=False, indent=2)
    return rows
