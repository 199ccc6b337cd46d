"""Bad inference inputs get one-line typed errors: image bombs, folders named x.jpg, corrupt models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ppocr.data.imaug.operators import DecodeImage
from ppocr.errors import ConfigError, DataError
from ppocr.inference.cli import read_all
from ppocr.inference.images import list_images, read_image
from ppocr.inference.predictor import Predictor, check_program_desc
from ppocr.utils.logging import get_logger
from tests.helpers.images import png_bytes
from tests.helpers.tiny_models import export_tiny


def test_huge_png_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(20000, 20000))
    with pytest.raises(DataError) as info:
        read_image(str(path))
    assert str(info.value) == f"{path}: 20000x20000 exceeds max_pixels=64000000 (read from the header; not decoded)"
    with pytest.raises(DataError, match=r"bomb\.png: image is 20000x20000 pixels, more than "
                                        r"DecodeImage\.max_pixels=100000000"):
        DecodeImage(img_mode="BGR")({"image": path.read_bytes(), "img_path": str(path)})


def test_huge_png_is_not_decoded(tmp_path):
    """A valid 12000x12000 PNG (144 MB of pixels, 3x that as BGR) must not raise peak RSS."""
    path = tmp_path / "big.png"
    path.write_bytes(png_bytes(12000, 12000, full=True))
    code = ("import resource, sys\nfrom ppocr.inference.images import read_image\nfrom ppocr.errors import DataError\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "try:\n    read_image(sys.argv[1])\nexcept DataError as exc:\n    print(exc)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                         check=True).stdout.splitlines()
    assert out[0] == f"{path}: 12000x12000 exceeds max_pixels=64000000 (read from the header; not decoded)"
    assert int(out[1]) < 50_000  # KiB; decoding would add ~144 MB


def test_folder_named_like_an_image_is_skipped_and_counted(tmp_path):
    (tmp_path / "x.jpg").mkdir()
    bad = tmp_path / "y.png"
    bad.write_bytes(b"not an image")
    import cv2

    cv2.imwrite(str(tmp_path / "z.png"), np.full((5, 6, 3), 9, np.uint8))
    paths = list_images(str(tmp_path))
    assert [Path(p).name for p in paths] == ["x.jpg", "y.png", "z.png"]
    images, failed = read_all(paths, get_logger())
    assert [Path(p).name for p, _ in images] == ["z.png"] and images[0][1].shape == (5, 6, 3)
    assert failed == [f"{tmp_path / 'x.jpg'}: is a directory, not an image", f"{bad}: cannot decode image"]


@pytest.fixture(scope="module")
def cls_model(tmp_path_factory) -> str:
    return export_tiny("cls", str(tmp_path_factory.mktemp("export")))[2]


def corrupt_copy(src: str, dst: Path, name: str, content: bytes | None = None, keep: float | None = None) -> str:
    """A copy of the model dir ``src`` with file ``name`` replaced by ``content`` or cut to ``keep`` of its size."""
    dst.mkdir()
    for entry in os.listdir(src):
        (dst / entry).write_bytes((Path(src) / entry).read_bytes())
    target = dst / name
    if keep is not None:
        content = target.read_bytes()[: int(target.stat().st_size * keep)]
    target.write_bytes(content or b"")
    return str(dst)


@pytest.mark.parametrize("name,content,keep,expected", [
    ("inference.pdiparams", None, 0.5, r"inference\.pdiparams: not the weights of a Paddle inference model "
                                       r"\(\(Unavailable\) Cannot read tensor desc size\); re-export it"),
    ("inference.pdiparams", bytes(range(256)) * 20, None, r"inference\.pdiparams: not the weights of a Paddle "
                                                          r"inference model \(.*Deserialize to tensor failed"),
    ("inference.json", b"{not json", None, r"inference\.json: not a Paddle inference model \(\[json\.exception"),
    ("inference.json", None, 0.5, r"inference\.json: not a Paddle inference model \(\[json\.exception"),
    ("inference.json", b'{"a": 1}', None, r"inference\.json: not a Paddle inference model \(\(InvalidArgument\) "
                                          r"Invalid model file\.\); re-export it with tools/export_model\.py$"),
])
def test_corrupt_model_files_name_the_file(cls_model, tmp_path, name, content, keep, expected):
    model_dir = corrupt_copy(cls_model, tmp_path / "m", name, content, keep)
    for mkldnn in (True, False):
        with pytest.raises(ConfigError, match=expected) as info:
            Predictor(model_dir, enable_mkldnn=mkldnn)
        assert "\n" not in str(info.value) and str(info.value).startswith(os.path.join(model_dir, name))


def test_params_of_another_model_are_a_mismatch(cls_model, tmp_path):
    other = export_tiny("rec", str(tmp_path / "rec"))[2]
    model_dir = corrupt_copy(cls_model, tmp_path / "m", "inference.pdiparams",
                             (Path(other) / "inference.pdiparams").read_bytes())
    with pytest.raises(ConfigError, match=r"inference\.pdiparams: weights do not match inference\.json \("):
        Predictor(model_dir)


def test_corrupt_pdmodel_is_refused_before_paddle_reads_it(tmp_path):
    """Paddle's loader segfaults on some non-protobuf .pdmodel bytes: the check must come first."""
    from paddle.base.proto.framework_pb2 import ProgramDesc

    program = ProgramDesc()
    block = program.blocks.add()
    block.idx, block.parent_idx = 0, -1
    block.ops.add().type = "scale"
    whole = program.SerializeToString()
    path = tmp_path / "inference.pdmodel"
    path.write_bytes(whole)
    check_program_desc(str(path))  # a parsable program with an operator passes
    for content, why in [(whole[:-3], "does not parse: truncated or corrupt"), (b"\xff" * 300, "does not parse"),
                         (b"", "the program has no operators")]:
        path.write_bytes(content)
        with pytest.raises(ConfigError, match=rf"inference\.pdmodel: not a Paddle inference model \(.*{why}"):
            check_program_desc(str(path))
    (tmp_path / "inference.pdiparams").write_bytes(b"")
    path.write_bytes(os.urandom(300))  # what crashed Paddle 3.3 with SIGSEGV
    with pytest.raises(ConfigError, match=r"inference\.pdmodel: not a Paddle inference model"):
        Predictor(str(tmp_path))


@pytest.mark.parametrize("kind", ["rec", "det", "cls"])
def test_missing_model_dir_says_so(tmp_path, kind):
    from ppocr.inference.cls import TextClassifier
    from ppocr.inference.det import TextDetector
    from ppocr.inference.rec import TextRecognizer

    build = {"rec": TextRecognizer, "det": TextDetector, "cls": TextClassifier}[kind]
    missing = str(tmp_path / "MISSING_DIR")
    with pytest.raises(ConfigError) as info:
        build(missing)
    assert str(info.value) == f"model dir not found: {missing}"
