"""Center loss of PP-OCRv2's Enhanced CTC, and its (safe) center file format.

A center file is an ``.npz`` with ``centers`` ``[num_classes, feat_dim]`` (float),
``dict_digest`` (``CharacterDict.digest()`` of the dictionary the classes index) and
``feat_dim``. Rows that are all NaN mean "no center known for this class": the loss
keeps its random start for them, as upstream keeps it for classes missing from its
file. Upstream's pickle files are refused: unpickling runs arbitrary code.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError, DataError
from ppocr.registry import LOSSES
from ppocr.utils.character_dict import CharacterDict

__all__ = ["CenterLoss", "load_centers", "save_centers"]

_REEXPORT = "re-export the centers with tools/export_center.py (writes the .npz format)"


def save_centers(path: str | os.PathLike[str], centers: np.ndarray, dict_digest: str) -> None:
    """Write a center file atomically (a crash never leaves a half-written file).

    Args:
        path: destination, conventionally ``*.npz``.
        centers: ``[num_classes, feat_dim]``; all-NaN rows mark classes without a center.
        dict_digest: ``CharacterDict.digest()`` of the dictionary used for training.
    """
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2:
        raise DataError(f"save_centers: centers must be [num_classes, feat_dim], got shape {centers.shape}")
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            np.savez(f, centers=centers, dict_digest=np.asarray(str(dict_digest)),
                     feat_dim=np.asarray(centers.shape[1], dtype=np.int64))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_centers(path: str | os.PathLike[str], num_classes: int, feat_dim: int,
                 dict_digest: str | None = None) -> np.ndarray:
    """Read and check a center file; returns float64 ``[num_classes, feat_dim]``.

    Raises:
        ConfigError: missing file, pickle/unknown format, or a class count, feature
            size or dictionary digest that differs from the training config.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigError(f"center file not found: {path}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        kind = "a pickle (upstream's format)" if magic[:1] == b"\x80" or path.endswith(".pkl") else "not an .npz"
        raise ConfigError(f"{path}: center file is {kind}; pickle files are not loaded (unsafe): {_REEXPORT}")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("centers", "dict_digest", "feat_dim") if k not in data.files]
            if missing:
                raise ConfigError(f"{path}: center file lacks {', '.join(missing)}; {_REEXPORT}")
            centers = np.asarray(data["centers"], dtype=np.float64)
            file_digest = str(data["dict_digest"])
            file_feat_dim = int(data["feat_dim"])
    except ConfigError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{path}: unreadable center file ({exc}); {_REEXPORT}") from exc
    if file_feat_dim != feat_dim or centers.ndim != 2 or centers.shape[1] != feat_dim:
        raise ConfigError(
            f"{path}: centers have feat_dim {file_feat_dim} (array {list(centers.shape)}) but the "
            f"config's CenterLoss.feat_dim is {feat_dim}"
        )
    if centers.shape[0] != num_classes:
        raise ConfigError(
            f"{path}: centers cover {centers.shape[0]} classes but the config's CenterLoss.num_classes "
            f"is {num_classes}"
        )
    if dict_digest is not None and file_digest != dict_digest:
        raise ConfigError(
            f"{path}: centers were made with dictionary digest {file_digest} but the configured "
            f"dictionary has digest {dict_digest} (different characters or use_space_char)"
        )
    return centers


@LOSSES.register()
class CenterLoss(nn.Layer):
    """Pulls each time step's feature toward the center of its predicted class.

    ``predicts``: the training ``(feats [N, T, feat_dim], logits [N, T, num_classes])``
    pair of a ``CTCHead`` with ``return_feats``; reads nothing from ``batch``. Classes are
    the argmax of the logits (blank included), the loss is the mean squared distance
    ``|f - c|^2`` over all N*T steps (each clipped to [1e-12, 1e12], as upstream),
    returned as ``loss_center`` (and as ``loss``, the total every loss reports). As
    upstream, centers start random (``paddle.randn``, so the global seed fixes them),
    are not learned and are not updated; a center file replaces them.

    Deviations: distances are gathered for the predicted class instead of computed
    against all ``num_classes`` (upstream builds an [N*T, num_classes] matrix and
    clips its zeros to 1e-12, adding (num_classes - 1) * 1e-12 to the loss); the
    result is cast back to the features' dtype (upstream returns float64).

    Args:
        num_classes: CTC head width (blank + characters).
        feat_dim: size of the head's features (``mid_channels``).
        init_center: True loads ``center_file_path``; False ignores it (PP-OCRv2's
            config sets ``init_center: false`` next to a path); None (default) loads
            it when given, as newer upstream does.
        center_file_path: ``.npz`` written by ``tools/export_center.py``.
        character_dict_path, use_space_char: from Global, to check the file's
            dictionary digest.
    """

    global_keys = ("character_dict_path", "use_space_char")

    def __init__(self, num_classes: int = 6625, feat_dim: int = 96, init_center: bool | None = None,
                 center_file_path: str | None = None, character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        super().__init__()
        if num_classes < 1 or feat_dim < 1:
            raise ConfigError(f"CenterLoss: num_classes and feat_dim must be positive, got {num_classes}, {feat_dim}")
        self.num_classes = num_classes
        self.feat_dim = feat_dim
        centers = paddle.randn([num_classes, feat_dim]).astype("float64")
        load = bool(center_file_path) if init_center is None else init_center
        if load:
            if not center_file_path:
                raise ConfigError("CenterLoss: init_center is true but center_file_path is not set")
            digest = CharacterDict(character_dict_path, use_space_char).digest()
            loaded = load_centers(center_file_path, num_classes, feat_dim, digest)
            known = np.isfinite(loaded).all(axis=1)
            merged = np.where(known[:, None], loaded, centers.numpy())
            centers = paddle.to_tensor(merged, dtype="float64")
        self.register_buffer("centers", centers)

    def forward(self, predicts: Any, batch: Sequence[Any] | None = None) -> dict[str, paddle.Tensor]:
        if not isinstance(predicts, (list, tuple)) or len(predicts) != 2:
            raise DataError(
                "CenterLoss: expected (features, logits) from a CTCHead built with return_feats: true, "
                f"got {type(predicts).__name__}"
            )
        features, logits = predicts
        if features.shape[-1] != self.feat_dim:
            raise ConfigError(f"CenterLoss.feat_dim is {self.feat_dim} but the head's features have "
                              f"{features.shape[-1]} channels")
        if logits.shape[-1] != self.num_classes:
            raise ConfigError(f"CenterLoss.num_classes is {self.num_classes} but the head outputs "
                              f"{logits.shape[-1]} classes")
        feats = paddle.reshape(features, [-1, self.feat_dim]).astype("float64")
        labels = paddle.argmax(logits, axis=-1).reshape([-1])
        centers = paddle.gather(self.centers, labels)
        dist = (paddle.sum(paddle.square(feats), axis=1) + paddle.sum(paddle.square(centers), axis=1)
                - 2.0 * paddle.sum(feats * centers, axis=1))
        loss = paddle.clip(dist, min=1e-12, max=1e12).mean()
        loss = loss.astype(features.dtype)
        return {"loss": loss, "loss_center": loss}
