"""kill -9 the server part-way through a stream of edits: every acknowledged edit survives the restart."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

from ppocr.label.storage import LabelStore

ROOT = Path(__file__).resolve().parents[2]
NAMES = [f"img{i}.png" for i in range(5)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(folder: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "ppocr.cli", "label", str(folder), "--port", str(port),
                             "--use_ocr", "false"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read().decode(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start within 60 s")


def _edit(i: int) -> dict:
    return {"boxes": [{"points": [[1, 1], [20 + i % 7, 1], [20 + i % 7, 9], [1, 9]], "transcription": f"e{i}"}],
            "confirmed": i % 3 == 0}


def test_acknowledged_edits_survive_kill_9(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for n in NAMES:
        cv2.imwrite(str(folder / n), np.full((16, 32, 3), 200, np.uint8))
    port = _free_port()
    proc = _start(folder, port)
    acked: dict[str, int] = {}
    in_flight: dict[str, int] = {}
    enough = threading.Event()

    def killer():
        enough.wait(30)
        time.sleep(0.003)  # most likely in the middle of the next request
        os.kill(proc.pid, 9)

    threading.Thread(target=killer, daemon=True).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            deadline = time.monotonic() + 60
            for i in range(400):
                name = NAMES[i % len(NAMES)]
                in_flight = {name: i}
                try:
                    res = client.put("/api/label", params={"name": name}, json=_edit(i))
                except httpx.HTTPError:
                    break
                assert res.status_code == 200, res.text
                acked[name] = i
                if len(acked) == len(NAMES) and i >= 30:
                    enough.set()
                assert time.monotonic() < deadline
    finally:
        proc.wait(30)
    assert proc.returncode == -9 and len(acked) == len(NAMES)

    proc = _start(folder, port)  # restart: the journal is replayed
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for name in NAMES:
                label = client.get("/api/label", params={"name": name}).json()
                j = int(label["boxes"][0]["transcription"][1:])
                assert j in (acked[name], in_flight.get(name)), (name, j, acked[name], in_flight)
                assert label["status"] == ("confirmed" if j % 3 == 0 else "prelabelled")
    finally:
        proc.terminate()
        proc.wait(30)
    store = LabelStore(str(folder), readonly=True)  # the PPOCRLabel files agree with the API
    label_txt = (folder / "Label.txt").read_text()
    for item in store.all():
        assert (f'"{item.boxes[0].transcription}"' in label_txt) == (item.status == "confirmed")
