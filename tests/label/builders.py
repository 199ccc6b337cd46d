"""Folders, images and a stand-in OCR for the labeller's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ppocr.inference.results import RecText
from ppocr.label.records import Box

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "sample_images"
SCENE = REAL / "scene" / "254.jpg"


def arrow_image(width: int = 120, height: int = 60) -> np.ndarray:
    """BGR picture whose every 90/180-degree turn and mirror differ: a bar on the left, a dot top-right."""
    img = np.full((height, width, 3), 255, np.uint8)
    img[:, : width // 6] = (0, 0, 0)
    cv2.circle(img, (width - height // 4, height // 4), height // 8, (0, 0, 255), -1)
    cv2.rectangle(img, (width // 3, height // 2), (width // 2, height - 4), (255, 0, 0), -1)
    return img


def save_exif_jpeg(path: Path, img_bgr: np.ndarray, orientation: int) -> None:
    """Stored pixels ``img_bgr`` with an EXIF orientation tag (6: show turned 90 degrees clockwise)."""
    im = Image.fromarray(img_bgr[:, :, ::-1])
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(path, quality=98, exif=exif.tobytes())


def project(tmp_path: Path, name: str = "photos") -> Path:
    """A folder with a real photo, an EXIF-rotated JPEG, an alpha PNG, a 16-bit PNG, a non-ASCII name,
    a text file, a damaged "JPEG" and a PNG whose header claims 100 000 x 100 000 pixels."""
    from tests.helpers.images import png_bytes

    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(SCENE, folder / "254.jpg")
    save_exif_jpeg(folder / "exif6.jpg", arrow_image(), 6)
    rgba = np.zeros((40, 80, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[..., 3] = 255
    rgba[:, :40, 3] = 0
    cv2.imwrite(str(folder / "alpha.png"), rgba)
    cv2.imwrite(str(folder / "deep16.png"), np.full((30, 50, 3), 40000, np.uint16))
    shutil.copy(folder / "alpha.png", folder / "reçu café.png")
    (folder / "notes.txt").write_text("not a photo")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "huge.png").write_bytes(png_bytes(100_000, 100_000))
    return folder


class FakeAnnotator:
    """Detects one fixed box; recognizes any box as ``w<width>`` from the crop it was given."""

    def __init__(self) -> None:
        self.crops: list[np.ndarray] = []
        self.detected = 0

    def detect(self, img: np.ndarray) -> list[Box]:
        self.detected += 1
        return [Box([[2, 2], [20, 2], [20, 12], [2, 12]], "fake", score=0.42)]

    def recognize(self, img: np.ndarray, points: list[list[int]]) -> RecText:
        from ppocr.label.annotator import cut

        crop = cut(img, points)
        self.crops.append(crop)
        return RecText(f"w{crop.shape[1]}", 0.9)
