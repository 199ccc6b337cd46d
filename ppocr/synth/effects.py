"""Photometric degradations (blur, noise, low resolution, JPEG) that make clean renders look captured."""

from __future__ import annotations

import cv2
import numpy as np

from ppocr.errors import DataError


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Defocus-like blur; ``sigma`` in pixels (0 = unchanged)."""
    if sigma <= 0:
        return img
    return cv2.GaussianBlur(img, (0, 0), sigmaX=float(sigma))


def motion_blur(img: np.ndarray, length: int, horizontal: bool = True) -> np.ndarray:
    """Camera-shake blur along one axis over ``length`` pixels."""
    if length <= 1:
        return img
    return cv2.blur(img, (int(length), 1) if horizontal else (1, int(length)))


def low_resolution(img: np.ndarray, factor: float) -> np.ndarray:
    """Downsample by ``factor`` (> 1) and back: the softness of small, upscaled crops."""
    h, w = img.shape[:2]
    sw, sh = max(1, int(round(w / factor))), max(1, int(round(h / factor)))
    small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def gaussian_noise(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Sensor noise, independent per pixel and channel."""
    if sigma <= 0:
        return img
    return img + rng.normal(0.0, sigma, img.shape).astype(np.float32)


def random_degrade(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Apply a random mix of the degradations above; returns uint8.

    The draws happen in a fixed order whatever is applied, so one seed always gives one image.
    """
    img = img.astype(np.float32, copy=False)
    r_blur, r_motion, r_lowres, r_noise = rng.random(4)
    sigma_blur = rng.uniform(0.3, 1.1) * strength
    motion_len = int(rng.integers(2, 5))
    factor = rng.uniform(1.3, 2.0)
    sigma_noise = rng.uniform(2.0, 10.0) * strength
    if r_blur < 0.35:
        img = gaussian_blur(img, sigma_blur)
    elif r_motion < 0.1:
        img = motion_blur(img, motion_len)
    if r_lowres < 0.15 * strength:
        img = low_resolution(img, factor)
    if r_noise < 0.5:
        img = gaussian_noise(img, rng, sigma_noise)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def random_jpeg_quality(rng: np.random.Generator) -> int:
    """Mostly good quality, sometimes visibly blocky (compression artefacts in the wild)."""
    return int(rng.integers(30, 60)) if rng.random() < 0.25 else int(rng.integers(60, 96))


def encode_jpeg(img_rgb: np.ndarray, quality: int = 90) -> bytes:
    """JPEG bytes of an RGB uint8 image (the same bytes for the same input and quality)."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(img_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise DataError(f"JPEG encoding failed for an image of shape {img_rgb.shape}")
    return buf.tobytes()
