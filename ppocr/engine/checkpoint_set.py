"""Committing a checkpoint's files as one set, in upstream's prefix layout.

A set is ``prefix.pdparams`` (or ``prefix.safetensors``), ``prefix.pdopt`` and
``prefix.states``; the ``.states`` file records the size and sha256 of the others, so it
is the commit record. A save runs:

1. every file is written to a temp name beside it (fsync);
2. ``prefix.saving`` is created: from here until step 5 the set at ``prefix`` is in flux;
3. the committed set, if any, gets a second name, ``prefix.prev`` (hard links, its
   ``.states`` last, so ``prev`` only vouches for itself once complete); after an
   interrupted save the existing ``prev`` already is the last committed set and is kept;
4. the new files are renamed into place, ``.states`` last: the commit point;
5. ``prefix.saving`` and ``prefix.prev`` are removed.

A kill anywhere leaves a state ``check_committed`` can tell apart: no marker → the set is
whole (ours, verified by hashes, or upstream's); a marker with a ``.states`` whose hashes
match → committed just before the kill (accepted); a marker otherwise → refused, naming
``prefix.prev`` (the set before the interrupted save) when it exists. Temp files of a killed
save are removed at the next save of the same prefix.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Mapping
from typing import Any

from ppocr.errors import DataError
from ppocr.weights.files import sync_and_digest, sync_dir

logger = logging.getLogger("ppocr")

SAVING_SUFFIX = ".saving"
PREV_SUFFIX = ".prev"
STATES_EXT = ".states"
SET_EXTS = (".pdparams", ".safetensors", ".pdopt", STATES_EXT)  # .states last


def set_files(prefix: str) -> list[str]:
    """Existing files of the set at ``prefix``, ``.states`` last."""
    return [prefix + ext for ext in SET_EXTS if os.path.isfile(prefix + ext)]


def _remove_set(prefix: str) -> None:
    """Delete a set, ``.states`` first so a half-deleted set never looks valid."""
    for path in sorted(set_files(prefix), key=lambda p: not p.endswith(STATES_EXT)):
        os.remove(path)


def _link_set(src: str, dst: str) -> None:
    """Make ``dst`` a second name of the set at ``src`` (hard links; copies where links fail).

    ``src`` stays whole throughout, and ``dst`` only vouches for itself once its ``.states``
    (linked last) is there.
    """
    _remove_set(dst)
    for path in set_files(src):  # .states last
        target = dst + path[len(src):]
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def commit_set(prefix: str, staged: Mapping[str, str]) -> None:
    """Rename staged temp files (``{ext: temp_path}``, one of them ``.states``) into the set at
    ``prefix`` following the protocol in the module docstring."""
    folder = os.path.dirname(os.path.abspath(prefix))
    marker, prev = prefix + SAVING_SUFFIX, prefix + PREV_SUFFIX
    interrupted = os.path.exists(marker)  # an earlier save of this prefix was killed
    with open(marker, "w", encoding="utf-8") as f:
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        os.fsync(f.fileno())
    sync_dir(folder)
    if not (interrupted and os.path.isfile(prev + STATES_EXT)) and set_files(prefix):
        _link_set(prefix, prev)  # after an interrupted save, prev already is the last committed set
    for path in set_files(prefix):
        if not any(path == prefix + ext for ext in staged):
            os.remove(path)  # a file of the old set the new one does not have (.pdparams vs .safetensors)
    for ext in sorted(staged, key=lambda e: e == STATES_EXT):  # .states last: the commit point
        os.replace(staged[ext], prefix + ext)
    sync_dir(folder)
    os.remove(marker)
    _remove_set(prev)
    sync_dir(folder)


def verify_files(prefix: str, files: Mapping[str, Any]) -> None:
    """Each file ``.states`` lists exists with the recorded size and sha256.

    Raises:
        DataError: naming the file and what differs.
    """
    for ext, info in files.items():
        path = prefix + ext
        if not os.path.isfile(path):
            raise DataError(f"{path} is missing but {prefix}.states lists it; the checkpoint is incomplete")
        size = os.path.getsize(path)
        if size != info.get("size"):
            raise DataError(f"{path} has {size} bytes but {prefix}.states recorded {info.get('size')}: "
                            f"the file is half-written or was replaced; resume from another checkpoint")
        if sync_and_digest(path)["sha256"] != info.get("sha256"):
            raise DataError(f"{path}: sha256 differs from the one recorded in {prefix}.states: the file "
                            f"is corrupt or was replaced; resume from another checkpoint")


def check_committed(prefix: str, ours: Mapping[str, Any] | None) -> None:
    """Refuse a set whose save was interrupted; verify our sets' hashes.

    ``ours`` is the ``"ppocr"`` part of the set's ``.states`` (``None`` when there is no
    ``.states`` or it is upstream's).

    Raises:
        DataError: the set was being written when the run stopped (says which set to use),
            or a file does not match the hashes ``.states`` recorded.
    """
    marker = prefix + SAVING_SUFFIX
    if os.path.exists(marker):
        if ours is not None:
            try:
                verify_files(prefix, ours.get("files") or {})
            except DataError:
                pass
            else:  # killed after the commit point: the set is whole
                logger.info("%s: save finished before the run stopped; removing %s", prefix, marker)
                os.remove(marker)
                return
        prev = prefix + PREV_SUFFIX
        instead = (f"resume from {prev} (the checkpoint before that save)" if os.path.isfile(prev + STATES_EXT)
                   else "resume from another checkpoint (best_accuracy, iter_epoch_N)")
        raise DataError(f"{prefix}: a save of this checkpoint was interrupted ({marker} is present), so its "
                        f"files may come from two different saves; {instead}")
    if ours is not None:
        verify_files(prefix, ours.get("files") or {})


_TEMP = re.compile(r"\.(?P<base>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp")


def remove_orphan_temps(prefix: str) -> list[str]:
    """Delete temp files that a killed save of ``prefix`` left (their writer is gone).

    Returns:
        The paths removed.
    """
    folder = os.path.dirname(os.path.abspath(prefix))
    base = os.path.basename(prefix)
    names = {base + ext for ext in SET_EXTS}
    removed = []
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        match = _TEMP.fullmatch(name)
        if not match or match.group("base") not in names or _alive(int(match.group("pid"))):
            continue
        path = os.path.join(folder, name)
        os.remove(path)
        removed.append(path)
    if removed:
        logger.info("removed %d temp file(s) left by an interrupted save of %s", len(removed), prefix)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
