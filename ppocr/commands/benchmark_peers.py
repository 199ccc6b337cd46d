"""Every engine side by side on the same photos, models and settings: ms/image and our ratios.

``python tools/benchmark_peers.py`` runs RapidOCR-OpenVINO 1.4.4, RapidOCR 1.4.4 (onnxruntime),
upstream PaddleOCR 2.10's predict_system, RapidOCR-paddle 1.4.5 and ours on the 5 scene + 5 doc
sample photos (PP-OCRv4 det/rec + mobile v2.0 cls; det 960/max, DB 0.3/0.6/1.5, cls on, rec
3x48x320 batch 6, 2 threads); each engine in a fresh process per round, two round-robin rounds
of a first pass + 3 warm passes. Peers run in scratch venvs under ``$PPOCR_HOME/bench_venvs``,
made on first use. Writes ``peers.json``, ``peers.md`` and ``peers.png`` to ``--output_dir``.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ppocr.experiments.peers.chart import draw_chart
from ppocr.experiments.peers.model_check import compare_onnx, format_models, model_table
from ppocr.experiments.peers.report import format_report, summarize
from ppocr.experiments.peers.runner import find_images, interpreters, released_models, run_all
from ppocr.experiments.peers.specs import DEFAULT_SPECS, Schedule, Settings, parse_specs
from ppocr.experiments.peers.venvs import VERSIONED, parse_venv_overrides, probe_versions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", nargs="+", default=list(DEFAULT_SPECS),
                        help="rows as KIND[:key=value,...][@LABEL] (default: the five engines of issue 12)")
    parser.add_argument("--add", nargs="+", default=[], metavar="SPEC",
                        help="more rows after --engines, e.g. ours:engine=openvino,precision=bf16")
    parser.add_argument("--images", nargs="+", default=None, help="photos or dirs (default: the sample photos)")
    parser.add_argument("--max_images", type=int, default=None, help="the first N photos (scene/doc alternating)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warm_passes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output_dir", default="output/benchmark_peers")
    parser.add_argument("--venvs_dir", default=None, help="where peer venvs live (default $PPOCR_HOME/bench_venvs)")
    parser.add_argument("--venv", nargs="+", default=[], metavar="KIND=DIR",
                        help="use an existing venv for a peer, e.g. paddleocr2=/tmp/upvenv")
    parser.add_argument("--worker_timeout_s", type=float, default=1800.0)
    parser.add_argument("--check_models", action="store_true",
                        help="also run each peer's ONNX file and the Paddle file on one input and compare outputs")
    parser.add_argument("--setup_only", action="store_true",
                        help="make the venvs and fetch the models, print the versions, run nothing")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    specs = parse_specs([*args.engines, *args.add])
    settings = replace(Settings(), threads=args.threads)
    schedule = Schedule(args.rounds, args.warm_passes)
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pythons = interpreters(specs, parse_venv_overrides(args.venv), args.venvs_dir)
    models = released_models()
    if args.setup_only:
        found = {kind: probe_versions(py, VERSIONED.get(kind, ())) for kind, py in pythons.items()}
        print(json.dumps({"pythons": pythons, "versions": found, "models": models}, indent=1))
        return {"pythons": pythons, "versions": found, "models": models}
    images = find_images(args.images, args.max_images)
    print(f"{len(specs)} engines x {schedule.rounds} rounds on {len(images)} photos "
          f"(first pass + {schedule.warm_passes} warm passes each), {settings.threads} threads")
    records = run_all(specs, settings, schedule, images, out_dir / "work", pythons, models,
                      timeout_s=args.worker_timeout_s)
    summary = summarize(specs, records)
    summary.update({"settings": settings.to_dict(), "schedule": {"rounds": schedule.rounds,
                    "warm_passes": schedule.warm_passes}, "models": models,
                    "pythons": pythons, "cpu_count": os.cpu_count()})
    summary["model_files"] = model_table(summary["rows"])
    if args.check_models:
        summary["onnx_vs_paddle"] = compare_onnx(onnx_files(summary["rows"]), models, settings.threads)
    table = format_report(summary) + "\n\nModel files:\n\n" + format_models(
        summary["model_files"], summary.get("onnx_vs_paddle"))
    print(table)
    (out_dir / "peers.md").write_text(table + "\n", encoding="utf-8")
    (out_dir / "peers.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    (out_dir / "peers_runs.json").write_text(json.dumps([r.to_dict() for r in records], ensure_ascii=False),
                                             encoding="utf-8")
    draw_chart(summary, str(out_dir / "peers.png"))
    print(f"wrote {out_dir}/peers.md, peers.json, peers_runs.json, peers.png")
    return summary


def onnx_files(rows: list[dict[str, Any]]) -> dict[str, str]:
    """task -> the ONNX file the first ONNX-reading row used."""
    for row in rows:
        found = {t: e["path"] for t, e in (row.get("models") or {}).items() if str(e.get("path")).endswith(".onnx")}
        if found:
            return found
    return {}


if __name__ == "__main__":
    from ppocr.commands.entry import run_cli

    run_cli(main)
