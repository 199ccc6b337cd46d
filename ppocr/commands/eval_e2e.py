"""End-to-end OCR evaluation on labelled photos: detection, exact text, character NED, worst images.

``python tools/eval_e2e.py --label_file LABELS --results system_results.txt [--output OUT.json]
[--report_dir DIR]``, or run our OCR system on the labelled images first:
``python tools/eval_e2e.py --label_file LABELS --image_dir IMGS --det_model_dir D --rec_model_dir R
[--cls_model_dir C] [--image_root ROOT] [--save_results system_results.txt]``.
LABELS and RESULTS hold ``path<TAB>[{"transcription", "points"}]`` lines (PaddleOCR det labels;
deploy/predict_system.py's system_results.txt). Definitions: ppocr/metrics/e2e_eval.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from typing import Any

import cv2
import numpy as np

from ppocr.errors import DataError
from ppocr.metrics.e2e_eval import E2EResult, ImageEval, TextRegion, evaluate, pair_paths, read_ocr_file

MODEL_FLAGS = ("image_dir", "det_model_dir", "rec_model_dir")


def build_parser() -> argparse.ArgumentParser:
    """predict_system's flags (models optional: ``--results`` replaces them) plus the report's."""
    from ppocr.inference.cli import add_cls_args, add_det_args, add_rec_args, base_parser, str2bool

    parser = base_parser(__doc__)
    add_det_args(parser)
    add_rec_args(parser)
    add_cls_args(parser, required=False)
    for action in parser._actions:  # the system's flags are required only without --results
        if action.dest in MODEL_FLAGS:
            action.required = False
    parser.add_argument("--label_file", required=True, help="det label file with transcriptions")
    parser.add_argument("--results", default=None, help="system_results.txt to evaluate (instead of models)")
    parser.add_argument("--image_root", default=None, help="folder the label file's relative paths start from")
    parser.add_argument("--report_dir", default=None, help="draw the worst images (by e2e f1) here")
    parser.add_argument("--report_count", type=int, default=10, help="how many worst images to draw")
    parser.add_argument("--save_results", default=None, help="with models: write system_results.txt here")
    parser.add_argument("--use_angle_cls", type=str2bool, default=None, help="default: when --cls_model_dir")
    parser.add_argument("--drop_score", type=float, default=0.5)
    return parser


def run_system(args: argparse.Namespace, labels: dict[str, list[TextRegion]],
               logger: logging.Logger) -> tuple[dict[str, list[TextRegion]], dict[str, str], list[str]]:
    """OCR of the labelled images in ``--image_dir``: results keyed by label path, the image file
    of each label path, and the unreadable images' messages."""
    from ppocr.commands.predict_system import build_system, system_results_line
    from ppocr.inference.cli import read_all
    from ppocr.inference.images import list_images

    images = list_images(args.image_dir)
    pairs = pair_paths(list(labels), images, args.image_root)
    label_of = {img: lab for lab, img in reversed(list(pairs.items()))}
    if not pairs:
        raise DataError(f"none of the {len(images)} images in {args.image_dir} is in {args.label_file} "
                        "(pass --image_root if the label paths are relative to another folder)")
    logger.info("%d of %d labelled images found in %s (%d other images skipped)", len(pairs), len(labels),
                args.image_dir, len(images) - len(label_of))
    args.use_angle_cls = bool(args.cls_model_dir) if args.use_angle_cls is None else args.use_angle_cls
    system = build_system(args)
    loaded, failed = read_all([img for img in images if img in label_of], logger)
    results: dict[str, list[TextRegion]] = {}
    lines = []
    for path, img in loaded:
        ocr = system(img)
        results[label_of[path]] = [TextRegion(ln.points, ln.text, False, ln.score) for ln in ocr.lines]
        lines.append(system_results_line(path, ocr))
    if args.save_results:
        os.makedirs(os.path.dirname(os.path.abspath(args.save_results)), exist_ok=True)
        with open(args.save_results, "w", encoding="utf-8") as f:
            f.writelines(lines)
    return results, {lab: img for img, lab in label_of.items()}, failed


def find_image(path: str, args: argparse.Namespace, known: dict[str, str], im: ImageEval) -> str | None:
    """The picture file of a label path: the one the system read, else under --image_root, as
    given, next to the label file, or the results entry's path."""
    candidates = [known.get(path)]
    if not os.path.isabs(path):
        if args.image_root:
            candidates.append(os.path.join(args.image_root, path))
        candidates.append(path)
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(args.label_file)), path))
    else:
        candidates.append(path)
    candidates.append(im.result_path)
    return next((c for c in candidates if c and os.path.isfile(c)), None)


def _caption(img: np.ndarray, text: str) -> np.ndarray:
    strip = np.full((26, img.shape[1], 3), 255, dtype=np.uint8)
    cv2.putText(strip, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([strip, img])


def draw_comparison(img: np.ndarray, im: ImageEval, gts: list[TextRegion], dets: list[TextRegion]) -> np.ndarray:
    """Ground truth (top: care texts; red = missed, grey = don't care) over predictions (bottom:
    red = false box, orange = misread label box); each row is the image beside its texts."""
    from ppocr.utils.visual import draw_boxes, draw_ocr

    care = [g for g in gts if not g.ignore]
    base = draw_boxes(img, [g.points for g in gts if g.ignore], color=(160, 160, 160), thickness=1)
    top = draw_ocr(base, [g.points for g in care], [g.text for g in care])
    top = draw_boxes(top, [m.points for m in im.misses], color=(0, 0, 255), thickness=3)
    scores = [d.score for d in dets]
    bottom = draw_ocr(img, [d.points for d in dets], [d.text for d in dets],
                      None if any(s is None for s in scores) else scores)
    bottom = draw_boxes(bottom, [f.points for f in im.false_boxes], color=(0, 0, 255), thickness=3)
    bottom = draw_boxes(bottom, [m.points for m in im.misreads], color=(0, 140, 255), thickness=2)
    return np.vstack([_caption(top, f"ground truth: {len(im.misses)} missed (red), don't care grey"),
                      _caption(bottom, f"predictions: {len(im.false_boxes)} false (red), "
                                       f"{len(im.misreads)} misread (orange), e2e f1 {im.f1:.2f}")])


def draw_worst(result: E2EResult, labels: dict[str, list[TextRegion]], results: dict[str, list[TextRegion]],
               args: argparse.Namespace, known: dict[str, str], logger: logging.Logger) -> list[dict[str, Any]]:
    """Pictures of the ``--report_count`` worst images in ``--report_dir``; what was drawn."""
    from ppocr.inference.images import read_image
    from ppocr.utils.visual import save_image

    drawn = []
    for rank, im in enumerate(result.worst(args.report_count), 1):
        source = find_image(im.path, args, known, im)
        entry: dict[str, Any] = {"path": im.path, "f1": round(im.f1, 4), "picture": None}
        if source is None:
            logger.warning("report: no image file found for %s (pass --image_root)", im.path)
        else:
            try:
                img = read_image(source)
            except DataError as exc:
                logger.warning("report: %s", exc)
            else:
                dets = results.get(im.result_path, []) if im.result_path else []
                stem = os.path.splitext(os.path.basename(im.path))[0]
                entry["picture"] = os.path.join(args.report_dir, f"{rank:02d}_{stem}.jpg")
                save_image(entry["picture"], draw_comparison(img, im, labels[im.path], dets))
        drawn.append(entry)
    return drawn


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from ppocr.utils.logging import get_logger

    parser = build_parser()
    args = parser.parse_args(argv)
    model_flags = [f"--{f}" for f in (*MODEL_FLAGS, "cls_model_dir") if getattr(args, f)]
    if args.results and model_flags:
        parser.error(f"--results evaluates a results file; drop {', '.join(model_flags)}")
    if not args.results and not all(getattr(args, f) for f in MODEL_FLAGS):
        parser.error("pass --results FILE, or --image_dir, --det_model_dir and --rec_model_dir")
    logger = get_logger()
    labels = read_ocr_file(args.label_file, labels=True)
    if not labels:
        raise DataError(f"{args.label_file}: no labelled images")
    known: dict[str, str] = {}
    unreadable: list[str] = []
    if args.results:
        results = read_ocr_file(args.results, labels=False)
    else:
        results, known, unreadable = run_system(args, labels, logger)
    result = evaluate(labels, results, args.image_root)
    report = {**result.to_dict(), "label_file": args.label_file,
              "results_file": args.results or args.save_results, "unreadable": unreadable}
    if args.report_dir:
        report["pictures"] = draw_worst(result, labels, results, args, known, logger)
    det, e2e, e2e_ci = report["det"], report["e2e"], report["e2e_case_insensitive"]
    ned = "n/a" if report["char_ned"] is None else f"{report['char_ned']:.4f}"
    logger.info("%d images: det P %.4f R %.4f H %.4f | e2e P %.4f R %.4f F1 %.4f | case-insensitive F1 %.4f | "
                "char_ned %s", len(result.images), det["precision"], det["recall"], det["hmean"],
                e2e["precision"], e2e["recall"], e2e["f1"], e2e_ci["f1"], ned)
    counts = report["counts"]
    if counts["images_without_results"] or result.unlabelled_results:
        logger.warning("%d labelled images had no results (counted as all missed); %d results entries had "
                       "no label (not counted)", counts["images_without_results"], len(result.unlabelled_results))
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=2)
    return report


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
