"""Convert weights: ``python tools/convert_weights.py best_accuracy.pdparams best_accuracy.safetensors``.

The source is read without executing anything in it; the format follows each extension.
"""

from __future__ import annotations

import argparse

from ppocr.weights.convert import ConversionReport, convert_weights


def main(argv: list[str] | None = None) -> ConversionReport:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="a .pdparams or .safetensors file")
    parser.add_argument("target", help="the file to write (.safetensors or .pdparams)")
    args = parser.parse_args(argv)
    report = convert_weights(args.source, args.target)
    print(f"wrote {report.target}: {report.tensors} tensors, {report.elements} values, sha256 {report.sha256}")
    return report
