"""Multi-scale recognition training (PP-OCRv4): ``MultiScaleDataSet`` + ``MultiScaleSampler``.

The sampler yields batches of ``(width, height, index, wh_ratio)`` tuples; every sample of
a batch is resized to that batch's size, so one epoch mixes batches of several shapes,
each with a batch size scaled by area (``first_bs * W0 * H0 / (W * H)``).

Unlike upstream, the batches are a function of ``(seed, epoch)``: upstream reseeds with
the same seed at every epoch (every epoch the same batches in the same order) and draws
the scale layout from the unseeded global ``random``. Here each epoch permutes the samples
and the batch order with ``default_rng([seed, epoch])``, every rank draws the same layout
and order (so all ranks train the same shape at each step), and ``set_skip`` resumes an
epoch mid-way with exactly the batches the interrupted run had left.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ppocr.data.imaug.rec_img_aug import resize_norm_img
from ppocr.data.simple_dataset import _SAMPLE_LOCK, SimpleDataSet
from ppocr.errors import ConfigError, DataError
from ppocr.registry import DATASETS, Registry

__all__ = ["SAMPLERS", "MultiScaleDataSet", "MultiScaleSampler"]

logger = logging.getLogger("ppocr")

SAMPLERS = Registry("sampler")  # the loader's ``Train.sampler`` section names one


class _ScaleResize:
    """Resize-normalize-pad to the size the sampler chose for this batch (none: pass through).

    Keys: required/modified ``image`` (HWC uint8 -> float32 ``[3, H, W]``); added ``valid_ratio``.
    """

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.size is None:
            return data
        width, height = self.size
        data["image"], ratio = resize_norm_img(data["image"], [3, height, width], padding=True)
        data["valid_ratio"] = np.float32(ratio)
        return data


@DATASETS.register()
class MultiScaleDataSet(SimpleDataSet):
    """``SimpleDataSet`` whose samples are resized to the size ``MultiScaleSampler`` asks for.

    Indexed with ``(width, height, index, wh_ratio)`` (what the sampler yields), a sample
    goes through all transforms but the last, is resized-normalized-padded to
    ``[3, height, width]`` (upstream's ``resize_norm_img``, which adds ``valid_ratio``),
    then through the last transform (``KeepKeys``). With ``ds_width`` the width is
    ``height * max(1, round(wh_ratio))`` instead. Indexed with a plain int (a loader
    without the sampler), it is a ``SimpleDataSet``: no resize.

    Args:
        ds_width: label lines have four fields, ``path, label, width, height``; the sampler
            then batches samples of similar aspect ratio (sorted by it) instead of shuffling.
        the rest: as ``SimpleDataSet``.
    """

    def __init__(
        self,
        data_dir: str,
        label_file_list: str | Sequence[str],
        transforms: list,
        mode: str = "Train",
        seed: int | None = None,
        global_config: dict[str, Any] | None = None,
        ratio_list: float | Sequence[float] = 1.0,
        delimiter: str = "\t",
        ext_op_transform_idx: int = 2,
        check_images: str = "header",
        ds_width: bool = False,
    ) -> None:
        self.ds_width = bool(ds_width)
        self._wh_by_where: dict[str, float] = {}
        super().__init__(data_dir, label_file_list, transforms, mode, seed, global_config, ratio_list,
                         delimiter, ext_op_transform_idx, check_images)
        if not self.ops:
            raise ConfigError(f"{mode}.dataset.transforms: MultiScaleDataSet needs at least one transform")
        self._resize = _ScaleResize()
        self.ops = self.ops[:-1] + [self._resize] + self.ops[-1:]

    def _parse_line(self, line: str, where: str) -> tuple[str, str, str] | None:
        if not self.ds_width:
            return super()._parse_line(line, where)
        fields = line.split(self.delimiter)
        try:
            ratio = float(fields[2]) / float(fields[3]) if len(fields) == 4 else None
        except (ValueError, ZeroDivisionError):
            ratio = None
        if ratio is None or not math.isfinite(ratio) or ratio <= 0:
            self.report.add_problem("ds_width line needs path, label, width, height (positive numbers)", where)
            return None
        record = super()._parse_line(self.delimiter.join(fields[:2]), where)
        if record is not None:
            self._wh_by_where[where] = ratio
        return record

    @property
    def wh_ratio(self) -> np.ndarray:
        """Width / height of each sample this epoch (``ds_width`` label files only)."""
        if not self.ds_width:
            raise ConfigError("wh_ratio needs a MultiScaleDataSet with ds_width: true")
        return np.array([self._wh_by_where[self._records[i][2]] for i in self._index], dtype=np.float64)

    def __getitem__(self, props: Any) -> list[Any]:
        if not isinstance(props, (tuple, list)):
            return super().__getitem__(props)
        if len(props) not in (3, 4):
            raise DataError(f"MultiScaleDataSet: expected (width, height, index[, wh_ratio]), got {props!r}")
        width, height, idx = int(props[0]), int(props[1]), int(props[2])
        ratio = props[3] if len(props) == 4 else None
        if self.ds_width and ratio is not None:
            width = height * max(1, int(round(ratio)))
        # The size is state of the (one) resize op: set and used under the lock every load holds.
        with _SAMPLE_LOCK:
            self._resize.size = (width, height)
            try:
                return self._load(idx)
            finally:
                self._resize.size = None


def _check_int(owner: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{owner}.{name} must be an integer >= {low}, got {value!r}")
    return value


def _scale_pairs(scales: Any) -> list[tuple[int, int]]:
    """``[[w, h], ...]`` or ``[s, ...]`` (square) as ``(w, h)`` pairs."""
    if isinstance(scales, str) or not isinstance(scales, Sequence) or not scales:
        raise ConfigError(f"MultiScaleSampler.scales must be a non-empty list of [w, h] (or sizes), got {scales!r}")
    pairs = []
    for s in scales:
        pair = (s, s) if isinstance(s, int) and not isinstance(s, bool) else s
        if (isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair)):
            raise ConfigError(f"MultiScaleSampler.scales: expected [w, h] positive integers, got {s!r}")
        pairs.append((int(pair[0]), int(pair[1])))
    return pairs


@SAMPLERS.register()
class MultiScaleSampler:
    """Batches of ``(w, h, index, wh_ratio)``: several image sizes per epoch (upstream's sampler).

    Sizes: in training each scale is floored to a multiple of ``divided_factor`` (w, h)
    and gets ``first_bs`` samples (``fix_bs``) or ``int(max(1, W0 * H0 * first_bs / (w * h)))``
    with ``(W0, H0)`` the first scale as written; outside training there is one size, the
    first scale, with ``first_bs``. The epoch's batches cycle through the scales in order,
    as many whole cycles as it takes to cover this rank's ``len(dataset) // num_replicas``
    samples; the last batches are filled up with the rank's first samples (upstream's
    wrap-around), so every batch has its full size. The batch order is then permuted.

    Args:
        data_source: the dataset (injected); ``ds_width`` datasets give ``wh_ratio``.
        scales, first_bs, fix_bs, divided_factor, is_training: upstream's meaning.
        ratio_wh: accepted and unused, as upstream.
        max_w: with ``ds_width``, a batch's ratio is capped at ``max_w / h``.
        seed: shuffle seed (injected from ``Global.seed``; None means 0).
        num_replicas, rank: sharding (injected); ranks never share a sample of an epoch.
    """

    def __init__(
        self,
        data_source: Any,
        scales: Sequence[Any],
        first_bs: int = 128,
        fix_bs: bool = True,
        divided_factor: Sequence[int] = (8, 16),
        is_training: bool = True,
        ratio_wh: float = 0.8,
        max_w: float = 480.0,
        seed: int | None = None,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        pairs = _scale_pairs(scales)
        first_bs = _check_int("MultiScaleSampler", "first_bs", first_bs, 1)
        num_replicas = _check_int("MultiScaleSampler", "num_replicas", num_replicas, 1)
        rank = _check_int("MultiScaleSampler", "rank", rank, 0)
        if rank >= num_replicas:
            raise ConfigError(f"MultiScaleSampler.rank {rank} must be < num_replicas {num_replicas}")
        if (isinstance(divided_factor, str) or len(divided_factor) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in divided_factor)):
            raise ConfigError(f"MultiScaleSampler.divided_factor must be [w, h] positive integers, "
                              f"got {divided_factor!r}")
        if isinstance(max_w, bool) or not isinstance(max_w, (int, float)) or max_w <= 0:
            raise ConfigError(f"MultiScaleSampler.max_w must be a positive number, got {max_w!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"MultiScaleSampler.seed must be an integer, got {seed!r}")
        self.data_source = data_source
        self.dataset_size = len(data_source)
        if self.dataset_size < num_replicas:
            raise DataError(f"{self.dataset_size} samples cannot be sharded over {num_replicas} cards")
        self.ds_width = bool(getattr(data_source, "ds_width", False))
        self.is_training = bool(is_training)
        self.max_w = float(max_w)
        self.ratio_wh = ratio_wh
        self.seed = 0 if seed is None else seed % 2**32
        self.num_replicas, self.rank = num_replicas, rank
        self.num_samples = self.dataset_size // num_replicas  # per rank
        base_w, base_h = pairs[0]
        if self.is_training:
            fw, fh = divided_factor
            base_elements = base_w * base_h * first_bs
            self.img_batch_pairs = []
            for w, h in pairs:
                w, h = (w // fw) * fw, (h // fh) * fh
                if w == 0 or h == 0:
                    raise ConfigError(f"MultiScaleSampler.scales: {w}x{h} after flooring to multiples of "
                                      f"divided_factor {list(divided_factor)}")
                bs = first_bs if fix_bs else int(max(1, base_elements / (h * w)))
                self.img_batch_pairs.append((w, h, bs))
        else:
            self.img_batch_pairs = [(base_w, base_h, first_bs)]
        self.layout: list[tuple[int, int, int]] = []  # (w, h, bs) of each batch, before the permutation
        covered = 0
        while covered < self.num_samples:
            for pair in self.img_batch_pairs:
                self.layout.append(pair)
                covered += pair[2]
        self.epoch = 0
        self.skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def set_skip(self, n_batches: int) -> None:
        """Skip the first ``n_batches`` of the next iteration only (resume mid-epoch)."""
        if isinstance(n_batches, bool) or not isinstance(n_batches, int) or n_batches < 0:
            raise ConfigError(f"set_skip expects a non-negative integer, got {n_batches!r}")
        self.skip = n_batches

    def _rank_order(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """This rank's dataset indices in epoch order, and every sample's w/h (ds_width)."""
        n = self.dataset_size
        ratios = None
        if self.ds_width:
            ratios = np.asarray(self.data_source.wh_ratio, dtype=np.float64)
            order = np.argsort(ratios)  # similar shapes share a batch; not shuffled (upstream)
        elif self.is_training:
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        return order[: self.num_samples * self.num_replicas][self.rank::self.num_replicas], ratios

    def epoch_plan(self) -> list[list[tuple[int, int, int, float | None]]]:
        """Every batch of the current epoch, in order (a pending ``set_skip`` not applied)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        idx, ratios = self._rank_order(rng)
        batches = []
        start = 0
        for w, h, bs in self.layout:
            ids = idx[start:min(start + bs, self.num_samples)]
            if len(ids) != bs:
                ids = np.concatenate([ids, idx[: bs - len(ids)]])
            start += bs
            ratio = None
            if ratios is not None:
                ratio = float(ratios[ids].mean())
                if ratio * h >= self.max_w:
                    ratio = self.max_w / h
            batches.append([(w, h, int(i), ratio) for i in ids])
        return [batches[i] for i in rng.permutation(len(batches))]

    def epoch_batches(self) -> list[list[int]]:
        """Dataset indices of every batch of the current epoch (for messages naming samples)."""
        return [[b[2] for b in batch] for batch in self.epoch_plan()]

    def __iter__(self) -> Iterator[list[tuple[int, int, int, float | None]]]:
        skip, self.skip = self.skip, 0
        yield from self.epoch_plan()[skip:]

    def __len__(self) -> int:
        """Batches in a full epoch (a pending ``set_skip`` does not change it)."""
        return len(self.layout)
