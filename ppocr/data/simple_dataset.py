"""Label-file datasets (``image_path<TAB>label`` lines) and the machinery all datasets share.

``OCRDataSet`` holds what every ppocr dataset does the same way: label checks at load
(counted in a ``DataReport``), ``ratio_list`` subsets, per-sample seeding so that
augmentation is a function of ``(seed, epoch, index)``, bounded retries for samples that
still fail mid-epoch, and the extra samples ops like CopyPaste ask for.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from paddle.io import Dataset
from PIL import Image

from ppocr.data.data_report import DataReport
from ppocr.data.imaug import build_transforms, transform
from ppocr.data.imaug.operators import too_big_to_decode
from ppocr.errors import ConfigError, DataError
from ppocr.registry import DATASETS

__all__ = ["OCRDataSet", "SimpleDataSet", "MODES", "CHECK_IMAGES", "MAX_ATTEMPTS"]

logger = logging.getLogger("ppocr")

MODES = ("Train", "Eval", "Test")
CHECK_IMAGES = ("header", "full", "none")
MAX_ATTEMPTS = 10  # samples tried in a row before a mid-epoch failure becomes an error


def _ratios(ratio_list: float | Sequence[float], n_sources: int, what: str) -> list[float]:
    if isinstance(ratio_list, (int, float)) and not isinstance(ratio_list, bool):
        ratio_list = [float(ratio_list)] * n_sources
    if isinstance(ratio_list, str) or not isinstance(ratio_list, Sequence):
        raise ConfigError(f"dataset.ratio_list must be a number or a list, got {ratio_list!r}")
    if len(ratio_list) != n_sources:
        raise ConfigError(f"dataset.ratio_list has {len(ratio_list)} values but there are {n_sources} {what}")
    out = []
    for r in ratio_list:
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0.0 <= r <= 1.0:
            raise ConfigError(f"dataset.ratio_list values must be in [0, 1], got {r!r}")
        out.append(float(r))
    return out


class OCRDataSet(Dataset):
    """Base of the registered datasets; subclasses load records and read one sample.

    Subclasses call ``_setup`` first, add each source's valid records (checked with
    ``_check_label``) with ``_add_source``, then call ``_finish``; they implement
    ``_read(record) -> dict`` (``img_path``, ``image`` bytes, ``label``) raising
    ``DataError`` when the record cannot be read.
    """

    def _setup(self, transforms: list, mode: str, seed: int | None, global_config: dict | None,
               ext_op_transform_idx: int, source: str, ratio_list: float | Sequence[float],
               sources: list[str], what: str) -> None:
        if mode not in MODES:
            raise ConfigError(f"dataset mode must be one of {MODES}, got {mode!r}")
        self.ratios = _ratios(ratio_list, len(sources), what)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"seed must be an integer, got {seed!r}")
        self.mode = mode
        self.is_train = mode == "Train"
        self.seed = seed
        # Without a seed, draw one: samples still get distinct, per-sample random streams
        # (forked workers would otherwise repeat each other's augmentations).
        self._base_seed = (seed if seed is not None else secrets.randbits(32)) % 2**32
        self.epoch = 0
        self.ops = build_transforms(transforms, global_config, where=f"{mode}.dataset.transforms")
        if isinstance(ext_op_transform_idx, bool) or not isinstance(ext_op_transform_idx, int) \
                or not 0 <= ext_op_transform_idx <= len(self.ops):
            raise ConfigError(f"{mode}.dataset.ext_op_transform_idx must be an integer in [0, {len(self.ops)}], "
                              f"got {ext_op_transform_idx!r}")
        self.ext_op_transform_idx = ext_op_transform_idx
        self.ext_data_num = next((int(op.ext_data_num) for op in self.ops if hasattr(op, "ext_data_num")), 0)
        self._label_ops = [op for op in self.ops if callable(getattr(op, "check_label", None))]
        self._note_ops = [op for op in self.ops if callable(getattr(op, "label_notes", None))]
        self._seeded_ops = [op for op in self.ops if callable(getattr(op, "set_random_seed", None))]
        self.report = DataReport(source)
        self._records: list[Any] = []
        self._source_sizes: list[int] = []

    # ---- load-time checks -------------------------------------------------------------
    def _check_label(self, label: str, where: str) -> bool:
        """Run every op's ``check_label``; count the first reason (and label notes)."""
        reason = "empty label" if label == "" else None
        for op in self._label_ops:
            if reason is not None:
                break
            reason = op.check_label(label)
        if reason is not None:
            self.report.add_problem(reason, where, unscorable=self.mode == "Eval")
            return False
        for op in self._note_ops:
            for note in op.label_notes(label) or ():
                self.report.add_note(note, where)
        return True

    def _add_source(self, records: list[Any]) -> None:
        self._records.extend(records)
        self._source_sizes.append(len(records))

    def _finish(self) -> None:
        self.report.valid = len(self._records)
        self.report.check_usable()
        self.report.log(logger, self.mode)
        self.need_reset = any(r < 1.0 for r in self.ratios)  # upstream's name for "subset per epoch"
        self._select(0)
        if len(self._index) == 0:
            raise DataError(f"ratio_list {self.ratios} selects no sample of {self.report.valid} in "
                            f"{self.report.source}")
        if self.need_reset:
            logger.info("%s data: %d of %d valid samples per epoch (ratio_list %s)", self.mode,
                        len(self._index), self.report.valid, self.ratios)

    def _select(self, epoch: int) -> None:
        """Indices of the records used this epoch: ratio subsets drawn from (seed, epoch)."""
        parts, offset = [], 0
        for src, (n, ratio) in enumerate(zip(self._source_sizes, self.ratios, strict=True)):
            if ratio >= 1.0:
                chosen = np.arange(n)
            else:
                rng = np.random.default_rng([self._base_seed, epoch if self.is_train else 0, src])
                chosen = np.sort(rng.choice(n, size=round(n * ratio), replace=False))
            parts.append(chosen + offset)
            offset += n
        self._index = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    # ---- epoch-time -------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Make augmentation (and ratio subsets) a function of ``epoch`` as well."""
        self.epoch = int(epoch)
        if self.need_reset and self.is_train:
            self._select(self.epoch)

    def __len__(self) -> int:
        return len(self._index)

    def sample_path(self, idx: int) -> str:
        """Where sample ``idx`` comes from (file:line or LMDB key), for log messages."""
        return self._where(self._records[self._index[idx]])

    def _where(self, record: Any) -> str:
        raise NotImplementedError

    def _read(self, record: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _seed_sample(self, idx: int, attempt: int) -> None:
        state = np.random.SeedSequence([self._base_seed, self.epoch, idx, attempt]).generate_state(1)
        sample_seed = int(state[0])
        random.seed(sample_seed)
        np.random.seed(sample_seed)
        for op in self._seeded_ops:
            op.set_random_seed(sample_seed)

    def _runtime_failure(self, reason: str, record: Any) -> None:
        where = self._where(record)
        if reason.startswith(where + ": "):
            reason = reason[len(where) + 2:]
        if self.report.add_runtime(reason, where):
            logger.warning("%s data: %s: %s; using another sample", self.mode, where, reason)

    def _ext_data(self) -> list[dict[str, Any]]:
        """``ext_data_num`` other samples through the first ``ext_op_transform_idx`` ops."""
        out: list[dict[str, Any]] = []
        load_ops = self.ops[: self.ext_op_transform_idx]
        for _ in range(self.ext_data_num * MAX_ATTEMPTS):
            if len(out) >= self.ext_data_num:
                break
            record = self._records[self._index[random.randrange(len(self._index))]]
            try:
                data = transform(self._read(record), load_ops)
            except (DataError, cv2.error) as exc:
                self._runtime_failure(str(exc), record)
                continue
            if data is None:
                self._runtime_failure("a transform returned None", record)
                continue
            out.append(data)
        return out

    def __getitem__(self, idx: int) -> list[Any]:
        # Per-sample seeding sets the process-wide ``random``/``np.random`` states the
        # transforms draw from. Paddle's loader prefetches in a thread even with
        # num_workers=0, so two loaders (train prefetch + eval) would interleave their draws:
        # seeding and the transforms run as one step.
        with _SAMPLE_LOCK:
            return self._load(int(idx))

    def _load(self, idx: int) -> list[Any]:
        reason, record = "", None
        for attempt in range(MAX_ATTEMPTS):
            self._seed_sample(idx, attempt)
            record = self._records[self._index[idx]]
            try:
                data = self._read(record)
                data["ext_data"] = self._ext_data()
                outs = transform(data, self.ops)
            except (DataError, cv2.error) as exc:
                outs, reason = None, str(exc)
            else:
                reason = "a transform returned None"
            if outs is not None:
                return outs
            self._runtime_failure(reason, record)
            # Eval keeps upstream's deterministic "next sample"; Train draws another one.
            idx = random.randrange(len(self)) if self.is_train else (idx + 1) % len(self)
        raise DataError(f"{MAX_ATTEMPTS} samples in a row could not be loaded; last {self._where(record)}: "
                        f"{reason}")


_SAMPLE_LOCK = threading.Lock()


def _image_problem(path: str, check: str) -> str | None:
    """Why the image at ``path`` is unusable (by header or full decode), or None."""
    if check == "none":
        return None
    try:
        if check == "full":
            if too_big_to_decode(path):
                return None  # never decoded here; DecodeImage.max_pixels decides at load of the sample
            with open(path, "rb") as f:
                buf = np.frombuffer(f.read(), dtype=np.uint8)
            return None if buf.size and cv2.imdecode(buf, cv2.IMREAD_COLOR) is not None else "unreadable image"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.size  # noqa: B018 - parsing the header is the check
    except Image.DecompressionBombError:
        return None  # readable; DecodeImage.max_pixels decides
    except Exception as exc:  # noqa: BLE001 - any decoder complaint means unreadable
        return f"unreadable image: {type(exc).__name__}: {exc}"
    return None


@DATASETS.register()
class SimpleDataSet(OCRDataSet):
    """Samples from label files of ``relative/image/path<delimiter>label`` lines.

    Args:
        data_dir: directory the image paths are relative to.
        label_file_list: label file(s), UTF-8.
        transforms: ``[{OpName: params}, ...]``.
        mode, seed, global_config: injected by ``build_dataloader``.
        ratio_list: fraction of each label file used per epoch (number or one per file);
            in Train a new subset is drawn each epoch from (seed, epoch).
        delimiter: between path and label; lines split on the first one only.
        ext_op_transform_idx: ops applied to the extra samples of ops with ``ext_data_num``.
        check_images: at load, ``header`` (open with PIL, no decode), ``full`` (decode
            with OpenCV) or ``none``.
    """

    def __init__(
        self,
        data_dir: str,
        label_file_list: str | Sequence[str],
        transforms: list,
        mode: str = "Train",
        seed: int | None = None,
        global_config: dict[str, Any] | None = None,
        ratio_list: float | Sequence[float] = 1.0,
        delimiter: str = "\t",
        ext_op_transform_idx: int = 2,
        check_images: str = "header",
    ) -> None:
        super().__init__()
        files = [label_file_list] if isinstance(label_file_list, str) else list(label_file_list)
        if not files or not all(isinstance(f, str) for f in files):
            raise ConfigError(f"{mode}.dataset.label_file_list must be a non-empty list of paths, "
                              f"got {label_file_list!r}")
        if not isinstance(delimiter, str) or delimiter == "":
            raise ConfigError(f"{mode}.dataset.delimiter must be a non-empty string, got {delimiter!r}")
        if check_images not in CHECK_IMAGES:
            raise ConfigError(f"{mode}.dataset.check_images must be one of {CHECK_IMAGES}, got {check_images!r}")
        if not os.path.isdir(data_dir):
            raise DataError(f"{mode}.dataset.data_dir is not a directory: {data_dir}")
        self.data_dir = data_dir
        self.delimiter = delimiter
        self.check_images = check_images
        self._setup(transforms, mode, seed, global_config, ext_op_transform_idx, ", ".join(files),
                    ratio_list, files, "label files")
        self._image_cache: dict[str, str | None] = {}
        for path in files:
            self._add_source(self._load_file(path))
        self._finish()

    def _load_file(self, path: str) -> list[tuple[str, str, str]]:
        if not os.path.isfile(path):
            raise DataError(f"label file not found: {path}")
        with open(path, "rb") as f:
            raw_lines = f.read().split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        records = []
        for lineno, raw in enumerate(raw_lines, 1):
            where = f"{path}:{lineno}"
            try:
                line = raw.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError as exc:
                self.report.total += 1
                self.report.add_problem(f"line is not UTF-8 ({exc.reason} at byte {exc.start})", where)
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if line.strip() == "":
                self.report.add_note("blank line skipped", where)
                continue
            self.report.total += 1
            record = self._parse_line(line, where)
            if record is not None:
                records.append(record)
        return records

    def _parse_line(self, line: str, where: str) -> tuple[str, str, str] | None:
        if self.delimiter not in line:
            self.report.add_problem(f"line without delimiter {self.delimiter!r}", where)
            return None
        name, label = line.split(self.delimiter, 1)
        img_path = os.path.join(self.data_dir, name)
        if img_path not in self._image_cache:
            if not os.path.isfile(img_path):
                self._image_cache[img_path] = f"image file not found: {img_path}"
            else:
                self._image_cache[img_path] = _image_problem(img_path, self.check_images)
        problem = self._image_cache[img_path]
        if problem is not None:
            self.report.add_problem(problem, where)
            return None
        if not self._check_label(label, where):
            return None
        return (img_path, label, where)

    def _where(self, record: tuple[str, str, str]) -> str:
        return record[0]

    def _read(self, record: tuple[str, str, str]) -> dict[str, Any]:
        img_path, label, _ = record
        try:
            with open(img_path, "rb") as f:
                image = f.read()
        except OSError as exc:
            raise DataError(f"{img_path}: cannot read image ({exc.strerror or exc})") from exc
        return {"img_path": img_path, "label": label, "image": image}
