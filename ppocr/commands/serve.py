"""The OCR HTTP server: ``ppocr serve [--host 127.0.0.1] [--port 8866] [--workers N] [--ocr_version V]
[--lang L] [--det_model_dir D --rec_model_dir R --cls_model_dir C ...]``.

Routes: ``POST /ocr`` (multipart ``file`` or JSON ``{"image": base64}``), ``POST /predict/ocr_system``
(upstream hubserving's ``{"images": [base64, ...]}``), ``GET /health``, ``GET /ready``, ``GET /metrics``.
Needs ``pip install ppocr[serve]``.
"""

from __future__ import annotations

import importlib.util

from ppocr.errors import ConfigError


def main(argv: list[str] | None = None) -> None:
    missing = [m for m in ("fastapi", "uvicorn", "multipart") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"ppocr serve needs {missing}: pip install 'ppocr[serve]'")
    from ppocr.serving.app import serve
    from ppocr.serving.config import build_parser, config_from_args
    from ppocr.serving.service import resolve_model_dirs

    config = config_from_args(build_parser(__doc__).parse_args(argv))
    resolve_model_dirs(config)  # pull now, once: a failed pull is a one-line error, not a worker stuck unready
    serve(config)
