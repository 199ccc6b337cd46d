"""A bounded load generator for a local OCR server (ours, or anything taking the same requests).

Loopback only: the URL's host must be a loopback address or ``localhost`` (resolved, every address
loopback); nothing else is contacted. ``clients`` threads send ``requests`` each (``--api ocr``: multipart
``file`` to ``/ocr``; ``hub``: ``{"images": [b64]}`` to ``/predict/ocr_system``; ``rapidocr``: multipart
``image_file`` to rapidocr_api's ``/ocr``) cycling over the images, and stop at ``duration_s`` whatever is
left. With ``verify``, a sequential pass first records each image's answer; later answers that differ
are counted as mismatches.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import ipaddress
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ppocr.errors import ConfigError
from ppocr.inference.images import IMAGE_EXTS
from ppocr.serving.metrics import parse_gauge

DEFAULT_IMAGES = "tests/fixtures/real/sample_images"
APIS = {"ocr": "/ocr", "hub": "/predict/ocr_system", "rapidocr": "/ocr"}
LIMITS = {"clients": 64, "requests": 1000, "duration_s": 3600.0, "timeout_s": 600.0}


@dataclass(frozen=True)
class Target:
    """A checked loopback server: the address to connect to and the Host header to send."""

    address: str
    port: int
    host_header: str


def loopback_target(url: str) -> Target:
    """Refuse any URL whose host is not loopback (ConfigError); no DNS lookup but for ``localhost``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ConfigError(f"--url must be http://HOST:PORT on loopback, got {url!r}")
    host, port = parts.hostname, parts.port or 80
    if host == "localhost":
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    else:
        try:
            addresses = {str(ipaddress.ip_address(host))}
        except ValueError:
            raise ConfigError(f"--url host {host!r} is not a loopback address (use 127.0.0.1 or localhost)") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ConfigError(f"--url host {host!r} is not loopback ({sorted(addresses)}); the load test targets "
                          "this machine only")
    return Target(sorted(addresses)[0], port, f"{host}:{port}")


def find_images(paths: list[str]) -> list[Path]:
    """Image files from files and folders (folders searched recursively, sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_EXTS and f.is_file())
        else:
            raise ConfigError(f"--images: {p} not found")
    if not found:
        raise ConfigError(f"--images: no images in {paths}")
    return found


def encode_request(api: str, name: str, data: bytes) -> tuple[bytes, str]:
    """Body and Content-Type of one request for ``api``."""
    if api == "hub":
        return json.dumps({"images": [base64.b64encode(data).decode("ascii")]}).encode(), "application/json"
    boundary = uuid.uuid4().hex
    field_name = "image_file" if api == "rapidocr" else "file"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def comparable(api: str, payload: Any) -> Any:
    """The part of an answer that must not change between runs (stage times dropped)."""
    if api == "ocr" and isinstance(payload, dict):
        return payload.get("lines")
    if api == "hub" and isinstance(payload, dict):
        return payload.get("results")
    return payload


@dataclass
class LoadReport:
    """What one load run measured; latencies in ms, RSS in MiB (None when ``/metrics`` has no RSS)."""

    url: str
    api: str
    clients: int
    requests_per_client: int
    sent: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    mismatches: int | None = None
    seconds: float = 0.0
    throughput_rps: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    rss_mib_start: float | None = None
    rss_mib_end: float | None = None
    stopped_by_deadline: bool = False

    def summary(self) -> str:
        lat = " ".join(f"{k} {v:.0f}" for k, v in self.latency_ms.items())
        errors = sum(self.errors.values())
        lines = [f"{self.url} {self.api}: {self.clients} clients x {self.requests_per_client} requests: "
                 f"{self.sent} sent, {self.ok} ok, {errors} errors {self.errors or ''} in {self.seconds:.1f} s "
                 f"-> {self.throughput_rps:.2f} req/s" + (" (stopped by --duration_s)" if self.stopped_by_deadline
                                                        else ""),
                 f"latency ms: {lat}"]
        if self.rss_mib_start is not None:
            lines.append(f"server RSS MiB: start {self.rss_mib_start:.1f}, end {self.rss_mib_end:.1f}")
        if self.mismatches is not None:
            lines.append(f"answers differing from the sequential pass: {self.mismatches}")
        return "\n".join(lines)


class _Client:
    """One keep-alive connection to the target; reconnects after an error."""

    def __init__(self, target: Target, timeout_s: float) -> None:
        self.target, self.timeout_s = target, timeout_s
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.target.address, self.target.port, timeout=self.timeout_s)
        headers = {"Host": self.target.host_header}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def process_rss_mib(pid: int) -> float | None:
    """Resident memory of a local process from ``/proc`` (servers without ``/metrics``); None if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def server_rss_mib(target: Target, timeout_s: float = 10.0, pid: int | None = None) -> float | None:
    """The server's RSS: from ``/proc/PID`` when ``pid`` is given, else its ``/metrics`` gauge."""
    if pid is not None:
        return process_rss_mib(pid)
    client = _Client(target, timeout_s)
    try:
        status, body = client.request("GET", "/metrics")
    except (OSError, http.client.HTTPException):
        return None
    finally:
        client.close()
    value = parse_gauge(body.decode("utf-8", "replace"), "process_resident_memory_bytes") if status == 200 else None
    return None if value is None else value / 2**20


def run_load(url: str, images: list[Path], clients: int = 4, requests: int = 10, api: str = "ocr",
             duration_s: float = 300.0, timeout_s: float = 120.0, verify: bool = True,
             server_pid: int | None = None) -> LoadReport:
    """``clients`` x ``requests`` requests over ``images``; bounded by ``duration_s`` overall.

    ``server_pid`` reads the server's RSS from ``/proc`` (for servers without ``/metrics``).
    """
    if api not in APIS:
        raise ConfigError(f"--api must be one of {sorted(APIS)}, got {api!r}")
    for name, value in (("clients", clients), ("requests", requests), ("duration_s", duration_s),
                        ("timeout_s", timeout_s)):
        if not 0 < value <= LIMITS[name]:
            raise ConfigError(f"--{name} must be in (0, {LIMITS[name]:g}], got {value}")
    target = loopback_target(url)
    bodies = [encode_request(api, p.name, p.read_bytes()) for p in images]
    path = APIS[api]
    report = LoadReport(url, api, clients, requests)
    report.rss_mib_start = server_rss_mib(target, pid=server_pid)
    reference: dict[int, Any] = {}
    if verify:
        client = _Client(target, timeout_s)
        for i, (body, ctype) in enumerate(bodies):
            status, raw = client.request("POST", path, body, ctype)
            if status != 200:
                raise ConfigError(f"sequential pass: {images[i]} got HTTP {status}: {raw[:200]!r}")
            reference[i] = comparable(api, json.loads(raw))
        client.close()
        report.mismatches = 0
    lock = threading.Lock()
    latencies: list[float] = []
    deadline = time.monotonic() + duration_s

    def worker(k: int) -> None:
        client = _Client(target, timeout_s)
        for j in range(requests):
            if time.monotonic() >= deadline:
                report.stopped_by_deadline = True
                break
            i = (k * requests + j) % len(bodies)
            t0 = time.perf_counter()
            try:
                status, raw = client.request("POST", path, *bodies[i])
                problem = None if status == 200 else f"HTTP {status}"
            except (OSError, http.client.HTTPException) as exc:
                raw, problem = b"", type(exc).__name__
            elapsed = time.perf_counter() - t0
            with lock:
                report.sent += 1
                if problem is not None:
                    report.errors[problem] = report.errors.get(problem, 0) + 1
                    continue
                try:
                    answer = comparable(api, json.loads(raw))
                except ValueError:
                    report.errors["bad JSON"] = report.errors.get("bad JSON", 0) + 1
                    continue
                report.ok += 1
                latencies.append(elapsed)
                if verify and answer != reference[i]:
                    report.mismatches += 1
        client.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + timeout_s)
    report.seconds = time.perf_counter() - t0
    report.throughput_rps = report.ok / report.seconds if report.seconds else 0.0
    if latencies:
        values = np.asarray(latencies) * 1e3
        report.latency_ms = {f"p{q}": float(np.percentile(values, q)) for q in (50, 95, 99)}
        report.latency_ms["mean"] = float(values.mean())
    report.rss_mib_end = server_rss_mib(target, pid=server_pid)
    return report


def build_parser(description: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description or __doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8866", help="a loopback server (refused otherwise)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=10, help="requests per client")
    parser.add_argument("--images", nargs="+", default=[DEFAULT_IMAGES], help="image files or folders")
    parser.add_argument("--api", choices=sorted(APIS), default="ocr")
    parser.add_argument("--duration_s", type=float, default=300.0, help="stop sending after this long")
    parser.add_argument("--timeout_s", type=float, default=120.0, help="per request")
    parser.add_argument("--verify", choices=["true", "false"], default="true",
                        help="compare every answer with a first sequential pass")
    parser.add_argument("--server_pid", type=int, default=None,
                        help="read the server's RSS from /proc/PID (servers without /metrics, e.g. rapidocr_api)")
    parser.add_argument("--output", default=None, help="write the report as JSON here")
    return parser


def run_from_args(args: argparse.Namespace) -> dict:
    verify = args.verify == "true"
    report = run_load(args.url, find_images(args.images), args.clients, args.requests, args.api,
                      args.duration_s, args.timeout_s, verify, args.server_pid)
    print(report.summary())
    result = asdict(report)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return result
