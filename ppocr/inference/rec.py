"""Text recognition with ``paddle.inference``: batches sorted by aspect ratio, CTC decoding."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ppocr.data.imaug.rec_img_aug import resize_norm_img
from ppocr.errors import ConfigError
from ppocr.inference.buckets import pad_right, pad_rows, rec_width_bucket, rows_bucket
from ppocr.inference.model_settings import parse_shape, preprocess_op, read_inference_yml
from ppocr.inference.predictor import create_predictor, settings_dir
from ppocr.inference.results import RecResult, RecText
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.utils.character_dict import CharacterDict

UPSTREAM_REC_SHAPE = "3, 32, 320"  # PP-OCRv2 rec models (upstream's --rec_image_shape default then)


class TextRecognizer:
    """Recognizes cropped text lines; settings come from ``inference.yml`` when present.

    An upstream-exported model dir has no settings file: pass ``char_dict_path`` (and
    ``rec_image_shape``/``use_space_char`` as upstream's flags).

    ``shape_buckets`` (attribute, default off): each batch is zero-padded on the right to a bucket
    width and with zero rows to 1, 2, 4, ... or ``batch_num`` crops (``ppocr.inference.buckets``) so
    oneDNN's shape cache covers every batch; the extra columns move scores and near-tie texts, so
    it is opt-in.
    """

    shape_buckets: bool = False

    def __init__(self, model_dir: str, char_dict_path: str | None = None,
                 rec_image_shape: str | list[int] | None = None, use_space_char: bool = True,
                 batch_num: int = 6, enable_mkldnn: bool = True, cpu_threads: int | None = None,
                 use_gpu: bool = False, use_onnx: bool = False, engine: str | None = None,
                 precision: str = "fp32") -> None:
        settings = read_inference_yml(settings_dir(model_dir))
        if settings is not None:
            global_cfg = settings["Global"]
            if global_cfg.get("model_type") != "rec":
                raise ConfigError(f"{model_dir} holds a {global_cfg.get('model_type')} model, not rec")
            shape = rec_image_shape or global_cfg.get("image_shape") or UPSTREAM_REC_SHAPE
            chars = settings.get("PostProcess", {}).get("character_dict")
            if char_dict_path:
                self.characters = CharacterDict(char_dict_path, use_space_char)
            elif chars:
                self.characters = CharacterDict.from_characters(chars)
            else:
                raise ConfigError(f"{model_dir}/inference.yml has no character_dict; pass --rec_char_dict_path")
        else:
            if not char_dict_path:
                raise ConfigError(f"{model_dir} has no inference.yml (an upstream export?): pass "
                                  "--rec_char_dict_path (and --rec_image_shape if not 3,32,320)")
            shape = rec_image_shape or UPSTREAM_REC_SHAPE
            self.characters = CharacterDict(char_dict_path, use_space_char)
        self.image_shape = parse_shape(shape, "rec_image_shape")
        self.settings = settings
        self.batch_num = max(1, int(batch_num))
        self.decoder = CTCLabelDecode.from_character_dict(self.characters)
        self.predictor = create_predictor(model_dir, use_onnx=use_onnx, enable_mkldnn=enable_mkldnn,
                                          cpu_threads=cpu_threads, use_gpu=use_gpu, engine=engine,
                                          precision=precision)
        self.padding = (preprocess_op(settings, "RecResizeImg") or {}).get("padding", True)

    def __call__(self, images: list[np.ndarray]) -> RecResult:
        """Texts and scores in input order, plus seconds spent per stage."""
        texts = [RecText("", 0.0)] * len(images)
        times = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        order = np.argsort([img.shape[1] / max(img.shape[0], 1) for img in images], kind="stable")
        _, h, w = self.image_shape
        for start in range(0, len(images), self.batch_num):
            idx = order[start:start + self.batch_num]
            t0 = time.perf_counter()
            max_ratio = max([w / h] + [images[i].shape[1] / max(images[i].shape[0], 1) for i in idx])
            width = int(h * max_ratio)  # upstream's predict_rec truncates (int), it does not round up
            batch = np.stack([resize_norm_img(images[i], [self.image_shape[0], h, width],
                                              padding=self.padding)[0] for i in idx])
            if self.shape_buckets:  # more zero columns on the right (like the batch's shorter lines), zero rows
                batch = pad_rows(pad_right(batch, rec_width_bucket(width, w)), rows_bucket(len(idx), self.batch_num))
            t1 = time.perf_counter()
            probs = self.predictor.run(batch)[0][:len(idx)]
            t2 = time.perf_counter()
            for i, item in zip(idx, self.decoder(probs)):
                texts[i] = RecText(item[0], float(item[1]))
            times["preprocess"] += t1 - t0
            times["inference"] += t2 - t1
            times["postprocess"] += time.perf_counter() - t2
        return RecResult(texts=texts, times=times)

    def describe(self) -> dict[str, Any]:
        return {"image_shape": self.image_shape, "num_classes": self.characters.ctc_num_classes,
                "onednn": self.predictor.enable_mkldnn}
