"""Bounded load on a local OCR server: ``python tools/loadtest.py --url http://127.0.0.1:8866 --clients 4
--requests 10 [--images DIR_OR_FILE ...] [--api ocr|hub] [--output report.json]``.

Loopback URLs only; C clients x M requests, stopped after ``--duration_s`` in any case. Prints throughput,
p50/p95/p99 latency, errors, the server's RSS at start and end (from ``/metrics``), and how many
answers differ from a first sequential pass over the same images.
"""

from __future__ import annotations

from ppocr.serving.loadtest import build_parser, run_from_args


def main(argv: list[str] | None = None) -> dict:
    return run_from_args(build_parser(__doc__).parse_args(argv))
