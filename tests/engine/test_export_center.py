"""Character centers: per-class means of correct samples' features, the .npz round trip, the CLI."""

from pathlib import Path

import numpy as np
import paddle
import pytest

from ppocr.commands import export_center
from ppocr.config import dump_config, load_config
from ppocr.engine.centers import CenterAccumulator, center_data_config, compute_centers, ctc_features
from ppocr.errors import ConfigError, DataError
from ppocr.experiments.ablation import smoke_config
from ppocr.losses.center_loss import CenterLoss, load_centers, save_centers
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.utils.character_dict import CharacterDict

ROOT = Path(__file__).resolve().parents[2]
ENHANCED = ROOT / "configs" / "rec" / "demo" / "rec_enhanced_ctc_demo.yml"
UDML = ROOT / "configs" / "rec" / "demo" / "rec_udml_demo.yml"
DIGEST = CharacterDict().digest()


def test_accumulator_means_per_class_of_kept_samples_only():
    feats = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
                      [[100.0, 100.0], [100.0, 100.0], [100.0, 100.0]]])
    ids = np.array([[0, 2, 2], [1, 1, 3]])
    acc = CenterAccumulator(num_classes=4, feat_dim=2)
    acc.update(feats, ids, keep=np.array([True, False]))
    acc.update(feats[:1] + 1.0, np.array([[2, 2, 0]]), keep=np.array([True]))
    centers = acc.centers()
    np.testing.assert_allclose(centers[0], [(1 + 6) / 2, (2 + 7) / 2])
    np.testing.assert_allclose(centers[2], [(3 + 5 + 2 + 4) / 4, (4 + 6 + 3 + 5) / 4])
    assert np.isnan(centers[1]).all() and np.isnan(centers[3]).all()  # only seen on a rejected sample / never
    assert acc.counts.tolist() == [2, 0, 4, 0]


def test_accumulator_rejects_bad_shapes_and_ids():
    acc = CenterAccumulator(3, 2)
    with pytest.raises(DataError, match="feats"):
        acc.update(np.zeros((1, 2, 2)), np.zeros((1, 3), dtype=int), np.ones(1, bool))
    with pytest.raises(DataError, match="channels"):
        acc.update(np.zeros((1, 2, 5)), np.zeros((1, 2), dtype=int), np.ones(1, bool))
    with pytest.raises(DataError, match=r"\[0, 2\]"):
        acc.update(np.zeros((1, 2, 2)), np.array([[0, 3]]), np.ones(1, bool))


@pytest.fixture(scope="module")
def model():
    paddle.seed(3)
    net = build_model(resolve_architecture(load_config(ENHANCED)))
    net.eval()
    return net


def encode(text, length=25):
    ids = [i + 1 for i in CharacterDict().encode(text)]
    return ids + [0] * (length - len(ids))


def test_features_are_what_the_training_head_returns(model):
    x = paddle.rand([2, 3, 32, 128])
    model.train()
    try:
        feats, logits = model(x)  # CTCHead(return_feats) in training: (fc1 output, logits)
        mine = ctc_features(model, x)
    finally:
        model.eval()
    assert feats.shape == [2, 32, 96] and logits.shape == [2, 32, 37]
    np.testing.assert_allclose(mine[0].numpy(), feats.numpy(), atol=1e-5)
    np.testing.assert_allclose(mine[1].numpy(), logits.numpy(), atol=1e-5)


def test_centers_use_every_step_of_exactly_recognised_samples(model):
    decoder = CTCLabelDecode()
    images = paddle.rand([2, 3, 32, 128])
    feats, logits = (t.numpy() for t in ctc_features(model, images))
    texts = [t for t, _ in decoder(logits)]
    ids = logits.argmax(-1)
    wrong = "zz" if texts[1] != "zz" else "yy"
    # batch 1: sample 0 labelled with what the model reads (kept), sample 1 mislabelled (skipped);
    # batch 2: sample 1 labelled right (kept)
    batches = [[images, np.array([encode(texts[0]), encode(wrong)]), None],
               [images[1:], np.array([encode(texts[1])]), None]]
    centers, stats = compute_centers(model, batches, decoder)
    assert stats == {"samples": 3, "correct": 2, "classes_with_center": len(set(ids[0]) | set(ids[1]))}
    rows, cls = np.concatenate([feats[0], feats[1]]), np.concatenate([ids[0], ids[1]])
    for c in range(37):
        if (cls == c).any():
            np.testing.assert_allclose(centers[c], rows[cls == c].mean(0), rtol=1e-5, atol=1e-6)
        else:
            assert np.isnan(centers[c]).all()


def test_center_loss_takes_known_rows_and_keeps_random_for_nan(model, tmp_path):
    centers = np.full((37, 96), np.nan)
    centers[[0, 5]] = np.arange(2 * 96, dtype=np.float64).reshape(2, 96)
    save_centers(tmp_path / "c.npz", centers, DIGEST)
    paddle.seed(11)
    plain = CenterLoss(num_classes=37, feat_dim=96).centers.numpy()
    paddle.seed(11)
    loaded = CenterLoss(num_classes=37, feat_dim=96, center_file_path=str(tmp_path / "c.npz")).centers.numpy()
    np.testing.assert_array_equal(loaded[[0, 5]], centers[[0, 5]])
    keep = [i for i in range(37) if i not in (0, 5)]
    np.testing.assert_array_equal(loaded[keep], plain[keep])


def test_center_data_reads_train_data_with_eval_transforms():
    cfg = load_config(ENHANCED)
    out = center_data_config(cfg)
    assert out["Eval"]["dataset"]["data_dir"] == cfg["Train"]["dataset"]["data_dir"]
    assert out["Eval"]["dataset"]["name"] == cfg["Train"]["dataset"]["name"] == "LMDBDataSet"
    assert out["Eval"]["dataset"]["transforms"] == cfg["Eval"]["dataset"]["transforms"]
    assert not any("RecAug" in op for op in out["Eval"]["dataset"]["transforms"])
    assert out["Eval"]["loader"]["shuffle"] is False and cfg["Train"]["dataset"]["transforms"][1] == {"RecAug": None}


def tiny_config(path, tmp_path, model_state):
    cfg = smoke_config(load_config(path), str(tmp_path / "data"))
    weights = tmp_path / "w.pdparams"
    paddle.save(model_state, str(weights))
    cfg["Global"]["pretrained_model"] = str(weights)
    yml = tmp_path / "cfg.yml"
    dump_config(cfg, yml)
    return str(yml)


def test_cli_writes_centers_tied_to_dict_and_feat_dim(model, tmp_path):
    yml = tiny_config(ENHANCED, tmp_path, model.state_dict())
    out = tmp_path / "centers" / "train_center.npz"
    result = export_center.main(["-c", yml, "--save_path", str(out)])
    assert result["samples"] == 8 and (result["num_classes"], result["feat_dim"]) == (37, 96)
    assert result["dict_digest"] == DIGEST
    centers = load_centers(out, num_classes=37, feat_dim=96, dict_digest=DIGEST)
    assert centers.shape == (37, 96)
    assert int(np.isfinite(centers).all(1).sum()) == result["classes_with_center"]
    with pytest.raises(ConfigError, match="digest"):
        load_centers(out, 37, 96, dict_digest=CharacterDict("en_dict.txt").digest())
    with pytest.raises(ConfigError, match="feat_dim"):
        load_centers(out, 37, 48, dict_digest=DIGEST)
    with pytest.raises(ConfigError, match="digest"):  # the loss checks the dictionary the config trains with
        CenterLoss(num_classes=37, feat_dim=96, center_file_path=str(out), character_dict_path="en_dict.txt")


def test_cli_needs_the_sub_model_of_a_distillation_config(tmp_path):
    paddle.seed(5)
    udml = build_model(resolve_architecture(load_config(UDML)))
    yml = tiny_config(UDML, tmp_path, udml.state_dict())
    with pytest.raises(ConfigError, match="Student, Teacher|Teacher, Student"):
        export_center.main(["-c", yml, "--save_path", str(tmp_path / "c.npz")])
    result = export_center.main(["-c", yml, "--save_path", str(tmp_path / "c.npz"), "--model_name", "Student",
                                 "--max_batches", "1"])
    assert result["samples"] == 2 and result["feat_dim"] == 96
