"""Shape buckets: the bucket sets are small and documented, padding is exact zeros, det crops maps back.

The official models' answers with buckets on (texts, scores, boxes against the unbucketed pipeline)
are measured by ``tools/profile_system.py --variants exact buckets`` and reported in the notes of
``ppocr/inference/buckets.py``; here stub predictors check the mechanics.
"""

import numpy as np
import pytest

from ppocr.inference.buckets import (
    det_side_bucket,
    geometric_bucket,
    pad_bottom_right,
    pad_right,
    pad_rows,
    rec_width_bucket,
    rows_bucket,
)
from ppocr.inference.det import TextDetector
from ppocr.inference.rec import TextRecognizer
from ppocr.inference.system import TextSystem
from tests.helpers.tiny_models import export_tiny, text_image


def test_rec_width_buckets_are_four_per_octave():
    widths = range(1, 2561)
    got = sorted({rec_width_bucket(w, 320) for w in widths})
    assert got == [320, 400, 480, 560, 640, 800, 960, 1120, 1280, 1600, 1920, 2240, 2560]
    for w in range(320, 2561):
        b = rec_width_bucket(w, 320)
        assert w <= b <= w * 1.25 + 1
    assert rec_width_bucket(320, 320, steps_per_octave=40) == 320 and rec_width_bucket(321, 320, 40) == 328


def test_det_side_buckets_for_limit_960():
    got = sorted({det_side_bucket(s, limit=960) for s in range(32, 961, 32)})
    assert got == [128, 256, 384, 512, 640, 768, 896, 960]
    assert det_side_bucket(960, limit=960) == 960  # a photo resized to the limit is never padded there
    assert det_side_bucket(1056) == 1280 and det_side_bucket(2080) == 2560  # no limit (limit_type min)
    assert all(det_side_bucket(s) >= s for s in range(32, 4001, 32))


def test_geometric_bucket_doubles_its_step_per_octave():
    assert [geometric_bucket(v, 100, 25) for v in (1, 100, 101, 200, 201, 400, 401)] == [
        100, 100, 125, 200, 250, 400, 500]


def test_padding_is_zeros_and_keeps_the_original():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype(np.float32)
    wide = pad_right(x, 8)
    assert wide.shape == (2, 3, 4, 8) and (wide[..., :5] == x).all() and not wide[..., 5:].any()
    big = pad_bottom_right(x, 6, 7)
    assert big.shape == (2, 3, 6, 7) and (big[..., :4, :5] == x).all()
    assert not big[..., 4:, :].any() and not big[..., :, 5:].any()
    assert pad_right(x, 5) is x and pad_bottom_right(x, 4, 5) is x
    rows = pad_rows(x, 4)
    assert rows.shape == (4, 3, 4, 5) and (rows[:2] == x).all() and not rows[2:].any() and pad_rows(x, 2) is x
    assert [rows_bucket(n, 6) for n in range(1, 7)] == [1, 2, 4, 4, 6, 6]


class Pointwise:
    """A det predictor stand-in whose map is a per-pixel function of the input: padding cannot move it."""

    enable_mkldnn = True

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        self.shapes.append(x.shape)
        return [1.0 / (1.0 + np.exp(-4.0 * (x.mean(axis=1, keepdims=True) - 0.2)))]


class Recorder:
    """A rec predictor stand-in: records each batch, answers blank-heavy probabilities."""

    enable_mkldnn = True

    def __init__(self, classes: int) -> None:
        self.batches: list[np.ndarray] = []
        self.classes = classes

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        self.batches.append(x)
        probs = np.full((x.shape[0], x.shape[-1] // 8, self.classes), 1e-3, dtype=np.float32)
        probs[..., 0] = 1.0
        return [probs]


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("buckets"))
    return {"det": export_tiny("det", root)[2], "rec": export_tiny("rec", root)[2]}


def white_boxes(h: int, w: int) -> np.ndarray:
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[20:50, 30:200] = 255
    img[h - 40:h - 8, w - 150:w - 10] = 255  # near the padded corner
    return img


def test_det_buckets_pad_the_input_and_crop_the_map_back(dirs):
    detector = TextDetector(dirs["det"], thresh=0.5, box_thresh=0.5)
    detector.predictor = Pointwise()
    for h, w in [(300, 500), (544, 700), (1000, 720)]:
        img = white_boxes(h, w)
        detector.shape_buckets = False
        plain = detector(img).boxes
        detector.shape_buckets = True
        padded = detector(img).boxes
        resized = detector.preprocess(img)[0].shape[-2:]
        assert detector.predictor.shapes[-1][-2:] == detector.bucket_size(*resized)
        assert plain.shape == (2, 4, 2) and np.array_equal(plain, padded)
    assert detector.predictor.shapes[-1][-2:] == (960, 768)  # 960x704 resized -> 704 goes up to 768


def test_rec_buckets_add_zero_columns_to_the_unbucketed_batch(dirs):
    recognizer = TextRecognizer(dirs["rec"])
    recognizer.predictor = Recorder(recognizer.characters.ctc_num_classes)
    _, h, w = recognizer.image_shape
    crops = [text_image(h, int(h * r), seed=i) for i, r in enumerate([2.0, 11.3, 7.9, 5.0, 6.1, 9.0, 3.3])]
    recognizer.batch_num = 4
    recognizer.shape_buckets = False
    plain = recognizer(crops)
    recognizer.shape_buckets = True
    bucketed = recognizer(crops)
    assert plain.texts == bucketed.texts
    before, after = recognizer.predictor.batches[:2], recognizer.predictor.batches[2:]
    assert [b.shape[0] for b in before] == [4, 3] and [b.shape[0] for b in after] == [4, 4]
    for a, b in zip(before, after):
        assert b.shape[-1] == rec_width_bucket(a.shape[-1], w) >= a.shape[-1]
        assert b.shape[0] == rows_bucket(a.shape[0], 4) >= a.shape[0]
        assert (b[:a.shape[0], ..., :a.shape[-1]] == a).all()
        assert not b[..., a.shape[-1]:].any() and not b[a.shape[0]:].any()
    assert {b.shape[-1] for b in after} <= {rec_width_bucket(v, w) for v in range(1, 8 * w)}


def test_system_sets_both_and_none_leaves_them(dirs):
    detector, recognizer = TextDetector(dirs["det"]), TextRecognizer(dirs["rec"])
    assert not detector.shape_buckets and not recognizer.shape_buckets  # default off: see buckets.py
    TextSystem(detector, recognizer, shape_buckets=True)
    assert detector.shape_buckets and recognizer.shape_buckets
    TextSystem(detector, recognizer)
    assert detector.shape_buckets and recognizer.shape_buckets
