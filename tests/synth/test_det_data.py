"""Detection scenes: quads inside the image, disjoint, and tightly around each line's drawn text."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from ppocr.errors import ConfigError
from ppocr.synth.common import sample_rng
from ppocr.synth.det_data import DET_DEFAULT_CHARSET, SceneSynth, ensure_det_dataset, make_det_dataset
from ppocr.synth.det_scene import IGNORE, TINY_LINE_PX
from ppocr.synth.writers import read_label_file


@pytest.fixture(scope="module")
def scenes():
    synth = SceneSynth((320, 320))
    return [synth.sample(sample_rng(5, "det", "train", i)) for i in range(12)]


def test_quads_inside_image_and_disjoint(scenes):
    for scene in scenes:
        h, w = scene.image.shape[:2]
        assert (h, w) == (320, 320) and len(scene.lines) >= 2
        polys = []
        for line in scene.lines:
            q = line.quad
            assert q.shape == (4, 2) and q.dtype == np.int32
            assert q[:, 0].min() >= 0 and q[:, 1].min() >= 0 and q[:, 0].max() < w and q[:, 1].max() < h
            poly = Polygon(q)
            assert poly.is_valid and poly.area > 4
            # clockwise on screen (y down) is counter-clockwise in shapely's y-up orientation test
            assert poly.exterior.is_ccw
            polys.append(poly)
        for i in range(len(polys)):
            for j in range(i + 1, len(polys)):
                assert not polys[i].intersects(polys[j])


def _text_pixels(line, threshold: float) -> np.ndarray:
    ys, xs = np.nonzero(line.alpha > threshold)
    return np.stack([xs + line.origin[0], ys + line.origin[1]], 1).astype(np.float32)


def test_quads_tightly_hold_the_text_pixels(scenes):
    checked = 0
    for scene in scenes:
        for line in scene.lines:
            contour = line.quad.reshape(-1, 1, 2).astype(np.float32)
            pts = _text_pixels(line, 0.5)
            dist = [cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in pts]
            assert not dist or min(dist) >= -1.0, (
                f"text pixel {-min(dist):.1f}px outside the quad of {line.text!r}"
            )
            if line.ignore:
                continue
            # tight: every side of the quad has (even faint) text within 2.5 px
            pts = _text_pixels(line, 0.1)
            for k in range(4):
                side = LineString([line.quad[k], line.quad[(k + 1) % 4]])
                near = min(side.distance(Point(p)) for p in pts[:: max(1, len(pts) // 500)])
                assert near <= 2.5, f"side {k} of {line.text!r} is {near:.1f}px from the text"
            checked += 1
    assert checked >= 30


def test_transcriptions_and_ignore_tags(scenes):
    lines = [ln for s in scenes for ln in s.lines]
    assert any(ln.ignore for ln in lines) and any(" " in ln.text for ln in lines)
    for ln in lines:
        assert (ln.text == IGNORE) == ln.ignore
        if not ln.ignore:
            assert set(ln.text) <= set(DET_DEFAULT_CHARSET + " ")
            assert (
                max(np.linalg.norm(ln.quad[3] - ln.quad[0]), np.linalg.norm(ln.quad[2] - ln.quad[1]))
                >= TINY_LINE_PX - 2
            )


def test_dataset_label_format_and_determinism(tmp_path: Path):
    info = make_det_dataset(tmp_path / "a", 4, 2, seed=1, size=((200, 260), (180, 240)))
    make_det_dataset(tmp_path / "b", 4, 2, seed=1, size=((200, 260), (180, 240)))
    pairs = read_label_file(tmp_path / "a" / "train" / "label.txt")
    assert pairs == read_label_file(tmp_path / "b" / "train" / "label.txt")
    assert info["num_train"] == 4 and "train_lmdb" not in info
    for img_path, label in pairs:
        jpeg = (tmp_path / "a" / "train" / img_path).read_bytes()
        assert jpeg == (tmp_path / "b" / "train" / img_path).read_bytes()
        h, w = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape[:2]
        assert 200 <= w <= 260 and 180 <= h <= 240
        items = json.loads(label)
        assert items and all(set(it) == {"transcription", "points"} for it in items)
        pts = np.array([it["points"] for it in items])
        assert pts.shape[1:] == (4, 2) and pts[..., 0].max() < w and pts[..., 1].max() < h


def test_ensure_and_bad_size(tmp_path: Path):
    assert ensure_det_dataset(tmp_path / "c", 1, 1)["created"]
    assert not ensure_det_dataset(tmp_path / "c", 1, 1)["created"]
    assert ensure_det_dataset(tmp_path / "c", 1, 1, size=(256, 256))["created"]
    for bad in [(32, 320), (320,), ((300, 200), (320, 320)), "320x320", (320.0, 320)]:
        with pytest.raises(ConfigError, match="size"):
            make_det_dataset(tmp_path / "d", 1, 1, size=bad)
