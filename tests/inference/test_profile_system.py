"""The profile driver's pure parts: comparisons, varied inputs, stage timing (the runs need the zoo)."""

import numpy as np
import pytest

from ppocr.experiments.profile_system import VARIANTS, Timed, compare, sample_photos, varied_images
from ppocr.inference.results import RecResult, RecText


def test_compare_counts_texts_and_largest_differences():
    ref = [[("a", 0.9, [[0, 0], [4, 0]]), ("b", 0.8, [[1, 1], [2, 2]])], [("c", 0.7, [[0, 0]])]]
    got = [[("a", 0.95, [[0, 0], [4, 3]]), ("x", 0.8, [[1, 1], [2, 2]])], [("c", 0.7, [[0, 0]]), ("d", 1, [[0, 0]])]]
    got_cmp = compare(ref, got)
    assert got_cmp["lines"] == 4 and got_cmp["texts_equal"] == 2 and got_cmp["max_box_diff"] == 3.0
    assert abs(got_cmp["max_score_diff"] - 0.05) < 1e-9
    assert compare(ref, ref)["texts_equal"] == 3


def test_varied_images_have_many_shapes_and_the_photos_are_there():
    photos = sample_photos()
    assert len(photos) == 10 and {p.parent.name for p in photos} == {"scene", "doc"}
    base = [np.zeros((200, 300, 3), np.uint8), np.zeros((400, 100, 3), np.uint8)]
    many = varied_images(base, 30)
    assert len(many) == 30 and len({m.shape for m in many}) >= 25
    assert {"exact", "buckets", "overlap", "group4"} <= set(VARIANTS)


def test_timed_adds_stage_seconds_and_passes_attributes_through():
    class Inner:
        batch_num = 6

        def __call__(self, crops):
            return RecResult([RecText("x", 1.0)] * len(crops), {"preprocess": 0.5, "inference": 1.0})

    sink = {}
    timed = Timed(Inner(), "rec", sink)
    timed([1, 2])
    timed([3])
    assert sink == {"rec_preprocess": 1.0, "rec_inference": 2.0} and timed.batch_num == 6


def test_variant_names_carry_cache_and_engine():
    from ppocr.experiments.profile_system import parse_variant

    assert parse_variant("exact") == ("exact", None, None, "fp32")
    assert parse_variant("buckets@128") == ("buckets", 128, None, "fp32")
    assert parse_variant("exact@32:openvino-bf16") == ("exact", 32, "openvino", "bf16")
    assert parse_variant("overlap:openvino") == ("overlap", None, "openvino", "fp32")
    with pytest.raises(ValueError, match="'fast' is not one of"):
        parse_variant("fast:openvino")
