"""A short bounded load (4 clients x 3 requests): no errors, and every answer equals sequential ``ppocr.OCR``."""

from __future__ import annotations

import httpx
import pytest

from ppocr.serving.loadtest import run_load
from ppocr.serving.metrics import parse_gauge

pytestmark = pytest.mark.slow


def test_bounded_load_has_no_errors_and_sequential_results(server, ocr, band_images):
    report = run_load(server.url, band_images, clients=4, requests=3, api="ocr", duration_s=120, timeout_s=60)
    assert report.sent == 12 and report.ok == 12 and report.errors == {}, report.summary()
    assert report.mismatches == 0, report.summary()
    assert set(report.latency_ms) == {"p50", "p95", "p99", "mean"} and report.throughput_rps > 0
    assert report.rss_mib_start and report.rss_mib_end and not report.stopped_by_deadline

    # the server's answers (sequential pass and load alike) are ppocr.OCR's, run one image at a time
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for path in band_images:
            answer = client.post("/ocr", files={"file": (path.name, path.read_bytes())}).json()
            assert answer["lines"] == ocr(str(path)).to_dict()["lines"], path.name
        metrics = client.get("/metrics").text
    assert parse_gauge(metrics, "ppocr_queue_depth") == 0
    assert parse_gauge(metrics, "ppocr_rec_batch_rows_count") >= 12
    assert server.alive()


def test_hub_api_under_load(server, band_images):
    report = run_load(server.url, band_images[:2], clients=2, requests=2, api="hub", duration_s=60, timeout_s=60)
    assert report.ok == 4 and report.errors == {} and report.mismatches == 0, report.summary()
