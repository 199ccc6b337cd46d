"""Full OCR (det → cls → rec) with ``paddle.inference``; writes JSON and pictures of the result.

``python deploy/predict_system.py --image_dir IMG_OR_DIR --det_model_dir D --rec_model_dir R
[--use_angle_cls true --cls_model_dir C]``
"""

from __future__ import annotations

import json
import os

from ppocr.inference.cli import (
    add_cls_args,
    add_det_args,
    add_rec_args,
    base_parser,
    build_classifier,
    build_detector,
    build_recognizer,
    read_all,
    str2bool,
)
from ppocr.inference.images import list_images
from ppocr.inference.results import OCRResult
from ppocr.inference.system import TextSystem
from ppocr.utils.logging import get_logger
from ppocr.utils.visual import draw_ocr, save_image


def system_results_line(path: str, result: OCRResult) -> str:
    """One line of ``system_results.txt`` in upstream's format: ``path<TAB>[{"transcription", "points",
    "score"}]`` (``tools/end2end`` and ``eval_e2e`` read it; ``--output`` JSON keeps ``text``)."""
    items = [{"transcription": ln.text, "points": ln.points, "score": round(ln.score, 4)} for ln in result.lines]
    return f"{path}\t{json.dumps(items, ensure_ascii=False)}\n"


def build_system(args) -> TextSystem:
    classifier = build_classifier(args) if args.use_angle_cls else None
    return TextSystem(build_detector(args), build_recognizer(args), classifier, args.drop_score)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = base_parser(__doc__)
    add_det_args(parser)
    add_rec_args(parser)
    add_cls_args(parser, required=False)
    parser.add_argument("--use_angle_cls", type=str2bool, default=False)
    parser.add_argument("--drop_score", type=float, default=0.5)
    parser.add_argument("--draw_img_save_dir", default="./inference_results")
    parser.add_argument("--save_visual", type=str2bool, default=True)
    args = parser.parse_args(argv)
    if args.use_angle_cls and not args.cls_model_dir:
        parser.error("--use_angle_cls true needs --cls_model_dir")
    logger = get_logger()
    system = build_system(args)
    loaded, failed = read_all(list_images(args.image_dir), logger)
    os.makedirs(args.draw_img_save_dir, exist_ok=True)
    rows, results_lines = [], []
    for path, img in loaded:
        result = system(img)
        row = {"path": path, **result.to_dict()}
        rows.append(row)
        results_lines.append(system_results_line(path, result))
        for line in result.lines:
            print(f"{path}\t{line.text}\t{line.score:.4f}")
        if args.save_visual:
            picture = draw_ocr(img, [ln.points for ln in result.lines], [ln.text for ln in result.lines],
                               [ln.score for ln in result.lines])
            stem, ext = os.path.splitext(os.path.basename(path))  # a.png and a.jpg stay apart
            save_image(os.path.join(args.draw_img_save_dir, f"{stem}_ocr{ext or '.jpg'}"), picture)
        logger.info("%s: %d lines, %s ms", path, len(result.lines), row["ms"])
    with open(os.path.join(args.draw_img_save_dir, "system_results.txt"), "w", encoding="utf-8") as f:
        f.writelines(results_lines)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"results": rows, "unreadable": failed}, f, ensure_ascii=False, indent=2)
    return rows


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
