"""Pairwise losses between two models' outputs (building blocks of distillation).

They compare ``out1`` with ``out2`` (``forward(out1, out2)``), not predictions with a
batch, so they are not registered; the Distillation* losses wrap them.
"""

from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.errors import ConfigError, DataError

__all__ = ["KLJSLoss", "DMLLoss", "DistanceLoss", "DKDLoss", "CTCLogitsKLLoss"]


class KLJSLoss:
    """Symmetric KL (``kl``) or Jensen-Shannon (``js``) divergence of two probability maps.

    Both use upstream's smoothing ``eps`` inside the ratios. Reduction ``mean``
    averages over axes 1 and 2 (per-sample ``[N]``), ``sum`` sums them, ``none``
    keeps the element-wise values.
    """

    def __init__(self, mode: str = "kl") -> None:
        if str(mode).lower() not in ("kl", "js"):
            raise ConfigError(f"KLJSLoss.mode must be 'kl' or 'js', got {mode!r}")
        self.mode = str(mode).lower()

    def __call__(self, p1: paddle.Tensor, p2: paddle.Tensor, reduction: str = "mean",
                 eps: float = 1e-5) -> paddle.Tensor:
        if self.mode == "kl":
            loss = p2 * paddle.log((p2 + eps) / (p1 + eps) + eps)
            loss = loss + p1 * paddle.log((p1 + eps) / (p2 + eps) + eps)
        else:
            loss = p2 * paddle.log((2 * p2 + eps) / (p1 + p2 + eps) + eps)
            loss = loss + p1 * paddle.log((2 * p1 + eps) / (p1 + p2 + eps) + eps)
        loss = loss * 0.5
        if reduction in ("none", None):
            return loss
        if loss.ndim < 3:
            raise DataError(f"KLJSLoss: reduction over axes 1 and 2 needs 3-D maps, got {list(loss.shape)}")
        return loss.mean(axis=[1, 2]) if reduction == "mean" else loss.sum(axis=[1, 2])


class DMLLoss(nn.Layer):
    """Deep mutual learning: symmetric divergence between two models' distributions.

    Args:
        act: ``softmax`` (logits of a recogniser), ``sigmoid`` or None (already
            probabilities, e.g. DB maps).
        use_log: True (recognition) gives ``(KL(out2||out1) + KL(out1||out2)) / 2`` summed
            over classes and steps and divided by the batch size; False (detection)
            gives the smoothed symmetric KL of ``KLJSLoss``, averaged over the map.

    Deviation: for ``use_log=False`` upstream returns the per-sample ``[N]`` vector,
    which then broadcasts over every other term of a CombinedLoss (so ``backward``
    sums N copies); here it is averaged to a scalar. Logged values are the same;
    gradients are upstream's divided by N, which Adam (the configs' optimizer) absorbs.
    """

    def __init__(self, act: str | None = None, use_log: bool = False) -> None:
        super().__init__()
        if act not in (None, "softmax", "sigmoid"):
            raise ConfigError(f"DMLLoss.act must be 'softmax', 'sigmoid' or null, got {act!r}")
        self.act = act
        self.use_log = use_log
        self.kl_js = KLJSLoss(mode="kl")

    @staticmethod
    def _kl_batchmean(log_p: paddle.Tensor, target: paddle.Tensor) -> paddle.Tensor:
        loss = target * (paddle.log(target + 1e-10) - log_p)
        return paddle.sum(loss) / loss.shape[0]

    def forward(self, out1: paddle.Tensor, out2: paddle.Tensor) -> paddle.Tensor:
        if list(out1.shape) != list(out2.shape):
            raise DataError(f"DMLLoss: outputs differ in shape: {list(out1.shape)} vs {list(out2.shape)}")
        if self.act == "softmax":
            out1, out2 = F.softmax(out1, axis=-1) + 1e-10, F.softmax(out2, axis=-1) + 1e-10
        elif self.act == "sigmoid":
            out1, out2 = F.sigmoid(out1) + 1e-10, F.sigmoid(out2) + 1e-10
        if self.use_log:
            log1, log2 = paddle.log(out1), paddle.log(out2)
            return (self._kl_batchmean(log1, out2) + self._kl_batchmean(log2, out1)) / 2.0
        return self.kl_js(out1, out2).mean()


class DistanceLoss(nn.Layer):
    """Mean ``l1``, ``l2`` (squared error) or ``smooth_l1`` (Huber, delta 1) distance."""

    MODES = ("l1", "l2", "smooth_l1")

    def __init__(self, mode: str = "l2") -> None:
        super().__init__()
        if mode not in self.MODES:
            raise ConfigError(f"DistanceLoss.mode must be one of {', '.join(self.MODES)}, got {mode!r}")
        self.mode = mode

    def forward(self, x: paddle.Tensor, y: paddle.Tensor) -> paddle.Tensor:
        if list(x.shape) != list(y.shape):
            raise DataError(f"DistanceLoss: outputs differ in shape: {list(x.shape)} vs {list(y.shape)}")
        if self.mode == "l1":
            return F.l1_loss(x, y, reduction="mean")
        if self.mode == "l2":
            return F.mse_loss(x, y, reduction="mean")
        return F.smooth_l1_loss(x, y, reduction="mean", delta=1.0)


class DKDLoss(nn.Layer):
    """Decoupled knowledge distillation (Zhao et al., 2022) over per-position class logits.

    With ``p = softmax(logits / T)`` per position, TCKD is the KL divergence of the binary
    (target, all others) split of the teacher's ``p`` from the student's; NCKD is the KL
    divergence over the non-target classes only (the target logit pushed down by 1000 before
    the softmax). Both are averaged over all positions (padding included, as upstream: its
    ``mask`` argument is never applied) and scaled by ``T**2``. Returns
    ``alpha * TCKD + beta * NCKD`` (scalar).

    ``forward(logits_student [N, L, C], logits_teacher [N, L, C], target [N, L] int)``.
    """

    def __init__(self, temperature: float = 1.0, alpha: float = 1.0, beta: float = 1.0) -> None:
        super().__init__()
        for key, value in (("temperature", temperature), ("alpha", alpha), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"DKDLoss.{key} must be a number, got {value!r}")
        if temperature <= 0:
            raise ConfigError(f"DKDLoss.temperature must be > 0, got {temperature!r}")
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.beta = float(beta)

    @staticmethod
    def _kl(log_p: paddle.Tensor, target: paddle.Tensor) -> paddle.Tensor:
        return (target * (paddle.log(target + 1e-10) - log_p)).sum(axis=1).mean()

    @staticmethod
    def _split(p: paddle.Tensor, gt: paddle.Tensor) -> paddle.Tensor:
        return paddle.concat([(p * gt).sum(axis=1, keepdim=True), (p * (1 - gt)).sum(axis=1, keepdim=True)], axis=1)

    def forward(self, logits_student: paddle.Tensor, logits_teacher: paddle.Tensor,
                target: paddle.Tensor) -> paddle.Tensor:
        if list(logits_student.shape) != list(logits_teacher.shape) or logits_student.ndim != 3:
            raise DataError(f"DKDLoss: expected student and teacher logits [N, L, C] of one shape, got "
                            f"{list(logits_student.shape)} and {list(logits_teacher.shape)}")
        n, length, classes = logits_student.shape
        target = target.reshape([-1]).astype("int64")
        if target.shape[0] != n * length:
            raise DataError(f"DKDLoss: {target.shape[0]} targets for {n}x{length} logit positions")
        if target.shape[0] and (int(target.max()) >= classes or int(target.min()) < 0):
            raise DataError(f"DKDLoss: target classes must lie in [0, {classes}), got "
                            f"[{int(target.min())}, {int(target.max())}]")
        gt = F.one_hot(target, num_classes=classes).astype(logits_student.dtype)
        t = self.temperature
        s = logits_student.flatten(0, 1) / t
        te = logits_teacher.flatten(0, 1) / t
        tckd = self._kl(paddle.log(self._split(F.softmax(s, axis=1), gt)), self._split(F.softmax(te, axis=1), gt))
        nckd = self._kl(F.log_softmax(s - 1000.0 * gt, axis=1), F.softmax(te - 1000.0 * gt, axis=1))
        return (self.alpha * tckd + self.beta * nckd) * (t * t)


class CTCLogitsKLLoss(nn.Layer):
    """KL divergence between two CTC recognisers' time-averaged distributions (upstream
    ``KLCTCLogits`` in its default ``mean`` mode, the only one ``DistillCTCLogits`` uses).

    The blank logit (class 0) of both is negated, each is softmaxed at temperature 0.5 and
    averaged over time, giving ``q_s``, ``q_t`` ``[N, C]``; the loss is
    ``sum(q_t * log((q_t + eps) / (q_s + eps) + eps)) / N`` with ``eps = 1e-6``, i.e. the
    teacher's class frequencies taught to the student.

    ``forward(student [N, T, C], teacher [N, T, C])`` → scalar (one shape, as upstream, whose
    blank mask is built from the student's shape).
    """

    temperature = 0.5
    eps = 1e-6

    @staticmethod
    def _class_frequencies(logits: paddle.Tensor, temperature: float) -> paddle.Tensor:
        sign = paddle.ones([logits.shape[-1]], dtype=logits.dtype)
        sign[0] = -1.0
        return F.softmax(logits * sign / temperature, axis=-1).mean(axis=1)

    def forward(self, student: paddle.Tensor, teacher: paddle.Tensor) -> paddle.Tensor:
        if student.ndim != 3 or list(student.shape) != list(teacher.shape):
            raise DataError(f"CTCLogitsKLLoss: expected student and teacher CTC logits [N, T, C] of one shape, got "
                            f"{list(student.shape)} and {list(teacher.shape)}")
        q_s = self._class_frequencies(student, self.temperature)
        q_t = self._class_frequencies(teacher, self.temperature)
        loss = q_t * paddle.log((q_t + self.eps) / (q_s + self.eps) + self.eps)
        return loss.sum() / student.shape[0]
