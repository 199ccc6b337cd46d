"""The page in a real browser: headless Chromium driven by Selenium, on a real photo and the official models.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without them this
test fails, it does not skip. ``PPOCR_LABEL_SCREENSHOT=path.png`` also saves the page's picture there
(docs/images/label_page.png is made that way).
"""

import json
import os
import shutil
import socket
import threading
import time

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ppocr.label.annotator import OCRAnnotator
from ppocr.label.app import create_app
from ppocr.label.storage import LabelStore
from tests.label.builders import REAL, SCENE

TIMEOUT = 60


def _wait(what, condition, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _browser() -> webdriver.Chrome:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail("headless Chromium is missing: apt-get install -y chromium chromium-driver (.ci/run does it)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,860",
                "--disable-gpu"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=opts)


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "receipts"
    folder.mkdir()
    shutil.copy(SCENE, folder / "254.jpg")
    shutil.copy(REAL / "scene" / "img_10.jpg", folder / "street sign é.jpg")
    (folder / "notes.txt").write_text("not a photo")
    store = LabelStore(str(folder))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(store, OCRAnnotator.from_options(), allowed_hosts=["127.0.0.1"]), host="127.0.0.1", port=port,
                                       log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    _wait("the server", lambda: uv.started, 30)
    yield f"http://127.0.0.1:{port}/", store, folder
    uv.should_exit = True
    thread.join(30)
    store.close()


def test_label_a_photo_in_the_browser(server):
    url, store, folder = server
    d = _browser()
    try:
        d.get(url)
        boxes = _wait("the pre-labelled boxes", lambda: d.find_elements(By.CSS_SELECTOR, "#overlay .box"))
        assert len(boxes) == 29  # the official models' 29 lines of this photo
        assert len(d.find_elements(By.CSS_SELECTOR, "#overlay .box.low")) >= 1  # low scores highlighted
        assert "1 skipped" not in d.page_source and "notes.txt: not an image" in d.page_source
        saved = lambda: d.find_element(By.ID, "save-state").text == "saved"  # noqa: E731

        # edit a transcription
        text = d.find_element(By.CSS_SELECTOR, '#box-list li[data-index="0"] input.text')
        assert text.get_attribute("value") == "PHO CAPITAL"
        text.click()
        text.send_keys(Keys.CONTROL, "a")
        text.send_keys("PHO CAPITAL EDITED", Keys.ENTER)
        _wait("the text saved", lambda: saved() and store.get("254.jpg").boxes[0].transcription == "PHO CAPITAL EDITED")
        assert store.get("254.jpg").boxes[0].score is None  # typed by a person: no model score

        # drag the bottom-right vertex of that box
        before = [list(p) for p in store.get("254.jpg").boxes[0].points]
        scale = d.execute_script("return document.getElementById('overlay').getBoundingClientRect().width"
                                 " / document.getElementById('photo').naturalWidth")
        handle = d.find_element(By.CSS_SELECTOR, '#overlay .handle[data-box="0"][data-vertex="2"]')
        ActionChains(d).move_to_element(handle).click_and_hold().move_by_offset(30, 24).release().perform()
        _wait("the vertex saved", lambda: saved() and store.get("254.jpg").boxes[0].points != before)
        moved = store.get("254.jpg").boxes[0].points[2]
        assert abs(moved[0] - (before[2][0] + 30 / scale)) <= 2 and abs(moved[1] - (before[2][1] + 24 / scale)) <= 2
        assert store.get("254.jpg").boxes[0].points[:2] == before[:2]

        # undo, redo
        body = d.find_element(By.ID, "viewport")
        body.send_keys(Keys.CONTROL, "z")
        _wait("undo saved", lambda: saved() and store.get("254.jpg").boxes[0].points == before)
        body.send_keys(Keys.CONTROL, "y")
        _wait("redo saved", lambda: saved() and store.get("254.jpg").boxes[0].points[2] == moved)

        # draw a box by hand (W, drag), then delete it
        body.send_keys("w")
        photo = d.find_element(By.ID, "photo")
        ActionChains(d).move_to_element_with_offset(photo, -150, 60).click_and_hold().move_by_offset(80, 30) \
            .release().perform()
        _wait("the drawn box saved", lambda: saved() and len(store.get("254.jpg").boxes) == 30)
        drawn = store.get("254.jpg").boxes[-1]
        assert len(drawn.points) == 4 and drawn.points[2][0] - drawn.points[0][0] == pytest.approx(80 / scale, abs=2)
        body.send_keys(Keys.DELETE)
        _wait("the deletion saved", lambda: saved() and len(store.get("254.jpg").boxes) == 29)
        if os.environ.get("PPOCR_LABEL_SCREENSHOT"):
            d.save_screenshot(os.environ["PPOCR_LABEL_SCREENSHOT"])

        # confirm: Label.txt holds the edit, PPOCRLabel's way; the next photo opens and is pre-labelled
        body.send_keys(Keys.SPACE)
        _wait("the image confirmed", lambda: (folder / "Label.txt").exists())
        assert store.get("254.jpg").status == "confirmed"
        key, records = (folder / "Label.txt").read_text(encoding="utf-8").rstrip("\n").split("\t")
        assert key == "receipts/254.jpg"
        first = json.loads(records)[0]
        assert first == {"transcription": "PHO CAPITAL EDITED", "points": first["points"], "difficult": False}
        assert first["points"][2] == moved
        _wait("the next photo pre-labelled", lambda: store.get("street sign é.jpg").status == "prelabelled")
    finally:
        d.quit()
