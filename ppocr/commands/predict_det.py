"""Detect text boxes with ``paddle.inference``; writes images with boxes and a results file.

``python deploy/predict_det.py --image_dir IMG_OR_DIR --det_model_dir inference/det``
"""

from __future__ import annotations

import json
import os

from ppocr.inference.cli import add_det_args, base_parser, build_detector, read_all
from ppocr.inference.images import list_images
from ppocr.utils.logging import get_logger
from ppocr.utils.visual import draw_boxes, save_image


def main(argv: list[str] | None = None) -> list[dict]:
    parser = base_parser(__doc__)
    add_det_args(parser)
    parser.add_argument("--draw_img_save_dir", default="./inference_results")
    args = parser.parse_args(argv)
    logger = get_logger()
    detector = build_detector(args)
    loaded, failed = read_all(list_images(args.image_dir), logger)
    rows = []
    for path, img in loaded:
        result = detector(img)
        rows.append({"path": path, **result.to_dict()})
        save_image(os.path.join(args.draw_img_save_dir, "det_res_" + os.path.basename(path)),
                   draw_boxes(img, result.boxes))
        logger.info("%s: %d boxes, %s ms", path, len(result.boxes), rows[-1]["ms"])
    os.makedirs(args.draw_img_save_dir, exist_ok=True)
    with open(os.path.join(args.draw_img_save_dir, "det_results.txt"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(f"{row['path']}\t{json.dumps(row['boxes'])}\n")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"results": rows, "unreadable": failed}, f, indent=2)
    return rows


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
