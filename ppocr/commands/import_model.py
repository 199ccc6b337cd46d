"""Import a released inference model as trainable weights.

``python tools/import_model.py --source ch_PP-OCRv2_rec_infer.onnx -c configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec.yml
--save_path output/imported/rec`` reads an ``.onnx`` file or a Paddle inference dir
(``inference.pdmodel`` or ``inference.json`` + ``inference.pdiparams``), maps its weights onto
the config's model, checks that the outputs agree (random inputs at three shapes, plus
``--images``), then writes ``OUT.pdparams`` (use it as ``Global.pretrained_model`` or
``Global.checkpoints``) and ``OUT.json`` (what went where, and the measured differences).
"""

from __future__ import annotations

import argparse

from ppocr.commands.cli_args import load_cli_config
from ppocr.export.importer import ImportReport, import_model


def main(argv: list[str] | None = None) -> ImportReport:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="an .onnx file or a Paddle inference dir")
    parser.add_argument("-c", "--config", required=True, help="YAML config whose Architecture matches the source")
    parser.add_argument("-o", "--opt", nargs="+", action="extend", default=[], metavar="Key.sub=value",
                        help="override config values (parsed as YAML)")
    parser.add_argument("--save_path", required=True, help="output prefix: OUT.pdparams and OUT.json are written")
    parser.add_argument("--images", nargs="+", default=[], metavar="IMG",
                        help="images to compare on too (preprocessed by the config's Eval transforms)")
    parser.add_argument("--sub_model", default=None,
                        help="distillation configs: the sub-model to fill (default Student)")
    parser.add_argument("--atol", type=float, default=1e-4, help="largest max-abs output difference accepted")
    args = parser.parse_args(argv)
    config = load_cli_config(args)
    report = import_model(args.source, config, args.save_path, images=args.images or None,
                          sub_model=args.sub_model, config_path=args.config, atol=args.atol)
    print(f"wrote {report.weights} ({report.keys_mapped}/{report.keys_total} keys from the source, "
          f"{len(report.initialised)} initialised, {len(report.not_in_source)} not in the source) and "
          f"{report.weights[:-len('.pdparams')]}.json")
    for check in report.checks:
        noise = "" if check.source_noise is None else f" (over atol; the source's own noise there {check.source_noise:.3g})"
        print(f"  {check.input} {check.shape}: max |diff| {check.max_abs_diff:.3g}{noise}")
    return report
