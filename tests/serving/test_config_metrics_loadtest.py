"""Server config and flags, the Prometheus text, and the load test's loopback-only and bounds checks."""

from __future__ import annotations

import pytest

from ppocr.errors import ConfigError
from ppocr.serving.config import MODEL_KEYS, ServeConfig, build_parser, config_from_args
from ppocr.serving.loadtest import encode_request, loopback_target, run_load
from ppocr.serving.metrics import Histogram, Metrics, parse_gauge


def test_flags_make_the_default_config_and_predict_system_flags_pass_through():
    assert config_from_args(build_parser().parse_args([])) == ServeConfig()
    cfg = config_from_args(build_parser().parse_args(
        ["--port", "9000", "--workers", "2", "--det_model_dir", "D", "--rec_model_dir", "R", "--det_db_thresh",
         "0.4", "--rec_batch_num", "8", "--use_angle_cls", "false"]))
    assert (cfg.port, cfg.workers, cfg.use_angle_cls) == (9000, 2, False)
    assert cfg.model_args["det_model_dir"] == "D" and cfg.model_args["det_db_thresh"] == 0.4
    assert cfg.model_args["rec_batch_num"] == 8 and set(cfg.model_args) == set(MODEL_KEYS)
    assert ServeConfig.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize("kwargs,message", [
    ({"batch_wait_ms": 20}, "batch_wait_ms must be in"),
    ({"max_queue": 0}, "--max_queue must be >= 1"),
    ({"model_args": {"det_db_thres": 0.3}}, "unknown model_args \\['det_db_thres'\\]"),
    ({"lang": "fr"}, "lang one of"),
])
def test_bad_config_is_a_config_error(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ServeConfig(**kwargs)


def test_prometheus_text():
    hist = Histogram([1, 2.5])
    for v in (0.5, 2, 3):
        hist.observe(v)
    assert hist.lines("x", {"route": "/a"}) == [
        'x_bucket{route="/a",le="1"} 1', 'x_bucket{route="/a",le="2.5"} 2', 'x_bucket{route="/a",le="+Inf"} 3',
        'x_sum{route="/a"} 5.5', 'x_count{route="/a"} 3']
    metrics = Metrics()
    metrics.observe_request("/ocr", 200, 0.2)
    metrics.observe_request("/ocr", 413, 0.01)
    metrics.observe_batch(7, 2)
    text = metrics.render({"ppocr_queue_depth": ("Queued.", 3)})
    assert 'ppocr_http_requests_total{route="/ocr",status="413"} 1' in text
    assert "# TYPE ppocr_http_request_duration_seconds histogram" in text
    assert 'ppocr_rec_batch_requests_bucket{le="2"} 1' in text and "ppocr_rec_batch_rows_sum 7" in text
    assert parse_gauge(text, "ppocr_queue_depth") == 3
    assert parse_gauge(text, "process_resident_memory_bytes") > 10 * 2**20
    assert parse_gauge(text, "ppocr_missing") is None


@pytest.mark.parametrize("url", ["http://10.0.0.1:8866", "http://example.com:80", "https://127.0.0.1:8866",
                                 "http://0.0.0.0:8866", "ftp://127.0.0.1", "http://[2001:db8::1]:80"])
def test_loadtest_refuses_anything_but_loopback(url):
    with pytest.raises(ConfigError):
        loopback_target(url)


def test_loadtest_loopback_and_bounds(tmp_path):
    assert loopback_target("http://127.0.0.1:8866").address == "127.0.0.1"
    assert loopback_target("http://[::1]:8866").address == "::1"
    assert loopback_target("http://localhost:9").address in ("127.0.0.1", "::1")
    image = tmp_path / "x.png"
    image.write_bytes(b"png")
    for kwargs in ({"clients": 0}, {"clients": 65}, {"requests": 10_001}, {"duration_s": 0}, {"api": "grpc"}):
        with pytest.raises(ConfigError):
            run_load("http://127.0.0.1:9", [image], **kwargs)
    with pytest.raises(ConfigError):
        run_load("http://192.168.1.1:80", [image])
    body, ctype = encode_request("ocr", "x.png", b"PIXELS")
    assert ctype.startswith("multipart/form-data; boundary=") and b'name="file"; filename="x.png"' in body
    body, ctype = encode_request("hub", "x.png", b"PIXELS")
    assert ctype == "application/json" and body == b'{"images": ["UElYRUxT"]}'


def test_server_rss_from_proc_for_servers_without_metrics():
    import os

    from ppocr.serving.loadtest import process_rss_mib, server_rss_mib

    own = process_rss_mib(os.getpid())
    assert own is not None and 10 < own < 64 * 1024
    assert server_rss_mib(loopback_target("http://127.0.0.1:9"), pid=os.getpid()) > 10
    assert process_rss_mib(2**31 - 1) is None  # no such process
