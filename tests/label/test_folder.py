"""Real folders: EXIF-rotated JPEGs, alpha and 16-bit PNGs, huge headers, non-images, non-ASCII names."""

import cv2
import numpy as np
import pytest

from ppocr.data.imaug.operators import DecodeImage
from ppocr.errors import DataError
from ppocr.label.folder import ImageCache, load_image, scan_folder
from tests.label.builders import arrow_image, project


def test_scan_lists_images_and_says_why_others_are_skipped(tmp_path):
    folder = project(tmp_path)
    scan = scan_folder(str(folder))
    assert scan.images == ["254.jpg", "alpha.png", "deep16.png", "exif6.jpg", "reçu café.png"]
    reasons = {s.name: s.reason for s in scan.skipped}
    assert reasons["notes.txt"].startswith("not an image")
    assert reasons["broken.jpg"] == "cannot read the image header (damaged or not an image)"
    assert reasons["huge.png"] == "100000x100000 is more than --max_pixels=64000000"


def test_images_are_read_as_training_decodes_them(tmp_path):
    folder = project(tmp_path)
    upright = load_image(str(folder / "exif6.jpg"))
    # EXIF orientation 6: the stored 120x60 pixels are shown turned 90 degrees clockwise
    assert upright.shape == (120, 60, 3)
    np.testing.assert_array_equal(upright, cv2.imread(str(folder / "exif6.jpg")))
    stored = cv2.imread(str(folder / "exif6.jpg"), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    np.testing.assert_array_equal(upright, np.rot90(stored, -1))
    for name in ("alpha.png", "deep16.png", "reçu café.png"):
        data = (folder / name).read_bytes()
        expected = DecodeImage(img_mode="BGR")({"image": data, "img_path": name})["image"]
        got = load_image(str(folder / name))
        assert got.dtype == np.uint8 and got.shape[2] == 3
        np.testing.assert_array_equal(got, expected)
    assert load_image(str(folder / "deep16.png"))[0, 0, 0] == 40000 >> 8


def test_bad_files_are_one_line_errors(tmp_path):
    folder = project(tmp_path)
    with pytest.raises(DataError, match="cannot be decoded"):
        load_image(str(folder / "broken.jpg"))
    with pytest.raises(DataError, match="100000x100000 pixels, more than DecodeImage.max_pixels"):
        load_image(str(folder / "huge.png"))
    with pytest.raises(DataError, match="cannot read image file"):
        load_image(str(folder / "missing.jpg"))


def test_the_page_gets_the_upright_pixels(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    from tests.label.builders import save_exif_jpeg

    save_exif_jpeg(folder / "r.jpg", arrow_image(), 6)
    cache = ImageCache(str(folder), size=1)
    jpeg = cache.encoded("r.jpg")
    shown = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert shown.shape == (120, 60, 3)
    assert np.abs(shown.astype(int) - cache.image("r.jpg").astype(int)).mean() < 3
