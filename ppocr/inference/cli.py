"""Upstream PaddleOCR's predictor flags, shared by deploy/predict_*.py."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any


def str2bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.lower() in ("true", "t", "yes", "y", "1"):
        return True
    if value.lower() in ("false", "f", "no", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {value!r}")


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--image_dir", required=True, help="an image or a folder of images")
    parser.add_argument("--use_gpu", type=str2bool, default=False)
    parser.add_argument("--enable_mkldnn", type=str2bool, default=True,
                        help="oneDNN on CPU (false calls disable_mkldnn(), which Paddle 3.3 needs)")
    parser.add_argument("--cpu_threads", type=int, default=None)
    parser.add_argument("--use_onnx", type=str2bool, default=False,
                        help="run the .onnx file of each model dir on onnxruntime (pip install ppocr[onnx]); "
                             "a dir holding only an .onnx file, or a --*_model_dir naming one, uses it anyway")
    add_engine_args(parser)
    add_speed_args(parser)
    parser.add_argument("--output", default=None, help="write results as JSON to this file")
    return parser


def add_engine_args(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--precision`` (unset engine: upstream's choice, paddle unless --use_onnx/.onnx)."""
    parser.add_argument("--engine", choices=["paddle", "onnxruntime", "openvino"], default=None,
                        help="inference engine; openvino reads inference.pdmodel or .onnx (pip install "
                             "ppocr[openvino])")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16 on CPUs with AVX-512 BF16/AMX: openvino (any model; 175/180 sample-photo "
                             "texts equal to fp32), paddle oneDNN (rec and cls only; 168/180)")


def engine_kwargs(args: argparse.Namespace) -> dict[str, object]:
    """``engine``/``precision`` for the predictors; namespaces built without the flags get the defaults."""
    return {"engine": getattr(args, "engine", None), "precision": getattr(args, "precision", "fp32")}


def add_speed_args(parser: argparse.ArgumentParser) -> None:
    """``--shape_buckets``: det/rec inputs padded to a few bucket shapes (ppocr.inference.buckets)."""
    parser.add_argument("--shape_buckets", type=str2bool, default=False,
                        help="pad det/rec inputs to a few bucket shapes: faster on varied images, but scores, "
                             "boxes (a few px) and near-tie texts move (not upstream's inputs)")


def with_speed_args(build: Callable[[argparse.Namespace], Any]) -> Callable[[argparse.Namespace], Any]:
    """``build(args)`` with ``--shape_buckets`` applied (namespaces built without the flag leave it off)."""

    @functools.wraps(build)
    def built(args: argparse.Namespace) -> Any:
        model = build(args)
        model.shape_buckets = bool(getattr(args, "shape_buckets", False))
        return model

    return built


def add_rec_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rec_model_dir", required=True)
    parser.add_argument("--rec_batch_num", type=int, default=6)
    parser.add_argument("--rec_char_dict_path", default=None,
                        help="needed for models exported by upstream PaddleOCR (no inference.yml)")
    parser.add_argument("--rec_image_shape", default=None, help="C,H,W; default from inference.yml")
    parser.add_argument("--use_space_char", type=str2bool, default=True)


def add_det_args(parser: argparse.ArgumentParser) -> None:
    """Unset values fall back to the model's inference.yml, then upstream's defaults."""
    parser.add_argument("--det_model_dir", required=True)
    parser.add_argument("--det_limit_side_len", type=int, default=None)
    parser.add_argument("--det_limit_type", choices=["max", "min"], default=None)
    parser.add_argument("--det_db_thresh", type=float, default=None)
    parser.add_argument("--det_db_box_thresh", type=float, default=None)
    parser.add_argument("--det_db_unclip_ratio", type=float, default=None)
    parser.add_argument("--use_dilation", type=str2bool, default=None)
    parser.add_argument("--det_db_score_mode", choices=["fast", "slow"], default=None)
    parser.add_argument("--det_box_type", choices=["quad", "poly"], default=None)


def add_cls_args(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--cls_model_dir", required=required, default=None)
    parser.add_argument("--cls_image_shape", default=None)
    parser.add_argument("--label_list", nargs="+", default=None)
    parser.add_argument("--cls_batch_num", type=int, default=6)
    parser.add_argument("--cls_thresh", type=float, default=0.9)


@with_speed_args
def build_detector(args: argparse.Namespace):
    from ppocr.inference.det import TextDetector

    return TextDetector(args.det_model_dir, args.det_limit_side_len, args.det_limit_type, args.det_db_thresh,
                        args.det_db_box_thresh, args.det_db_unclip_ratio, args.use_dilation,
                        args.det_db_score_mode, args.det_box_type, args.enable_mkldnn, args.cpu_threads,
                        args.use_gpu, args.use_onnx, **engine_kwargs(args))


def build_classifier(args: argparse.Namespace):
    from ppocr.inference.cls import TextClassifier

    return TextClassifier(args.cls_model_dir, args.cls_image_shape, args.label_list, args.cls_batch_num,
                          args.cls_thresh, args.enable_mkldnn, args.cpu_threads, args.use_gpu, args.use_onnx,
                          **engine_kwargs(args))


@with_speed_args
def build_recognizer(args: argparse.Namespace):
    from ppocr.inference.rec import TextRecognizer

    return TextRecognizer(args.rec_model_dir, args.rec_char_dict_path, args.rec_image_shape,
                          args.use_space_char, args.rec_batch_num, args.enable_mkldnn, args.cpu_threads,
                          args.use_gpu, args.use_onnx, **engine_kwargs(args))


def read_all(paths: list[str], logger) -> tuple[list[tuple[str, object]], list[str]]:
    """Decoded images and the messages of those that could not be read (skipped, reported)."""
    from ppocr.inference.images import read_image

    images, failed = [], []
    for path in paths:
        try:
            images.append((path, read_image(path)))
        except ValueError as exc:
            failed.append(str(exc))
            logger.warning("skipped: %s", exc)
    return images, failed
