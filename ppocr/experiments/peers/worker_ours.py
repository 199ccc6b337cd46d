"""The worker for ``ours``: ``ppocr.inference.TextSystem`` built from the job's model dirs.

Run as ``python -m ppocr.experiments.peers.worker_ours JOB.json`` under this project's Python.
"ours" is a family of rows: the spec's options pick the variant, so a new lever in
``ppocr.inference`` becomes a row without touching the harness:

- ``engine=paddle|openvino`` and ``precision=fp32|bf16|int8``: passed to every predictor under
  the constructor parameter that ``ppocr.inference`` names for them (``ENGINE_PARAMS`` /
  ``PRECISION_PARAMS``: the first one the constructor accepts); the defaults pass nothing.
- ``mkldnn=true|false``: ``enable_mkldnn``.
- ``det.NAME=V``, ``rec.NAME=V``, ``cls.NAME=V``, ``system.NAME=V``, ``all.NAME=V``: any constructor
  keyword of ``TextDetector``/``TextRecognizer``/``TextClassifier``/``TextSystem`` (``all`` = the three
  predictors), checked against its signature (e.g. ``rec.width_buckets=...`` once bucketing lands).
- ``mode=image|throughput``: ``throughput`` hands each pass's photos to one ``THROUGHPUT_METHODS``
  call of the system (``many.NAME=V``: its keywords, e.g. ``many.group=4``) and reports pass
  time / photos for each.
- ``models=released|zoo``: the released Paddle files (default, the peers' files) or ppocr's pulled dirs.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import numpy as np

from ppocr.experiments.peers import worker_protocol as wp

ENGINE_PARAMS = ("engine", "backend")
PRECISION_PARAMS = ("precision",)
THROUGHPUT_METHODS = ("run_many", "run_batch")
PREFIXES = ("det", "rec", "cls", "system", "all", "many")
REC_DICT = "ppocr/utils/ppocr_keys_v1.txt"


def parse_value(text: str) -> Any:
    """``true``/``false`` -> bool, then int, then float, else the string."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def accepts(cls: type, name: str) -> bool:
    return name in inspect.signature(cls.__init__).parameters


def split_options(options: dict[str, str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Named options, and the ``PREFIX.NAME`` ones grouped by prefix (values parsed).

    Raises:
        ValueError: an unknown named option or prefix.
    """
    named = {"engine": None, "precision": None, "mkldnn": ("true", "false"), "mode": ("image", "throughput"),
             "models": ("released", "zoo")}
    plain: dict[str, str] = {}
    prefixed: dict[str, dict[str, Any]] = {p: {} for p in PREFIXES}
    for key, value in options.items():
        prefix, dot, name = key.partition(".")
        if dot:
            if prefix not in PREFIXES or not name:
                raise ValueError(f"ours: option {key!r}: prefix must be one of {list(PREFIXES)}")
            prefixed[prefix][name] = parse_value(value)
        elif key in named:
            allowed = named[key]
            if allowed is not None and value not in allowed:
                raise ValueError(f"ours: option {key}={value!r}; expected one of {list(allowed)}")
            plain[key] = value
        else:
            raise ValueError(f"ours: unknown option {key!r}; known: {sorted(named)} or PREFIX.NAME "
                             f"with PREFIX in {list(PREFIXES)}")
    return plain, prefixed


def _choice_kwarg(cls: type, params: tuple[str, ...], value: str, default: str, what: str) -> dict[str, Any]:
    if value == default:
        return {}
    for name in params:
        if accepts(cls, name):
            return {name: value}
    raise ValueError(f"ours: {what}={value!r} asked, but {cls.__name__} takes none of {list(params)} yet")


def predictor_kwargs(cls: type, plain: dict[str, str], prefixed: dict[str, dict[str, Any]], task: str,
                     settings: dict[str, Any]) -> dict[str, Any]:
    """The constructor keywords of one predictor: settings, then named options, then ``all.``/``TASK.``."""
    kwargs: dict[str, Any] = {"cpu_threads": int(settings["threads"])}
    kwargs.update(_choice_kwarg(cls, ENGINE_PARAMS, plain.get("engine", "paddle"), "paddle", "engine"))
    kwargs.update(_choice_kwarg(cls, PRECISION_PARAMS, plain.get("precision", "fp32"), "fp32", "precision"))
    if "mkldnn" in plain:
        kwargs["enable_mkldnn"] = plain["mkldnn"] == "true"
    kwargs.update(prefixed["all"])
    kwargs.update(prefixed[task])
    unknown = [k for k in kwargs if not accepts(cls, k)]
    if unknown:
        raise ValueError(f"ours: {cls.__name__} takes no {unknown}")
    return kwargs


def released_or_zoo(job: dict[str, Any], which: str) -> dict[str, str]:
    if which == "released":
        return dict(job["models"])
    from ppocr.zoo import pull_model

    names = {"det": "ch_PP-OCRv4_det", "rec": "ch_PP-OCRv4_rec", "cls": "ch_ppocr_mobile_v2.0_cls"}
    return {task: str(pull_model(name).path) for task, name in names.items()}


class OursEngine:
    """``TextSystem(TextDetector, TextRecognizer, TextClassifier)`` set to the job's settings."""

    def __init__(self, job: dict[str, Any]) -> None:
        from ppocr.inference.cls import TextClassifier
        from ppocr.inference.det import TextDetector
        from ppocr.inference.rec import TextRecognizer
        from ppocr.inference.system import TextSystem

        plain, prefixed = split_options(dict(job["spec"].get("options") or {}))
        s = job["settings"]
        models = released_or_zoo(job, plain.get("models", "released"))
        det_kw = {"limit_side_len": int(s["det_limit_side_len"]), "limit_type": s["det_limit_type"],
                  "thresh": s["det_db_thresh"], "box_thresh": s["det_db_box_thresh"],
                  "unclip_ratio": s["det_db_unclip_ratio"], "use_dilation": False, "score_mode": "fast",
                  **predictor_kwargs(TextDetector, plain, prefixed, "det", s)}
        rec_kw = {"char_dict_path": REC_DICT, "rec_image_shape": [int(v) for v in s["rec_image_shape"]],
                  "batch_num": int(s["rec_batch_num"]),
                  **predictor_kwargs(TextRecognizer, plain, prefixed, "rec", s)}
        if plain.get("models") == "zoo":
            rec_kw.pop("char_dict_path")  # the pulled dir's inference.yml carries the dictionary
        cls_kw = {"batch_num": int(s["cls_batch_num"]), "cls_thresh": s["cls_thresh"],
                  **predictor_kwargs(TextClassifier, plain, prefixed, "cls", s)}
        sys_kw = dict(prefixed["system"])
        bad = [k for k in sys_kw if not accepts(TextSystem, k)]
        if bad:
            raise ValueError(f"ours: TextSystem takes no {bad}")
        detector = TextDetector(models["det"], **det_kw)
        recognizer = TextRecognizer(models["rec"], **rec_kw)
        classifier = TextClassifier(models["cls"], **cls_kw) if s["use_angle_cls"] else None
        self.system = TextSystem(detector, recognizer, classifier, drop_score=s["drop_score"], **sys_kw)
        self.batched = plain.get("mode") == "throughput"
        self._many = None
        self._many_kw = dict(prefixed["many"])
        if self._many_kw and not self.batched:
            raise ValueError("ours: many.* options need mode=throughput")
        if self.batched:
            self._many = next((getattr(self.system, m) for m in THROUGHPUT_METHODS if hasattr(self.system, m)), None)
            if self._many is None:
                raise ValueError(f"ours: mode=throughput needs TextSystem.{' or .'.join(THROUGHPUT_METHODS)}")
            params = inspect.signature(self._many).parameters
            bad = [k for k in self._many_kw if k not in params]
            if bad:
                raise ValueError(f"ours: TextSystem.{self._many.__name__} takes no {bad}")
        onednn = {t: getattr(getattr(p, "predictor", None), "enable_mkldnn", None)
                  for t, p in (("det", detector), ("rec", recognizer), ("cls", classifier)) if p is not None}
        self.info = {
            "versions": wp.versions("ppocr", "paddlepaddle", "numpy", "opencv-python",
                                  *(("openvino",) if plain.get("engine") == "openvino" else ())),
            "predictors": {t: _describe(p) for t, p in (("det", detector), ("rec", recognizer), ("cls", classifier))
                           if p is not None},
            "models": {t: wp.model_files(p) for t, p in models.items()},
            "notes": [f"onednn active: {onednn}"],
            "kwargs": {"det": _jsonable(det_kw), "rec": _jsonable(rec_kw), "cls": _jsonable(cls_kw),
                       "system": _jsonable(sys_kw), "many": _jsonable(self._many_kw)},
        }

    @staticmethod
    def _lines(result: Any) -> list[dict[str, Any]]:
        return [{"box": line.points, "text": line.text, "score": line.score} for line in result.lines]

    def __call__(self, img: np.ndarray) -> list[dict[str, Any]]:
        return self._lines(self.system(img))

    def run_many(self, imgs: list[np.ndarray]) -> list[list[dict[str, Any]]]:
        return [self._lines(r) for r in self._many(imgs, **self._many_kw)]


def _describe(predictor: Any) -> Any:
    """What the predictor says about itself (engine, precision, threads), where it can."""
    inner = getattr(predictor, "predictor", None)
    describe = getattr(inner, "describe", None)
    try:
        return _jsonable(describe()) if callable(describe) else None
    except Exception as exc:  # noqa: BLE001 - a report field: never fail the run over it
        return f"describe() failed: {exc}"


def _jsonable(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str, bool, list, type(None))) else repr(v) for k, v in kwargs.items()}


def make_engine(job: dict[str, Any]) -> OursEngine:
    return OursEngine(job)


if __name__ == "__main__":
    sys.exit(wp.main(make_engine))
