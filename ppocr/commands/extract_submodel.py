"""Save one sub-model of a distillation checkpoint as a plain model's weights.

``python tools/extract_submodel.py --checkpoint output/det_cml/best_accuracy --name Student
--out output/det_cml/student`` writes ``output/det_cml/student.pdparams``; evaluate or export
it with the plain config of that sub-model (``-o Global.checkpoints=output/det_cml/student``).
"""

from __future__ import annotations

import argparse
import json

from ppocr.errors import ConfigError, DataError


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True,
                        help="distillation checkpoint prefix (output/x/best_accuracy)")
    parser.add_argument("--name", required=True, help="sub-model to extract, e.g. Student")
    parser.add_argument("--out", required=True, help="output prefix; .pdparams is added")
    args = parser.parse_args(argv)
    from ppocr.export.extract import extract_submodel

    try:
        result = extract_submodel(args.checkpoint, args.name, args.out)
    except (ConfigError, DataError) as exc:
        parser.exit(2, f"extract_submodel: error: {exc}\n")
    print(json.dumps(result, indent=2))
    return result
