"""Peer workers: RapidOCR (OpenVINO / onnxruntime / Paddle) and upstream PaddleOCR 2.x's TextSystem.

Run as ``VENV/bin/python worker.py JOB.json`` under each peer's scratch venv; imports no ``ppocr``
(upstream PaddleOCR has its own top-level ``ppocr``) and only the sibling ``worker_protocol``.
Every engine is set to the job's ``settings`` (see ``specs.Settings``); what had to be changed from
an engine's own defaults to get there is listed in its ``info["notes"]``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

try:
    from . import worker_protocol as wp
except ImportError:  # run as a script under a peer venv
    import worker_protocol as wp  # type: ignore[no-redef]

RAPID_KINDS = ("rapidocr_openvino", "rapidocr_onnxruntime", "rapidocr_paddle")
RAPID_THREAD_KEYS = {"rapidocr_onnxruntime": ("intra_op_num_threads",),
                     "rapidocr_openvino": ("inference_num_threads",),
                     "rapidocr_paddle": ("cpu_math_library_num_threads",)}
RAPID_VERSIONED = {"rapidocr_openvino": ("openvino",), "rapidocr_onnxruntime": ("onnxruntime",),
                   "rapidocr_paddle": ("paddlepaddle",)}


class FakeEngine:
    """A deterministic engine for tests: one line per photo, its text the photo's mean pixel."""

    def __init__(self, job: dict[str, Any]) -> None:
        opts = wp.options(job, {"fail": ("load", "run"), "text": None})
        if opts.get("fail") == "load":
            raise RuntimeError("fake engine asked to fail at load")
        self.fail_run = opts.get("fail") == "run"
        self.text = opts.get("text")
        self.info = {"versions": wp.versions("numpy"), "models": {}, "notes": ["fake"]}

    def __call__(self, img: np.ndarray) -> list[dict[str, Any]]:
        if self.fail_run:
            raise RuntimeError("fake engine asked to fail at run")
        h, w = img.shape[:2]
        text = self.text or f"mean{int(img.mean())}"
        return [{"box": [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], "text": text, "score": 0.99}]


def rapid_config(kind: str, base: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """RapidOCR's own ``config.yaml`` with the benchmark settings written in (model paths kept)."""
    cfg = {section: dict(values) for section, values in base.items()}
    threads = int(settings["threads"])
    cfg["Global"].update({
        "text_score": settings["drop_score"], "use_det": True, "use_cls": bool(settings["use_angle_cls"]),
        "use_rec": True, "print_verbose": False, "return_word_box": False,
        # RapidOCR resizes/letterboxes photos before det where upstream does not: turned off
        "max_side_len": 10 ** 9, "min_side_len": 0, "min_height": 0, "width_height_ratio": -1,
    })
    for section in ("Global", "Det", "Cls", "Rec"):
        for key in RAPID_THREAD_KEYS[kind]:
            cfg[section][key] = threads
        if kind == "rapidocr_onnxruntime":
            cfg[section]["inter_op_num_threads"] = 1
    cfg["Det"].update({
        "limit_side_len": int(settings["det_limit_side_len"]), "limit_type": settings["det_limit_type"],
        "thresh": settings["det_db_thresh"], "box_thresh": settings["det_db_box_thresh"],
        "unclip_ratio": settings["det_db_unclip_ratio"], "use_dilation": False, "score_mode": "fast",
        "max_candidates": 1000, "mean": list(settings["det_mean"]), "std": list(settings["det_std"]),
    })
    cfg["Cls"].update({"cls_batch_num": int(settings["cls_batch_num"]), "cls_thresh": settings["cls_thresh"],
                       "cls_image_shape": [3, 48, 192]})
    cfg["Rec"].update({"rec_img_shape": [int(v) for v in settings["rec_image_shape"]],
                       "rec_batch_num": int(settings["rec_batch_num"])})
    return cfg


class _OpenVinoPrecision:
    """Wraps ``openvino.runtime.Core.compile_model`` to pass a precision hint and record what each model got."""

    def __init__(self, hint: str | None) -> None:
        from openvino.runtime import Core

        self.hint = hint
        self.seen: list[str] = []
        original = Core.compile_model
        owner = self

        def compile_model(core, model, device_name=None, config=None):
            config = dict(config or {})
            if owner.hint:
                config.setdefault("INFERENCE_PRECISION_HINT", owner.hint)
            compiled = original(core, model, device_name, config) if device_name else original(core, model)
            try:
                hint = str(compiled.get_property("INFERENCE_PRECISION_HINT"))
                owner.seen.append(hint.replace("<Type: '", "").replace("'>", ""))
            except Exception:  # noqa: BLE001 - the property name differs across versions: report unknown
                owner.seen.append("unknown")
            return compiled

        Core.compile_model = compile_model


class RapidEngine:
    """RapidOCR 1.4.x of one backend, configured from a generated ``config.yaml``."""

    def __init__(self, job: dict[str, Any]) -> None:
        import yaml

        kind = job["spec"]["kind"]
        known: dict[str, tuple[str, ...] | None] = {}
        if kind == "rapidocr_openvino":
            known["precision"] = ("default", "f32", "bf16")
        opts = wp.options(job, known)
        module = importlib.import_module(kind)
        pkg = Path(module.__file__).resolve().parent
        base = yaml.safe_load((pkg / "config.yaml").read_text(encoding="utf-8"))
        settings = job["settings"]
        cfg = rapid_config(kind, base, settings)
        work = Path(job["extra"]["work_dir"])
        work.mkdir(parents=True, exist_ok=True)
        cfg_path = work / f"{kind}_config.yaml"
        cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        notes = ["det mean/std set to upstream's ImageNet values (RapidOCR ships 0.5/0.5)",
                 "RapidOCR's pre-det resize/letterbox (max_side_len 2000, min_side_len 30, min_height 30, "
                 "width_height_ratio 8) turned off",
                 "RapidOCR's max-mode det size ladder (960/1500/2000 by photo size) replaced by the fixed limit",
                 "use_dilation false (RapidOCR ships true)"]
        ov = None
        if kind == "rapidocr_openvino":
            precision = opts.get("precision", "default")
            ov = _OpenVinoPrecision({"f32": "f32", "bf16": "bf16"}.get(precision))
        self.engine = module.RapidOCR(config_path=str(cfg_path))
        det_utils = importlib.import_module(f"{kind}.ch_ppocr_det.utils")
        limit, limit_type = int(settings["det_limit_side_len"]), settings["det_limit_type"]
        mean, std = list(settings["det_mean"]), list(settings["det_std"])
        self.engine.text_det.get_preprocess = lambda max_wh: det_utils.DetPreProcess(limit, limit_type, mean, std)
        models = {task: str(pkg / cfg[section]["model_path"])
                  for task, section in (("det", "Det"), ("cls", "Cls"), ("rec", "Rec"))}
        self.info: dict[str, Any] = {
            "versions": wp.versions(kind, *RAPID_VERSIONED[kind], "numpy", "opencv-python"),
            "models": {t: wp.model_files(p) for t, p in models.items()},
            "notes": notes,
        }
        if ov is not None:
            self.info["openvino_precision"] = sorted(set(ov.seen))

    def __call__(self, img: np.ndarray) -> list[dict[str, Any]]:
        result, _ = self.engine(img)
        return [{"box": box, "text": text, "score": score} for box, text, score in (result or [])]


class UpstreamEngine:
    """Upstream PaddleOCR 2.x ``tools/infer/predict_system.TextSystem``, args from its own parser."""

    def __init__(self, job: dict[str, Any]) -> None:
        wp.options(job, {})
        spec = importlib.util.find_spec("paddleocr")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("paddleocr is not installed in this venv")
        root = list(spec.submodule_search_locations)[0]
        sys.path.insert(0, root)  # what tools/infer/predict_system.py does for itself
        utility = importlib.import_module("tools.infer.utility")
        predict_system = importlib.import_module("tools.infer.predict_system")
        args = utility.init_args().parse_args([])
        s, models = job["settings"], job["models"]
        overrides = {
            "use_gpu": False, "enable_mkldnn": True, "cpu_threads": int(s["threads"]),
            "det_model_dir": models["det"], "rec_model_dir": models["rec"], "cls_model_dir": models["cls"],
            "det_algorithm": "DB", "det_limit_side_len": s["det_limit_side_len"],
            "det_limit_type": s["det_limit_type"], "det_db_thresh": s["det_db_thresh"],
            "det_db_box_thresh": s["det_db_box_thresh"], "det_db_unclip_ratio": s["det_db_unclip_ratio"],
            "use_dilation": False, "det_db_score_mode": "fast", "rec_algorithm": "SVTR_LCNet",
            "rec_image_shape": ", ".join(str(v) for v in s["rec_image_shape"]),
            "rec_batch_num": int(s["rec_batch_num"]),
            "rec_char_dict_path": os.path.join(root, "ppocr", "utils", "ppocr_keys_v1.txt"),
            "use_space_char": True, "use_angle_cls": bool(s["use_angle_cls"]),
            "cls_batch_num": int(s["cls_batch_num"]), "cls_thresh": s["cls_thresh"],
            "drop_score": s["drop_score"], "show_log": False, "warmup": False, "benchmark": False,
        }
        for key, value in overrides.items():
            if not hasattr(args, key):
                raise RuntimeError(f"upstream's parser has no --{key}")
            setattr(args, key, value)
        self.use_cls = bool(s["use_angle_cls"])
        self.system = predict_system.TextSystem(args)
        self.info = {
            "versions": wp.versions("paddleocr", "paddlepaddle", "numpy", "opencv-python"),
            "models": {t: wp.model_files(p) for t, p in models.items()},
            "notes": ["enable_mkldnn true (upstream's flag default is false)"],
        }

    def __call__(self, img: np.ndarray) -> list[dict[str, Any]]:
        boxes, rec_res, _ = self.system(img, cls=self.use_cls)
        if boxes is None:
            return []
        return [{"box": box, "text": text, "score": score} for box, (text, score) in zip(boxes, rec_res)]


def make_engine(job: dict[str, Any]) -> wp.Engine:
    kind = job["spec"]["kind"]
    if kind == "fake":
        return FakeEngine(job)
    if kind in RAPID_KINDS:
        return RapidEngine(job)
    if kind == "paddleocr2":
        return UpstreamEngine(job)
    raise ValueError(f"this worker does not run {kind!r}")


if __name__ == "__main__":
    sys.exit(wp.main(make_engine))
