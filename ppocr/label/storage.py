"""A labelling project: PPOCRLabel's files in the image folder, kept safe by a journal.

Files (PPOCRLabel's, so its projects open here and PaddleOCR's training reads the result):

- ``Label.txt``: the confirmed images that have boxes (as PPOCRLabel writes it).
- ``Cache.cach``: every image that has been pre-labelled or edited, confirmed or not (PPOCRLabel's
  cache of automatic results; it loads it under ``Label.txt``), with the recognizer's ``score``.
- ``fileState.txt``: ``/absolute/path<TAB>1`` per confirmed image (PaddleOCR 2.x's PPOCRLabel reads
  only absolute paths, the current one both forms).
- ``.ppocr_label/journal.jsonl`` and ``.ppocr_label/lock``: ours.

An edit is appended to the journal and fsynced, applied, then each changed file is rewritten
atomically (temp file, fsync, rename) and the journal cleared; only then is it acknowledged. At
start the journal is replayed, so a crash at any point loses nothing acknowledged. Lines for files
that are not images of the folder are written back unchanged; keys naming another folder (the
folder was renamed) are matched by file name and written with this folder's name.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from ppocr.errors import DataError
from ppocr.label.folder import DEFAULT_MAX_PIXELS, Skipped, scan_folder
from ppocr.label.journal import Journal, read_records
from ppocr.label.records import (
    Box,
    box_from_json,
    box_from_record,
    file_name_of,
    format_label_line,
    parse_label_line,
    parse_state_line,
)
from ppocr.weights.files import sync_dir, temp_path

LABEL_FILE, CACHE_FILE, STATE_FILE = "Label.txt", "Cache.cach", "fileState.txt"
WORK_DIR = ".ppocr_label"
STATUSES = ("new", "prelabelled", "confirmed")


class SaveError(RuntimeError):
    """A label file could not be written; the edit is kept in the journal."""


class Conflict(RuntimeError):
    """The image changed since the caller read it (e.g. edited while it was being pre-labelled)."""


@dataclass
class ImageLabel:
    """One image's state: ``status`` is ``new`` (untouched), ``prelabelled`` (pre-labelled or edited,
    not confirmed) or ``confirmed`` (checked by a person; in ``Label.txt``)."""

    name: str
    key: str
    status: str
    boxes: list[Box] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "status": self.status,
                "boxes": [b.to_json() for b in self.boxes]}


@dataclass
class LoadReport:
    """What opening the folder found."""

    images: int
    skipped: list[Skipped]
    rekeyed: int = 0  # labels whose key named another folder
    foreign: int = 0  # lines for files that are not images here, kept as they were
    replayed: int = 0  # journal records applied (edits a crash had not yet written to the files)


class LabelStore:
    """The project of one image folder. Thread-safe; ``readonly`` opens without locking or writing."""

    def __init__(self, folder: str, max_pixels: int = DEFAULT_MAX_PIXELS, readonly: bool = False) -> None:
        self.folder = os.path.abspath(folder)
        self.dirname = os.path.basename(self.folder)
        self.readonly = readonly
        scan = scan_folder(self.folder, max_pixels)
        self.names = scan.images
        self._lock = threading.Lock()
        self.report = LoadReport(images=len(self.names), skipped=scan.skipped)
        self._written: dict[str, str] = {}
        self._line_cache: dict[str, tuple[ImageLabel, tuple[str, str, str]]] = {}
        self._foreign: dict[str, list[str]] = {}
        self.journal: Journal | None = None
        self._lock_file = None if readonly else _lock_folder(os.path.join(self.folder, WORK_DIR))
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self._labels = self._load()
        journal_path = os.path.join(self.folder, WORK_DIR, "journal.jsonl")
        if not self.readonly:
            self.journal = Journal(journal_path)
        records = read_records(journal_path) if os.path.exists(journal_path) else []
        for number, record in enumerate(records, 1):
            self._apply(record, f"{journal_path}: record {number}")
        self.report.replayed = len(records)
        if records and self.journal is not None:
            self._flush()
            self.journal.clear()

    # ---- reading -------------------------------------------------------------------------------
    def _read(self, file: str) -> list[str]:
        path = os.path.join(self.folder, file)
        try:
            with open(path, encoding="utf-8-sig") as f:  # a BOM (Notepad) would hide the first key
                text = f.read()
        except FileNotFoundError:
            text = ""
        except UnicodeDecodeError:
            raise DataError(f"{path}: not UTF-8 text") from None
        self._written[file] = text
        return text.splitlines(keepends=True)

    def _match(self, key: str, file: str) -> str | None:
        name = file_name_of(key)
        if name not in self._known:
            return None
        if key != f"{self.dirname}/{name}" and not os.path.isabs(key):
            self.report.rekeyed += 1
        return name

    def _load_labels(self, file: str) -> dict[str, list[Box]]:
        out: dict[str, list[Box]] = {}
        for number, line in enumerate(self._read(file), 1):
            if not line.strip():
                continue
            where = f"{os.path.join(self.folder, file)}:{number}"
            key, records = parse_label_line(line, where)
            name = self._match(key, file)
            if name is None:
                self._foreign.setdefault(file, []).append(line if line.endswith("\n") else line + "\n")
                self.report.foreign += 1
                continue
            out[name] = [box_from_record(r, where) for r in records]
        return out

    def _load(self) -> dict[str, ImageLabel]:
        self._known = set(self.names)
        labels = self._load_labels(LABEL_FILE)
        cache = self._load_labels(CACHE_FILE)
        confirmed = set()
        for number, line in enumerate(self._read(STATE_FILE), 1):
            if not line.strip():
                continue
            path, state = parse_state_line(line, f"{os.path.join(self.folder, STATE_FILE)}:{number}")
            name = file_name_of(path)
            if name in self._known and state == "1":
                confirmed.add(name)
            else:
                self._foreign.setdefault(STATE_FILE, []).append(line if line.endswith("\n") else line + "\n")
        out = {}
        for name in self.names:
            boxes = labels.get(name, cache.get(name))  # PPOCRLabel: Label.txt over Cache.cach
            status = "confirmed" if name in confirmed else "prelabelled" if boxes is not None else "new"
            out[name] = ImageLabel(name, f"{self.dirname}/{name}", status, list(boxes or []))
        return out

    def _apply(self, record: dict[str, Any], where: str) -> None:
        name, status, boxes = record.get("name"), record.get("status"), record.get("boxes")
        if name not in self._labels:
            return  # an image since removed from the folder
        if status not in STATUSES or not isinstance(boxes, list):
            raise DataError(f"{where}: journal record needs 'status' in {STATUSES} and a 'boxes' list")
        self._labels[name] = ImageLabel(name, f"{self.dirname}/{name}", status,
                                        [box_from_json(b, where) for b in boxes])

    # ---- the API -------------------------------------------------------------------------------
    def get(self, name: str) -> ImageLabel:
        """The label of image ``name`` (a copy-free view: do not mutate)."""
        try:
            return self._labels[name]
        except KeyError:
            raise KeyError(f"no image {name!r} in {self.folder}") from None

    def all(self) -> list[ImageLabel]:
        return [self._labels[n] for n in self.names]

    def save(self, name: str, boxes: list[Box], confirmed: bool | None = None,
             expect: ImageLabel | None = None) -> ImageLabel:
        """Replace the boxes of ``name``; ``confirmed`` sets the status (None keeps it, ``new`` becomes
        ``prelabelled``). With ``expect`` (a label ``get`` returned), ``Conflict`` if the image was saved
        since. Durable when it returns."""
        if self.journal is None:
            raise SaveError(f"{self.folder} is {'opened read-only' if self.readonly else 'closed'}")
        self.get(name)
        with self._lock:
            current = self._labels[name]
            if expect is not None and current is not expect:
                raise Conflict(f"{name} was edited meanwhile; its edits are kept")
            if confirmed is None:
                status = "prelabelled" if current.status == "new" else current.status
            else:
                status = "confirmed" if confirmed else "prelabelled"
            record = {"name": name, "status": status, "boxes": [b.to_json() for b in boxes]}
            self.journal.append(record)
            self._apply(record, "edit")
            self._flush()
            self.journal.clear()
            return self._labels[name]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for label in self._labels.values():
            out[label.status] += 1
        return out

    # ---- writing -------------------------------------------------------------------------------
    def _lines(self, item: ImageLabel) -> tuple[str, str, str]:
        """The image's ``Label.txt``, ``Cache.cach`` and ``fileState.txt`` lines ("" when absent), kept per
        label object so an edit re-encodes one image, not the project."""
        cached = self._line_cache.get(item.name)
        if cached is not None and cached[0] is item:
            return cached[1]
        label = cache = state = ""
        if item.status != "new":
            cache = format_label_line(item.key, [b.cache_dict() for b in item.boxes])
        if item.status == "confirmed":
            state = f"{os.path.join(self.folder, item.name)}\t1\n"
            if item.boxes:  # PPOCRLabel leaves confirmed images without boxes out of Label.txt
                label = format_label_line(item.key, [b.label_dict() for b in item.boxes])
        self._line_cache[item.name] = (item, (label, cache, state))
        return label, cache, state

    def _render(self) -> dict[str, str]:
        lines = [self._lines(item) for item in self.all()]
        return {file: "".join([ln[i] for ln in lines] + self._foreign.get(file, []))
                for i, file in enumerate((LABEL_FILE, CACHE_FILE, STATE_FILE))}

    def _flush(self) -> None:
        changed = False
        for file, text in self._render().items():
            if text == self._written.get(file, ""):
                continue
            path = os.path.join(self.folder, file)
            tmp = temp_path(path)
            try:
                with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
                raise SaveError(f"cannot write {path} ({exc.strerror or exc}); the edit is kept in "
                                f"{self.journal.path if self.journal else 'memory'}") from None
            self._written[file] = text
            changed = True
        if changed:
            sync_dir(self.folder)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def _lock_folder(work_dir: str):
    """Hold ``work_dir/lock`` for the process's life, so two servers never edit one folder."""
    try:
        os.makedirs(work_dir, exist_ok=True)
        handle = open(os.path.join(work_dir, "lock"), "a+")  # noqa: SIM115 - held until close()
    except OSError as exc:
        raise DataError(f"cannot write to {os.path.dirname(work_dir)} ({exc.strerror or exc}); labels are saved "
                        "in the image folder") from None
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; run one server per folder
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "?"
        handle.close()
        raise DataError(f"{os.path.dirname(work_dir)} is open in another ppocr label (pid {owner}); stop it "
                        "first, or export with the page's Export button") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
