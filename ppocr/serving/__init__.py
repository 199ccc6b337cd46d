"""The OCR HTTP server (``ppocr serve``): FastAPI + uvicorn over the inference predictors.

One job per module: ``config`` (flags → ``ServeConfig``), ``decoding`` (bounded body reads, upload and
JSON/base64 parsing, image checks → ``RequestError``), ``batching`` (recognizer calls of concurrent
requests merged into shared batches), ``pinning`` (each predictor on one thread of its own),
``service`` (models, warm-up, thread pool, bounded admission), ``metrics`` (Prometheus text), ``app``
(routes), ``loadtest`` (a bounded loopback load generator). Needs the ``[serve]`` extra (fastapi,
uvicorn, python-multipart).
"""
