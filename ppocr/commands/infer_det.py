"""Dygraph text detection with trained weights; writes images with boxes and a results file.

``python tools/infer_det.py -c CFG -o Global.pretrained_model=output/det/best_accuracy Global.infer_img=IMG_OR_DIR``

Results go where upstream puts them: ``Global.save_res_path`` gets one line per image,
``path<TAB>[{"transcription": "", "points": [[x, y], ...]}, ...]`` (the det label format, so
the file can be reviewed and reused as labels), and the drawn images go to ``det_results/``
beside it (``det_results_<name>/`` per sub-model of a distillation model). ``--output_dir``
replaces that folder (the results file is then ``predicts_det.txt`` in it).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import paddle

from ppocr.commands.cli_args import config_parser, load_cli_config
from ppocr.commands.infer_common import build_infer_ops, load_infer_model, preprocess_file, skip_row
from ppocr.errors import DataError
from ppocr.inference.images import list_images, read_image
from ppocr.postprocess import build_post_process
from ppocr.utils.logging import get_logger
from ppocr.utils.visual import draw_boxes, save_image

DEFAULT_RES_NAME = "predicts_det.txt"


def result_paths(global_cfg: dict[str, Any], output_dir: str | None) -> tuple[str, str]:
    """``(results file, folder for drawn images' folders)`` from ``--output_dir`` or ``save_res_path``."""
    if output_dir:
        return os.path.join(output_dir, DEFAULT_RES_NAME), output_dir
    res_path = global_cfg.get("save_res_path") or os.path.join("./output/det", DEFAULT_RES_NAME)
    return res_path, os.path.dirname(os.path.abspath(res_path))


def boxes_json(boxes: Any) -> list[dict[str, Any]]:
    """Boxes as upstream's infer_det writes them (det label entries with an empty transcription)."""
    return [{"transcription": "", "points": np.asarray(b).tolist()} for b in boxes]


def detect(model, post, data: list[Any]) -> dict[str, Any]:
    """``{sub-model name or "": boxes}`` for one preprocessed sample ``[image, shape]``."""
    with paddle.no_grad():
        preds = model(paddle.to_tensor(np.expand_dims(data[0], 0)))
    result = post(preds, np.expand_dims(data[1], 0))
    if isinstance(result, dict):  # DistillationDBPostProcess: one result list per sub-model
        return {name: res[0]["points"] for name, res in result.items()}
    return {"": result[0]["points"]}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = config_parser(__doc__)
    parser.add_argument("--output_dir", default=None,
                        help="folder for drawn images and the results file (default: beside Global.save_res_path)")
    args = parser.parse_args(argv)
    config = load_cli_config(args)
    global_cfg = config["Global"]
    logger = get_logger()
    model = load_infer_model(config)
    ops = build_infer_ops(config, ["image", "shape"])
    post = build_post_process(config["PostProcess"], global_cfg)
    res_path, draw_root = result_paths(global_cfg, args.output_dir)
    os.makedirs(os.path.dirname(os.path.abspath(res_path)), exist_ok=True)
    rows = []
    with open(res_path, "w", encoding="utf-8") as fout:
        for path in list_images(global_cfg["infer_img"]):
            try:
                data = preprocess_file(path, ops)
            except DataError as exc:
                rows.append(skip_row(path, str(exc).removeprefix(f"{path}: ")))
                continue
            if data is None:
                rows.append(skip_row(path, "preprocessing rejected the image"))
                continue
            per_model = detect(model, post, data)
            src = read_image(path, max_pixels=2**62)  # DecodeImage above already applied the size guard
            for name, boxes in per_model.items():
                folder = "det_results" + (f"_{name}" if name else "")
                save_image(os.path.join(draw_root, folder, os.path.basename(path)), draw_boxes(src, boxes))
            if set(per_model) == {""}:
                entry: Any = boxes_json(per_model[""])
                rows.append({"path": path, "boxes": entry})
            else:
                entry = {name: boxes_json(b) for name, b in per_model.items()}
                rows.append({"path": path, "result": entry})
            fout.write(f"{path}\t{json.dumps(entry)}\n")
            logger.info("%s: %s", path, ", ".join(f"{n + ': ' if n else ''}{len(b)} boxes" for n, b in per_model.items()))
    logger.info("results written to %s, images under %s", res_path, draw_root)
    return rows


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
