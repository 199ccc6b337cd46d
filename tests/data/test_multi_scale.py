"""MultiScaleSampler + MultiScaleDataSet: upstream's sizes and batch sizes, (seed, epoch) order, resume."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ppocr.data.loader import build_dataloader
from ppocr.data.multi_scale import MultiScaleDataSet, MultiScaleSampler
from ppocr.errors import ConfigError

V4_SCALES = [[320, 32], [320, 48], [320, 64]]


class Source:
    def __init__(self, n: int, ratios=None) -> None:
        self.n, self.ds_width = n, ratios is not None
        self.wh_ratio = None if ratios is None else np.asarray(ratios, dtype=np.float64)

    def __len__(self) -> int:
        return self.n


def shapes(plan) -> list[tuple[int, int, int]]:
    return [(b[0][0], b[0][1], len(b)) for b in plan]


def test_sizes_and_area_scaled_batch_sizes():
    s = MultiScaleSampler(Source(10), V4_SCALES, first_bs=6, fix_bs=False, seed=0)
    # 320*32*6 / (320*h): 6, 4, 3; one cycle (13 >= 10) covers the 10 samples.
    assert s.img_batch_pairs == [(320, 32, 6), (320, 48, 4), (320, 64, 3)] and len(s) == 3
    plan = s.epoch_plan()
    assert sorted(shapes(plan)) == [(320, 32, 6), (320, 48, 4), (320, 64, 3)]
    ids = [i for b in sorted(plan, key=len, reverse=True) for (_, _, i, r) in b]
    assert sorted(ids[:10]) == list(range(10)) and all(r is None for b in plan for (*_, r) in b)
    # The last batch is filled with the rank's first samples (upstream's wrap-around).
    order = [i for b in sorted(plan, key=len, reverse=True)[:2] for (_, _, i, _) in b]
    assert ids[10:] == order[:3]
    floored = MultiScaleSampler(Source(10), [[330, 40], [100, 70]], first_bs=4, fix_bs=True)
    assert floored.img_batch_pairs == [(328, 32, 4), (96, 64, 4)] and len(floored) == 4  # 2 cycles of 2
    evaluation = MultiScaleSampler(Source(10), [[330, 40], [100, 70]], first_bs=4, is_training=False)
    assert evaluation.img_batch_pairs == [(330, 40, 4)] and len(evaluation) == 3
    # Not shuffled outside training (only the batch order is), the last batch wrapped around.
    batches = sorted([i for (_, _, i, _) in b] for b in evaluation.epoch_plan())
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]


def test_whole_cycles_and_padding_follow_upstream():
    s = MultiScaleSampler(Source(10), [[64, 16], [64, 32]], first_bs=4, fix_bs=False, seed=3)
    # bs 4 and 2; cycles of 6 samples: 2 cycles -> 4 batches, the last one pure padding.
    assert s.layout == [(64, 16, 4), (64, 32, 2), (64, 16, 4), (64, 32, 2)]
    assert sorted(shapes(s.epoch_plan())) == [(64, 16, 4), (64, 16, 4), (64, 32, 2), (64, 32, 2)]


def test_order_is_a_function_of_seed_and_epoch():
    a = MultiScaleSampler(Source(30), V4_SCALES, first_bs=6, fix_bs=False, seed=7)
    b = MultiScaleSampler(Source(30), V4_SCALES, first_bs=6, fix_bs=False, seed=7)
    assert a.epoch_plan() == b.epoch_plan() == list(a)
    epoch0 = a.epoch_plan()
    a.set_epoch(1)
    assert a.epoch_plan() != epoch0  # upstream repeats the same batches every epoch when seeded
    b.set_epoch(1)
    assert a.epoch_plan() == b.epoch_plan()
    assert MultiScaleSampler(Source(30), V4_SCALES, first_bs=6, fix_bs=False, seed=8).epoch_plan() != epoch0
    assert a.epoch_batches() == [[i for (_, _, i, _) in batch] for batch in a.epoch_plan()]


def test_skip_and_shards():
    s = MultiScaleSampler(Source(30), V4_SCALES, first_bs=6, fix_bs=False, seed=1)
    full = list(s)
    s.set_skip(2)
    assert list(s) == full[2:] and list(s) == full and len(s) == len(full)
    ranks = [MultiScaleSampler(Source(31), V4_SCALES, first_bs=6, fix_bs=False, seed=1, num_replicas=2, rank=r)
             for r in range(2)]
    plans = [r.epoch_plan() for r in ranks]
    assert shapes(plans[0]) == shapes(plans[1])  # every rank trains the same size at each step
    own = [{i for b in p for (_, _, i, _) in b} for p in plans]
    assert not own[0] & own[1] and len(own[0]) == len(own[1]) == 15
    with pytest.raises(ConfigError, match="rank 2 must be < num_replicas 2"):
        MultiScaleSampler(Source(4), V4_SCALES, num_replicas=2, rank=2)
    with pytest.raises(ConfigError, match=r"scales: expected \[w, h\]"):
        MultiScaleSampler(Source(4), [[320, 32, 1]])


def test_ds_width_batches_similar_ratios():
    ratios = [1.0, 9.0, 2.0, 8.0, 3.0, 12.0]
    s = MultiScaleSampler(Source(6, ratios), [[320, 32]], first_bs=2, fix_bs=True, max_w=320.0, seed=0)
    got = sorted((tuple(sorted(i for (_, _, i, _) in b)), b[0][3]) for b in s.epoch_plan())
    # sorted by ratio: (0, 2), (4, 3), (1, 5); ratios 1.5, 5.5 and min(10.5, 320 / 32).
    assert got == [((0, 2), 1.5), ((1, 5), 10.0), ((3, 4), 5.5)]


def config(data_dir, sampler=True, **dataset) -> dict:
    words = data_dir / "real/ic15_words"
    ops = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
           {"RecAug": None},
           {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
           {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}}]
    train = {"dataset": {"name": "MultiScaleDataSet", "data_dir": str(words),
                         "label_file_list": [str(words / "label.txt")], "transforms": ops, **dataset},
             "loader": {"batch_size_per_card": 4, "shuffle": True, "drop_last": True, "num_workers": 0}}
    if sampler:
        train["sampler"] = {"name": "MultiScaleSampler", "scales": [[64, 16], [64, 32]], "first_bs": 4,
                            "fix_bs": False, "divided_factor": [8, 16], "is_training": True}
    return {"Global": {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "use_space_char": True,
                       "max_text_length": 25, "seed": 5},
            "Train": train}


def arrays(batch) -> list[np.ndarray]:
    return [t.numpy() for t in batch]


def test_loader_batches_of_several_shapes_and_exact_resume(data_dir):
    loader = build_dataloader(config(data_dir), "Train")
    assert isinstance(loader.batch_sampler, MultiScaleSampler) and len(loader) == 4
    loader.set_epoch(2)
    full = [arrays(b) for b in loader]
    assert sorted(b[0].shape for b in full) == [(2, 3, 32, 64), (2, 3, 32, 64), (4, 3, 16, 64), (4, 3, 16, 64)]
    for image, ctc, gtc, length, valid_ratio in full:
        assert ctc.shape == gtc.shape == (len(image), 25) and length.shape == valid_ratio.shape == (len(image),)
        assert ((valid_ratio > 0) & (valid_ratio <= 1)).all() and valid_ratio.dtype == np.float32
    n_done = 2
    resumed = build_dataloader(config(data_dir), "Train")
    resumed.set_epoch(2)
    resumed.set_skip(n_done)
    rest = [arrays(b) for b in resumed]
    assert len(rest) == len(full) - n_done
    for x, y in zip(full[n_done:], rest, strict=True):
        assert all(u.shape == v.shape and np.array_equal(u, v) for u, v in zip(x, y, strict=True))


def test_sample_size_comes_from_the_index_and_sampler_only_in_train(data_dir, caplog):
    loader = build_dataloader(config(data_dir), "Train")
    ds = loader.dataset
    assert isinstance(ds, MultiScaleDataSet)
    image, *_ = ds[(64, 32, 0, None)]
    assert image.shape == (3, 32, 64) and image.dtype == np.float32
    with pytest.raises(ConfigError, match="KeepKeys needs \\['valid_ratio'\\]"):
        ds[0]  # a plain index gets no resize (and no valid_ratio): upstream fails there too
    cfg = config(data_dir)
    cfg["Eval"] = {**cfg["Train"], "dataset": {**cfg["Train"]["dataset"], "name": "SimpleDataSet"}}
    cfg["Eval"]["dataset"]["transforms"] = cfg["Eval"]["dataset"]["transforms"][:1] + [
        {"MultiLabelEncode": None}, {"RecResizeImg": {"image_shape": [3, 48, 320]}},
        {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_sar", "length", "valid_ratio"]}}]
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        evaluation = build_dataloader(cfg, "Eval")
    assert "Eval.sampler is ignored" in caplog.text
    assert not isinstance(evaluation.batch_sampler, MultiScaleSampler)


def test_ds_width_label_lines(data_dir, tmp_path):
    words = data_dir / "real/ic15_words"
    lines = (words / "label.txt").read_text().splitlines()
    label = tmp_path / "wh.txt"
    label.write_text("\n".join(f"{ln}\t{30 * (i + 1)}\t30" for i, ln in enumerate(lines[:4])) + "\nbad\tline\n")
    cfg = config(data_dir, ds_width=True, label_file_list=[str(label)])
    cfg["Train"]["sampler"].update(scales=[[64, 32]], first_bs=2, fix_bs=True)
    loader = build_dataloader(cfg, "Train")
    assert loader.dataset.wh_ratio.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert loader.dataset.report.problems == {"ds_width line needs path, label, width, height": 1}
    widths = sorted(arrays(b)[0].shape[3] for b in loader)
    assert widths == [32 * 2, 32 * 4]  # 32 * round(mean ratio): (1, 2) -> 1.5 -> 2, (3, 4) -> 3.5 -> 4


def test_worker_process_gives_the_same_multi_scale_batches(data_dir):
    single = [arrays(b) for b in build_dataloader(config(data_dir), "Train")]
    cfg = config(data_dir)
    cfg["Train"]["loader"]["num_workers"] = 1
    worker = [arrays(b) for b in build_dataloader(cfg, "Train")]
    assert len(single) == len(worker) == 4
    for x, y in zip(single, worker, strict=True):
        assert all(u.shape == v.shape and np.array_equal(u, v) for u, v in zip(x, y, strict=True))
