"""Label photos in the browser, PPOCRLabel-compatible (``pip install -e ".[serve]"``)::

    ppocr label IMAGE_DIR [--host 127.0.0.1] [--port 8867] [--ocr_version PP-OCRv2] [--lang ch]
                [--det_model_dir D --rec_model_dir R [--cls_model_dir C]] [--use_ocr false]
    ppocr label export IMAGE_DIR [--out DIR] [--tall_ratio 1.5] [--include_unconfirmed]
    ppocr label split EXPORT_DIR [--ratios 6:2:2] [--seed 0]

Labels live in IMAGE_DIR as PPOCRLabel keeps them (Label.txt, fileState.txt, Cache.cach); the
export (default IMAGE_DIR/ppocr_export) holds det/det_gt.txt with its images and rec/rec_gt.txt
with its crops, each a SimpleDataSet data_dir; split writes train/val/test lists beside them.
"""

from __future__ import annotations

import argparse
import os
import socket

from ppocr.errors import ConfigError, DataError
from ppocr.inference.cli import str2bool
from ppocr.label.folder import DEFAULT_MAX_PIXELS
from ppocr.ocr import LANGS, OCR_VERSIONS

EXPORT_DIR_NAME = "ppocr_export"


def build_serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ppocr label", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image_dir", help="the folder of photos to label")
    parser.add_argument("--host", default="127.0.0.1", help="the page has no login: keep it on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8867)
    parser.add_argument("--use_ocr", type=str2bool, default=True, help="pre-label and re-recognize with OCR")
    parser.add_argument("--ocr_version", choices=OCR_VERSIONS, default="PP-OCRv2")
    parser.add_argument("--lang", choices=LANGS, default="ch")
    parser.add_argument("--det_model_dir", default=None)
    parser.add_argument("--rec_model_dir", default=None)
    parser.add_argument("--cls_model_dir", default=None)
    parser.add_argument("--use_angle_cls", type=str2bool, default=True)
    parser.add_argument("--models_dir", default=None, help="pulled models (default $PPOCR_HOME/models)")
    parser.add_argument("--low_score", type=float, default=0.8, help="highlight texts scoring below this")
    parser.add_argument("--max_pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="photos with more pixels are listed as skipped")
    parser.add_argument("--export_dir", default=None, help=f"where Export writes (default IMAGE_DIR/{EXPORT_DIR_NAME})")
    return parser


def build_export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ppocr label export", description="det labels and rec crops for training")
    parser.add_argument("image_dir")
    parser.add_argument("--out", default=None, help=f"default IMAGE_DIR/{EXPORT_DIR_NAME}")
    parser.add_argument("--tall_ratio", type=float, default=1.5,
                        help="crops this much taller than wide are turned 90 degrees, as the OCR system "
                             "turns them before recognition; 0 keeps them as drawn")
    parser.add_argument("--include_unconfirmed", action="store_true", help="also export pre-labelled images")
    parser.add_argument("--max_pixels", type=int, default=DEFAULT_MAX_PIXELS)
    return parser


def build_split_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ppocr label split", description="train/val/test lists of an export")
    parser.add_argument("export_dir")
    parser.add_argument("--ratios", default="6:2:2", help="train:val:test, e.g. 6:2:2 or 0.8:0.2")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: list[str] | None = None):
    argv = list(argv or [])
    if argv and argv[0] == "export":
        return export(build_export_parser().parse_args(argv[1:]))
    if argv and argv[0] == "split":
        return split(build_split_parser().parse_args(argv[1:]))
    return serve(build_serve_parser().parse_args(argv))


def export(args: argparse.Namespace):
    from ppocr.label.export import export_project
    from ppocr.label.storage import LabelStore

    if args.tall_ratio < 0:
        raise ConfigError(f"--tall_ratio must be >= 0, got {args.tall_ratio}")
    store = LabelStore(args.image_dir, max_pixels=args.max_pixels, readonly=True)
    out = args.out or os.path.join(store.folder, EXPORT_DIR_NAME)
    report = export_project(store, out, tall_ratio=args.tall_ratio, include_unconfirmed=args.include_unconfirmed,
                            max_pixels=args.max_pixels)
    left = ", ".join(f"{n} {why}" for why, n in sorted(report.left_out.items()))
    print(f"exported {report.images} images ({report.det_boxes} boxes) and {report.crops} crops to {report.out_dir}"
          + (f"; left out: {left}" if left else ""))
    return report


def split(args: argparse.Namespace):
    from ppocr.label.split import parse_ratios, split_export

    report = split_export(args.export_dir, parse_ratios(args.ratios), args.seed)
    for part in report.images:
        print(f"{part}: {report.images[part]} images, {report.crops[part]} crops")
    return report


def serve(args: argparse.Namespace) -> None:
    try:
        import uvicorn

        from ppocr.label.app import create_app
    except ImportError as exc:
        raise ConfigError(f"ppocr label needs the [serve] extra ({exc.name} is missing): "
                          "pip install -e \".[serve]\"") from None
    from ppocr.label.storage import LabelStore

    if not 0 <= args.low_score <= 1:
        raise ConfigError(f"--low_score must be within [0, 1], got {args.low_score}")
    _check_port(args.host, args.port)
    store = LabelStore(args.image_dir, max_pixels=args.max_pixels)
    try:
        report = store.report
        print(f"ppocr label: {report.images} images in {store.folder}" + (
            f", {len(report.skipped)} skipped" if report.skipped else "") + (
            f", {report.replayed} edits recovered from the journal" if report.replayed else ""), flush=True)
        for s in report.skipped[:20]:
            print(f"  skipped {s.name}: {s.reason}")
        annotator = None
        if args.use_ocr:
            from ppocr.label.annotator import OCRAnnotator

            print("loading the OCR models (pulled on first use)...", flush=True)
            annotator = OCRAnnotator.from_options(args.ocr_version, args.lang, args.det_model_dir, args.rec_model_dir,
                                                  args.cls_model_dir, args.use_angle_cls, args.models_dir)
        local = ["127.0.0.1", "localhost", "::1"]
        app = create_app(store, annotator, low_score=args.low_score, export_dir=args.export_dir,
                         max_pixels=args.max_pixels, allowed_hosts=None if args.host in ("0.0.0.0", "::")
                         else sorted({args.host, *local}))
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"warning: the page has no login; anyone who reaches {args.host}:{args.port} can edit the labels")
        print(f"open http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/ "
              "(Ctrl+C stops)", flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        store.close()


def _check_port(host: str, port: int) -> None:
    """A clear error for a port in use, instead of uvicorn's log line after the models loaded."""
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be 1..65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise DataError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --port") from None
