"""CTC decoding: repeats, blanks, scores, labels, distillation wrapper."""

import time

import numpy as np
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.postprocess import build_post_process
from ppocr.postprocess.rec_postprocess import CTCLabelDecode, DistillationCTCLabelDecode
from ppocr.registry import POSTPROCESS

# Default dictionary 0-9a-z: class 0 blank, class 1 '0', ..., class 11 'a', class 12 'b'.
A, B, BLANK = 11, 12, 0


def probs_for(path, winners, num_classes=37):
    """[1, T, C] probabilities whose argmax follows ``path`` with the given winning probs."""
    probs = np.full((1, len(path), num_classes), 0.001, dtype=np.float32)
    for t, (c, p) in enumerate(zip(path, winners)):
        probs[0, t, c] = p
    return probs


class FakeTensor:
    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array


def test_merges_repeats_drops_blanks_and_averages_kept_probs():
    path = [A, A, BLANK, A, B, B, BLANK]
    winners = [0.9, 0.8, 0.5, 0.7, 0.6, 0.4, 0.99]
    (text, score), = CTCLabelDecode()(probs_for(path, winners))
    assert text == "aab"
    # kept steps: t0 (a), t3 (a after a blank), t4 (b); repeats t1/t5 and blanks dropped
    assert score == pytest.approx((0.9 + 0.7 + 0.6) / 3, rel=1e-6)
    assert isinstance(score, float)


def test_all_blank_gives_empty_text_with_zero_score():
    out = CTCLabelDecode()(probs_for([BLANK] * 5, [0.9] * 5))
    assert out == [("", 0.0)]


def test_batch_rows_decode_independently_and_tuple_takes_last():
    p1 = probs_for([1, 2, 3], [0.5, 0.5, 0.5])
    p2 = probs_for([BLANK, 36, 36], [0.9, 0.6, 0.8])
    batch = np.concatenate([p1, p2])
    feats = np.zeros((2, 3, 8), np.float32)
    out = CTCLabelDecode()((feats, FakeTensor(batch)))
    assert [t for t, _ in out] == ["012", "z"]
    assert out[1][1] == pytest.approx(0.6)


def test_labels_decode_without_merging_and_drop_padding():
    probs = probs_for([A, B], [0.9, 0.9])
    label = np.array([[A, A, B, 0, 0]], dtype=np.int64)
    preds, labels = CTCLabelDecode()(probs, label)
    assert preds[0][0] == "ab"
    assert labels == [("aab", 1.0)]


def test_dictionary_file_and_space_char_via_global(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("x\ny\n", encoding="utf-8")
    dec = POSTPROCESS.build({"name": "CTCLabelDecode"},
                            global_cfg={"character_dict_path": str(path), "use_space_char": True, "epoch_num": 3})
    assert dec.num_classes == 4  # blank, x, y, space
    (text, _), = dec(probs_for([1, 3, 2], [0.9] * 3, num_classes=4))
    assert text == "x y"


def test_class_count_mismatch_and_bad_inputs_are_data_errors():
    dec = CTCLabelDecode()
    with pytest.raises(DataError, match="38 classes but the dictionary gives 37"):
        dec(np.zeros((1, 4, 38), np.float32))
    with pytest.raises(DataError, match=r"\[N, T, C\]"):
        dec(np.zeros((4, 37), np.float32))
    with pytest.raises(DataError, match="DistillationCTCLabelDecode"):
        dec({"Student": np.zeros((1, 4, 37))})
    with pytest.raises(DataError, match=r"label ids must lie in \[0, 36\]"):
        dec(probs_for([A], [0.9]), np.array([[40]]))


def test_unknown_config_key_is_an_error():
    with pytest.raises(ConfigError, match="use_space"):
        build_post_process({"name": "CTCLabelDecode", "use_spac_char": True})


def test_distillation_decodes_each_model_by_key():
    student = probs_for([A, B], [0.9, 0.8])
    teacher = probs_for([B, A], [0.7, 0.7])
    dec = DistillationCTCLabelDecode(model_name=["Student", "Teacher"], key="head_out")
    out = dec({"Student": {"head_out": student}, "Teacher": {"head_out": teacher}, "Other": {}})
    assert set(out) == {"Student", "Teacher"}
    assert out["Student"][0][0] == "ab" and out["Teacher"][0][0] == "ba"
    with_label = dec({"Student": {"head_out": student}, "Teacher": {"head_out": teacher}},
                     np.array([[A, 0]]))
    assert with_label["Teacher"][1] == [("a", 1.0)]


def test_distillation_multi_head_and_missing_model():
    preds = {"student": {"ctc": probs_for([A], [0.9]), "sar": None}}
    out = DistillationCTCLabelDecode(model_name="student", multi_head=True)(preds)
    assert out["student"] == [("a", pytest.approx(0.9))]
    with pytest.raises(DataError, match="'Teacher' not in the model output"):
        DistillationCTCLabelDecode(model_name=["Teacher"])(preds)


def test_large_batch_is_fast(data_dir):
    rng = np.random.default_rng(0)
    probs = rng.random((64, 80, 6625), dtype=np.float32)
    dec = CTCLabelDecode(character_dict_path=str(data_dir / "dicts" / "ppocr_keys_v1.txt"), use_space_char=True)
    start = time.perf_counter()
    out = dec(probs)
    elapsed = time.perf_counter() - start
    assert len(out) == 64 and all(len(t) > 0 for t, _ in out)
    assert elapsed < 3.0  # ~0.1 s unloaded; a per-step Python loop would take far longer
