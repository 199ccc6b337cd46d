"""Decoding MultiHead outputs: CTC from the training dict, distillation multi_head, SAR and NRTR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ppocr.data.imaug.rec_multi_label import NRTRLabelEncode, SARLabelEncode
from ppocr.errors import DataError
from ppocr.postprocess.rec_attn_postprocess import DistillationSARLabelDecode, NRTRLabelDecode, SARLabelDecode
from ppocr.postprocess.rec_postprocess import CTCLabelDecode, DistillationCTCLabelDecode


@pytest.fixture
def abc_dict(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    return str(path)


def one_hot(ids, num_classes, p=0.8):
    """[1, T, C] probabilities: ``p`` on each id, the rest spread evenly."""
    out = np.full((1, len(ids), num_classes), (1 - p) / (num_classes - 1), np.float32)
    out[0, np.arange(len(ids)), ids] = p
    return out


def test_ctc_decodes_the_ctc_entry_of_a_training_dict(abc_dict):
    dec = CTCLabelDecode(abc_dict)
    probs = one_hot([1, 1, 0, 2, 3], 4)
    expected = dec(probs)
    assert expected[0][0] == "abc"
    multi = {"ctc": probs, "ctc_neck": np.zeros((1, 5, 8), np.float32), "gtc": np.zeros((1, 5, 7), np.float32)}
    assert dec(multi) == expected
    label = np.array([[1, 2, 3, 0]])
    assert dec(multi, label) == (expected, [("abc", 1.0)])
    with pytest.raises(DataError, match="DistillationCTCLabelDecode"):
        dec({"Student": probs})


def test_distillation_ctc_multi_head(abc_dict):
    probs = one_hot([2, 0, 3], 4)
    preds = {"Student": {"head_out": {"ctc": probs, "gtc": None}, "backbone_out": None},
             "Teacher": {"head_out": {"ctc": one_hot([1], 4)}}}
    dec = DistillationCTCLabelDecode(abc_dict, model_name=["Student", "Teacher"], key="head_out", multi_head=True)
    out = dec(preds)
    assert out["Student"][0][0] == "bc" and out["Teacher"][0][0] == "a"
    assert out["Student"][0][1] == pytest.approx(0.8)
    with_label = dec(preds, np.array([[2, 3]]))
    assert with_label["Student"][1] == [("bc", 1.0)]
    eval_preds = {"Student": {"head_out": probs}}  # MultiHead in eval: the CTC probabilities
    assert DistillationCTCLabelDecode(abc_dict, model_name="Student", key="head_out", multi_head=True)(
        eval_preds)["Student"][0][0] == "bc"
    with pytest.raises(DataError, match="multi_head output of 'Student': 'ctc' not in"):
        dec({"Student": {"head_out": {"sar": probs}}, "Teacher": preds["Teacher"]})


def test_sar_decode_rules(abc_dict):
    dec = SARLabelDecode(abc_dict)  # a b c <UKN>=3 <BOS/EOS>=4 <PAD>=5
    assert dec.classes == ["a", "b", "c", "<UKN>", "<BOS/EOS>", "<PAD>"]
    (text, score), = dec(one_hot([0, 5, 3, 1, 4, 2], 6))
    assert text == "a<UKN>b" and score == pytest.approx(0.8)  # <PAD> skipped, stops at <BOS/EOS>
    (text, score), = dec(one_hot([4, 0], 6))
    assert text == "" and math.isnan(score)  # a prediction's leading end token ends it
    _, labels = dec(one_hot([0], 6), np.array([[4, 0, 1, 4, 5, 5], [4, 4, 5, 5, 5, 5]]))
    assert labels[0] == ("ab", 1.0) and labels[1][0] == "" and math.isnan(labels[1][1])
    assert dec({"sar": one_hot([2, 4], 6)})[0][0] == "c"
    with pytest.raises(DataError, match="predictions have 4 classes but the dictionary gives 6"):
        dec(one_hot([0], 4))
    upper = SARLabelDecode(None, rm_symbol=True)  # 0-9a-z; rm_symbol lowercases and drops symbols
    assert upper.decode(np.array([[10, 11]]))[0][0] == "ab"


def test_nrtr_decode_rules(abc_dict):
    dec = NRTRLabelDecode(abc_dict, use_space_char=False)  # blank <unk> <s> </s> a b c
    assert dec.classes == ["blank", "<unk>", "<s>", "</s>", "a", "b", "c"]
    (text, score), = dec(one_hot([4, 0, 5, 3, 6], 7))
    assert text == "ablankb" and score == pytest.approx(0.8)  # upstream writes special tokens literally
    ids = np.array([[2, 6, 4, 3, 5], [4, 4, 3, 0, 0]])
    probs = np.full(ids.shape, 0.5, np.float32)
    probs[0, 1] = 1.0
    out = dec((ids, probs))  # the first sample starts with <s>: the first column is dropped for all
    assert out[0] == ("ca", pytest.approx(0.75)) and out[1] == ("a", pytest.approx(0.5))
    _, labels = dec(one_hot([4], 7), np.array([[2, 4, 5, 3, 0, 0]]))
    assert labels == [("ab", 1.0)]
    assert dec({"gtc": one_hot([6, 3], 7)})[0][0] == "c"
    assert len(NRTRLabelDecode(abc_dict).classes) == 8  # upstream's default use_space_char=True


def test_encoders_and_decoders_agree(abc_dict):
    texts = ["a", "cab", "bbca"]
    sar_enc, sar_dec = SARLabelEncode(6, abc_dict), SARLabelDecode(abc_dict)
    nrtr_enc, nrtr_dec = NRTRLabelEncode(6, abc_dict), NRTRLabelDecode(abc_dict, use_space_char=False)
    sar = np.stack([sar_enc({"label": t})["label"] for t in texts])
    nrtr = np.stack([nrtr_enc({"label": t})["label"] for t in texts])
    assert [t for t, _ in sar_dec(one_hot([0], 6), sar)[1]] == texts
    assert [t for t, _ in nrtr_dec(one_hot([4], 7), nrtr)[1]] == texts
    assert sar_enc.num_classes == len(sar_dec.classes) and nrtr_enc.num_classes == len(nrtr_dec.classes)


def test_distillation_sar_multi_head(abc_dict):
    dec = DistillationSARLabelDecode(abc_dict, model_name=["Student"], key="head_out", multi_head=True)
    out = dec({"Student": {"head_out": {"ctc": one_hot([1], 4), "sar": one_hot([1, 4], 6)}}})
    assert out["Student"][0][0] == "b"
