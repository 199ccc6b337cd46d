"""Official models used from short-lived threads and then a pool: no ``std::exception``, same results.

Measured before the fix (predictors ran on the caller's thread): warming the OCR system up on a thread
that then exits, then running the same photo from a 4-thread pool, raised ``RuntimeError:
std::exception`` inside Paddle's oneDNN (its per-thread state; a new thread reused the dead one's id).
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ppocr import OCR
from ppocr.inference.images import read_image

PHOTO = Path(__file__).parents[1] / "fixtures" / "real" / "sample_images" / "doc" / "1.jpg"


def test_system_from_an_exited_thread_then_a_pool():
    ocr = OCR()
    img = read_image(str(PHOTO))
    first = {}
    warm = threading.Thread(target=lambda: first.setdefault("result", ocr(img)))
    warm.start()
    warm.join()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ocr(img), range(4)))
    expected = [line.to_dict() for line in first["result"].lines]
    assert expected and all([line.to_dict() for line in r.lines] == expected for r in results)
