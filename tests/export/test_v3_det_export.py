"""The shipped PP-OCRv3 det student exports, runs under oneDNN, and matches dygraph.

RSEFPN upsamples 2x/4x/8x; ``F.upsample`` would export ``nearest_interp``, which Paddle 3.3's
oneDNN predictor cannot run (the Predictor would then silently fall back to plain CPU).
"""

from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.config import load_config
from ppocr.export.exporter import export_model
from ppocr.inference.predictor import Predictor
from ppocr.modeling.architectures import build_model, resolve_architecture

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "det" / "ch_PP-OCRv3" / "ch_PP-OCRv3_det_student.yml"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cfg = load_config(CONFIG)
    paddle.seed(5)
    model = build_model(resolve_architecture(cfg))
    rng = np.random.default_rng(5)
    for layer in model.sublayers():  # non-trivial BN statistics, so the maps vary
        if isinstance(layer, paddle.nn.BatchNorm2D):
            c = layer._mean.shape[0]
            layer._mean.set_value(rng.normal(0, 0.1, c).astype("float32"))
            layer._variance.set_value(rng.uniform(0.5, 1.5, c).astype("float32"))
    out = str(tmp_path_factory.mktemp("v3det") / "det")
    (out_dir,) = export_model(cfg, model, out)
    return model, out_dir


def test_graph_has_no_nearest_interp(exported):
    _, out_dir = exported
    graph = (Path(out_dir) / "inference.json").read_text(encoding="utf-8")
    assert "nearest_interp" not in graph and "expand" in graph


@pytest.mark.parametrize("h,w", [(64, 96), (96, 128)])
def test_onednn_predictor_matches_dygraph(exported, h, w):
    model, out_dir = exported
    predictor = Predictor(out_dir, enable_mkldnn=True, cpu_threads=1)
    x = np.random.default_rng(h + w).standard_normal((1, 3, h, w)).astype("float32")
    (got,) = predictor.run(x)
    assert predictor.enable_mkldnn  # no fallback to plain CPU happened
    model.eval()
    with paddle.no_grad():
        ref = model(paddle.to_tensor(x))["maps"].numpy()
    assert got.shape == ref.shape == (1, 1, h, w)
    assert float(ref.std()) > 1e-3  # the comparison is not between constant maps
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)
