"""Random-number-generator states (Python, NumPy, Paddle CPU and device) as plain data.

Checkpoints store them so a resumed run draws the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import paddle

from ppocr.engine.plain_data import plain

logger = logging.getLogger("ppocr")


def rng_state() -> dict[str, Any]:
    kind = paddle.device.get_device().split(":")[0]
    np_state = np.random.get_state()
    return {
        "python": plain(random.getstate(), "rng.python"),
        "numpy": [np_state[0], np_state[1].tolist(), *(plain(v, "rng.numpy") for v in np_state[2:])],
        "paddle_cpu": [s.__getstate__() for s in paddle.get_rng_state("cpu")],
        "paddle_device": kind,
        "paddle_device_states": (
            None if kind == "cpu" else [s.__getstate__() for s in paddle.get_rng_state(kind)]),
    }


def _generator_states(raw: list) -> list:
    states = []
    for item in raw:
        state = paddle.base.core.GeneratorState.__new__(paddle.base.core.GeneratorState)
        state.__setstate__(tuple(item))
        states.append(state)
    return states


def set_rng_state(rng: Mapping[str, Any], where: str) -> None:
    if not rng:
        return
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, *rest = rng["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), *rest))
    paddle.set_rng_state(_generator_states(rng["paddle_cpu"]), "cpu")
    kind = paddle.device.get_device().split(":")[0]
    saved = rng.get("paddle_device_states")
    if kind == "cpu" or saved is None:
        if kind != rng.get("paddle_device", "cpu"):
            logger.warning("%s: saved on %s, resumed on %s; device RNG not restored",
                           where, rng.get("paddle_device"), kind)
        return
    if kind != rng.get("paddle_device") or len(saved) != len(paddle.get_rng_state(kind)):
        logger.warning("%s: device RNG saved for %d %s device(s) does not fit this machine; not restored",
                       where, len(saved), rng.get("paddle_device"))
        return
    paddle.set_rng_state(_generator_states(saved), kind)
