"""Optimizers, LR schedules and regularizers built from the ``Optimizer`` section."""

from ppocr.registry import import_submodules

import_submodules(__name__)

from ppocr.optimizer.build import build_lr_scheduler, build_optimizer  # noqa: E402

__all__ = ["build_optimizer", "build_lr_scheduler"]
