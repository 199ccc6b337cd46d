"""``-c config.yml -o Key.sub=value`` handling shared by every tool."""

from __future__ import annotations

import argparse
from typing import Any

from ppocr.config import apply_overrides, check_sections, load_config


def config_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True, help="YAML config (PaddleOCR 2.x layout)")
    parser.add_argument("-o", "--opt", nargs="+", action="extend", default=[],
                        metavar="Key.sub=value", help="override config values (parsed as YAML)")
    return parser


def load_cli_config(args: argparse.Namespace) -> dict[str, Any]:
    config = apply_overrides(load_config(args.config), args.opt)
    check_sections(config, f"{args.config} (with overrides)")
    return config
