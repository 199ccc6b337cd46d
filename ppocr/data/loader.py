"""``build_dataloader``: dataset from the registry, an epoch-seeded batch sampler, collate.

The order of samples is a function of ``(seed, epoch)`` and augmentation a function of
``(seed, epoch, index)``, so a run resumed mid-epoch (``set_epoch`` + ``set_skip``)
sees exactly the batches the interrupted run would have seen, without loading the ones
it skips.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import paddle
from paddle.io import DataLoader

from ppocr.data.multi_scale import SAMPLERS
from ppocr.errors import ConfigError, DataError
from ppocr.registry import DATASETS, check_params, import_submodules

__all__ = ["EpochBatchSampler", "OCRDataLoader", "build_dataloader", "collate_batch"]

import_submodules("ppocr.data")  # registers the datasets (and, through imaug, the transforms)

logger = logging.getLogger("ppocr")

MODE_KEYS = ("dataset", "loader", "sampler")
REQUIRED_KEYS = ("dataset", "loader")


class EpochBatchSampler:
    """Batches of dataset indices; order = f(seed, epoch); optional sharding and skip.

    Args:
        dataset_size: number of samples.
        batch_size: samples per batch (per card).
        shuffle: permute each epoch with ``default_rng([seed, epoch])``.
        drop_last: drop the last incomplete batch.
        seed: shuffle seed (None: 0, so the order is still reproducible).
        num_replicas, rank: shard for distributed training. Each rank takes every
            ``num_replicas``-th index of the (shuffled) order after dropping the
            ``dataset_size % num_replicas`` last ones, so ranks never share a sample and
            all have the same number of batches (the dropped ones change each epoch).
    """

    def __init__(self, dataset_size: int, batch_size: int, shuffle: bool, drop_last: bool,
                 seed: int | None = None, num_replicas: int = 1, rank: int = 0) -> None:
        for name, value, low in (("dataset_size", dataset_size, 1), ("batch_size", batch_size, 1),
                                 ("num_replicas", num_replicas, 1), ("rank", rank, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"EpochBatchSampler.{name} must be an integer >= {low}, got {value!r}")
        if rank >= num_replicas:
            raise ConfigError(f"EpochBatchSampler.rank {rank} must be < num_replicas {num_replicas}")
        if dataset_size < num_replicas:
            raise DataError(f"{dataset_size} samples cannot be sharded over {num_replicas} cards")
        self.dataset_size = dataset_size
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = 0 if seed is None else int(seed) % 2**32
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.skip = 0
        self.num_samples = dataset_size // num_replicas  # per rank

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def set_skip(self, n_batches: int) -> None:
        """Skip the first ``n_batches`` of the next iteration only (resume mid-epoch)."""
        if isinstance(n_batches, bool) or not isinstance(n_batches, int) or n_batches < 0:
            raise ConfigError(f"set_skip expects a non-negative integer, got {n_batches!r}")
        self.skip = n_batches

    def indices(self) -> np.ndarray:
        """This rank's sample indices for the current epoch, in order."""
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.dataset_size)
        else:
            order = np.arange(self.dataset_size)
        return order[: self.num_samples * self.num_replicas][self.rank::self.num_replicas]

    def epoch_batches(self) -> list[list[int]]:
        """Every batch of the current epoch, in order (a pending ``set_skip`` not applied)."""
        idx = self.indices()
        return [idx[b * self.batch_size:(b + 1) * self.batch_size].tolist() for b in range(len(self))]

    def __iter__(self) -> Iterator[list[int]]:
        idx = self.indices()
        skip, self.skip = self.skip, 0
        for b in range(skip, len(self)):
            yield idx[b * self.batch_size:(b + 1) * self.batch_size].tolist()

    def __len__(self) -> int:
        """Batches in a full epoch (a pending ``set_skip`` does not change it)."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)


def collate_batch(batch: Sequence[Sequence[Any]]) -> list[Any]:
    """Per field: stack same-shape arrays; keep variable-shape ones as a list (det polys)."""
    if not batch:
        raise DataError("empty batch")
    out = []
    for field in zip(*batch, strict=True):
        arrays = [np.asarray(x) for x in field]
        if all(a.shape == arrays[0].shape and a.dtype != object for a in arrays):
            out.append(np.stack(arrays))
        else:
            out.append(arrays)
    return out


class OCRDataLoader(DataLoader):
    """Paddle's DataLoader plus ``set_epoch`` / ``set_skip`` for exact resume."""

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the sampler (order) and the dataset (augmentation, subsets)."""
        self.batch_sampler.set_epoch(epoch)
        self.dataset.set_epoch(epoch)

    def set_skip(self, n_batches: int) -> None:
        self.batch_sampler.set_skip(n_batches)


def _loader_options(batch_size_per_card: int, shuffle: bool = False, drop_last: bool = False,
                    num_workers: int = 0, use_shared_memory: bool = True) -> dict[str, Any]:
    """The ``loader`` keys upstream reads; defaults where upstream would crash on a missing key."""
    return {"batch_size_per_card": batch_size_per_card, "shuffle": bool(shuffle), "drop_last": bool(drop_last),
            "num_workers": num_workers, "use_shared_memory": bool(use_shared_memory)}


def _check_loader(mode: str, loader_cfg: dict[str, Any]) -> dict[str, Any]:
    opts = _loader_options(**check_params(_loader_options, dict(loader_cfg), "loader", where=f"{mode}.loader"))
    for key, low in (("batch_size_per_card", 1), ("num_workers", 0)):
        value = opts[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{mode}.loader.{key} must be an integer >= {low}, got {value!r}")
    return opts


def build_dataloader(config: dict[str, Any], mode: str, seed: int | None = None,
                     distributed: bool = False) -> OCRDataLoader:
    """Loader for ``config[mode]`` (``Train``/``Eval``/``Test``).

    ``seed`` defaults to ``Global.seed``. With ``distributed`` the Train set is sharded
    over ``paddle.distributed`` ranks; Eval is never sharded (every rank evaluates all).
    The dataset's ``DataReport`` is ``loader.dataset.report``.
    """
    if mode not in ("Train", "Eval", "Test"):
        raise ConfigError(f"mode must be Train, Eval or Test, got {mode!r}")
    section = config.get(mode)
    if not isinstance(section, dict):
        raise ConfigError(f"config has no '{mode}' section with 'dataset' and 'loader'")
    for key in section:
        if key not in MODE_KEYS:
            raise ConfigError(f"{mode}.{key} is not supported. Valid: {', '.join(MODE_KEYS)}")
    for key in REQUIRED_KEYS:
        if not isinstance(section.get(key), dict):
            raise ConfigError(f"{mode}.{key} must be a mapping")
    global_cfg = config.get("Global") or {}
    if seed is None:
        seed = global_cfg.get("seed")
    dataset = DATASETS.build(section["dataset"], where=f"{mode}.dataset", mode=mode, seed=seed,
                             global_config=global_cfg)
    opts = _check_loader(mode, section["loader"])
    num_replicas, rank = 1, 0
    if distributed and mode == "Train":
        num_replicas, rank = paddle.distributed.get_world_size(), paddle.distributed.get_rank()
    sampler_cfg = section.get("sampler")
    if sampler_cfg is not None and mode != "Train":
        # Upstream builds a configured sampler for Train only and ignores the section elsewhere.
        logger.warning("%s.sampler is ignored: samplers apply to Train only (as upstream)", mode)
        sampler_cfg = None
    if sampler_cfg is not None:
        # As upstream, the sampler then decides batch sizes, order and padding: the loader's
        # batch_size_per_card, shuffle and drop_last are not used.
        sampler = SAMPLERS.build(sampler_cfg, where=f"{mode}.sampler", data_source=dataset, seed=seed,
                                 num_replicas=num_replicas, rank=rank)
    else:
        sampler = EpochBatchSampler(len(dataset), opts["batch_size_per_card"], opts["shuffle"],
                                    opts["drop_last"], seed, num_replicas, rank)
    if len(sampler) == 0:
        raise DataError(f"{mode}: {sampler.num_samples} samples per card give no batch of "
                        f"{opts['batch_size_per_card']} with drop_last")
    return OCRDataLoader(dataset, batch_sampler=sampler, num_workers=opts["num_workers"], return_list=True,
                         use_shared_memory=opts["use_shared_memory"], collate_fn=collate_batch)
