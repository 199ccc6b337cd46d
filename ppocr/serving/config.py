"""``ppocr serve`` flags and the ``ServeConfig`` they make (JSON-able, so worker processes get it too)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ppocr.errors import ConfigError
from ppocr.inference.cli import add_cls_args, add_det_args, add_engine_args, add_rec_args, str2bool
from ppocr.ocr import LANGS, OCR_VERSIONS

CONFIG_ENV = "PPOCR_SERVE_CONFIG"  # how ``--workers N`` hands the config to each uvicorn worker
MAX_BATCH_WAIT_MS = 10.0

# predict_system's predictor flags (ppocr.inference.cli), forwarded as they are to build_detector & co.
MODEL_KEYS = ("det_model_dir", "det_limit_side_len", "det_limit_type", "det_db_thresh", "det_db_box_thresh",
              "det_db_unclip_ratio", "use_dilation", "det_db_score_mode", "det_box_type",
              "rec_model_dir", "rec_batch_num", "rec_char_dict_path", "rec_image_shape", "use_space_char",
              "cls_model_dir", "cls_image_shape", "label_list", "cls_batch_num", "cls_thresh",
              "enable_mkldnn", "cpu_threads", "use_onnx", "use_gpu", "engine", "precision")


@dataclass
class ServeConfig:
    """Everything the server needs; the defaults are ``ppocr serve``'s.

    ``model_args`` holds predict_system's predictor flags (``MODEL_KEYS``); a ``*_model_dir`` left
    ``None`` is pulled from the zoo set ``model_set(ocr_version, lang)``, as ``ppocr ocr`` does.
    """

    host: str = "127.0.0.1"
    port: int = 8866
    workers: int = 1
    threads: int = 4
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_images: int = 8
    max_queue: int = 16
    read_timeout_s: float = 30.0
    batch_wait_ms: float = 5.0
    max_batch: int = 16
    exact_batching: bool = True
    warmup: bool = True
    log_level: str = "info"
    ocr_version: str = "PP-OCRv2"
    lang: str = "ch"
    use_angle_cls: bool = True
    models_dir: str | None = None
    drop_score: float = 0.5
    model_args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.model_args) - set(MODEL_KEYS))
        if unknown:
            raise ConfigError(f"unknown model_args {unknown}; known: {list(MODEL_KEYS)}")
        self.model_args = {**default_model_args(), **self.model_args}
        for name in ("workers", "threads", "max_bytes", "max_pixels", "max_images", "max_queue", "max_batch"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if not float(self.read_timeout_s) > 0:
            raise ConfigError(f"--read_timeout_s must be > 0, got {self.read_timeout_s}")
        if not 0 <= float(self.batch_wait_ms) <= MAX_BATCH_WAIT_MS:
            raise ConfigError(f"--batch_wait_ms must be in [0, {MAX_BATCH_WAIT_MS:g}], got {self.batch_wait_ms}")
        if self.ocr_version not in OCR_VERSIONS or self.lang not in LANGS:
            raise ConfigError(f"ocr_version must be one of {list(OCR_VERSIONS)} and lang one of {list(LANGS)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{CONFIG_ENV}: unknown keys {unknown}")
        return cls(**data)

    @classmethod
    def from_env(cls) -> ServeConfig:
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise ConfigError(f"{CONFIG_ENV} is not set (ppocr serve sets it for its workers)")
        return cls.from_json(text)


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """predict_system's det/rec/cls flags, every ``--*_model_dir`` optional, plus the engine flags."""
    add_det_args(parser)
    add_rec_args(parser)
    add_cls_args(parser, required=False)
    for action in parser._actions:  # predict_system requires these; here a pulled model fills them
        if action.dest in ("det_model_dir", "rec_model_dir"):
            action.required = False
            action.help = "default: the zoo model of --ocr_version/--lang, pulled on first use"
    parser.add_argument("--enable_mkldnn", type=str2bool, default=True)
    parser.add_argument("--cpu_threads", type=int, default=None)
    parser.add_argument("--use_onnx", type=str2bool, default=False)
    parser.add_argument("--use_gpu", type=str2bool, default=False)
    add_engine_args(parser)


def default_model_args() -> dict[str, Any]:
    parser = argparse.ArgumentParser(add_help=False)
    add_model_args(parser)
    return {k: v for k, v in vars(parser.parse_args([])).items() if k in MODEL_KEYS}


def build_parser(description: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description or __doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = ServeConfig()
    serve = parser.add_argument_group("server")
    serve.add_argument("--host", default=defaults.host, help="address to bind (default loopback only)")
    serve.add_argument("--port", type=int, default=defaults.port)
    serve.add_argument("--workers", type=int, default=defaults.workers,
                       help="uvicorn worker processes, each with its own models, pool and batcher")
    serve.add_argument("--threads", type=int, default=defaults.threads,
                       help="requests processed at once per worker (decode, det, cls; rec is batched)")
    serve.add_argument("--max_bytes", type=int, default=defaults.max_bytes,
                       help="largest request body; larger ones get 413 (counted while reading)")
    serve.add_argument("--max_pixels", type=int, default=defaults.max_pixels,
                       help="largest image (w*h read from its header before decoding); larger ones get 413")
    serve.add_argument("--max_images", type=int, default=defaults.max_images,
                       help="most images in one /predict/ocr_system request")
    serve.add_argument("--max_queue", type=int, default=defaults.max_queue,
                       help="requests admitted at once (reading, waiting, running); more get 503 + Retry-After")
    serve.add_argument("--read_timeout_s", type=float, default=defaults.read_timeout_s,
                       help="a request whose body has not arrived after this long gets 408")
    serve.add_argument("--batch_wait_ms", type=float, default=defaults.batch_wait_ms,
                       help=f"how long the rec batcher waits for other requests' crops (0-{MAX_BATCH_WAIT_MS:g})")
    serve.add_argument("--max_batch", type=int, default=defaults.max_batch, help="most crops in one rec batch")
    serve.add_argument("--exact_batching", type=str2bool, default=defaults.exact_batching,
                       help="merge rec batches only where each crop's result stays bitwise what a request alone "
                            "gets (sizes found at warm-up); false merges freely (scores may move by ~1e-6)")
    serve.add_argument("--warmup", type=str2bool, default=defaults.warmup)
    serve.add_argument("--log_level", default=defaults.log_level,
                       choices=["critical", "error", "warning", "info", "debug"])
    models = parser.add_argument_group("models (as ppocr ocr, or predict_system's flags)")
    models.add_argument("--ocr_version", choices=OCR_VERSIONS, default=defaults.ocr_version)
    models.add_argument("--lang", choices=LANGS, default=defaults.lang)
    models.add_argument("--use_angle_cls", type=str2bool, default=defaults.use_angle_cls)
    models.add_argument("--models_dir", default=None, help="pulled models (default $PPOCR_HOME/models)")
    models.add_argument("--drop_score", type=float, default=defaults.drop_score)
    add_model_args(models)
    return parser


def config_from_args(args: argparse.Namespace) -> ServeConfig:
    values = vars(args)
    names = {f.name for f in fields(ServeConfig)} - {"model_args"}
    return ServeConfig(**{k: values[k] for k in names}, model_args={k: values[k] for k in MODEL_KEYS})
