"""DBFPN exported with dynamic H/W runs on Paddle's oneDNN predictor and matches dygraph.

``F.upsample(mode="nearest")`` exports a ``nearest_interp`` op that Paddle 3.3's oneDNN
predictor cannot run (``ConvertPirAttribute2RuntimeAttribute not support
[pir::ArrayAttribute<pir::DoubleAttribute>]``); the neck's reshape/expand upsampling must.
"""

import numpy as np
import paddle
import paddle.inference as paddle_infer
import pytest
from paddle.static import InputSpec

from ppocr.modeling.necks.db_fpn import DBFPN

CHANNELS = [4, 6, 8, 10]


class _Pyramid(paddle.nn.Layer):
    """DBFPN fed by four explicit inputs (the predictor takes named tensors, not a list)."""

    def __init__(self) -> None:
        super().__init__()
        self.fpn = DBFPN(in_channels=CHANNELS, out_channels=8)

    def forward(self, c2, c3, c4, c5):
        return self.fpn([c2, c3, c4, c5])


def _inputs(n: int, h: int, w: int) -> list[np.ndarray]:
    rng = np.random.default_rng(h * 100 + w)
    return [rng.standard_normal((n, c, h // s, w // s)).astype("float32")
            for c, s in zip(CHANNELS, (4, 8, 16, 32))]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    paddle.seed(3)
    model = _Pyramid()
    model.eval()
    spec = [InputSpec([None, c, None, None], "float32", name=f"c{i + 2}") for i, c in enumerate(CHANNELS)]
    static = paddle.jit.to_static(model, input_spec=spec, full_graph=True)
    prefix = str(tmp_path_factory.mktemp("dbfpn") / "inference")
    paddle.jit.save(static, prefix)
    return model, prefix


def _predictor(prefix: str):
    config = paddle_infer.Config(prefix + ".json", prefix + ".pdiparams")
    config.disable_gpu()
    config.enable_mkldnn()
    config.disable_glog_info()
    return paddle_infer.create_predictor(config)


def test_export_writes_json_without_nearest_interp(exported):
    _, prefix = exported
    with open(prefix + ".json", encoding="utf-8") as f:
        graph = f.read()
    assert "nearest_interp" not in graph
    assert "expand" in graph


@pytest.mark.parametrize("n,h,w", [(1, 64, 96), (2, 96, 32)])
def test_onednn_predictor_matches_dygraph(exported, n, h, w):
    model, prefix = exported
    predictor = _predictor(prefix)
    arrays = _inputs(n, h, w)
    for name, arr in zip(predictor.get_input_names(), arrays):
        handle = predictor.get_input_handle(name)
        handle.reshape(arr.shape)
        handle.copy_from_cpu(arr)
    predictor.run()
    got = predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()
    ref = model(*[paddle.to_tensor(a) for a in arrays]).numpy()
    assert got.shape == (n, 8, h // 4, w // 4)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
