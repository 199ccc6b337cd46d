"""What a request may carry, read within limits: bodies counted while read, uploads, JSON/base64, images.

Every refusal is a ``RequestError`` with its HTTP status: 400 (malformed, not an image, truncated,
empty), 408 (body not received within ``read_timeout_s``, raised by the service), 413 (body over ``max_bytes``, image over ``max_pixels`` by its header, too many images),
415 (a content type the route does not take). No URL in a request is ever fetched.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import numpy as np
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from ppocr.data.imaug.operators import image_size_from_header
from ppocr.errors import DataError
from ppocr.inference.images import read_image_bytes

JSON_TYPE = "application/json"
MULTIPART_TYPE = "multipart/form-data"


class RequestError(Exception):
    """A request the server refuses: ``status`` (4xx/503), a one-line ``message``, extra ``headers``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``max_bytes`` (declared or counted)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise RequestError(400, f"bad Content-Length {declared!r}")
        if int(declared) > max_bytes:
            raise RequestError(413, f"request body of {int(declared)} bytes is over max_bytes={max_bytes}")
    chunks, total = [], 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes:
                raise RequestError(413, f"request body is over max_bytes={max_bytes}")
            chunks.append(chunk)
    except ClientDisconnect:
        raise RequestError(400, "client disconnected while sending the body") from None
    return b"".join(chunks)


def _replay(request: Request, body: bytes) -> Request:
    """A request over an already-read (bounded) body, for Starlette's form parser."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def upload_from_form(request: Request, body: bytes, field: str = "file") -> bytes:
    """The bytes of multipart field ``field`` (a file part)."""
    try:
        form = await _replay(request, body).form(max_files=4, max_fields=16)
    except MultiPartException as exc:
        raise RequestError(400, f"malformed multipart body: {exc.message}") from exc
    try:
        part = form.get(field)
        if part is None:
            raise RequestError(400, f"multipart body has no {field!r} field (fields: {sorted(form.keys())})")
        if not isinstance(part, UploadFile):
            raise RequestError(400, f"multipart field {field!r} must be a file upload")
        return await part.read()
    finally:
        await form.close()


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(400, f"malformed JSON: {exc}") from exc


def decode_base64(text: Any, what: str) -> bytes:
    """Strict base64 (whitespace and a ``data:...;base64,`` prefix allowed) → bytes."""
    if not isinstance(text, str):
        raise RequestError(400, f"{what} must be a base64 string, got {type(text).__name__}")
    if text.startswith("data:") and ";base64," in text[:100]:
        text = text.split(";base64,", 1)[1]
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError(400, f"{what} is not valid base64 ({exc})") from exc


def check_keys(obj: Any, required: tuple[str, ...], what: str) -> dict[str, Any]:
    """A JSON object holding exactly ``required`` (an unknown key is an error naming it)."""
    if not isinstance(obj, dict):
        raise RequestError(400, f"{what} must be a JSON object, got {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    unknown = sorted(set(obj) - set(required))
    if missing or unknown:
        raise RequestError(400, f"{what} must hold {list(required)}; missing {missing}, unknown {unknown}")
    return obj


def truncation(data: bytes) -> str | None:
    """Why an encoded JPEG/PNG/GIF/WebP/BMP looks cut short (OpenCV decodes a cut JPEG silently), or None."""
    if data[:2] == b"\xff\xd8":
        scan = _jpeg_first_scan(data)
        if scan is None:
            return "JPEG ends (or breaks) before its image data"
        if data.rfind(b"\xff\xd9") < scan:
            return "JPEG has no end-of-image marker after its image data"
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        if data.rfind(b"IEND") < 8:
            return "PNG has no IEND chunk"
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        if not data.rstrip(b"\x00").endswith(b";"):
            return "GIF has no trailer"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        if len(data) < int.from_bytes(data[4:8], "little") + 8:
            return "WebP is shorter than its RIFF header says"
    elif data[:2] == b"BM":
        declared = int.from_bytes(data[2:6], "little")
        if len(data) < declared:
            return "BMP is shorter than its header says"
    return None


def _jpeg_first_scan(data: bytes) -> int | None:
    """Offset of the first SOS marker, walking the segments before it by their lengths."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
        elif marker == 0xDA:
            return i
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
        else:
            i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


def decode_image(data: bytes, name: str, max_pixels: int) -> np.ndarray:
    """BGR uint8 image from an upload: empty → 400, size unknown from the header → 400 (the server
    decodes only what it can size first), over ``max_pixels`` → 413, truncated or undecodable → 400."""
    if not data:
        raise RequestError(400, f"{name}: empty (0 bytes)")
    size = image_size_from_header(data)
    if size is None:
        raise RequestError(400, f"{name}: not an image (no JPEG/PNG/BMP/GIF/TIFF/WebP header)")
    if size[0] * size[1] > max_pixels:
        raise RequestError(413, f"{name}: {size[0]}x{size[1]} pixels is over max_pixels={max_pixels} "
                                "(read from the header; not decoded)")
    cut = truncation(data)
    if cut is not None:
        raise RequestError(400, f"{name}: truncated image ({cut})")
    try:
        return read_image_bytes(data, name, max_pixels)
    except DataError as exc:
        raise RequestError(400, str(exc)) from exc
