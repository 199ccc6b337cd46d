"""Install ppocr: ``pip install -e .`` (add ``[dev]`` for the test tools)."""

from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
requirements = [
    line.strip()
    for line in (here / "requirements.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

setup(
    name="ppocr",
    version="0.1.0",
    description="PaddlePaddle-native OCR training toolkit compatible with PaddleOCR 2.x / PP-OCRv2",
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # configs/ ships inside the package as ppocr.bundled_configs, so tools that name shipped configs
    # (ablation, benchmark) work from an installed wheel too (ppocr.resources.config_path).
    packages=find_packages(include=["ppocr", "ppocr.*"]) + ["ppocr.bundled_configs"],
    package_dir={"ppocr.bundled_configs": "configs"},
    package_data={"ppocr": ["synth/fonts/*", "utils/dicts/*", "label/static/*"],
                  "ppocr.bundled_configs": ["*.yml", "*/*.yml", "*/*/*.yml"]},
    include_package_data=True,
    install_requires=requirements,
    extras_require={
        # ONNX models: reading them for import (onnx) and running/verifying them (onnxruntime)
        "onnx": ["onnx>=1.16", "onnxruntime>=1.18"],
        # HTTP: the OCR server (ppocr serve) and the browser labeller (ppocr label)
        "serve": ["fastapi>=0.110", "uvicorn>=0.29", "python-multipart>=0.0.9"],
        # engine openvino: Paddle 2 dirs (inference.pdmodel) and .onnx files (tested with 2026.4.1)
        "openvino": ["openvino>=2025.0"],
        "dev": ["pytest>=8", "ruff>=0.5", "onnx>=1.16", "onnxruntime>=1.18", "fastapi>=0.110", "uvicorn>=0.29",
                "python-multipart>=0.0.9", "httpx>=0.27", "selenium>=4.20", "openvino>=2025.0"],
    },
    entry_points={"console_scripts": ["ppocr=ppocr.cli:main"]},
)
