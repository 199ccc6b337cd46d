"""Distillation losses: one selection-and-naming mechanism, thin named wrappers.

A DistillationModel returns ``{model_name: outputs}``. Every loss here picks the
outputs of some sub-models (``model_name_list`` or ``model_name_pairs``), optionally
a ``key`` inside them (``head_out``, ``backbone_out``, ``maps``), computes its parts
and names them exactly as upstream does, because users' logs and configs refer to
those names (``dml_thrink_maps_0``, ``loss_ctc_Student_0``, ...). The total is under
``loss``. Det maps are channels 0/1/2 of ``maps``, named ``thrink_maps`` (upstream's
spelling), ``threshold_maps``, ``binary_maps``. Losses of multi-head recognisers
(``multi_head: True``) read one branch of MultiHead's training dict (``ctc``, ``sar``,
``nrtr``) and the part of the batch that branch's loss reads (``rec_multi_loss.branch_batch``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import cv2
import numpy as np
import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError, DataError
from ppocr.losses.basic_loss import CTCLogitsKLLoss, DistanceLoss, DKDLoss, DMLLoss
from ppocr.losses.det_db_loss import DBLoss, db_targets, split_db_maps
from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.losses.rec_multi_loss import branch_batch
from ppocr.losses.rec_nrtr_loss import NRTRLoss
from ppocr.losses.rec_sar_loss import SARLoss
from ppocr.registry import LOSSES

__all__ = [
    "DistillationLoss",
    "DistillationDMLLoss",
    "DistillationCTCLoss",
    "DistillationSARLoss",
    "DistillationNRTRLoss",
    "DistillationDistanceLoss",
    "DistillationDBLoss",
    "DistillationDilaDBLoss",
    "DistillationDKDLoss",
    "DistillCTCLogits",
    "gtc_targets",
    "MAP_CHANNELS",
    "dilate_teacher_maps",
]

MAP_CHANNELS = {"thrink_maps": 0, "threshold_maps": 1, "binary_maps": 2}
# Upstream's 2024 code named MultiHead's NRTR output "gtc" (its v4 distillation config says
# dis_head: gtc); its 2023 and current code, and ours, name it "nrtr".
HEAD_ALIASES = {"gtc": "nrtr"}
Parts = Iterator[tuple[str, paddle.Tensor]]


def _as_name_list(owner: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{owner}.model_name_list must be a non-empty list of model names, got {value!r}")
    return list(value)


def _as_pairs(owner: str, value: Any) -> list[tuple[str, str]]:
    """Pairs of model names; a single flat pair is accepted, as upstream does."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value):
        value = [value]
    ok = isinstance(value, (list, tuple)) and value and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, str) for v in p) for p in value
    )
    if not ok:
        raise ConfigError(
            f"{owner}.model_name_pairs must be a pair [A, B] or a list of pairs of model names, got {value!r}"
        )
    return [(a, b) for a, b in value]


class DistillationLoss(nn.Layer):
    """Generic mechanism: select each group's outputs, compute named parts, sum them.

    Subclasses only implement ``parts(idx, group, outs, batch)``, yielding
    ``(name, scalar)``; ``outs`` are the selected outputs of the group's models.
    ``predicts``: a DistillationModel's ``{model_name: outputs}``; each item of ``outs`` is
    ``predicts[model]``, then ``[key]`` and ``[head]`` where those are set.
    """

    def __init__(self, groups: Sequence[tuple[str, ...]], key: str | None, name: str,
                 head: str | None = None) -> None:
        super().__init__()
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{type(self).__name__}.name must be a non-empty string, got {name!r}")
        self.groups = [tuple(g) for g in groups]
        self.key = key
        self.name = name
        self.head = head

    def select(self, predicts: Any, model_name: str) -> Any:
        owner = type(self).__name__
        if not isinstance(predicts, dict) or model_name not in predicts:
            have = ", ".join(map(str, predicts)) if isinstance(predicts, dict) else type(predicts).__name__
            raise DataError(f"{owner}: no outputs for model '{model_name}' (have: {have})")
        out = predicts[model_name]
        for sub in (self.key, self.head):
            if sub is None:
                continue
            if not isinstance(out, dict) or sub not in out:
                have = ", ".join(map(str, out)) if isinstance(out, dict) else type(out).__name__
                raise DataError(f"{owner}: outputs of '{model_name}' have no '{sub}' (have: {have}); "
                                "does the sub-model set return_all_feats?")
            out = out[sub]
        return out

    def parts(self, idx: int, group: tuple[str, ...], outs: list[Any], batch: Sequence[Any]) -> Parts:
        raise NotImplementedError

    def forward(self, predicts: Any, batch: Sequence[Any]) -> dict[str, paddle.Tensor]:
        losses: dict[str, paddle.Tensor] = {}
        for idx, group in enumerate(self.groups):
            outs = [self.select(predicts, model_name) for model_name in group]
            losses.update(self.parts(idx, group, outs, batch))
        values = list(losses.values())
        losses["loss"] = sum(values[1:], values[0])
        return losses


def _slice_maps(owner: str, out: Any, maps_names: list[str]) -> list[paddle.Tensor]:
    maps = split_db_maps(out, owner, channels=1 + max(MAP_CHANNELS[m] for m in maps_names))
    return [maps[:, MAP_CHANNELS[m]] for m in maps_names]


@LOSSES.register()
class DistillationDMLLoss(DistillationLoss):
    """Mutual learning between model pairs (``DMLLoss`` on their outputs).

    Parts are ``{name}_{idx}``, or ``{name}_{map}_{idx}`` per map with ``maps_name``.
    Reads nothing from ``batch``. Outputs compared: rec ``head_out`` logits ``[N, T, C]``
    of both models; det ``maps`` ``[N, k, H, W]`` holding every channel ``maps_name``
    names (``thrink_maps`` alone also takes an eval-mode teacher's ``[N, 1, H, W]``).

    Args:
        model_name_pairs: ``[[A, B], ...]`` or one ``[A, B]``.
        act, use_log: of ``DMLLoss`` (rec: ``softmax`` + ``use_log``; det maps: neither).
        key: output to compare (``head_out`` for rec, ``maps`` for det).
        multi_head, dis_head: for multi-head recognisers, compare ``out[dis_head]``: ``ctc``
            logits ``[N, T, C]``, ``sar`` ``[N, L, C]`` or ``nrtr`` (``gtc`` is read as ``nrtr``).
        maps_name: det map name(s) among ``thrink_maps``, ``threshold_maps``,
            ``binary_maps``. Upstream silently ignores a list (and unknown names); here
            a list compares each map and an unknown name is an error.
        name: prefix of the part names.
    """

    def __init__(self, model_name_pairs: Any = None, act: str | None = None, use_log: bool = False,
                 key: str | None = None, multi_head: bool = False, dis_head: str = "ctc",
                 maps_name: str | list[str] | None = None, name: str = "dml") -> None:
        owner = "DistillationDMLLoss"
        maps = [maps_name] if isinstance(maps_name, str) else maps_name
        if maps is not None:
            unknown = [m for m in maps if m not in MAP_CHANNELS] if isinstance(maps, list) else [maps]
            if unknown or not maps:
                raise ConfigError(f"{owner}.maps_name must name maps among {', '.join(MAP_CHANNELS)}, "
                                  f"got {maps_name!r}")
        super().__init__(_as_pairs(owner, model_name_pairs), key, name,
                         head=HEAD_ALIASES.get(dis_head, dis_head) if multi_head and maps is None else None)
        self.maps_name = maps
        self.dml = DMLLoss(act=act, use_log=use_log)

    def parts(self, idx, group, outs, batch) -> Parts:
        if self.maps_name is None:
            yield f"{self.name}_{idx}", self.dml(outs[0], outs[1])
            return
        owner = type(self).__name__
        for m, a, b in zip(self.maps_name, _slice_maps(owner, outs[0], self.maps_name),
                           _slice_maps(owner, outs[1], self.maps_name)):
            yield f"{self.name}_{m}_{idx}", self.dml(a, b)


class DistillationSupervisedLoss(DistillationLoss):
    """One supervised loss applied to each listed model; parts ``{name}_{model}_{idx}``.

    With ``multi_head`` the model's output is MultiHead's training dict: ``out[branch]`` is
    used, with the part of the batch that branch's loss reads (``branch_batch``).
    """

    branch = ""

    def __init__(self, model_name_list: Any, key: str | None, multi_head: bool, name: str,
                 loss: nn.Layer) -> None:
        names = _as_name_list(type(self).__name__, model_name_list)
        super().__init__([(n,) for n in names], key, name, head=self.branch if multi_head else None)
        self.multi_head = bool(multi_head)
        self.loss = loss

    def parts(self, idx, group, outs, batch) -> Parts:
        if self.multi_head:
            batch = branch_batch(self.branch, batch)
        yield f"{self.name}_{group[0]}_{idx}", self.loss(outs[0], batch)["loss"]


@LOSSES.register()
class DistillationCTCLoss(DistillationSupervisedLoss):
    """CTC loss of each listed model against the labels; parts ``{name}_{model}_{idx}``.

    Reads ``batch[1]`` labels ``[N, max_text_length]`` and ``batch[2]`` lengths ``[N]``, as
    CTCLoss; ``predicts[model][key]``: training logits ``[N, T, C]`` (or ``(feats, logits)``).
    With ``multi_head`` the CTC branch ``out['ctc']`` is used, the batch being MultiLabelEncode's
    ``[image, label_ctc, label_sar|label_gtc, length, valid_ratio]``: ``label_ctc`` is
    ``batch[1]`` and the lengths ``batch[3]``.
    """

    branch = "ctc"

    def __init__(self, model_name_list: Any = None, key: str | None = None, multi_head: bool = False,
                 name: str = "loss_ctc") -> None:
        super().__init__(model_name_list, key, multi_head, name, CTCLoss())


@LOSSES.register()
class DistillationSARLoss(DistillationSupervisedLoss):
    """SAR loss of each listed model; parts ``{name}_{model}_{idx}``.

    Without ``multi_head`` reads ``batch[1]`` (SAR labels ``[N, L]``), as SARLoss. With
    ``multi_head`` the ``sar`` branch ``[N, L, C]`` of MultiHead's output and ``label_sar``
    (``batch[2]`` of MultiLabelEncode's KeepKeys order).

    Args:
        ignore_index: padding class; unset means derived from Global's dictionary, as
            SARLoss (upstream's train.py writes it into this loss's config).
        character_dict_path, use_space_char: Global settings for that.
    """

    branch = "sar"
    global_keys = ("character_dict_path", "use_space_char")

    def __init__(self, model_name_list: Any = None, key: str | None = None, multi_head: bool = False,
                 name: str = "loss_sar", ignore_index: int | None = None, character_dict_path: str | None = None,
                 use_space_char: bool = False) -> None:
        super().__init__(model_name_list, key, multi_head, name,
                         SARLoss(ignore_index=ignore_index, character_dict_path=character_dict_path,
                                 use_space_char=use_space_char))


@LOSSES.register()
class DistillationNRTRLoss(DistillationSupervisedLoss):
    """NRTR loss of each listed model; parts ``{name}_{model}_{idx}``.

    Without ``multi_head`` reads ``batch[1]`` labels and ``batch[2]`` lengths, as NRTRLoss.
    With ``multi_head`` the ``nrtr`` branch of MultiHead's output, ``label_gtc``
    (``batch[2]``) and ``length`` (``batch[3]``) of MultiLabelEncode's KeepKeys order.

    Deviation: padding (class 0) is left out of the mean with ``smoothing: false`` too;
    upstream's version (built on its CELoss) then averages over the padding as well.
    """

    branch = "nrtr"

    def __init__(self, model_name_list: Any = None, key: str | None = None, multi_head: bool = False,
                 smoothing: bool = True, name: str = "loss_nrtr") -> None:
        super().__init__(model_name_list, key, multi_head, name, NRTRLoss(smoothing=smoothing))


@LOSSES.register()
class DistillationDistanceLoss(DistillationLoss):
    """Feature distance between model pairs; parts ``{name}_l2_{A}_{B}_{idx}``.

    The ``_l2`` suffix is upstream's, whatever the ``mode`` (kept: logs refer to it).
    Reads nothing from ``batch``; ``predicts[A][key]`` and ``predicts[B][key]`` must have
    the same shape (e.g. rec ``backbone_out`` ``[N, C, 1, W/4]`` or ``head_out`` ``[N, T, C]``).
    """

    def __init__(self, mode: str = "l2", model_name_pairs: Any = None, key: str | None = None,
                 name: str = "loss_distance") -> None:
        super().__init__(_as_pairs("DistillationDistanceLoss", model_name_pairs), key, name + "_l2")
        self.distance = DistanceLoss(mode=mode)

    def parts(self, idx, group, outs, batch) -> Parts:
        yield f"{self.name}_{group[0]}_{group[1]}_{idx}", self.distance(outs[0], outs[1])


@LOSSES.register()
class DistillationDBLoss(DistillationLoss):
    """``DBLoss`` of each listed model against the labels; parts ``{name}_{model}_{part}``.

    Reads ``batch[1:5]`` as DBLoss; ``predicts[model]``: the training DBHead output
    ``{"maps": [N, 3, H, W]}``. Upstream accepts the DB parameters but builds its DBLoss
    with defaults; here they are applied (the shipped configs give the defaults).
    """

    def __init__(self, model_name_list: Any = None, balance_loss: bool = True, main_loss_type: str = "DiceLoss",
                 alpha: float = 5, beta: float = 10, ohem_ratio: float = 3, eps: float = 1e-6,
                 name: str = "db") -> None:
        super().__init__([(n,) for n in _as_name_list("DistillationDBLoss", model_name_list)], None, name)
        self.db = DBLoss(balance_loss=balance_loss, main_loss_type=main_loss_type, alpha=alpha, beta=beta,
                         ohem_ratio=ohem_ratio, eps=eps)

    def parts(self, idx, group, outs, batch) -> Parts:
        for part, value in self.db(outs[0], batch).items():
            if part != "loss":
                yield f"{self.name}_{group[0]}_{part}", value


def dilate_teacher_maps(shrink_maps: paddle.Tensor, thresh: float = 0.3) -> paddle.Tensor:
    """Teacher shrink maps ``[N, H, W]`` -> binary (``> thresh``) dilated by a 2x2 kernel.

    The dilation widens the teacher's text regions a little, which upstream found a
    better target for the student than the raw shrink map. No gradient flows back.
    """
    binary = (shrink_maps.detach().numpy() > thresh).astype(np.uint8)
    kernel = np.ones((2, 2), dtype=np.uint8)
    dilated = np.stack([cv2.dilate(m, kernel) for m in binary]).astype(np.float32)
    return paddle.to_tensor(dilated)


@LOSSES.register()
class DistillationDilaDBLoss(DistillationLoss):
    """Student learns the teacher's dilated shrink map; parts ``{name}_{student}_{teacher}``.

    Each pair is ``[student, teacher]``. The target is ``dilate_teacher_maps`` of the
    teacher's shrink map; the loss is ``alpha * balanced(shrink) + dice(binary)`` under
    the label's shrink mask (``batch[4]``, ``[N, H, W]``; the batch must still hold the five
    det train items), as upstream (no threshold-map term). Student ``maps``
    ``[N, 3, H, W]`` (train mode); of the teacher's ``maps`` ``[N, 1+, H, W]`` only channel 0
    is read. The DB parameters are applied (upstream ignores them; shipped configs give
    the defaults).
    """

    def __init__(self, model_name_pairs: Any = None, key: str | None = None, balance_loss: bool = True,
                 main_loss_type: str = "DiceLoss", alpha: float = 5, beta: float = 10,
                 ohem_ratio: float = 3, eps: float = 1e-6, name: str = "dila_dbloss") -> None:
        super().__init__(_as_pairs("DistillationDilaDBLoss", model_name_pairs), key, name)
        self.db = DBLoss(balance_loss=balance_loss, main_loss_type=main_loss_type, alpha=alpha, beta=beta,
                         ohem_ratio=ohem_ratio, eps=eps)

    def parts(self, idx, group, outs, batch) -> Parts:
        owner = type(self).__name__
        student = split_db_maps(outs[0], owner)
        # only the teacher's shrink map is read: a frozen teacher in eval mode has just that
        target = dilate_teacher_maps(split_db_maps(outs[1], owner, channels=1)[:, 0])
        shrink_mask = db_targets(batch, owner)[3]
        loss = self.db.alpha * self.db.bce_loss(student[:, 0], target, shrink_mask)
        loss = loss + self.db.dice_loss(student[:, 2], target, shrink_mask)
        yield f"{self.name}_{group[0]}_{group[1]}", loss


def gtc_targets(owner: str, batch: Sequence[Any]) -> paddle.Tensor:
    """The NRTR targets a ``gtc``/``nrtr`` branch output ``[N, max(length) + 1, C]`` predicts:
    ``label_gtc[:, 1 : 2 + max(length)]`` (characters, ``</s>``, padding; ``<s>`` dropped), from
    MultiLabelEncode's KeepKeys order ``[image, label_ctc, label_gtc, length, valid_ratio]``."""
    if len(batch) < 4:
        raise DataError(f"{owner}: expected batch [image, label_ctc, label_gtc, length, valid_ratio], "
                        f"got {len(batch)} item(s)")
    length, label_gtc = (b if isinstance(b, paddle.Tensor) else paddle.to_tensor(b) for b in (batch[3], batch[2]))
    return label_gtc[:, 1 : 2 + int(length.max())]


@LOSSES.register()
class DistillationDKDLoss(DistillationLoss):
    """Decoupled KD (``DKDLoss``) of each pair's NRTR branch; parts ``{name}_{idx}`` (``dkd_0``).

    Each pair is ``[student, teacher]``; ``predicts[model][key][dis_head]`` are MultiHead's
    training NRTR logits ``[N, max(length) + 1, C]`` (``gtc`` is read as ``nrtr``), both models in
    train mode (a frozen teacher is too, as upstream). The per-position targets are
    ``gtc_targets(batch)``: ``batch[2]`` (``label_gtc``) and ``batch[3]`` (``length``).
    Gradients reach whichever side is trainable (a frozen teacher has none), as upstream.

    Args:
        model_name_pairs: ``[[student, teacher], ...]`` or one pair.
        key: output holding MultiHead's dict (``head_out``).
        multi_head: must be true. Upstream's DKD needs the gtc targets that only its multi-head
            branch supplies; without it (or with ``maps_name``) upstream fails with a TypeError.
        dis_head: branch compared (``gtc``/``nrtr``; another branch must have the same positions).
        maps_name: must be unset (see ``multi_head``).
        name: prefix of the part names.
        temperature, alpha, beta: of ``DKDLoss`` (weights of the target / non-target terms).
    """

    def __init__(self, model_name_pairs: Any = None, key: str | None = None, multi_head: bool = False,
                 dis_head: str = "ctc", maps_name: str | list[str] | None = None, name: str = "dkd",
                 temperature: float = 1.0, alpha: float = 1.0, beta: float = 1.0) -> None:
        owner = "DistillationDKDLoss"
        if multi_head is not True or maps_name is not None:
            raise ConfigError(f"{owner} needs multi_head: true and no maps_name (it distils MultiHead's NRTR branch "
                              f"against the batch's gtc labels), got multi_head={multi_head!r}, "
                              f"maps_name={maps_name!r}")
        if not isinstance(dis_head, str):
            raise ConfigError(f"{owner}.dis_head must be a branch name such as gtc, got {dis_head!r}")
        super().__init__(_as_pairs(owner, model_name_pairs), key, name, head=HEAD_ALIASES.get(dis_head, dis_head))
        self.dkd = DKDLoss(temperature=temperature, alpha=alpha, beta=beta)

    def parts(self, idx, group, outs, batch) -> Parts:
        yield f"{self.name}_{idx}", self.dkd(outs[0], outs[1], gtc_targets(type(self).__name__, batch))


@LOSSES.register()
class DistillCTCLogits(DistillationLoss):
    """KL of each pair's time-averaged CTC distributions (``CTCLogitsKLLoss``); parts
    ``{name}_{idx}`` (``ctc_logits_0``).

    Each pair is ``[student, teacher]``; with ``key`` set, ``predicts[model][key]['ctc']`` (the
    CTC logits ``[N, T, C]`` of MultiHead's training dict), as upstream; without it
    ``predicts[model]`` itself. Reads nothing from ``batch`` (upstream hands ``batch[1]`` to a
    mode that ignores it). Gradients reach whichever side is trainable, as upstream.

    Args:
        model_name_pairs: ``[[student, teacher], ...]`` or one pair.
        key: output holding MultiHead's dict (``head_out``).
        name: prefix of the part names.
        reduction: accepted and ignored, as upstream (its loss always sums and divides by N).
    """

    def __init__(self, model_name_pairs: Any = None, key: str | None = None, name: str = "ctc_logits",
                 reduction: str = "mean") -> None:
        super().__init__(_as_pairs("DistillCTCLogits", model_name_pairs), key, name,
                         head="ctc" if key is not None else None)
        self.reduction = reduction
        self.kl = CTCLogitsKLLoss()

    def parts(self, idx, group, outs, batch) -> Parts:
        yield f"{self.name}_{idx}", self.kl(outs[0], outs[1])
