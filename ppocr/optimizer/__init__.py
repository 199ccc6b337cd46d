"""Optimizers, LR schedules and regularizers built from the ``Optimizer`` section."""
