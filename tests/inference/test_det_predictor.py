"""TextDetector on exported models: odd image files, empty maps, clipping, oneDNN off, threads.

Most tests use a hand-weighted detector whose text probability is the pixel brightness
(``sigmoid(gain * (channel mean of the normalized image - offset))``), exported with the
settings our exporter writes for a DB config: white rectangles on black are "text", so the
boxes DB post-processing must return can be worked out by hand. The DB architecture's own
export (dynamic H/W, oneDNN, parity with dygraph) is tested in tests/engine/test_det_pipeline.py.
"""

import copy
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import paddle
import paddle.nn.functional as F
import pytest
import yaml
from paddle.static import InputSpec

from ppocr.errors import DataError
from ppocr.export.exporter import inference_settings
from ppocr.inference import predictor as predictor_module
from ppocr.inference.cli import add_det_args, base_parser, build_detector
from ppocr.inference.det import TextDetector
from ppocr.inference.images import read_image
from tests.helpers.tiny_models import TINY_DET, export_tiny

GAIN, OFFSET = 4.0, 0.2  # normalized white ~ +2.4 -> p ~ 1; black ~ -2.0 -> p ~ 0
UNCLIP = 1.5


class BrightnessDB(paddle.nn.Layer):
    """``{"maps": [N, 1, H, W]}`` = sigmoid of a 1x1 conv averaging the three channels."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = paddle.nn.Conv2D(3, 1, 1)
        self.conv.weight.set_value(np.full((1, 3, 1, 1), GAIN / 3, dtype="float32"))
        self.conv.bias.set_value(np.array([-GAIN * OFFSET], dtype="float32"))

    def forward(self, x):
        return {"maps": F.sigmoid(self.conv(x))}


def settings_config() -> dict:
    """The tiny det config, but images up to 960 px kept as they are (ratio 1: exact boxes)."""
    cfg = copy.deepcopy(TINY_DET)
    for op in cfg["Eval"]["dataset"]["transforms"]:
        if "DetResizeForTest" in op:
            op["DetResizeForTest"] = {"limit_side_len": 960, "limit_type": "max"}
    return cfg


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("brightness_det")
    model = BrightnessDB()
    model.eval()
    static = paddle.jit.to_static(model, input_spec=[InputSpec([None, 3, None, None], "float32", name="x")],
                                  full_graph=True)
    paddle.jit.save(static, str(out / "inference"))
    cfg = settings_config()
    with open(out / "inference.yml", "w", encoding="utf-8") as f:
        yaml.safe_dump(inference_settings(cfg, "det", cfg["Architecture"]), f, sort_keys=False)
    return str(out)


@pytest.fixture(scope="module")
def detector(model_dir):
    return TextDetector(model_dir)


def scene(h: int, w: int, rects: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Black BGR image with white ``(x0, y0, x1, y1)`` rectangles (x1, y1 exclusive)."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for x0, y0, x1, y1 in rects:
        img[y0:y1, x0:x1] = 255
    return img


def expected_box(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """DB's box for a solid rectangle: its pixel-centre outline grown by area * ratio / perimeter."""
    w, h = x1 - 1 - x0, y1 - 1 - y0
    d = w * h * UNCLIP / (2 * (w + h))
    return np.array([[x0 - d, y0 - d], [x1 - 1 + d, y0 - d], [x1 - 1 + d, y1 - 1 + d], [x0 - d, y1 - 1 + d]],
                    dtype=np.float32)


RECTS = [(40, 30, 100, 50), (60, 100, 200, 130)]
BASE = scene(160, 256, RECTS)


def sort_boxes(boxes: np.ndarray) -> np.ndarray:
    return boxes[np.lexsort((boxes[:, 0, 0], boxes[:, 0, 1]))] if len(boxes) else boxes


def test_settings_come_from_inference_yml(detector):
    assert detector.settings["limit_side_len"] == 960 and detector.settings["limit_type"] == "max"
    assert detector.settings["box_thresh"] == 0.6 and detector.settings["unclip_ratio"] == UNCLIP
    assert detector.describe()["onednn"] is True


def test_rectangles_give_hand_computed_boxes(detector):
    result = detector(BASE)
    boxes, times = result.boxes, result.times
    assert set(times) == {"preprocess", "inference", "postprocess"}
    assert boxes.shape == (2, 4, 2) and boxes.dtype == np.float32
    expected = np.stack([expected_box(*r) for r in RECTS])
    np.testing.assert_allclose(sort_boxes(boxes), expected, atol=1.5)


def _write(path, img) -> str:
    assert cv2.imwrite(str(path), img)
    return str(path)


@pytest.mark.parametrize("kind", ["gray8", "bgra8", "gray16", "bgr16"])
def test_image_files_of_any_depth_and_channels_give_the_same_boxes(detector, tmp_path, kind):
    if kind == "gray8":
        img = BASE[:, :, 0]
    elif kind == "bgra8":
        img = np.dstack([BASE, np.full(BASE.shape[:2], 100, np.uint8)])  # alpha is dropped, as upstream
    elif kind == "gray16":
        img = BASE[:, :, 0].astype(np.uint16) * 257
    else:
        img = BASE.astype(np.uint16) * 257
    loaded = read_image(_write(tmp_path / f"{kind}.png", img))
    assert loaded.shape == BASE.shape and loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, BASE)
    np.testing.assert_array_equal(detector(loaded).boxes, detector(BASE).boxes)


def test_one_pixel_image_gives_no_box(detector, tmp_path):
    img = read_image(_write(tmp_path / "dot.png", np.full((1, 1), 255, np.uint8)))
    assert img.shape == (1, 1, 3)
    boxes = detector(img).boxes
    assert boxes.shape == (0, 4, 2)


def test_huge_image_is_rejected_with_its_name_and_size(tmp_path):
    path = _write(tmp_path / "huge.png", np.zeros((300, 400), np.uint8))
    with pytest.raises(DataError, match=r"huge\.png: 400x300 exceeds max_pixels=100000"):
        read_image(path, max_pixels=100_000)
    assert read_image(path, max_pixels=120_000).shape == (300, 400, 3)


def test_blank_image_gives_zero_boxes(detector):
    boxes = detector(np.zeros((96, 128, 3), np.uint8)).boxes
    assert boxes.shape == (0, 4, 2) and boxes.dtype == np.float32


def test_db_model_whose_map_holds_no_text_gives_zero_boxes(tmp_path):
    def silence(model):  # probability sigmoid(-10) everywhere
        conv3 = model.head.binarize.conv3
        conv3.weight.set_value(np.zeros(conv3.weight.shape, dtype="float32"))
        conv3.bias.set_value(np.full(conv3.bias.shape, -10.0, dtype="float32"))

    _, _, out = export_tiny("det", str(tmp_path), adjust=silence)
    det = TextDetector(out, limit_side_len=64)
    boxes = det(np.full((70, 90, 3), 255, np.uint8)).boxes
    maps = det.predictor.run(det.preprocess(np.full((70, 90, 3), 255, np.uint8))[0])[0]
    assert maps.max() < 1e-3
    assert boxes.shape == (0, 4, 2)


@pytest.mark.parametrize("limit_side_len", [960, 64])  # 64: the image is shrunk, boxes scaled back
def test_boxes_at_the_borders_are_clipped_inside_the_image(model_dir, limit_side_len):
    h, w = 128, 192
    img = scene(h, w, [(0, 0, 60, 24), (120, 100, w, h)])
    boxes = TextDetector(model_dir, limit_side_len=limit_side_len)(img).boxes
    assert len(boxes) == 2
    assert boxes[..., 0].min() == 0 and boxes[..., 1].min() == 0
    assert boxes[..., 0].max() == w - 1 and boxes[..., 1].max() == h - 1


def test_enable_mkldnn_false_flag_calls_disable_mkldnn_and_gives_same_boxes(model_dir, detector, monkeypatch):
    calls = []

    class RecordingConfig(predictor_module.pdi.Config):
        def enable_mkldnn(self):
            calls.append("enable")
            super().enable_mkldnn()

        def disable_mkldnn(self):
            calls.append("disable")
            super().disable_mkldnn()

    monkeypatch.setattr(predictor_module.pdi, "Config", RecordingConfig)
    parser = base_parser("test")
    add_det_args(parser)
    args = parser.parse_args(["--image_dir", "unused", "--det_model_dir", model_dir, "--enable_mkldnn", "false"])
    plain = build_detector(args)
    assert calls == ["disable"]
    assert plain.predictor.enable_mkldnn is False and plain.describe()["onednn"] is False
    np.testing.assert_array_equal(plain(BASE).boxes, detector(BASE).boxes)


def test_concurrent_calls_equal_sequential(detector):
    rng = np.random.default_rng(0)
    images = []
    for i in range(6):
        h, w = 96 + 32 * (i % 3), 128 + 32 * (i % 2)
        x0, y0 = int(rng.integers(4, 40)), int(rng.integers(4, 30))
        images.append(scene(h, w, [(x0, y0, x0 + int(rng.integers(30, 80)), y0 + int(rng.integers(12, 30)))]))
    sequential = [detector(img).boxes for img in images]
    assert all(len(b) == 1 for b in sequential)
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda img: detector(img).boxes, images * 3))
    for got, want in zip(concurrent, sequential * 3):
        np.testing.assert_array_equal(got, want)


def test_upstream_style_dir_without_settings_uses_upstream_defaults_and_flags(model_dir, tmp_path):
    """A det model exported by upstream PaddleOCR has only the graph and params."""
    import shutil

    bare = tmp_path / "upstream_det"
    bare.mkdir()
    for name in ("inference.json", "inference.pdiparams"):
        shutil.copy(os.path.join(model_dir, name), bare / name)
    defaults = TextDetector(str(bare))
    assert defaults.settings["limit_side_len"] == 960 and defaults.settings["box_thresh"] == 0.6
    ours = TextDetector(model_dir)
    flagged = TextDetector(str(bare), limit_side_len=960, limit_type="max", unclip_ratio=UNCLIP)
    np.testing.assert_allclose(sort_boxes(flagged(BASE).boxes), sort_boxes(ours(BASE).boxes), atol=1e-4)


def test_predict_det_cli_writes_boxes_json_results_file_and_pictures(model_dir, detector, tmp_path):
    import json

    from ppocr.commands.predict_det import main as predict_det

    images = tmp_path / "images"
    images.mkdir()
    _write(images / "a.png", BASE)
    _write(images / "b.png", np.zeros((64, 96, 3), np.uint8))
    out_dir, out_json = tmp_path / "vis", tmp_path / "det.json"
    rows = predict_det(["--image_dir", str(images), "--det_model_dir", model_dir,
                        "--draw_img_save_dir", str(out_dir), "--output", str(out_json)])
    assert [os.path.basename(r["path"]) for r in rows] == ["a.png", "b.png"]
    assert all(list(r) == ["path", "boxes", "ms"] for r in rows)
    assert set(rows[0]["ms"]) == {"preprocess", "inference", "postprocess"}
    got = sort_boxes(np.array(rows[0]["boxes"], dtype=np.float32))
    np.testing.assert_array_equal(got, sort_boxes(detector(BASE).boxes))
    np.testing.assert_allclose(got, np.stack([expected_box(*r) for r in RECTS]), atol=1.5)
    assert rows[1]["boxes"] == []
    assert json.loads(out_json.read_text()) == {"results": rows, "unreadable": []}
    with open(out_dir / "det_results.txt", encoding="utf-8") as f:
        saved = [line.rstrip("\n").split("\t") for line in f]
    assert [(p, json.loads(b)) for p, b in saved] == [(r["path"], r["boxes"]) for r in rows]
    assert cv2.imread(str(out_dir / "det_res_a.png")).shape == BASE.shape


def test_exif_orientation_is_applied_as_upstream_imread(tmp_path):
    """A JPEG stored 100x40 with EXIF orientation 6 (rotate 90 CW) is read 40 wide, 100 tall, upright."""
    from PIL import Image

    stored = np.zeros((40, 100, 3), np.uint8)
    stored[:, :10] = 255  # a white band on the stored left edge: after rotating 90 CW it is on top
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, exif=exif.tobytes(), quality=95)
    img = read_image(str(path))
    assert img.shape == (100, 40, 3)
    assert img[:10].mean() > 200 and img[20:].mean() < 30
    np.testing.assert_array_equal(img, cv2.imread(str(path)))


def test_runs_from_short_lived_threads_and_a_pool_agree(tmp_path):
    """Whichever thread calls ``run``, the work runs on the process's one predictor thread (the real-model
    failure this prevents is reproduced in tests/inference/test_threads_official.py)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ppocr.inference.predictor import Predictor

    _, _, model_dir = export_tiny("det", str(tmp_path))
    predictor = Predictor(model_dir)
    x = np.random.default_rng(0).random((1, 3, 64, 96), dtype=np.float32)
    out = {}
    warm = threading.Thread(target=lambda: out.setdefault("warm", predictor.run(x)[0]))
    warm.start()
    warm.join()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: predictor.run(x)[0], range(8)))
    for r in results:
        np.testing.assert_array_equal(r, out["warm"])
    from ppocr.inference import predictor as predictor_module

    seen = []
    real = predictor._run_with_fallback
    predictor._run_with_fallback = lambda inputs: seen.append(threading.current_thread()) or real(inputs)
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: predictor.run(x), range(6)))
    assert len(set(seen)) == 1 and seen[0] is predictor_module._RUNNER_THREAD[0]
    assert seen[0].name.startswith("ppocr-predictor") and seen[0] is not threading.current_thread()
