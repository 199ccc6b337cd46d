"""Dygraph recognition of images with trained weights.

``python tools/infer_rec.py -c CFG -o Global.pretrained_model=output/rec/best_accuracy Global.infer_img=DIR``
"""

from __future__ import annotations

import json

import numpy as np
import paddle

from ppocr.commands.cli_args import config_parser, load_cli_config
from ppocr.commands.infer_common import build_infer_ops, load_infer_model, preprocess_file, skip_row
from ppocr.errors import DataError
from ppocr.inference.images import list_images
from ppocr.postprocess import build_post_process


def main(argv: list[str] | None = None) -> list[dict]:
    parser = config_parser(__doc__)
    parser.add_argument("--output", default=None, help="write results as JSON here")
    args = parser.parse_args(argv)
    config = load_cli_config(args)
    global_cfg = config["Global"]
    model = load_infer_model(config)
    ops = build_infer_ops(config, ["image"])
    post = build_post_process(config["PostProcess"], global_cfg)
    rows = []
    for path in list_images(global_cfg["infer_img"]):
        try:
            data = preprocess_file(path, ops)
        except DataError as exc:
            rows.append(skip_row(path, str(exc).removeprefix(f"{path}: ")))
            continue
        if data is None:
            rows.append(skip_row(path, "preprocessing rejected the image"))
            continue
        with paddle.no_grad():
            preds = model(paddle.to_tensor(np.expand_dims(data[0], 0)))
        result = post(preds)
        if isinstance(result, dict):  # distillation: one result per sub-model
            result = {k: [(t, float(s)) for t, s in v] for k, v in result.items()}
            rows.append({"path": path, "result": result})
        else:
            text, score = result[0]
            rows.append({"path": path, "text": text, "score": round(float(score), 4)})
            print(f"{path}\t{text}\t{score:.4f}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(rows, f, ensure_ascii=False, indent=2)
    return rows
