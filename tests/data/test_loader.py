"""build_dataloader, EpochBatchSampler (order, skip, shards) and collate."""

from __future__ import annotations

import numpy as np
import pytest

from ppocr.data.loader import EpochBatchSampler, build_dataloader, collate_batch
from ppocr.errors import ConfigError, DataError


def flat(sampler) -> list[int]:
    return [i for batch in sampler for i in batch]


def test_sampler_order_is_a_function_of_seed_and_epoch():
    plain = EpochBatchSampler(10, 4, shuffle=False, drop_last=False)
    assert list(plain) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(plain) == 3
    a = EpochBatchSampler(10, 4, shuffle=True, drop_last=False, seed=3)
    b = EpochBatchSampler(10, 4, shuffle=True, drop_last=False, seed=3)
    assert list(a) == list(b) and sorted(flat(a)) == list(range(10))
    epoch0 = list(a)
    a.set_epoch(1)
    assert list(a) != epoch0
    b.set_epoch(1)
    assert list(a) == list(b)
    dropped = EpochBatchSampler(10, 4, shuffle=False, drop_last=True)
    assert list(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dropped) == 2


def test_sampler_skip_applies_to_the_next_iteration_only():
    s = EpochBatchSampler(10, 3, shuffle=True, drop_last=False, seed=0)
    s.set_epoch(2)
    full = list(s)
    s.set_skip(2)
    assert list(s) == full[2:]
    assert list(s) == full and len(s) == 4
    with pytest.raises(ConfigError, match="non-negative"):
        s.set_skip(-1)


def test_sampler_shards_without_duplicates():
    shards = [EpochBatchSampler(10, 2, shuffle=True, drop_last=False, seed=5, num_replicas=3, rank=r)
              for r in range(3)]
    got = [flat(s) for s in shards]
    assert [len(g) for g in got] == [3, 3, 3] and [len(s) for s in shards] == [2, 2, 2]
    union = [i for g in got for i in g]
    assert len(set(union)) == 9 and set(union) <= set(range(10))
    for s in shards:
        s.set_epoch(1)
    assert len({i for s in shards for i in flat(s)}) == 9
    with pytest.raises(ConfigError, match="rank 3 must be < num_replicas 3"):
        EpochBatchSampler(10, 2, True, False, num_replicas=3, rank=3)
    with pytest.raises(DataError, match="cannot be sharded"):
        EpochBatchSampler(2, 2, True, False, num_replicas=3, rank=0)


def test_collate_stacks_same_shapes_and_lists_ragged():
    batch = [[np.zeros((2, 3), np.float32), np.array(1), np.zeros((1, 4, 2))],
             [np.ones((2, 3), np.float32), np.array(2), np.zeros((3, 4, 2))]]
    images, lengths, polys = collate_batch(batch)
    assert images.shape == (2, 2, 3) and lengths.tolist() == [1, 2]
    assert isinstance(polys, list) and [p.shape for p in polys] == [(1, 4, 2), (3, 4, 2)]


def config(data_dir, loader: dict | None = None, **dataset) -> dict:
    transforms = [
        {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
        {"RecAug": None},
        {"CTCLabelEncode": None},
        {"RecResizeImg": {"image_shape": [3, 32, 100]}},
        {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
    ]
    words = data_dir / "real/ic15_words"
    ds = {"name": "SimpleDataSet", "data_dir": str(words), "label_file_list": [str(words / "label.txt")],
          "transforms": transforms, **dataset}
    return {
        "Global": {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "max_text_length": 25,
                   "use_space_char": False, "seed": 11},
        "Train": {"dataset": ds, "loader": loader or {"batch_size_per_card": 4, "shuffle": True,
                                                      "drop_last": False, "num_workers": 0}},
    }


def test_build_dataloader_batches_and_report(data_dir):
    loader = build_dataloader(config(data_dir), "Train")
    assert loader.dataset.report.valid == 10 and loader.dataset.seed == 11
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    image, label, length = batches[0]
    assert list(image.shape) == [4, 3, 32, 100] and list(label.shape) == [4, 25] and list(length.shape) == [4]
    assert str(label.dtype).endswith("int64")
    assert sorted(int(x) for b in batches for x in b[2].numpy()) == sorted(len(w) for w in [
        "GRAND", "HOTEL", "HOTEL", "PACIFIC", "03/09/2009", "ANING", "Virgin", "america", "ATTACK", "DAVIDSON"])


def test_resume_mid_epoch_replays_the_same_batches(data_dir):
    a = build_dataloader(config(data_dir), "Train")
    a.set_epoch(3)
    full = [[t.numpy() for t in b] for b in a]
    b = build_dataloader(config(data_dir), "Train")
    b.set_epoch(3)
    b.set_skip(1)
    resumed = [[t.numpy() for t in batch] for batch in b]
    assert len(resumed) == 2
    for x, y in zip(full[1:], resumed, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(x, y, strict=True))


def test_worker_process_gives_the_same_batches(data_dir):
    lmdb = {"name": "LMDBDataSet", "data_dir": str(data_dir / "real/ic15_words_lmdb"),
            "transforms": config(data_dir)["Train"]["dataset"]["transforms"]}
    cfg0 = config(data_dir)
    cfg0["Train"]["dataset"] = lmdb
    cfg1 = config(data_dir, loader={"batch_size_per_card": 5, "shuffle": True, "num_workers": 1})
    cfg1["Train"]["dataset"] = lmdb
    cfg0["Train"]["loader"] = {"batch_size_per_card": 5, "shuffle": True}
    single = [[t.numpy() for t in b] for b in build_dataloader(cfg0, "Train")]
    worker = [[t.numpy() for t in b] for b in build_dataloader(cfg1, "Train")]
    assert len(single) == len(worker) == 2
    for x, y in zip(single, worker, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(x, y, strict=True))


def test_loader_config_errors(data_dir):
    with pytest.raises(ConfigError, match="Train.loader: loader has no parameter 'batch_size'"):
        build_dataloader(config(data_dir, loader={"batch_size": 2}), "Train")
    with pytest.raises(ConfigError, match="needs parameter.*batch_size_per_card"):
        build_dataloader(config(data_dir, loader={"shuffle": True}), "Train")
    with pytest.raises(ConfigError, match="num_workers must be an integer >= 0"):
        build_dataloader(config(data_dir, loader={"batch_size_per_card": 2, "num_workers": -1}), "Train")
    cfg = config(data_dir)
    cfg["Train"]["sampler"] = {"name": "MultiScaleSampler"}
    with pytest.raises(ConfigError, match="Train.sampler: sampler 'MultiScaleSampler' needs parameter.*scales"):
        build_dataloader(cfg, "Train")
    cfg["Train"]["sampler"] = {"name": "MultiScaleSampler", "scales": [[64, 32]], "first_bs": 4, "typo": 1}
    with pytest.raises(ConfigError, match="Train.sampler: sampler 'MultiScaleSampler' has no parameter 'typo'"):
        build_dataloader(cfg, "Train")
    cfg["Train"]["sampler"] = {"name": "MultiScaleSamplr"}
    with pytest.raises(ConfigError, match="unknown sampler 'MultiScaleSamplr'.*Did you mean 'MultiScaleSampler'"):
        build_dataloader(cfg, "Train")
    with pytest.raises(ConfigError, match="no 'Eval' section"):
        build_dataloader(config(data_dir), "Eval")
    with pytest.raises(ConfigError, match="unknown dataset 'SimpleDataset'.*Did you mean 'SimpleDataSet'"):
        build_dataloader(config(data_dir, name="SimpleDataset"), "Train")
    with pytest.raises(DataError, match="give no batch of 32 with drop_last"):
        build_dataloader(config(data_dir, loader={"batch_size_per_card": 32, "drop_last": True}), "Train")
