"""The routes: ``POST /ocr``, upstream hubserving's ``POST /predict/ocr_system``, ``/health``, ``/ready``,
``/metrics``.

``POST /ocr`` takes a multipart upload (field ``file``) or JSON ``{"image": base64}`` and answers
``OCRResult.to_dict()`` (``{"lines": [{"points", "text", "score", "angle", "cls_score"}], "skipped_boxes",
"ms"}``) with the server's ``queue``/``decode`` times added to ``ms``; errors are ``{"detail": message}``.
``POST /predict/ocr_system`` takes ``{"images": [base64, ...]}`` and answers PaddleHub's envelope
``{"msg": "", "results": [[{"text", "confidence", "text_region"}, ...], ...], "status": "000"}``;
its errors keep the envelope (``status`` ``"101"``, ``msg`` the reason) under a 4xx/503 status.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ppocr.serving.config import ServeConfig
from ppocr.serving.decoding import (
    JSON_TYPE,
    MULTIPART_TYPE,
    RequestError,
    check_keys,
    decode_base64,
    media_type,
    parse_json,
    read_body,
    upload_from_form,
)
from ppocr.serving.metrics import Metrics
from ppocr.serving.service import OCRReply, OCRService
from ppocr.utils.logging import get_logger

OCR_ROUTE = "/ocr"
HUB_ROUTE = "/predict/ocr_system"
ROUTES = (OCR_ROUTE, HUB_ROUTE, "/health", "/ready", "/metrics")


class MetricsMiddleware:
    """Counts every HTTP response by route (unknown paths as ``other``) and status, and times it."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in ROUTES else "other"
        status = 500
        t0 = time.perf_counter()

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe_request(route, status, time.perf_counter() - t0)


def hub_lines(reply: OCRReply) -> list[dict[str, Any]]:
    """One image's lines as upstream's ocr_system module gives them (``text_region``: int points)."""
    return [{"text": ln.text, "confidence": float(ln.score),
             "text_region": [[int(x), int(y)] for x, y in ln.points]} for ln in reply.result.lines]


def create_app(service: OCRService) -> FastAPI:
    """The FastAPI app over ``service``; its lifespan starts loading and closes the pool."""
    config = service.config
    log = get_logger()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        yield
        service.close()

    app = FastAPI(title="ppocr", summary="PP-OCR over HTTP", lifespan=lifespan)
    app.add_middleware(MetricsMiddleware, metrics=service.metrics)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> Response:
        if service.state == "ready":
            return JSONResponse({"ready": True, "models": service.models})
        return JSONResponse({"ready": False, "state": service.state, "error": service.error}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(service.metrics.render(service.gauges()),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post(OCR_ROUTE)
    async def ocr(request: Request) -> Response:
        async def read() -> list[tuple[str, bytes]]:
            kind = media_type(request)
            if kind not in (MULTIPART_TYPE, JSON_TYPE):
                raise RequestError(415, f"Content-Type must be {MULTIPART_TYPE} (field 'file') or {JSON_TYPE} "
                                        f"({{\"image\": base64}}), got {kind or 'none'!r}")
            body = await read_body(request, config.max_bytes)
            if kind == MULTIPART_TYPE:
                return [("file", await upload_from_form(request, body, "file"))]
            obj = check_keys(parse_json(body), ("image",), "JSON body")
            return [("image", decode_base64(obj["image"], "image"))]

        try:
            reply = (await service.process(read, service.ocr_images))[0]
        except RequestError as exc:
            return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)
        except Exception as exc:  # noqa: BLE001 - a bug, not the client's fault: 500, the worker lives on
            log.exception("POST /ocr failed")
            return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)
        return JSONResponse({**reply.result.to_dict(), "ms": reply.ms()})

    @app.post(HUB_ROUTE)
    async def ocr_system(request: Request) -> Response:
        async def read() -> list[tuple[str, bytes]]:
            kind = media_type(request)
            if kind != JSON_TYPE:
                raise RequestError(415, f"Content-Type must be {JSON_TYPE} ({{\"images\": [base64, ...]}}), "
                                        f"got {kind or 'none'!r}")
            obj = check_keys(parse_json(await read_body(request, config.max_bytes)), ("images",), "JSON body")
            images = obj["images"]
            if not isinstance(images, list) or not images:
                raise RequestError(400, "'images' must be a non-empty list of base64 strings")
            if len(images) > config.max_images:
                raise RequestError(413, f"{len(images)} images is over max_images={config.max_images}")
            return [(f"images[{i}]", decode_base64(b64, f"images[{i}]")) for i, b64 in enumerate(images)]

        try:
            replies = await service.process(read, service.ocr_images)
        except RequestError as exc:
            return JSONResponse({"msg": exc.message, "results": "", "status": "101"}, status_code=exc.status,
                                headers=exc.headers)
        except Exception as exc:  # noqa: BLE001 - as above
            log.exception("POST %s failed", HUB_ROUTE)
            return JSONResponse({"msg": f"internal error: {type(exc).__name__}", "results": "", "status": "101"},
                                status_code=500)
        return JSONResponse({"msg": "", "results": [hub_lines(r) for r in replies], "status": "000"})

    return app


def create_app_from_env() -> FastAPI:
    """uvicorn's factory for ``--workers N``: each worker process builds its own service."""
    return create_app(OCRService(ServeConfig.from_env()))


def serve(config: ServeConfig) -> None:
    """Run uvicorn on ``config.host:config.port`` until interrupted."""
    import os

    import uvicorn

    from ppocr.serving.config import CONFIG_ENV

    common = {"host": config.host, "port": config.port, "log_level": config.log_level,
              "limit_concurrency": 4 * config.max_queue + 16, "timeout_keep_alive": 5}
    if config.workers == 1:
        uvicorn.run(create_app(OCRService(config)), **common)
        return
    os.environ[CONFIG_ENV] = config.to_json()
    uvicorn.run("ppocr.serving.app:create_app_from_env", factory=True, workers=config.workers, **common)
