"""SimpleDataSet / LMDBDataSet: load-time checks, reports, ratio subsets, determinism."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from ppocr.data.data_report import DataReport, reason_key
from ppocr.data.lmdb_dataset import LMDBDataSet, find_lmdb_dirs
from ppocr.data.simple_dataset import MAX_ATTEMPTS, SimpleDataSet
from ppocr.errors import ConfigError, DataError
from ppocr.registry import TRANSFORMS

WORDS = ["GRAND", "HOTEL", "HOTEL", "PACIFIC", "03/09/2009", "ANING", "Virgin", "america", "ATTACK", "DAVIDSON"]


def ctc_transforms(aug: bool = True, max_len: int = 25) -> list:
    ops = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}]
    if aug:
        ops.append({"RecAug": None})
    return ops + [
        {"CTCLabelEncode": {"max_text_length": max_len}},
        {"RecResizeImg": {"image_shape": [3, 32, 100]}},
        {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
    ]


RAW = [{"DecodeImage": {"img_mode": "BGR"}}, {"KeepKeys": {"keep_keys": ["image", "label"]}}]


@pytest.fixture(scope="module")
def glob(data_dir) -> dict:
    return {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "use_space_char": False}


@pytest.fixture(scope="module")
def words(data_dir) -> Path:
    return data_dir / "real/ic15_words"


def simple(words: Path, label_files, transforms=None, glob=None, **kw) -> SimpleDataSet:
    files = [str(p) for p in label_files] if isinstance(label_files, list) else str(label_files)
    return SimpleDataSet(data_dir=str(words), label_file_list=files, transforms=transforms or RAW,
                         global_config=glob, **kw)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_label_file_and_lmdb_give_the_same_samples(words, data_dir):
    a = simple(words, words / "label.txt", mode="Eval")
    b = LMDBDataSet(data_dir=str(data_dir / "real/ic15_words_lmdb"), transforms=RAW, mode="Eval")
    assert len(a) == len(b) == 10
    assert a.report.valid == b.report.valid == 10 and not a.report.problems and not b.report.problems
    for i in range(10):
        (img_a, label_a), (img_b, label_b) = a[i], b[i]
        assert label_a == label_b == WORDS[i]
        assert img_a.shape[2] == 3 and np.array_equal(img_a, img_b)


def test_ctc_pipeline_sample(words, glob):
    ds = simple(words, words / "label.txt", ctc_transforms(), glob, seed=0)
    image, label, length = ds[0]
    assert image.shape == (3, 32, 100) and image.dtype == np.float32
    assert label.shape == (25,) and int(length) == 5
    en = ds.ops[2].char_dict
    assert label[:5].tolist() == [en.index[c] + 1 for c in "GRAND"]


def test_problems_are_counted_with_file_and_line(tmp_path, words, glob, data_dir):
    shutil.copy(data_dir / "real/broken/broken.jpg", tmp_path / "broken.jpg")
    good = words / "imgs/1223731.jpg"
    label_file = write(tmp_path / "train.txt", [
        f"{good}\tGRAND",                   # 1 ok (absolute path: os.path.join keeps it)
        "imgs/missing.jpg\tHOTEL",          # 2 missing image
        "imgs/1223733.jpg HOTEL",           # 3 no tab
        "imgs/1223732.jpg\t",               # 4 empty label
        "imgs/1223729.jpg\tPACIFIC€",       # 5 char outside dict
        f"imgs/1036169.jpg\t{'a' * 30}",    # 6 too long
        f"{tmp_path / 'broken.jpg'}\tbroken",  # 7 unreadable
        "",                                 # 8 blank: a note, not a sample
        "imgs/1190237.jpg\tANING\tEXTRA",   # 9 tab in label -> kept in label -> not in dict
    ])
    ds = simple(words, label_file, ctc_transforms(aug=False), glob)
    r = ds.report
    assert (r.total, r.valid, len(ds), r.unscorable) == (8, 1, 1, 0)
    assert r.problems == {
        "image file not found": 1, "line without delimiter '\\t'": 1, "empty label": 1,
        "characters outside dictionary": 2, "text longer than max_text_length": 1, "unreadable image": 1,
    }
    assert r.notes == {"blank line skipped": 1}
    ex = r.examples["problems"]
    assert ex["image file not found"] == [f"{label_file}:2 (image file not found: {words / 'imgs/missing.jpg'})"]
    assert ex["line without delimiter '\\t'"] == [f"{label_file}:3"]
    assert ex["empty label"] == [f"{label_file}:4"]
    assert ex["characters outside dictionary"] == [f"{label_file}:5 (characters outside dictionary: '€')",
                                                   f"{label_file}:9 (characters outside dictionary: '\\t')"]
    assert ex["text longer than max_text_length"] == [f"{label_file}:6 (text longer than max_text_length (30 > 25))"]
    assert ex["unreadable image"][0].startswith(f"{label_file}:7 (unreadable image: ")
    text = r.summary("Train")
    assert "1 valid of 8 samples" in text and f"{label_file}:5" in text


def test_first_delimiter_split_bom_crlf_and_custom_delimiter(tmp_path, words, data_dir):
    glob = {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "use_space_char": True}
    lf = tmp_path / "l.txt"
    lf.write_bytes("\ufeffimgs/1223731.jpg GRAND HOTEL\r\nimgs/1223733.jpg HOTEL\r\n".encode())
    ds = simple(words, lf, [RAW[0], {"CTCLabelEncode": {"max_text_length": 25}}, RAW[1]], glob, delimiter=" ",
                mode="Eval")
    assert ds.report.valid == 2
    labels = [ds[i][1] for i in range(2)]
    assert [int((lab > 0).sum()) for lab in labels] == [11, 5]  # "GRAND HOTEL" kept whole, BOM/CR gone
    assert labels[0][5] == ds.ops[1].char_dict.index[" "] + 1


def test_bad_utf8_line_is_reported(tmp_path, words):
    lf = tmp_path / "l.txt"
    lf.write_bytes(b"imgs/1223731.jpg\tGRAND\nimgs/1223733.jpg\t\xff\xfe\n")
    ds = simple(words, lf)
    assert ds.report.problems == {"line is not UTF-8": 1}
    assert ds.report.examples["problems"]["line is not UTF-8"][0].startswith(f"{lf}:2 (")


def test_eval_counts_unencodable_labels_as_unscorable(tmp_path, words, glob):
    lf = write(tmp_path / "eval.txt", ["imgs/1223731.jpg\tGRAND", "imgs/1223733.jpg\tHOTEL€",
                                       "imgs/1223732.jpg\t", "imgs/nope.jpg\tX"])
    ds = simple(words, lf, ctc_transforms(aug=False), glob, mode="Eval")
    assert (ds.report.valid, ds.report.unscorable, ds.report.dropped) == (1, 2, 3)
    assert "unscorable (counted as errors in eval): 2" in ds.report.summary("Eval")
    train = simple(words, lf, ctc_transforms(aug=False), glob, mode="Train")
    assert train.report.unscorable == 0


def test_zero_valid_empty_file_and_missing_inputs_are_errors(tmp_path, words, glob):
    with pytest.raises(DataError, match=r"(?s)no usable samples.*image file not found: 1"):
        simple(words, write(tmp_path / "bad.txt", ["imgs/nope.jpg\tA"]))
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataError, match="no samples in .*empty.txt"):
        simple(words, tmp_path / "empty.txt")
    with pytest.raises(DataError, match="label file not found"):
        simple(words, tmp_path / "absent.txt")
    with pytest.raises(DataError, match="character dict file not found"):
        simple(words, words / "label.txt", ctc_transforms(), {"character_dict_path": str(tmp_path / "no.txt")})
    with pytest.raises(ConfigError, match="check_images"):
        simple(words, words / "label.txt", check_images="some")


def test_check_images_full_and_none(tmp_path, words, data_dir):
    shutil.copy(data_dir / "real/broken/broken.jpg", tmp_path / "b.jpg")
    lf = write(tmp_path / "l.txt", [f"{tmp_path / 'b.jpg'}\tx", "imgs/1223731.jpg\tGRAND"])
    assert simple(words, lf, check_images="full").report.problems == {"unreadable image": 1}
    assert simple(words, lf, check_images="none").report.valid == 2


def test_lmdb_tree_broken_sample_and_errors(data_dir, tmp_path):
    real = data_dir / "real"
    assert [Path(p).name for p in find_lmdb_dirs(str(real))] == ["broken.lmdb", "ic15_words_lmdb"]
    ds = LMDBDataSet(data_dir=str(real), transforms=RAW, mode="Eval")
    assert (ds.report.total, ds.report.valid) == (11, 10)
    broken = str(real / "broken/broken.lmdb")
    assert ds.report.problems == {"undecodable image bytes": 1}
    assert ds.report.examples["problems"]["undecodable image bytes"] == [f"{broken}:1"]
    with pytest.raises(DataError, match="(?s)no usable samples.*undecodable image bytes: 1"):
        LMDBDataSet(data_dir=str(real / "broken"), transforms=RAW)
    with pytest.raises(DataError, match="no LMDB"):
        LMDBDataSet(data_dir=str(tmp_path), transforms=RAW)
    with pytest.raises(ConfigError, match="ratio_list has 1 values but there are 2"):
        LMDBDataSet(data_dir=str(real), transforms=RAW, ratio_list=[0.5])


def test_lmdb_label_checks_and_eval_unscorable(data_dir):
    ds = LMDBDataSet(data_dir=str(data_dir / "real/ic15_words_lmdb"), mode="Eval",
                     transforms=[RAW[0], {"CTCLabelEncode": {"max_text_length": 6}}, RAW[1]])
    # default dict lowercases; '03/09/2009' has '/' and is longer than 6; 'DAVIDSON', 'PACIFIC', 'america' too long
    assert ds.report.problems == {"characters outside dictionary": 1, "text longer than max_text_length": 3}
    assert ds.report.unscorable == 4 and ds.report.valid == 6


def test_ratio_list_subsets_per_epoch(words):
    a = simple(words, [words / "label.txt", words / "label.txt"], ratio_list=[0.5, 1.0], seed=1)
    assert len(a) == 15 and a.need_reset
    first = a._index.copy()
    a.set_epoch(1)
    assert len(a) == 15 and not np.array_equal(first, a._index)
    b = simple(words, [words / "label.txt", words / "label.txt"], ratio_list=[0.5, 1.0], seed=1)
    assert np.array_equal(first, b._index)
    assert simple(words, words / "label.txt", ratio_list=0.3).__len__() == 3
    with pytest.raises(ConfigError, match="ratio_list values must be in"):
        simple(words, words / "label.txt", ratio_list=[1.5])


def test_augmentation_is_a_function_of_seed_epoch_index(words, glob):
    a = simple(words, words / "label.txt", ctc_transforms(), glob, seed=7)
    b = simple(words, words / "label.txt", ctc_transforms(), glob, seed=7)
    b[3]  # other samples in between must not change what index 2 gets
    assert np.array_equal(a[2][0], b[2][0])
    a.set_epoch(4)
    b.set_epoch(4)
    epoch4 = [a[i][0] for i in range(10)]
    assert all(np.array_equal(x, b[i][0]) for i, x in enumerate(epoch4))
    a.set_epoch(5)
    assert any(not np.array_equal(x, a[i][0]) for i, x in enumerate(epoch4))


def test_mid_epoch_failure_uses_another_sample_then_errors(tmp_path, words):
    for name in ("1223731.jpg", "1223733.jpg"):
        shutil.copy(words / "imgs" / name, tmp_path / name)
    lf = write(tmp_path / "l.txt", ["1223731.jpg\tGRAND", "1223733.jpg\tHOTEL"])
    ds = SimpleDataSet(data_dir=str(tmp_path), label_file_list=[str(lf)], transforms=RAW, mode="Eval")
    (tmp_path / "1223731.jpg").write_bytes(b"not an image")
    _, label = ds[0]
    assert label == "HOTEL"  # eval moves on to the next sample, as upstream
    assert ds.report.runtime == {"image bytes cannot be decoded": 1}
    assert ds.report.examples["runtime"]["image bytes cannot be decoded"] == [
        f"{tmp_path / '1223731.jpg'} (image bytes cannot be decoded (12 bytes))"]
    (tmp_path / "1223733.jpg").unlink()
    with pytest.raises(DataError, match=f"{MAX_ATTEMPTS} samples in a row"):
        ds[0]
    assert ds.report.runtime["cannot read image"] >= 1


@TRANSFORMS.register("ExtDataProbeForTests")
class ExtDataProbe:
    """Test op: asks for 2 extra samples and records what it got."""

    ext_data_num = 2

    def __init__(self) -> None:
        pass

    def __call__(self, data):
        data["n_ext"] = np.array([len(data["ext_data"])] + [d["image"].ndim for d in data["ext_data"]])
        return data


def test_ext_data_for_ops_that_ask(words):
    ops = [RAW[0], {"ExtDataProbeForTests": None}, {"KeepKeys": {"keep_keys": ["n_ext"]}}]
    ds = simple(words, words / "label.txt", ops, seed=0, ext_op_transform_idx=1)
    assert ds.ext_data_num == 2
    assert ds[0][0].tolist() == [2, 3, 3]  # two extra samples, decoded by the first op
    with pytest.raises(ConfigError, match="ext_op_transform_idx"):
        simple(words, words / "label.txt", ops, ext_op_transform_idx=9)


def test_unknown_dataset_key_is_a_config_error(words):
    from ppocr.registry import DATASETS

    with pytest.raises(ConfigError, match="no parameter 'label_files'"):
        DATASETS.build({"name": "SimpleDataSet", "data_dir": str(words), "label_files": [], "transforms": RAW})


def test_data_report_unit():
    assert reason_key("characters outside dictionary: 'x'") == "characters outside dictionary"
    assert reason_key("text longer than max_text_length (30 > 25)") == "text longer than max_text_length"
    r = DataReport("f.txt", max_examples=2)
    for line in range(1, 5):
        r.total += 1
        r.add_problem("empty label", f"f.txt:{line}", unscorable=True)
    assert r.problems == {"empty label": 4} and r.examples["problems"]["empty label"] == ["f.txt:1", "f.txt:2"]
    assert r.unscorable == 4
    with pytest.raises(DataError, match=r"(?s)no usable samples.*empty label: 4 \(e.g. f.txt:1, f.txt:2\)"):
        r.check_usable()
    assert r.add_runtime("x", "a.jpg") and not r.add_runtime("x", "a.jpg")


def test_augmentation_stays_deterministic_while_another_loader_thread_draws(words, glob):
    """Paddle's loader prefetches in a thread even with num_workers=0; draws must not interleave."""
    import threading

    a = simple(words, words / "label.txt", ctc_transforms(), glob, seed=7)
    busy = simple(words, words / "label.txt", ctc_transforms(), glob, seed=99)
    reference = [a[i][0] for i in range(len(a))]
    stop = threading.Event()

    def hammer():
        i = 0
        while not stop.is_set():
            busy[i % len(busy)]
            i += 1

    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()
    try:
        for _ in range(3):
            assert all(np.array_equal(a[i][0], ref) for i, ref in enumerate(reference))
    finally:
        stop.set()
        thread.join()


# ---------------------------------------------------------------- LMDBs that lie or are not LMDBs
def make_lmdb(path: Path, records: dict[int, tuple[bytes | None, bytes | None]], num_samples: bytes | None) -> str:
    """An LMDB at ``path`` holding ``{i: (image, label)}`` (None: key absent) and ``num-samples``."""
    import lmdb

    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=1 << 22)
    with env.begin(write=True) as txn:
        if num_samples is not None:
            txn.put(b"num-samples", num_samples)
        for i, (image, label) in records.items():
            if image is not None:
                txn.put(b"image-%09d" % i, image)
            if label is not None:
                txn.put(b"label-%09d" % i, label)
    env.close()
    return str(path)


@pytest.fixture(scope="module")
def png_bytes() -> bytes:
    import cv2

    return cv2.imencode(".png", np.full((8, 16, 3), 200, np.uint8))[1].tobytes()


def test_lmdb_absurd_num_samples_is_refused_at_once(tmp_path, png_bytes):
    import resource
    import time

    path = make_lmdb(tmp_path / "liar", {1: (png_bytes, b"a"), 2: (png_bytes, b"b")}, b"3000000000")
    rss, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    with pytest.raises(DataError) as info:
        LMDBDataSet(data_dir=path, transforms=RAW)
    assert str(info.value) == (f"{path}: 'num-samples' claims 3,000,000,000 samples but the LMDB holds only 5 keys "
                               "(each sample needs an image- and a label- key); the LMDB header is wrong")
    assert time.perf_counter() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 50_000  # KiB


def test_lmdb_missing_keys_count_under_one_reason(tmp_path, png_bytes):
    records = {1: (png_bytes, b"a"), 2: (None, b"b"), 4: (png_bytes, b"d"), 5: (png_bytes, None)}
    path = make_lmdb(tmp_path / "gaps", records, b"6")  # 7 keys: records 3 and 6 are absent
    for check in ("header", "none"):
        ds = LMDBDataSet(data_dir=path, transforms=RAW, check_images=check)
        assert (ds.report.total, ds.report.valid) == (6, 2)
        assert ds.report.problems == {"missing key": 4}
        assert ds.report.examples["problems"]["missing key"] == [
            f"{path}:2 (missing key: image-000000002)", f"{path}:3 (missing key: label-000000003)",
            f"{path}:5 (missing key: label-000000005)"]


@pytest.mark.parametrize("raw,expected", [
    (b"two", "'num-samples' must be a non-negative integer, got b'two'"),
    (b"-1", "'num-samples' must be a non-negative integer, got b'-1'"),
    (b"\xff\xfe", "'num-samples' must be a non-negative integer, got b'\\xff\\xfe'"),
    (None, "no 'num-samples' key (expected an LMDB in the PaddleOCR layout"),
])
def test_lmdb_bad_num_samples(tmp_path, png_bytes, raw, expected):
    path = make_lmdb(tmp_path / "bad", {1: (png_bytes, b"a")}, raw)
    with pytest.raises(DataError) as info:
        LMDBDataSet(data_dir=path, transforms=RAW)
    assert str(info.value).startswith(f"{path}: {expected}")


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, bytes(range(256)) * 400])
def test_lmdb_garbage_data_mdb_is_a_data_error(tmp_path, content):
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "data.mdb").write_bytes(content)
    with pytest.raises(DataError, match=rf"^{re.escape(str(folder))}: not a readable LMDB \(.+\); expected a "
                                        "data.mdb written by the lmdb library$"):
        LMDBDataSet(data_dir=str(folder), transforms=RAW)


def test_check_images_full_does_not_decode_a_huge_image(tmp_path, words, monkeypatch):
    """A valid 12000x12000 PNG is left to DecodeImage's limit at sample time, not decoded at load."""
    from ppocr.data import simple_dataset
    from tests.helpers.images import png_bytes

    (tmp_path / "big.png").write_bytes(png_bytes(12000, 12000, full=True))
    lf = write(tmp_path / "l.txt", [f"{tmp_path / 'big.png'}\tx", "imgs/1223731.jpg\tGRAND"])
    decoded = []
    real = simple_dataset.cv2.imdecode
    monkeypatch.setattr(simple_dataset.cv2, "imdecode", lambda buf, flag: decoded.append(buf.size) or real(buf, flag))
    assert simple(words, lf, check_images="full").report.valid == 2
    assert len(decoded) == 1  # only the small real word was decoded
