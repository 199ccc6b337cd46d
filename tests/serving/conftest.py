"""One ``ppocr serve`` subprocess on a free loopback port for the serving tests, and small real images.

The server uses the default PP-OCRv2 model set (pulled on first use; cached here) with a small
``--max_bytes``/``--max_queue`` so the limits are cheap to hit, and ``--max_batch 8`` so its warm-up
probe stays short.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "fixtures" / "real" / "sample_images"
MAX_BYTES = 1_500_000
MAX_QUEUE = 4
READ_TIMEOUT_S = 2.0
READY_TIMEOUT_S = 300.0
# bands of doc/11.jpg with 2-3 text lines each: small requests whose rec chunks can share batches
BANDS = [(25, 110, 0, 400), (108, 170, 0, 400), (170, 265, 0, 400), (265, 330, 0, 400), (330, 420, 0, 400)]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    log = tmp_path_factory.mktemp("serve") / "server.log"
    port = free_port()
    cmd = [sys.executable, "-m", "ppocr.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--threads", "4", "--max_bytes", str(MAX_BYTES), "--max_queue", str(MAX_QUEUE), "--max_batch", "8",
           "--max_images", "3", "--read_timeout_s", str(READ_TIMEOUT_S), "--log_level", "warning"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    srv = Server(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while True:
            if not srv.alive():
                pytest.fail(f"ppocr serve exited ({proc.returncode}):\n{srv.log_tail()}")
            try:
                if httpx.get(f"{srv.url}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"ppocr serve not ready after {READY_TIMEOUT_S:.0f} s:\n{srv.log_tail()}")
            time.sleep(0.5)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="session")
def ocr():
    """The sequential reference: ``ppocr.OCR`` with the server's default models."""
    from ppocr import OCR

    return OCR()


@pytest.fixture(scope="session")
def band_images(tmp_path_factory) -> list[Path]:
    """PNG bands of a real document photo, 2-3 text lines each."""
    folder = tmp_path_factory.mktemp("bands")
    img = cv2.imread(str(SAMPLES / "doc" / "11.jpg"))
    paths = []
    for i, (y0, y1, x0, x1) in enumerate(BANDS):
        path = folder / f"band{i}.png"
        cv2.imwrite(str(path), img[y0:y1, x0:x1])
        paths.append(path)
    return paths
