"""Server metrics in the Prometheus text format (version 0.0.4), without a client library.

``ppocr_http_requests_total{route,status}``, ``ppocr_http_request_duration_seconds{route}`` (histogram),
``ppocr_rec_batch_rows`` and ``ppocr_rec_batch_requests`` (histograms, one sample per predictor run),
and gauges the service reports when scraped: queue depth and capacity, requests running, rec chunks
pending, readiness, and ``process_resident_memory_bytes``.
"""

from __future__ import annotations

import os
import resource
import threading
from collections import Counter
from collections.abc import Sequence

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 6, 7, 8, 12, 16, 24, 32, 64)
REQUEST_BUCKETS = (1, 2, 3, 4, 6, 8, 16)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + text + "}"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Histogram:
    """Cumulative-bucket histogram of one labelled series."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(sorted(buckets))
        self.counts = [0] * len(self.buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
        self.total += 1
        self.sum += value

    def lines(self, name: str, labels: dict[str, str]) -> list[str]:
        out = [f"{name}_bucket{_labels({**labels, 'le': _number(b)})} {c}" for b, c in zip(self.buckets, self.counts)]
        out.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {self.total}")
        out.append(f"{name}_sum{_labels(labels)} {_number(round(self.sum, 6))}")
        out.append(f"{name}_count{_labels(labels)} {self.total}")
        return out


def resident_memory_bytes() -> int:
    """Current RSS from ``/proc/self/statm``; elsewhere the peak RSS (``getrusage``)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Metrics:
    """Thread-safe counters and histograms; ``render(gauges)`` adds the gauges of the moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.latency: dict[str, Histogram] = {}
        self.batch_rows = Histogram(BATCH_BUCKETS)
        self.batch_requests = Histogram(REQUEST_BUCKETS)

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, int(status))] += 1
            self.latency.setdefault(route, Histogram(LATENCY_BUCKETS)).observe(seconds)

    def observe_batch(self, rows: int, requests: int) -> None:
        with self._lock:
            self.batch_rows.observe(rows)
            self.batch_requests.observe(requests)

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> str:
        """The exposition text; ``gauges`` maps a name to ``(help, value)``."""
        gauges = {**(gauges or {}), "process_resident_memory_bytes": (
            "Resident memory size in bytes.", resident_memory_bytes())}
        with self._lock:
            lines = ["# HELP ppocr_http_requests_total HTTP requests answered, by route and status code.",
                     "# TYPE ppocr_http_requests_total counter"]
            lines += [f"ppocr_http_requests_total{_labels({'route': r, 'status': str(s)})} {n}"
                      for (r, s), n in sorted(self.requests.items())]
            lines += ["# HELP ppocr_http_request_duration_seconds Time from request start to response end.",
                      "# TYPE ppocr_http_request_duration_seconds histogram"]
            for route, hist in sorted(self.latency.items()):
                lines += hist.lines("ppocr_http_request_duration_seconds", {"route": route})
            for name, hist, text in (("ppocr_rec_batch_rows", self.batch_rows, "Crops per recognizer run."),
                                     ("ppocr_rec_batch_requests", self.batch_requests,
                                      "Requests whose crops shared one recognizer run.")):
                lines += [f"# HELP {name} {text}", f"# TYPE {name} histogram", *hist.lines(name, {})]
        for name, (text, value) in gauges.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {_number(value)}"]
        return "\n".join(lines) + "\n"


def parse_gauge(text: str, name: str) -> float | None:
    """The value of an unlabelled sample ``name`` in exposition text, or None."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    return None
