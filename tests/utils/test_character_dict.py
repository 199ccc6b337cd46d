"""CharacterDict follows upstream's dictionary layout: duplicates kept, the later index encodes.

Upstream (PaddleOCR release/2.x ``BaseRecLabelEncode``/``BaseRecLabelDecode``) appends ' '
to the file's lines when ``use_space_char`` is set, even when the file has a space line
(en_dict.txt line 95), and maps each character to its LAST index. Official en models are
sized for that: blank + 95 + space = 97 classes.
"""

import hashlib

import numpy as np
import pytest

from ppocr.data.imaug.label_ops import CTCLabelEncode
from ppocr.errors import DataError
from ppocr.modeling.architectures import resolve_architecture
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.utils.character_dict import CharacterDict


def one_hot(ids: list[int], num_classes: int) -> np.ndarray:
    probs = np.full((1, len(ids), num_classes), 0.001, dtype=np.float32)
    probs[0, np.arange(len(ids)), ids] = 0.9
    return probs


def test_en_dict_with_space_has_97_classes_and_encodes_space_last(data_dir):
    path = str(data_dir / "dicts" / "en_dict.txt")
    chars = CharacterDict(path, use_space_char=True)
    assert len(chars) == 96 and chars.ctc_num_classes == 97
    assert chars.characters[94] == " " and chars.characters[95] == " "  # the file's line 95, then the appended one
    assert chars.index[" "] == 95 and chars.encode(" a") == [95, chars.characters.index("a")]
    enc = CTCLabelEncode(max_text_length=5, character_dict_path=path, use_space_char=True)
    assert enc.num_classes == 97 and enc.encode(" ") == [96]
    sample = enc({"label": "a b"})
    assert sample["label"].tolist() == [chars.index["a"] + 1, 96, chars.index["b"] + 1, 0, 0]
    assert sample["label_ace"].shape == (97,) and sample["label_ace"][96] == 1


def test_en_dict_space_classes_both_decode_to_space(data_dir):
    dec = CTCLabelDecode(str(data_dir / "dicts" / "en_dict.txt"), use_space_char=True)
    assert dec.num_classes == 97
    a = dec.char_dict.index["a"] + 1
    assert dec(one_hot([95], 97))[0][0] == " "
    assert dec(one_hot([96], 97))[0][0] == " "
    # different class ids are not merged as repeats, equal ones are
    assert dec(one_hot([a, 95, 96, a], 97))[0][0] == "a  a"
    assert dec(one_hot([a, 96, 96, a], 97))[0][0] == "a a"
    assert dec.decode_labels(np.array([[a, 95, 96, 0]]))[0][0] == "a  "
    with pytest.raises(DataError, match="96 classes but the dictionary gives 97"):
        dec(one_hot([1], 96))


def test_en_dict_without_space_keeps_its_own_space(data_dir):
    chars = CharacterDict(str(data_dir / "dicts" / "en_dict.txt"))
    assert chars.ctc_num_classes == 96 and chars.index[" "] == 94


def test_ch_keys_with_space_unchanged(data_dir):
    path = str(data_dir / "dicts" / "ppocr_keys_v1.txt")
    chars = CharacterDict(path, use_space_char=True)
    assert chars.ctc_num_classes == 6625 and chars.characters.count(" ") == 1 and chars.index[" "] == 6623
    assert CTCLabelEncode(max_text_length=5, character_dict_path=path, use_space_char=True).encode(" ") == [6624]


def test_other_duplicate_lines_add_classes_and_the_later_one_encodes(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a\nb\na\n", encoding="utf-8")
    chars = CharacterDict(str(path))
    assert chars.characters == ["a", "b", "a"] and chars.ctc_num_classes == 4
    assert chars.encode("ab") == [2, 1]
    dec = CTCLabelDecode.from_character_dict(chars)
    assert dec(one_hot([1, 0, 3], 4))[0][0] == "aa"


def test_default_dict_ignores_use_space_char_like_upstream():
    chars = CharacterDict(None, use_space_char=True)
    assert chars.ctc_num_classes == 37 and chars.unknown_chars("a b") == [" "]
    assert chars.digest() == CharacterDict().digest()
    assert CTCLabelDecode(None, use_space_char=True).num_classes == 37


@pytest.mark.parametrize("name, space, digest", [
    (None, False, "e21416bd1486abf6"),
    ("ic15_dict.txt", False, "e21416bd1486abf6"),
    ("en_dict.txt", False, "6ea60ebdc81198a5"),
    ("ppocr_keys_v1.txt", False, "28b2362ad4ab2dc3"),
    ("ppocr_keys_v1.txt", True, "09217ea91d20d3c4"),
])
def test_digest_of_dicts_without_duplicates_is_stable(data_dir, name, space, digest):
    # values recorded before duplicates were kept; exported models and center files carry them
    path = None if name is None else str(data_dir / "dicts" / name)
    assert CharacterDict(path, use_space_char=space).digest() == digest


def test_digest_counts_the_second_space(data_dir):
    chars = CharacterDict(str(data_dir / "dicts" / "en_dict.txt"), use_space_char=True)
    expected = hashlib.sha256("\n".join(chars.characters).encode()).hexdigest()[:16]
    assert chars.digest() == expected != CharacterDict(str(data_dir / "dicts" / "en_dict.txt")).digest()


def test_lines_split_on_newline_only(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes("a\r\n\x0c\n\u2028\nb".encode())  # CRLF, form feed and U+2028 lines, no final newline
    assert CharacterDict(str(path)).characters == ["a", "\x0c", "\u2028", "b"]


def test_bad_dict_files_name_the_line(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a\n\nb\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"d.txt:2: empty line"):
        CharacterDict(str(path))
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="dictionary is empty"):
        CharacterDict(str(path))
    path.write_bytes(b"a\n\xff\n")
    with pytest.raises(DataError, match="not UTF-8"):
        CharacterDict(str(path))


def test_from_characters_keeps_duplicates(data_dir):
    chars = CharacterDict(str(data_dir / "dicts" / "en_dict.txt"), use_space_char=True)
    again = CharacterDict.from_characters(chars.characters)
    assert again.ctc_num_classes == 97 and again.index[" "] == 95 and again.digest() == chars.digest()
    with pytest.raises(DataError, match="non-empty strings"):
        CharacterDict.from_characters(["a", ""])


def test_head_width_follows_the_dict(data_dir):
    arch = {"model_type": "rec", "algorithm": "CRNN", "Transform": None,
            "Backbone": {"name": "MobileNetV3"}, "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn"},
            "Head": {"name": "CTCHead"}}
    for name, space, width in (("en_dict.txt", True, 97), ("en_dict.txt", False, 96),
                               ("ppocr_keys_v1.txt", True, 6625)):
        cfg = {"Global": {"character_dict_path": str(data_dir / "dicts" / name), "use_space_char": space},
               "Architecture": arch}
        assert resolve_architecture(cfg)["Head"]["out_channels"] == width
