"""Character centers for Enhanced CTC's CenterLoss, behind tools/export_center.py.

A trained CTC recogniser reads the training set once; for every sample it recognises
exactly (decoded text == ground truth, upstream's rule), each time step's head feature
(the ``fc1`` output with ``mid_channels``, else the head's input) is added to the
center of the class predicted at that step, blank included. Centers are the means.
Classes never predicted on a correct sample get NaN rows, which ``CenterLoss`` reads
as "keep the random start".

Deviations from upstream (``tools/export_center.py`` + ``program.get_center``): the
model runs in eval mode (BatchNorm running statistics, not the batch's) and the
Train data goes through the Eval transforms (no augmentation), so the centers are
those of the features the trained model produces at inference; the file is the
dictionary-tied ``.npz`` of ``ppocr.losses.center_loss``, not a pickle.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import paddle

from ppocr.errors import ConfigError, DataError
from ppocr.losses.center_loss import save_centers
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.utils.character_dict import character_dict_from_global
from ppocr.utils.logging import get_logger

__all__ = ["CenterAccumulator", "center_data_config", "compute_centers", "ctc_features", "export_centers"]


class CenterAccumulator:
    """Running per-class sums and counts of features; ``centers()`` gives the means.

    Args:
        num_classes: CTC width (blank + characters).
        feat_dim: feature size.
    """

    def __init__(self, num_classes: int, feat_dim: int) -> None:
        self.sums = np.zeros((num_classes, feat_dim), dtype=np.float64)
        self.counts = np.zeros(num_classes, dtype=np.int64)

    def update(self, feats: np.ndarray, class_ids: np.ndarray, keep: np.ndarray) -> None:
        """Add ``feats`` ``[N, T, D]`` of the samples where ``keep`` ``[N]`` to ``class_ids`` ``[N, T]``."""
        feats, class_ids, keep = np.asarray(feats), np.asarray(class_ids), np.asarray(keep, dtype=bool)
        if feats.ndim != 3 or class_ids.shape != feats.shape[:2] or keep.shape != feats.shape[:1]:
            raise DataError(f"CenterAccumulator.update: feats [N, T, D], class_ids [N, T] and keep [N] "
                            f"expected, got {feats.shape}, {class_ids.shape}, {keep.shape}")
        if feats.shape[2] != self.sums.shape[1]:
            raise DataError(f"CenterAccumulator.update: features have {feats.shape[2]} channels, "
                            f"expected {self.sums.shape[1]}")
        ids = class_ids[keep].reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.counts)):
            raise DataError(f"CenterAccumulator.update: class ids must lie in [0, {len(self.counts) - 1}]")
        np.add.at(self.sums, ids, feats[keep].reshape(-1, feats.shape[2]).astype(np.float64))
        self.counts += np.bincount(ids, minlength=len(self.counts))

    def centers(self) -> np.ndarray:
        """``[num_classes, feat_dim]`` means; all-NaN rows for classes never seen."""
        out = np.full_like(self.sums, np.nan)
        seen = self.counts > 0
        out[seen] = self.sums[seen] / self.counts[seen, None]
        return out


def ctc_features(model, images: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
    """``(features [N, T, D], logits [N, T, C])`` of a CTC ``BaseModel``, in whatever mode it is.

    The features are what ``CTCHead(return_feats=True)`` hands CenterLoss in training;
    the head's forward returns only probabilities in eval mode.
    """
    head = getattr(model, "head", None)
    if not hasattr(head, "features_and_logits"):
        raise ConfigError("export_center needs a recognition model whose Head is a CTCHead")
    x = model.backbone(images)
    if model.use_neck:
        x = model.neck(x)
    return head.features_and_logits(x)


def compute_centers(model, loader, decoder: CTCLabelDecode,
                    max_batches: int | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """Centers over ``loader`` (batches ``[image, label, length]``) and what went into them.

    Returns:
        ``(centers [num_classes, feat_dim], stats)`` with ``samples``, ``correct``
        (samples whose features were used) and ``classes_with_center``.
    """
    model.eval()
    acc: CenterAccumulator | None = None
    samples = correct = 0
    with paddle.no_grad():
        for i, batch in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            feats, logits = ctc_features(model, batch[0])
            if acc is None:
                if logits.shape[-1] != decoder.num_classes:
                    raise ConfigError(f"the model outputs {logits.shape[-1]} classes but the dictionary gives "
                                      f"{decoder.num_classes}; check Global.character_dict_path/use_space_char")
                acc = CenterAccumulator(decoder.num_classes, int(feats.shape[-1]))
            labels = batch[1].numpy() if isinstance(batch[1], paddle.Tensor) else np.asarray(batch[1])
            preds, gts = decoder(logits.numpy(), labels)
            keep = np.array([p[0] == g[0] for p, g in zip(preds, gts)], dtype=bool)
            acc.update(feats.numpy(), logits.argmax(axis=-1).numpy(), keep)
            samples += len(keep)
            correct += int(keep.sum())
    if acc is None:
        raise DataError("export_center: the data loader yielded no batch")
    centers = acc.centers()
    stats = {"samples": samples, "correct": correct,
             "classes_with_center": int(np.isfinite(centers).all(axis=1).sum())}
    return centers, stats


def center_data_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` whose ``Eval`` section reads the Train data with the Eval transforms."""
    for section in ("Train", "Eval"):
        if not isinstance((config.get(section) or {}).get("dataset"), dict):
            raise ConfigError(f"export_center needs {section}.dataset (Train data, Eval transforms)")
    out = copy.deepcopy(config)
    dataset = copy.deepcopy(config["Train"]["dataset"])
    dataset["transforms"] = copy.deepcopy(config["Eval"]["dataset"].get("transforms"))
    out["Eval"] = {"dataset": dataset, "loader": copy.deepcopy(config["Eval"].get("loader") or {})}
    out["Eval"]["loader"]["shuffle"] = False
    return out


def export_centers(config: dict[str, Any], save_path: str, model_name: str | None = None,
                   max_batches: int | None = None) -> dict[str, Any]:
    """Load the config's weights, compute centers on its Train data and write ``save_path``.

    Args:
        config: a rec config; ``Global.pretrained_model`` (or ``checkpoints``) names the weights.
        save_path: the ``.npz`` to write (``save_centers`` format, tied to the dictionary).
        model_name: sub-model of a DistillationModel (e.g. ``Student``); required for one.
        max_batches: stop after this many batches (a quick estimate).
    """
    from ppocr.data.loader import build_dataloader
    from ppocr.engine.components import build_components
    from ppocr.engine.evaluator import load_weights_for_eval
    from ppocr.engine.trainer import select_device
    from ppocr.modeling.architectures.distillation_model import sub_models

    global_cfg = config.get("Global") or {}
    select_device(global_cfg)
    model = build_components(config, mode="model").model
    weights = load_weights_for_eval(config, model)
    subs = sub_models(model)
    if subs:
        if model_name not in subs:
            raise ConfigError(f"the model is a DistillationModel: choose the sub-model with --model_name "
                              f"(one of {', '.join(subs)}), got {model_name!r}")
        model = subs[model_name]
    elif model_name is not None:
        raise ConfigError(f"--model_name {model_name!r} given but the model has no sub-models")
    char_dict = character_dict_from_global(global_cfg)
    loader = build_dataloader(center_data_config(config), "Eval", seed=global_cfg.get("seed"))
    centers, stats = compute_centers(model, loader, CTCLabelDecode.from_character_dict(char_dict), max_batches)
    folder = os.path.dirname(os.path.abspath(save_path))
    os.makedirs(folder, exist_ok=True)
    save_centers(save_path, centers, char_dict.digest())
    result = {"path": save_path, "weights": weights, "num_classes": int(centers.shape[0]),
              "feat_dim": int(centers.shape[1]), "dict_digest": char_dict.digest(), **stats}
    get_logger().info("centers of %d/%d classes from %d/%d correctly recognised training samples written to %s",
                      stats["classes_with_center"], centers.shape[0], stats["correct"], stats["samples"],
                      save_path)
    if not stats["correct"]:
        get_logger().warning("no training sample was recognised exactly: the file holds no center and "
                             "CenterLoss will keep its random start (train the model longer first)")
    return result
