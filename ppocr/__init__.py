"""ppocr: a PaddlePaddle-native OCR training toolkit compatible with PaddleOCR 2.x (PP-OCRv2)."""

__version__ = "0.1.0"
