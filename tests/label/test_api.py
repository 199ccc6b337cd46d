"""The HTTP API with FastAPI's TestClient: a stand-in OCR for the plumbing, the official models once."""

import time
import warnings

import cv2
import numpy as np
import pytest

with warnings.catch_warnings():  # starlette's note about httpx, not about this code
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ppocr.label.app import create_app
from ppocr.label.records import Box
from ppocr.label.storage import LabelStore
from tests.label.builders import FakeAnnotator, project

BOX = {"points": [[5, 5], [40, 5], [40, 20], [5, 20]], "transcription": "typed", "difficult": False,
       "score": None, "extra": {}}


@pytest.fixture
def served(tmp_path):
    folder = project(tmp_path)
    store = LabelStore(str(folder))
    fake = FakeAnnotator()
    with TestClient(create_app(store, fake, low_score=0.7)) as client:
        yield client, store, fake, folder
    store.close()


def test_project_lists_images_statuses_and_skipped_files(served):
    client, *_ = served
    p = client.get("/api/project").json()
    assert [i["name"] for i in p["images"]] == ["254.jpg", "alpha.png", "deep16.png", "exif6.jpg", "reçu café.png"]
    assert {i["status"] for i in p["images"]} == {"new"} and p["ocr"] and p["low_score"] == 0.7
    assert {s["name"] for s in p["skipped"]} == {"notes.txt", "broken.jpg", "huge.png"}
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/static/label.js">' in page.text
    assert client.get("/static/label.js").status_code == 200 and client.get("/static/label.css").status_code == 200


def test_images_are_served_upright_under_any_name(served):
    client, *_ = served
    shown = client.get("/api/image", params={"name": "exif6.jpg"})
    assert shown.headers["content-type"] == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(shown.content, np.uint8), cv2.IMREAD_COLOR).shape == (120, 60, 3)
    assert client.get("/api/image", params={"name": "reçu café.png"}).status_code == 200
    missing = client.get("/api/image", params={"name": "../secret.jpg"})
    assert missing.status_code == 404 and "no image '../secret.jpg'" in missing.json()["detail"]


def test_prelabel_once_then_edit_confirm_and_read_back(served):
    client, store, fake, folder = served
    first = client.post("/api/prelabel", params={"name": "254.jpg"}).json()
    assert first["status"] == "prelabelled" and first["boxes"][0]["transcription"] == "fake"
    assert first["boxes"][0]["score"] == 0.42
    client.post("/api/prelabel", params={"name": "254.jpg"})
    assert fake.detected == 1  # a pre-labelled image is not detected again ...
    client.post("/api/prelabel", params={"name": "254.jpg", "force": "true"})
    assert fake.detected == 2  # ... unless asked (Re-detect)
    assert not (folder / "Label.txt").exists() and "fake" in (folder / "Cache.cach").read_text()
    saved = client.put("/api/label", params={"name": "254.jpg"}, json={"boxes": [BOX, {**BOX, "transcription": "###",
                                                                                    "difficult": True}]})
    assert saved.status_code == 200 and saved.json()["status"] == "prelabelled"
    done = client.put("/api/label", params={"name": "254.jpg"}, json={"boxes": [BOX], "confirmed": True}).json()
    assert done["status"] == "confirmed"
    assert (folder / "Label.txt").read_text(encoding="utf-8") == (
        'photos/254.jpg\t[{"transcription": "typed", "points": [[5, 5], [40, 5], [40, 20], [5, 20]], '
        '"difficult": false}]\n')
    assert client.get("/api/label", params={"name": "254.jpg"}).json()["boxes"] == [BOX]
    assert client.get("/api/project").json()["counts"] == {"new": 4, "prelabelled": 0, "confirmed": 1}


@pytest.mark.parametrize("boxes, message", [
    ([{**BOX, "points": [[1, 2], [3, 4]]}], "box 0: points must be a list of at least 3"),
    ([{**BOX, "transcription": "a\nb"}], "box 0: transcription must be one line"),
    ([{**BOX, "colour": "red"}], "boxes.0.colour: Extra inputs are not permitted"),
    ([{"transcription": "x"}], "boxes.0.points: Field required"),
])
def test_bad_edits_are_refused_with_one_line(served, boxes, message):
    client, store, *_ = served
    res = client.put("/api/label", params={"name": "alpha.png"}, json={"boxes": boxes})
    assert res.status_code == 422 and message in res.json()["detail"] and "\n" not in res.json()["detail"]
    assert store.get("alpha.png").status == "new"


def test_recognize_cuts_the_upright_image(served):
    client, _, fake, _ = served
    # on the upright 60x120 picture, a 50x110 box; EXIF ignored it would not even fit the 120x60 stored pixels
    res = client.post("/api/recognize", params={"name": "exif6.jpg"},
                      json={"points": [[5, 5], [55, 5], [55, 115], [5, 115]]})
    assert res.json() == {"transcription": "w110", "score": 0.9}  # tall crop turned, as the OCR system does
    assert fake.crops[-1].shape[:2] == (50, 110)


def test_an_edit_made_while_prelabelling_wins(served):
    client, store, fake, _ = served
    detect = fake.detect

    def slow_detect(img):  # the person saves while the model still runs
        store.save("deep16.png", [Box(BOX["points"], "person")])
        return detect(img)

    fake.detect = slow_detect
    res = client.post("/api/prelabel", params={"name": "deep16.png"})
    assert res.status_code == 409 and "edited meanwhile" in res.json()["detail"]
    assert [b.transcription for b in store.get("deep16.png").boxes] == ["person"]


def test_prelabel_all_runs_in_the_background(served):
    client, store, fake, _ = served
    client.post("/api/prelabel_all")
    deadline = time.monotonic() + 30
    while client.get("/api/project").json()["job"]["running"] and time.monotonic() < deadline:
        time.sleep(0.05)
    job = client.get("/api/project").json()["job"]
    assert job == {"running": False, "done": 5, "total": 5, "errors": []}
    assert store.counts()["prelabelled"] == 5


def test_export_from_the_page(served):
    client, _, _, folder = served
    client.put("/api/label", params={"name": "254.jpg"}, json={"boxes": [BOX], "confirmed": True})
    report = client.post("/api/export", json={}).json()
    assert report["images"] == 1 and report["crops"] == 1 and report["out_dir"] == str(folder / "ppocr_export")
    assert (folder / "ppocr_export" / "rec" / "rec_gt.txt").read_text() == "crop_img/254_crop_0.jpg\ttyped\n"


def test_a_label_file_that_cannot_be_written_is_a_503(served):
    client, _, _, folder = served
    (folder / "Cache.cach").mkdir()
    res = client.put("/api/label", params={"name": "alpha.png"}, json={"boxes": [BOX]})
    assert res.status_code == 503 and "kept in" in res.json()["detail"]


def test_other_sites_cannot_read_or_edit(tmp_path):
    store = LabelStore(str(project(tmp_path)))
    app = create_app(store, None, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8867") as client:
        assert client.get("/api/project").status_code == 200
        put = {"params": {"name": "254.jpg"}, "json": {"boxes": [BOX]}}
        assert client.put("/api/label", headers={"Origin": "http://127.0.0.1:8867"}, **put).status_code == 200
        assert client.put("/api/label", headers={"Origin": "https://evil.example"}, **put).status_code == 403
        rebound = client.get("/api/label", params={"name": "254.jpg"}, headers={"Host": "evil.example:8867"})
        assert rebound.status_code == 403 and rebound.json() == {"detail": "request from another site refused"}
    store.close()


def test_without_models(tmp_path):
    store = LabelStore(str(project(tmp_path)))
    with TestClient(create_app(store, None)) as client:
        assert client.get("/api/project").json()["ocr"] is False
        res = client.post("/api/prelabel", params={"name": "254.jpg"})
        assert res.status_code == 409 and "--use_ocr false" in res.json()["detail"]
        assert client.post("/api/recognize", params={"name": "254.jpg"}, json={"points": BOX["points"]}).status_code == 409
        assert client.put("/api/label", params={"name": "254.jpg"}, json={"boxes": [BOX]}).status_code == 200
    store.close()


def test_official_models_prelabel_and_rerecognize_a_real_photo(tmp_path):
    from ppocr.label.annotator import OCRAnnotator

    store = LabelStore(str(project(tmp_path)))
    with TestClient(create_app(store, OCRAnnotator.from_options())) as client:
        boxes = client.post("/api/prelabel", params={"name": "254.jpg"}).json()["boxes"]
        # upstream PaddleOCR's own result on this photo starts with these lines (tests/test_ocr_vs_upstream.py)
        assert [b["transcription"] for b in boxes[:3]] == ["PHO CAPITAL", "107 state street", "MONTPELIER VERMONT"]
        assert len(boxes) == 29 and all(b["score"] is not None for b in boxes)
        again = client.post("/api/recognize", params={"name": "254.jpg"}, json={"points": boxes[0]["points"]}).json()
        assert again["transcription"] == "PHO CAPITAL" and abs(again["score"] - boxes[0]["score"]) < 0.02
    store.close()
