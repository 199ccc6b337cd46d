"""The make/ensure skeleton every dataset kind shares (``synthesize`` fed a ``KindPlan``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from ppocr.errors import ConfigError
from ppocr.synth.common import SYNTH_VERSION, KindPlan, charset_digest, sample_rng, synthesize
from ppocr.synth.effects import encode_jpeg, random_jpeg_quality
from ppocr.synth.writers import read_label_file


def counting_plan(calls: list):
    """A plan factory whose render draws a grey level from the sample's generator; counts renders."""

    def render(rng: np.random.Generator, split: str, index: int) -> tuple[np.ndarray, str]:
        calls.append((split, index))
        return np.full((8, 16, 3), int(rng.integers(0, 256)), np.uint8), f"{split}-{index}"

    return lambda: KindPlan(kind="rec", charset="ab", options={"height": 8}, render=render,
                            extra_info={"note": "made"})


def test_params_stamp_and_reuse(tmp_path: Path):
    calls: list = []
    info = synthesize(tmp_path / "d", 2, 1, 5, counting_plan(calls), reuse=True)
    assert info["created"] and info["note"] == "made" and calls == [("train", 0), ("train", 1), ("val", 0)]
    params = json.loads((tmp_path / "d" / "params.json").read_text())
    assert params == {"kind": "rec", "version": SYNTH_VERSION, "num_train": 2, "num_val": 1, "seed": 5,
                      "charset_digest": charset_digest("ab"), "height": 8}
    assert read_label_file(tmp_path / "d" / "val" / "label.txt") == [("images/000000.jpg", "val-0")]
    again = synthesize(tmp_path / "d", 2, 1, 5, counting_plan(calls), reuse=True)
    assert not again["created"] and "note" not in again and len(calls) == 3  # nothing rendered
    assert synthesize(tmp_path / "d", 2, 1, 5, counting_plan(calls), reuse=False)["created"]
    assert len(calls) == 6


def test_render_and_jpeg_quality_draw_from_the_sample_generator(tmp_path: Path):
    synthesize(tmp_path / "a", 1, 0, 9, counting_plan([]), reuse=False)
    rng = sample_rng(9, "rec", "train", 0)
    grey = int(rng.integers(0, 256))
    jpeg = encode_jpeg(np.full((8, 16, 3), grey, np.uint8), random_jpeg_quality(rng))
    assert (tmp_path / "a" / "train" / "images" / "000000.jpg").read_bytes() == jpeg


def test_counts_are_checked_before_the_plan_is_built(tmp_path: Path):
    def plan():
        raise AssertionError("plan built before the counts were checked")

    with pytest.raises(ConfigError, match="num_val"):
        synthesize(tmp_path / "x", 1, -2, 0, plan, reuse=False)
    assert not (tmp_path / "x").exists()
