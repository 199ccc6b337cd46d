"""The labeller's HTTP API (FastAPI) and the page it serves.

``GET /`` the page; ``/static/*`` its files. JSON API (image ``name`` as a query parameter, so any
file name travels safely):

- ``GET  /api/project``: images with status and box count, skipped files, settings, the batch job.
- ``GET  /api/image?name=``: the pixels training sees (EXIF applied), as JPEG.
- ``GET  /api/label?name=`` / ``PUT /api/label?name=`` ``{"boxes": [...], "confirmed": bool|null}``:
  read / replace one image's boxes; the reply comes once the edit is durable.
- ``POST /api/prelabel?name=&force=``: run the OCR system (``force`` re-detects a labelled image).
- ``POST /api/prelabel_all``: pre-label every new image in the background.
- ``POST /api/recognize?name=`` ``{"points": [...]}``: the text of one box (not saved).
- ``POST /api/export`` ``{"include_unconfirmed": false, "tall_ratio": 1.5}``: write the training export.

Errors are ``{"detail": "<one line>"}``: 404 unknown image, 409 conflict or no OCR, 422 bad input,
503 a label file could not be written (the edit stays in the journal).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from ppocr.errors import DataError
from ppocr.label.annotator import TALL_RATIO, Annotator
from ppocr.label.export import export_project
from ppocr.label.folder import ImageCache
from ppocr.label.records import box_from_json, check_points
from ppocr.label.storage import Conflict, ImageLabel, LabelStore, SaveError

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_BOXES = 10_000


class BoxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: list[list[float]]
    transcription: str = ""
    difficult: bool = False
    score: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    boxes: list[BoxIn] = Field(max_length=MAX_BOXES)
    confirmed: bool | None = None


class PointsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: list[list[float]]


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_unconfirmed: bool = False
    tall_ratio: float = Field(default=TALL_RATIO, ge=0)


class NoOCR(RuntimeError):
    """The server runs without models (``--use_ocr false``)."""


class PrelabelJob:
    """Pre-labels the new images one after another in a thread; ``state()`` for the page."""

    def __init__(self, prelabel) -> None:
        self._prelabel = prelabel
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.done = self.total = 0
        self.errors: list[str] = []

    def start(self, names: list[str]) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self.done, self.total, self.errors = 0, len(names), []
            self._thread = threading.Thread(target=self._run, args=(names,), daemon=True, name="prelabel")
            self._thread.start()

    def _run(self, names: list[str]) -> None:
        for name in names:
            try:
                self._prelabel(name, False)
            except (DataError, Conflict, SaveError, OSError) as exc:
                self.errors.append(f"{name}: {' '.join(str(exc).split())}")
            self.done += 1

    def state(self) -> dict[str, Any]:
        running = self._thread is not None and self._thread.is_alive()
        return {"running": running, "done": self.done, "total": self.total, "errors": self.errors[-20:]}


def create_app(store: LabelStore, annotator: Annotator | None = None, low_score: float = 0.8,
               export_dir: str | None = None, max_pixels: int | None = None,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """The app for one project; ``annotator`` None serves without pre-labelling.

    ``allowed_hosts`` (``serve`` passes the address it listens on): requests naming another ``Host``
    (DNS rebinding) or, for changes, sent by a page of another ``Origin`` are refused with 403, so a
    web page open in the same browser cannot read or edit the labels.
    """
    images = ImageCache(store.folder, max_pixels) if max_pixels else ImageCache(store.folder)
    export_dir = export_dir or os.path.join(store.folder, "ppocr_export")
    ocr_lock = threading.Lock()
    app = FastAPI(title="ppocr label", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def same_origin_only(request: Request, call_next):
        if allowed_hosts is not None:
            host = request.headers.get("host", "")
            origin = request.headers.get("origin")
            if (_hostname(host) not in allowed_hosts
                    or request.method != "GET" and origin is not None and origin.split("://", 1)[-1] != host):
                return JSONResponse({"detail": "request from another site refused"}, status_code=403)
        return await call_next(request)

    def prelabel(name: str, force: bool) -> ImageLabel:
        if annotator is None:
            raise NoOCR("pre-labelling is off (the server was started with --use_ocr false)")
        before = store.get(name)
        if before.status != "new" and not force:
            return before
        img = images.image(name)
        with ocr_lock:
            boxes = annotator.detect(img)
        return store.save(name, boxes, expect=before)

    job = PrelabelJob(prelabel)

    def label(name: str) -> ImageLabel:
        return store.get(name)  # KeyError -> 404

    @app.exception_handler(KeyError)
    def _not_found(request: Request, exc: KeyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc.args[0] if exc.args else exc)}, status_code=404)

    @app.exception_handler(DataError)
    def _bad_input(request: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(exc).split())}, status_code=422)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid request')}"
                             + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")}, status_code=422)

    @app.exception_handler(Conflict)
    def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(NoOCR)
    def _no_ocr(request: Request, exc: NoOCR) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(SaveError)
    def _not_saved(request: Request, exc: SaveError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(os.path.join(STATIC_DIR, "index.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/api/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/project")
    def project() -> dict[str, Any]:
        return {"folder": store.folder, "dirname": store.dirname, "ocr": annotator is not None,
                "low_score": low_score, "export_dir": export_dir, "counts": store.counts(),
                "images": [{"name": it.name, "status": it.status, "boxes": len(it.boxes)} for it in store.all()],
                "skipped": [s.to_dict() for s in store.report.skipped], "job": job.state()}

    @app.get("/api/image")
    def image(name: str) -> Response:
        label(name)
        return Response(images.encoded(name), media_type="image/jpeg", headers={"Cache-Control": "no-cache"})

    @app.get("/api/label")
    def get_label(name: str) -> dict[str, Any]:
        return label(name).to_json()

    @app.put("/api/label")
    def put_label(body: LabelIn, name: str) -> dict[str, Any]:
        label(name)
        boxes = [box_from_json(b.model_dump(), f"{name}: box {i}") for i, b in enumerate(body.boxes)]
        return store.save(name, boxes, body.confirmed).to_json()

    @app.post("/api/prelabel")
    def post_prelabel(name: str, force: bool = False) -> dict[str, Any]:
        label(name)
        return prelabel(name, force).to_json()

    @app.post("/api/prelabel_all")
    def post_prelabel_all() -> dict[str, Any]:
        if annotator is None:
            raise NoOCR("pre-labelling is off (the server was started with --use_ocr false)")
        job.start([it.name for it in store.all() if it.status == "new"])
        return job.state()

    @app.post("/api/recognize")
    def recognize(body: PointsIn, name: str) -> dict[str, Any]:
        label(name)
        if annotator is None:
            raise NoOCR("re-recognition is off (the server was started with --use_ocr false)")
        points = check_points(body.points, f"{name}: box")
        img = images.image(name)
        with ocr_lock:
            text, score = annotator.recognize(img, points)
        return {"transcription": text, "score": round(float(score), 4)}

    @app.post("/api/export")
    def export(body: ExportIn | None = None) -> dict[str, Any]:
        body = body or ExportIn()
        kwargs = {"max_pixels": max_pixels} if max_pixels else {}
        report = export_project(store, export_dir, tall_ratio=body.tall_ratio,
                                include_unconfirmed=body.include_unconfirmed, **kwargs)
        return report.to_dict()

    return app


def _hostname(host: str) -> str:
    """``127.0.0.1:8867`` → ``127.0.0.1``; ``[::1]:8867`` → ``::1``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
