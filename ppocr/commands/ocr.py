"""OCR with the official models: ``ppocr ocr IMAGE_OR_DIR [--ocr_version PP-OCRv2|PP-OCRv4] [--lang ch|en]
[--output res.json] [--draw DIR]``. Models are pulled on first use (``ppocr models list``).
"""

from __future__ import annotations

import argparse
import json
import os

from ppocr.inference.cli import read_all, str2bool
from ppocr.inference.images import list_images
from ppocr.ocr import LANGS, OCR, OCR_VERSIONS
from ppocr.utils.logging import get_logger
from ppocr.utils.visual import draw_ocr, save_image


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", help="an image or a folder of images")
    parser.add_argument("--ocr_version", choices=OCR_VERSIONS, default="PP-OCRv2")
    parser.add_argument("--lang", choices=LANGS, default="ch")
    parser.add_argument("--use_angle_cls", type=str2bool, default=True)
    parser.add_argument("--models_dir", default=None, help="pulled models (default $PPOCR_HOME/models)")
    parser.add_argument("--output", default=None, help="write {results, unreadable} as JSON here")
    parser.add_argument("--draw", default=None, metavar="DIR", help="write each image with its lines drawn here")
    parser.add_argument("--drop_score", type=float, default=0.5)
    parser.add_argument("--enable_mkldnn", type=str2bool, default=True)
    parser.add_argument("--cpu_threads", type=int, default=None)
    return parser


def main(argv: list[str] | None = None) -> list[dict]:
    args = build_parser().parse_args(argv)
    logger = get_logger()
    ocr = OCR(args.ocr_version, args.lang, use_angle_cls=args.use_angle_cls, models_dir=args.models_dir,
              drop_score=args.drop_score, enable_mkldnn=args.enable_mkldnn, cpu_threads=args.cpu_threads)
    loaded, failed = read_all(list_images(args.image), logger)
    rows = []
    for path, img in loaded:
        result = ocr(img)
        rows.append({"path": path, **result.to_dict()})
        for line in result.lines:
            print(f"{path}\t{line.text}\t{line.score:.4f}")
        if args.draw:
            picture = draw_ocr(img, [ln.points for ln in result.lines], [ln.text for ln in result.lines],
                               [ln.score for ln in result.lines])
            stem, ext = os.path.splitext(os.path.basename(path))
            save_image(os.path.join(args.draw, f"{stem}_ocr{ext or '.jpg'}"), picture)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"models": ocr.describe(), "results": rows, "unreadable": failed}, f, ensure_ascii=False,
                      indent=2)
    return rows
