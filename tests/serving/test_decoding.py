"""Upload checks without a server: truncation, header-first size limits, base64/JSON shapes, statuses."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from ppocr.inference.images import read_image, read_image_bytes
from ppocr.serving.decoding import (
    RequestError,
    check_keys,
    decode_base64,
    decode_image,
    parse_json,
    truncation,
)
from tests.helpers.images import png_bytes
from tests.serving.conftest import SAMPLES

PHOTOS = sorted(SAMPLES.rglob("*.jpg"))


def encoded(ext: str) -> bytes:
    img = np.zeros((40, 60, 3), np.uint8)
    cv2.putText(img, "ab", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
    if ext == ".gif":
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="GIF")
        return buf.getvalue()
    return cv2.imencode(ext, img)[1].tobytes()


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_real_photos_are_complete_and_cut_ones_are_not(path):
    data = path.read_bytes()
    assert truncation(data) is None
    assert truncation(data[: len(data) * 2 // 3]) is not None
    assert truncation(data[:200]) is not None  # cut inside the headers


@pytest.mark.parametrize("ext", [".png", ".bmp", ".gif", ".webp"])
def test_other_formats_complete_and_cut(ext):
    data = encoded(ext)
    assert truncation(data) is None
    assert truncation(data[: len(data) - 20]) is not None


def test_decode_statuses():
    photo = PHOTOS[0].read_bytes()
    cases = [(b"", 400, "empty"), (b"GIF89 nope", 400, "not an image"), (photo[:5000], 400, "truncated"),
             (png_bytes(20000, 20000), 413, "20000x20000 pixels is over max_pixels=1000000")]
    for data, status, text in cases:
        with pytest.raises(RequestError) as info:
            decode_image(data, "up", max_pixels=1_000_000)
        assert info.value.status == status and text in info.value.message and info.value.message.startswith("up: ")
    img = decode_image(photo, "up", max_pixels=10_000_000)
    assert np.array_equal(img, read_image(str(PHOTOS[0])))


def test_read_image_bytes_matches_read_image(tmp_path):
    gray16 = (np.arange(30 * 40, dtype=np.uint16).reshape(30, 40) * 50)
    path = tmp_path / "g16.png"
    cv2.imwrite(str(path), gray16)
    assert np.array_equal(read_image_bytes(path.read_bytes()), read_image(str(path)))
    with pytest.raises(ValueError, match=r"^upload: cannot decode image$"):
        read_image_bytes(b"\x00" * 10, "upload")
    with pytest.raises(ValueError, match=r"upload: 20000x20000 exceeds max_pixels"):
        read_image_bytes(png_bytes(20000, 20000), "upload")


def test_base64_and_json_shapes():
    raw = b"\x89PNG pixels"
    text = base64.b64encode(raw).decode()
    assert decode_base64(text, "image") == raw
    assert decode_base64(f"data:image/png;base64,{text[:8]}\n{text[8:]}", "image") == raw
    for bad, message in [("ab$c", "not valid base64"), ("abc", "not valid base64"), (12, "base64 string")]:
        with pytest.raises(RequestError, match=message) as info:
            decode_base64(bad, "image")
        assert info.value.status == 400
    assert parse_json(b'{"image": "x"}') == {"image": "x"}
    with pytest.raises(RequestError, match="malformed JSON"):
        parse_json(b"\xff\xfe{")
    with pytest.raises(RequestError, match=r"missing \[\], unknown \['paths'\]"):
        check_keys({"images": [], "paths": []}, ("images",), "JSON body")
