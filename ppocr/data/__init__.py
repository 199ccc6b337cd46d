"""Datasets, transforms and the loader; plus upstream's module API (``ppocr.data``).

Users' scripts written against PaddleOCR import ``create_operators``, ``transform`` and
``build_dataloader`` from here, with upstream's signatures. They are thin wrappers over
``ppocr.data.imaug.build_transforms``/``transform`` and ``ppocr.data.loader.build_dataloader``;
where behaviour differs from upstream, the docstring says so. Imports happen on call, so
``import ppocr.data`` stays light (no Paddle for numpy-only transforms).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

__all__ = ["build_dataloader", "create_operators", "transform"]


def create_operators(op_param_list: list[dict[str, Any]], global_config: dict[str, Any] | None = None) -> list:
    """Transform objects for ``[{OpName: params}, ...]`` (upstream's ``create_operators``).

    Differs from upstream: upstream copies ALL of ``global_config`` into every op's
    parameters, overriding the op's own values (and its ``**kwargs`` swallow the rest).
    Here only the Global keys an op declares (``global_keys``, e.g. ``character_dict_path``
    for ``CTCLabelEncode``) are filled, the op's own value wins, ``global_config`` is not
    mutated, and an unknown parameter or op name is a ``ConfigError`` naming it.

    Returns:
        The ops in order; each maps a sample dict to a sample dict (or None).
    """
    from ppocr.data.imaug import build_transforms

    return build_transforms(op_param_list, global_config, where="create_operators")


def transform(data: dict[str, Any], ops: list | None = None) -> dict[str, Any] | None:
    """Apply ``ops`` in order (upstream's ``transform``): the sample, or None as soon as an op
    returns None. ``ops=None`` applies nothing. Unlike upstream, our label encoders reject
    unusable labels with a ``DataError`` naming the sample instead of returning None.
    """
    from ppocr.data.imaug import transform as apply_ops

    return apply_ops(data, ops or [])


def build_dataloader(config: dict[str, Any], mode: str, device: Any = None, logger: logging.Logger | None = None,
                     seed: int | None = None):
    """The loader of ``config[mode]`` (``Train``/``Eval``/``Test``), upstream's signature.

    Args:
        config: the whole config (``Global`` plus the ``mode`` section); not mutated.
        mode: ``Train``, ``Eval`` or ``Test``.
        device: accepted for upstream compatibility and unused: Paddle 3 places batches
            itself (upstream passes it as the deprecated ``places``).
        logger: if given, the dataset's load report (valid/dropped samples and why) is
            logged to it once; upstream's datasets log their file list instead.
        seed: shuffle/augmentation seed; None means ``Global.seed`` (upstream: unseeded).

    Returns:
        ``ppocr.data.loader.OCRDataLoader`` (a ``paddle.io.DataLoader`` with
        ``set_epoch``/``set_skip``); each batch is a list in ``KeepKeys`` order.

    As upstream, ``Train`` is sharded over ``paddle.distributed`` ranks (one rank when
    not launched distributed) and Eval/Test are not. Unlike upstream, bad config keys
    are ``ConfigError``s, and no SIGINT/SIGTERM handler is installed on import.
    """
    from ppocr.data.loader import build_dataloader as build

    loader = build(copy.deepcopy(config), mode, seed=seed, distributed=mode == "Train")
    report = getattr(loader.dataset, "report", None)
    if logger is not None and report is not None:
        report.log(logger, mode)
    return loader
