"""``ppocr serve`` end to end: good requests equal ``ppocr.OCR``, every bad kind gets its 4xx, the server lives."""

from __future__ import annotations

import base64
import socket
import threading
import time

import httpx
import pytest

from tests.helpers.images import png_bytes
from tests.serving.conftest import MAX_BYTES, MAX_QUEUE, READ_TIMEOUT_S, SAMPLES

pytestmark = pytest.mark.slow
PHOTO = SAMPLES / "doc" / "11.jpg"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_health_ready_and_one_photo_three_ways(server, ocr):
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/ready").json()
    assert ready["ready"] is True and ready["models"]["rec"].endswith("ch_PP-OCRv2_rec")
    assert ready["models"]["rec_batching"].startswith("exact")

    expected = ocr(str(PHOTO)).to_dict()
    data = PHOTO.read_bytes()
    upload = httpx.post(f"{server.url}/ocr", files={"file": ("11.jpg", data, "image/jpeg")}, timeout=120)
    assert upload.status_code == 200, upload.text
    body = upload.json()
    assert body["lines"] == expected["lines"] and len(body["lines"]) == 16
    assert body["skipped_boxes"] == expected["skipped_boxes"]
    assert {"queue", "decode", "det_inference", "cls", "rec"} <= set(body["ms"])

    as_json = httpx.post(f"{server.url}/ocr", json={"image": b64(data)}, timeout=120)
    assert as_json.status_code == 200 and as_json.json()["lines"] == expected["lines"]

    # upstream hubserving's request and envelope, as tools/test_hubserving.py sends and reads them
    hub = httpx.post(f"{server.url}/predict/ocr_system", json={"images": [b64(data)]},
                     headers={"Content-type": "application/json"}, timeout=120)
    assert hub.status_code == 200
    answer = hub.json()
    assert list(answer) == ["msg", "results", "status"] and answer["msg"] == "" and answer["status"] == "000"
    assert len(answer["results"]) == 1
    assert answer["results"][0] == [
        {"text": ln["text"], "confidence": pytest.approx(ln["score"], abs=5e-5),
         "text_region": [[int(x), int(y)] for x, y in ln["points"]]} for ln in expected["lines"]]
    assert all(type(v) is int for item in answer["results"][0] for pt in item["text_region"] for v in pt)


def bad_requests() -> list[tuple[str, str, dict, int, str]]:
    """(name, route, httpx kwargs, status, text in the message)."""
    photo = PHOTO.read_bytes()
    return [
        ("not an image", "/ocr", {"files": {"file": ("x.jpg", b"hello, not pixels")}}, 400, "not an image"),
        ("truncated", "/ocr", {"files": {"file": ("x.jpg", photo[: len(photo) // 2])}}, 400, "truncated"),
        ("zero bytes", "/ocr", {"files": {"file": ("x.jpg", b"")}}, 400, "empty"),
        ("too many bytes", "/ocr", {"files": {"file": ("x.jpg", b"\xff" * (MAX_BYTES + 1))}}, 413, "max_bytes"),
        ("too many bytes, chunked", "/ocr", {"content": iter([b"{" + b" " * 65536] * 30),
                                             "headers": {"Content-Type": "application/json"}}, 413, "max_bytes"),
        ("too many pixels", "/ocr", {"files": {"file": ("bomb.png", png_bytes(20000, 20000))}}, 413, "20000x20000"),
        ("wrong content type", "/ocr", {"content": photo, "headers": {"Content-Type": "image/jpeg"}}, 415,
         "Content-Type"),
        ("no content type", "/ocr", {"content": b"abc"}, 415, "none"),
        ("malformed JSON", "/ocr", {"content": b'{"image": ', "headers": {"Content-Type": "application/json"}},
         400, "malformed JSON"),
        ("malformed base64", "/ocr", {"json": {"image": "@@not base64@@"}}, 400, "base64"),
        ("base64 of a non-image", "/ocr", {"json": {"image": b64(b"plain text")}}, 400, "not an image"),
        ("JSON without image", "/ocr", {"json": {"img": b64(photo)}}, 400, "missing ['image']"),
        ("JSON not an object", "/ocr", {"json": [b64(photo)]}, 400, "JSON object"),
        ("no file field", "/ocr", {"files": {"image": ("x.jpg", photo)}}, 400, "'file'"),
        ("file sent as text", "/ocr", {"data": {"file": "abc"}, "files": {"other": ("y", b"1")}}, 400,
         "file upload"),
        ("hub: wrong content type", "/predict/ocr_system", {"files": {"file": ("x.jpg", photo)}}, 415,
         "Content-Type"),
        ("hub: images not a list", "/predict/ocr_system", {"json": {"images": b64(photo)}}, 400, "non-empty list"),
        ("hub: no images", "/predict/ocr_system", {"json": {"images": []}}, 400, "non-empty list"),
        ("hub: server paths refused", "/predict/ocr_system", {"json": {"images": [b64(photo)], "paths": ["/etc"]}},
         400, "unknown ['paths']"),
        ("hub: too many images", "/predict/ocr_system", {"json": {"images": [b64(b"x")] * 4}}, 413, "max_images"),
        ("hub: one truncated image", "/predict/ocr_system",
         {"json": {"images": [b64(photo), b64(photo[:3000])]}}, 400, "images[1]: truncated"),
    ]


def test_bad_requests_get_their_4xx_and_the_server_lives(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for name, route, kwargs, status, text in bad_requests():
            r = client.post(route, **kwargs)
            assert r.status_code == status, (name, r.status_code, r.text)
            message = r.json()["msg" if route != "/ocr" else "detail"]
            assert text in message, (name, message)
            if route != "/ocr":
                assert r.json()["status"] == "101" and r.json()["results"] == ""
            assert client.get("/health").status_code == 200, name
        assert client.get("/ocr").status_code == 405
        good = client.post("/ocr", files={"file": ("b.png", (SAMPLES / "doc" / "1.jpg").read_bytes())})
        assert good.status_code == 200 and good.json()["lines"]
    assert server.alive(), server.log_tail()
    assert "Traceback" not in server.log_tail()


def test_full_queue_answers_503_with_retry_after(server, band_images):
    data = band_images[0].read_bytes()
    statuses: list[int] = []
    retry_after: list[str | None] = []
    lock = threading.Lock()

    def one() -> None:
        r = httpx.post(f"{server.url}/ocr", files={"file": ("b.png", data)}, timeout=120)
        with lock:
            statuses.append(r.status_code)
            retry_after.append(r.headers.get("retry-after"))

    threads = [threading.Thread(target=one) for _ in range(3 * MAX_QUEUE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert len(statuses) == 3 * MAX_QUEUE and set(statuses) <= {200, 503}, statuses
    assert statuses.count(503) >= 1 and statuses.count(200) >= MAX_QUEUE, statuses
    assert all(ra == "1" for s, ra in zip(statuses, retry_after) if s == 503)
    assert httpx.get(f"{server.url}/health").status_code == 200 and server.alive()


def test_a_stalled_body_gets_408_and_frees_its_slot(server):
    host, port = server.url.removeprefix("http://").split(":")
    t0 = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"POST /ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"image\": \"")
        reply = b""
        while b"}" not in reply and len(reply) < 8192:  # headers and body may come in separate segments
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 408") and b"read_timeout_s" in reply, reply[:200]
    assert READ_TIMEOUT_S <= time.monotonic() - t0 < READ_TIMEOUT_S + 10
    ok = httpx.post(f"{server.url}/ocr", files={"file": ("b.png", (SAMPLES / "doc" / "1.jpg").read_bytes())},
                    timeout=60)
    assert ok.status_code == 200


def test_metrics_in_prometheus_text(server):
    httpx.post(f"{server.url}/ocr", files={"file": ("x.jpg", b"")})
    r = httpx.get(f"{server.url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'ppocr_http_requests_total{route="/ocr",status="400"}' in text
    assert 'ppocr_http_requests_total{route="/ocr",status="200"}' in text
    assert 'ppocr_http_request_duration_seconds_bucket{route="/ocr",le="+Inf"}' in text
    assert "# TYPE ppocr_rec_batch_rows histogram" in text and "ppocr_rec_batch_rows_count" in text
    for gauge in ("ppocr_queue_depth", "ppocr_queue_capacity", "ppocr_requests_running", "ppocr_ready 1",
                  "process_resident_memory_bytes"):
        assert f"\n{gauge}" in text, gauge
