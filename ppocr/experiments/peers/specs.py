"""What one benchmark row runs: an ``EngineSpec`` (engine kind + options) and the shared ``Settings``.

A spec is written ``KIND`` or ``KIND:key=value,key=value`` on the command line, e.g. ``ours``,
``ours:engine=openvino,precision=bf16``, ``rapidocr_openvino:precision=f32``. Each kind names the
worker that runs it and (for peers) the scratch venv it runs in; options go to the worker unchanged
(the worker says which keys it knows, and refuses the others).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ppocr.errors import ConfigError

OURS = "ours"
UPSTREAM = "paddleocr2"
# kind -> what the table calls it
KINDS: dict[str, str] = {
    "rapidocr_openvino": "RapidOCR-OpenVINO 1.4.4",
    "rapidocr_onnxruntime": "RapidOCR 1.4.4 (onnxruntime)",
    UPSTREAM: "upstream PaddleOCR 2.10 predict_system",
    "rapidocr_paddle": "RapidOCR-paddle 1.4.5",
    OURS: "ours (ppocr TextSystem)",
    "fake": "fake engine (tests)",
}
DEFAULT_SPECS = ("rapidocr_openvino", "rapidocr_onnxruntime", UPSTREAM, "rapidocr_paddle", OURS)
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class EngineSpec:
    """One row: ``kind`` picks the worker (and venv), ``options`` configure it.

    Attributes:
        kind: a key of ``KINDS``.
        options: worker options, values kept as strings (``engine=openvino``, ``rec.batch_num=8``).
        label: the row's name; defaults to the spec as written.
    """

    kind: str
    options: tuple[tuple[str, str], ...] = ()
    label: str = ""

    @property
    def name(self) -> str:
        """The label, or ``kind[:k=v,...]``."""
        if self.label:
            return self.label
        if not self.options:
            return self.kind
        return self.kind + ":" + ",".join(f"{k}={v}" for k, v in self.options)

    @property
    def is_ours(self) -> bool:
        return self.kind == OURS

    @property
    def is_upstream(self) -> bool:
        return self.kind == UPSTREAM

    def option_dict(self) -> dict[str, str]:
        return dict(self.options)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "options": self.option_dict(), "name": self.name}


def parse_spec(text: str) -> EngineSpec:
    """``KIND[:k=v,...][@LABEL]`` -> ``EngineSpec``; a ConfigError names what is wrong.

    >>> parse_spec("ours:engine=openvino,precision=bf16").option_dict()
    {'engine': 'openvino', 'precision': 'bf16'}
    """
    raw = text.strip()
    label = ""
    if "@" in raw:
        raw, label = raw.rsplit("@", 1)
        if not _NAME.match(label):
            raise ConfigError(f"engine spec {text!r}: label {label!r} may hold only letters, digits, _ . -")
    kind, _, rest = raw.partition(":")
    kind = kind.strip()
    if kind not in KINDS:
        raise ConfigError(f"engine spec {text!r}: unknown kind {kind!r}; known: {', '.join(KINDS)}")
    options: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in (p.strip() for p in rest.split(",")) if rest.strip() else ():
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise ConfigError(f"engine spec {text!r}: option {item!r} is not key=value")
        if not _NAME.match(key) or not _NAME.match(value):
            raise ConfigError(f"engine spec {text!r}: option {item!r} may hold only letters, digits, _ . -")
        if key in seen:
            raise ConfigError(f"engine spec {text!r}: option {key!r} given twice")
        seen.add(key)
        options.append((key, value))
    return EngineSpec(kind, tuple(options), label)


def parse_specs(texts: list[str] | tuple[str, ...]) -> list[EngineSpec]:
    """Several specs; two rows with one name are an error (their results would mix)."""
    specs = [parse_spec(t) for t in texts]
    names = [s.name for s in specs]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise ConfigError(f"engine specs name the same row twice: {doubled} (add @LABEL to tell them apart)")
    return specs


@dataclass(frozen=True)
class Settings:
    """The settings every engine is configured to (issue 12's, upstream predict_system's defaults).

    Det mean/std are upstream's (ImageNet): RapidOCR's config ships 0.5/0.5, so the RapidOCR
    workers set upstream's values; RapidOCR's own pre-det resizing (``max_side_len``,
    ``min_side_len``, letterboxing) is turned off for the same reason.
    """

    det_limit_side_len: int = 960
    det_limit_type: str = "max"
    det_db_thresh: float = 0.3
    det_db_box_thresh: float = 0.6
    det_db_unclip_ratio: float = 1.5
    use_angle_cls: bool = True
    cls_thresh: float = 0.9
    cls_batch_num: int = 6
    rec_image_shape: tuple[int, int, int] = (3, 48, 320)
    rec_batch_num: int = 6
    drop_score: float = 0.5
    threads: int = 2
    det_mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    det_std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True)
class Schedule:
    """How often each engine runs: ``rounds`` fresh processes each, each a first pass + ``warm_passes``."""

    rounds: int = 2
    warm_passes: int = 3

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.warm_passes < 1:
            raise ConfigError(f"rounds and warm passes must be >= 1, got {self.rounds}/{self.warm_passes}")


@dataclass
class Job:
    """What the parent hands one worker process (written as JSON next to the images)."""

    spec: dict[str, Any]
    settings: dict[str, Any]
    models: dict[str, str]
    images: list[dict[str, str]]  # {"name", "npy"}
    warm_passes: int
    round: int
    extra: dict[str, Any] = field(default_factory=dict)
