"""Export to ``inference.json`` + ``.pdiparams`` + ``inference.yml``.

``python tools/export_model.py -c CFG -o Global.pretrained_model=output/rec/best_accuracy
Global.save_inference_dir=inference/rec [--verify]``
"""

from __future__ import annotations

import itertools
import json

from ppocr.commands.cli_args import config_parser, load_cli_config
from ppocr.errors import ConfigError


def main(argv: list[str] | None = None) -> dict:
    parser = config_parser(__doc__)
    parser.add_argument("--verify", action="store_true",
                        help="compare exported vs dygraph outputs on Eval batches (needs the Eval data)")
    parser.add_argument("--verify_batches", type=int, default=2)
    parser.add_argument("--verify_atol", type=float, default=1e-4,
                        help="largest |exported - dygraph| output difference accepted by --verify, with "
                             "Paddle's native CPU kernels (checks the export itself)")
    parser.add_argument("--verify_atol_onednn", type=float, default=1e-3,
                        help="the same under oneDNN, whose float32 kernels round differently (up to ~3e-4 "
                             "measured on trained PP-OCRv4 models); decoded texts must match in both")
    args = parser.parse_args(argv)
    config = load_cli_config(args)
    from ppocr.engine.components import build_components
    from ppocr.engine.evaluator import load_weights_for_eval
    from ppocr.export.exporter import export_model
    from ppocr.export.verify import verify_export
    from ppocr.modeling.architectures.distillation_model import sub_models

    save_dir = config["Global"].get("save_inference_dir")
    if not save_dir:
        raise ConfigError("set Global.save_inference_dir")
    parts = build_components(config, mode="eval" if args.verify else "model")
    load_weights_for_eval(config, parts.model)
    dirs = export_model(config, parts.model, save_dir)
    result: dict = {"dirs": dirs}
    if args.verify:
        batches = list(itertools.islice(parts.eval_loader, args.verify_batches))
        models = sub_models(parts.model) or {"model": parts.model}
        plain_post = _plain_post(config)
        result["verify"] = {name: verify_export(m, d, batches, plain_post, atol=args.verify_atol,
                                           onednn_atol=args.verify_atol_onednn)
                            for (name, m), d in zip(models.items(), dirs)}
        print(json.dumps(result["verify"], indent=2))
        if not all(v["ok"] for v in result["verify"].values()):
            raise SystemExit("export verification FAILED: exported and dygraph outputs differ")
    return result


def _plain_post(config: dict):
    from ppocr.export.exporter import _plain_post_process
    from ppocr.postprocess import build_post_process

    arch = config["Architecture"]
    model_type = arch.get("model_type")
    if model_type != "rec":
        return None
    post = _plain_post_process(dict(config["PostProcess"]), model_type)
    return build_post_process(post, config["Global"])
