"""Generate a synthetic rec/det/cls dataset (or a preview sheet) with the bundled renderer.

Examples:
    python tools/synth_data.py --kind rec --out train_data/synth_rec --num_train 2000 --num_val 200
    python tools/synth_data.py --kind det --out train_data/synth_det --num_train 500 --num_val 50 --size 320 320
    python tools/synth_data.py --kind cls --preview cls_preview.png
"""

from __future__ import annotations

import argparse
import json
import sys

from ppocr.errors import ConfigError, DataError
from ppocr.synth import (
    ensure_cls_dataset,
    ensure_det_dataset,
    ensure_rec_dataset,
    make_cls_dataset,
    make_det_dataset,
    make_preview,
    make_rec_dataset,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", choices=("rec", "det", "cls"), required=True)
    p.add_argument("--out", help="output dataset directory (replaced if it holds an older synthetic dataset)")
    p.add_argument("--num_train", type=int, default=1000)
    p.add_argument("--num_val", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--dict", dest="dict_path", default=None, help="character dict file limiting label characters"
    )
    p.add_argument("--height", type=int, default=None, help="line image height (rec: 32, cls: 48)")
    p.add_argument("--max_width", type=int, default=320)
    p.add_argument("--max_text_len", type=int, default=25, help="rec only")
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), default=(320, 320), help="det image size")
    p.add_argument("--ensure", action="store_true", help="keep --out if it was made with the same parameters")
    p.add_argument("--preview", metavar="PNG", help="write a sample sheet of this kind instead of a dataset")
    return p


def run(args: argparse.Namespace) -> dict:
    if args.preview:
        return {"preview": str(make_preview(args.preview, args.kind, args.seed))}
    if not args.out:
        raise ConfigError("--out is required unless --preview is given")
    common = (args.out, args.num_train, args.num_val, args.seed)
    if args.kind == "rec":
        fn = ensure_rec_dataset if args.ensure else make_rec_dataset
        return fn(
            *common,
            dict_path=args.dict_path,
            height=args.height or 32,
            max_width=args.max_width,
            max_text_len=args.max_text_len,
        )
    if args.kind == "cls":
        fn = ensure_cls_dataset if args.ensure else make_cls_dataset
        return fn(*common, dict_path=args.dict_path, height=args.height or 48, max_width=args.max_width)
    fn = ensure_det_dataset if args.ensure else make_det_dataset
    return fn(*common, size=tuple(args.size), dict_path=args.dict_path)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, generate, print the summary as JSON; 0 on success, 2 on a config/data error."""
    args = build_parser().parse_args(argv)
    try:
        info = run(args)
    except (ConfigError, DataError) as exc:
        print(f"synth_data: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(info, indent=2, ensure_ascii=False))
    return 0
