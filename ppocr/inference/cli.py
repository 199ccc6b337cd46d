"""Upstream PaddleOCR's predictor flags, shared by deploy/predict_*.py."""

from __future__ import annotations

import argparse


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
    parser.add_argument("--output", default=None, help="write results as JSON to this file")
    return parser


def add_rec_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rec_model_dir", required=True)
    parser.add_argument("--rec_batch_num", type=int, default=6)
    parser.add_argument("--rec_char_dict_path", default=None,
                        help="needed for models exported by upstream PaddleOCR (no inference.yml)")
    parser.add_argument("--rec_image_shape", default=None, help="C,H,W; default from inference.yml")
    parser.add_argument("--use_space_char", type=str2bool, default=True)
