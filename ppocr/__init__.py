"""ppocr: a PaddlePaddle-native OCR training toolkit compatible with PaddleOCR 2.x (PP-OCRv2)."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``from ppocr import OCR`` without importing Paddle for every ``import ppocr``."""
    if name == "OCR":
        from ppocr.ocr import OCR

        return OCR
    raise AttributeError(f"module 'ppocr' has no attribute {name!r}")
