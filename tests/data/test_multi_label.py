"""SARLabelEncode, NRTRLabelEncode and MultiLabelEncode: upstream's targets, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms, inference_ops
from ppocr.data.imaug.rec_multi_label import MultiLabelEncode, NRTRLabelEncode, SARLabelEncode
from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.errors import ConfigError, DataError


@pytest.fixture
def abc_dict(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    return str(path)


def test_sar_target_layout(abc_dict):
    enc = SARLabelEncode(6, abc_dict)  # classes a b c <UKN>=3 <BOS/EOS>=4 <PAD>=5
    out = enc({"label": "ab"})
    assert out["label"].tolist() == [4, 0, 1, 4, 5, 5] and out["label"].dtype == np.int64
    assert int(out["length"]) == 2 and out["length"].dtype == np.int64
    assert enc({"label": "abca"})["label"].tolist() == [4, 0, 1, 2, 0, 4]  # 4 = max_text_length - 2 fits
    assert (enc.unknown_idx, enc.start_idx, enc.end_idx, enc.padding_idx, enc.num_classes) == (3, 4, 4, 5, 6)


def test_nrtr_target_layout(abc_dict):
    enc = NRTRLabelEncode(6, abc_dict)  # classes blank <unk> <s>=2 </s>=3 a=4 b=5 c=6
    out = enc({"label": "ab"})
    assert out["label"].tolist() == [2, 4, 5, 3, 0, 0] and int(out["length"]) == 2
    assert enc({"label": "cbac"})["label"].tolist() == [2, 6, 5, 4, 6, 3]
    assert enc.num_classes == 7


def test_dictionary_quirks_follow_character_dict(tmp_path):
    dup = tmp_path / "dup.txt"
    dup.write_text("a\nb\na\n", encoding="utf-8")  # 'a' encodes to its last index, 2
    assert SARLabelEncode(5, str(dup))({"label": "a"})["label"].tolist() == [4, 2, 4, 5, 5]
    assert NRTRLabelEncode(5, str(dup))({"label": "ba"})["label"].tolist() == [2, 5, 6, 3, 0]
    spaced = SARLabelEncode(5, str(dup), use_space_char=True)  # ' ' appended: 4 characters
    assert spaced({"label": "a b"})["label"].tolist() == [5, 2, 3, 1, 5]
    default = NRTRLabelEncode(5)  # no dict: 0-9a-z, lowercased
    assert default({"label": "Z9"})["label"].tolist() == [2, 4 + 35, 4 + 9, 3, 0]


def test_texts_must_leave_room_for_start_and_end(abc_dict):
    for enc in (SARLabelEncode(6, abc_dict), NRTRLabelEncode(6, abc_dict)):
        assert enc.check_label("abcab").startswith("text too long for the ")
        assert "max_text_length - 2 = 4" in enc.check_label("abcab")
        assert enc.check_label("abcabcab").startswith("text longer than max_text_length (8 > 6)")
        assert enc.check_label("abd") == "characters outside dictionary: 'd'"
        assert enc.check_label("") == "empty label"
        assert enc.check_label("abca") is None
        with pytest.raises(DataError, match="x.jpg: label 'abcab': text too long"):
            enc({"img_path": "x.jpg", "label": "abcab"})
    with pytest.raises(ConfigError, match="max_text_length must be an integer >= 3"):
        SARLabelEncode(2, abc_dict)


def test_multi_label_encode_keys_and_arrays(abc_dict):
    image = np.zeros((4, 8, 3), np.uint8)
    sar = MultiLabelEncode(6, abc_dict)
    out = sar({"img_path": "p.jpg", "image": image, "label": "cab", "ext_data": [], "other": 1})
    assert list(out) == ["img_path", "image", "label_ctc", "label_sar", "length"]  # a new dict, as upstream
    assert out["image"] is image
    assert out["label_ctc"].tolist() == [3, 1, 2, 0, 0, 0]
    assert out["label_sar"].tolist() == [4, 2, 0, 1, 4, 5]
    assert int(out["length"]) == 3
    nrtr = MultiLabelEncode(6, abc_dict, gtc_encode="NRTRLabelEncode")
    out = nrtr({"image": image, "label": "cab"})
    assert list(out) == ["image", "label_ctc", "label_gtc", "length"]
    assert out["label_gtc"].tolist() == [2, 6, 4, 5, 3, 0]
    assert all(out[k].dtype == np.int64 for k in ("label_ctc", "label_gtc", "length"))
    # CTC alone would take 5 characters; the NRTR target cannot, so the label is refused.
    assert nrtr.check_label("abcab").startswith("text too long for the NRTR target")
    assert nrtr.check_label("abcabca").startswith("text longer than max_text_length (7 > 6)")
    with pytest.raises(ConfigError, match="gtc_encode must be null.*got 'CTCLabelEncode'"):
        MultiLabelEncode(6, abc_dict, gtc_encode="CTCLabelEncode")


def test_global_keys_and_train_only(abc_dict):
    glob = {"max_text_length": 6, "character_dict_path": abc_dict, "use_space_char": False}
    ops = build_transforms([{"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}}, {"SARLabelEncode": None},
                            {"NRTRLabelEncode": {"max_text_length": 9}}], glob)
    assert ops[0].gtc_encode.max_text_len == 6 and ops[1].max_text_len == 6 and ops[2].max_text_len == 9
    eval_ops = [{"DecodeImage": {"img_mode": "BGR"}}, {"MultiLabelEncode": None},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}}, {"KeepKeys": {"keep_keys": ["image"]}}]
    assert inference_ops(eval_ops) == [eval_ops[0], eval_ops[2]]


def test_dataset_checks_labels_at_load_and_feeds_v3_keep_keys(data_dir):
    words = data_dir / "real/ic15_words"
    ops = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
           {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
           {"RecResizeImg": {"image_shape": [3, 48, 320]}},
           {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}}]
    glob = {"character_dict_path": str(data_dir / "dicts/en_dict.txt"), "use_space_char": True,
            "max_text_length": 7}
    ds = SimpleDataSet(str(words), [str(words / "label.txt")], ops, mode="Train", seed=1, global_config=glob)
    # 03/09/2009 and DAVIDSON exceed 7; PACIFIC, Virgin, america and ATTACK exceed 7 - 2 for NRTR.
    assert ds.report.valid == 4 and ds.report.problems == {
        "text longer than max_text_length": 2, "text too long for the NRTR target with start/end tokens": 4}
    image, ctc, gtc, length, valid_ratio = ds[0]
    assert image.shape == (3, 48, 320) and image.dtype == np.float32
    assert ctc.shape == gtc.shape == (7,) and 0 < valid_ratio <= 1
    n = int(length)
    assert gtc[0] == 2 and gtc[n + 1] == 3 and (gtc[n + 2:] == 0).all()
    assert (gtc[1:n + 1] == ctc[:n] + 3).all()  # NRTR class = CTC class - 1 + 4
