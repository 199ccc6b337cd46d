"""Recognizer batches shared by concurrent requests, with each crop's result what it gets alone.

Each request still runs ``TextRecognizer.__call__`` itself (same sort by aspect ratio, same chunks of
``batch_num``, same batch widths, same decoding), but on a view of the recognizer whose predictor hands
every chunk to one ``RecBatcher`` thread. The batcher waits up to ``wait_ms`` for the chunks of the
other requests inside recognition, concatenates chunks of the same input shape, runs the predictor
once per merged batch and gives each request back its own rows.

Exactness: paddle.inference/oneDNN gives a row a result that does not depend on what the other rows
hold, but does depend on the batch size and the row's position, through kernel choice: on the 2-core
build here sizes 1, 2..7 and 8.. give three slightly different results (~2e-6), and in batches of 9 or
more the rows after the last full group of 4 compute like a batch of 1. ``batch_signatures`` records, for every size up to ``max_batch``,
which result each position gets (a probe row repeated, at warm-up), and ``ExactRule`` lets chunks share
a batch only if every row then gets the result it gets in its own chunk, so merged results equal the
sequential ones bitwise. ``FreeRule`` merges any chunks of one shape up to a row count (results then
move by ~1e-6); ``NoMerge`` runs each chunk alone.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from ppocr.inference.rec import TextRecognizer
from ppocr.inference.results import RecResult

RunFn = Callable[[np.ndarray], np.ndarray]
Signature = tuple[int, ...]


def batch_signatures(run: RunFn, row_shape: tuple[int, ...], max_batch: int, seed: int = 0) -> list[Signature] | None:
    """``sigs[n][p]``: which distinct result a row at position ``p`` of a batch of ``n`` gets (``sigs[0]``
    unused), from one probe row repeated ``n`` times for ``n`` in ``1..max_batch`` (``n(n+1)/2`` rows).

    None when a row's result also depends on the other rows' content (checked once at ``max_batch``
    with random rows between the probes): then no merge is exact.
    """
    rng = np.random.default_rng(seed)
    probe = rng.uniform(-1, 1, row_shape).astype(np.float32)
    seen: list[np.ndarray] = []

    def ident(row: np.ndarray, add: bool = True) -> int:
        for k, other in enumerate(seen):
            if np.array_equal(row, other):
                return k
        if not add:
            return -1
        seen.append(row)
        return len(seen) - 1

    sigs: list[Signature] = [()]
    for n in range(1, max_batch + 1):
        out = np.asarray(run(np.repeat(probe[None], n, axis=0)))
        sigs.append(tuple(ident(out[p]) for p in range(n)))
    mixed = np.repeat(probe[None], max_batch, axis=0)
    mixed[1::2] = rng.uniform(-1, 1, mixed[1::2].shape)
    out = np.asarray(run(mixed))
    if any(ident(out[p], add=False) != sigs[max_batch][p] for p in range(0, max_batch, 2)):
        return None
    return sigs


class ExactRule:
    """Chunks of the probed row shape may share a batch iff each row's signature there equals its
    signature in its own chunk; chunks of other shapes (wider crops) run alone."""

    def __init__(self, sigs: Sequence[Signature], row_shape: tuple[int, ...]) -> None:
        self.sigs = list(sigs)
        self.row_shape = tuple(row_shape)

    def fits(self, shape: tuple[int, ...], sizes: Sequence[int]) -> bool:
        total = sum(sizes)
        if len(sizes) == 1:
            return True
        if tuple(shape) != self.row_shape or total >= len(self.sigs) or any(n >= len(self.sigs) for n in sizes):
            return False
        return tuple(itertools.chain.from_iterable(self.sigs[n] for n in sizes)) == self.sigs[total]

    def describe(self) -> str:
        distinct = len({k for sig in self.sigs for k in sig})
        return (f"exact (rows {list(self.row_shape)}, batch sizes 1-{len(self.sigs) - 1} probed: {distinct} "
                "distinct row results)")


class FreeRule:
    """Any chunks of one shape may share a batch of at most ``max_rows`` rows."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows

    def fits(self, shape: tuple[int, ...], sizes: Sequence[int]) -> bool:
        return len(sizes) == 1 or sum(sizes) <= self.max_rows

    def describe(self) -> str:
        return f"free (up to {self.max_rows} rows)"


class NoMerge:
    """Each chunk runs alone (what ``ExactRule`` degrades to when results depend on other rows)."""

    def fits(self, shape: tuple[int, ...], sizes: Sequence[int]) -> bool:
        return len(sizes) == 1

    def describe(self) -> str:
        return "none (results depend on other rows)"


def plan_batches(jobs: list[tuple[tuple[int, ...], int]], rule) -> list[list[int]]:
    """Group job indices into batches: ``jobs[i] = (row_shape, rows)``, rows concatenated in list order.

    Jobs of one shape are placed first-fit decreasing into the first batch ``rule.fits``; a job that fits
    nowhere opens a batch of its own.
    """
    batches: list[list[int]] = []
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, (shape, _) in enumerate(jobs):
        groups.setdefault(tuple(shape), []).append(i)
    for shape, members in groups.items():
        bins: list[list[int]] = []
        for i in sorted(members, key=lambda j: -jobs[j][1]):
            for b in bins:
                if rule.fits(shape, [jobs[j][1] for j in b] + [jobs[i][1]]):
                    b.append(i)
                    break
            else:
                bins.append([i])
        batches.extend(bins)
    return batches


@dataclass
class _Job:
    rows: np.ndarray
    future: Future = field(default_factory=Future)


@dataclass
class BatchStats:
    """Totals since start: predictor runs, rows, and runs that held chunks of several requests."""

    batches: int = 0
    rows: int = 0
    merged: int = 0


class RecBatcher:
    """One thread running a recognizer predictor on chunks from many threads, merged per ``plan_batches``.

    Args:
        run: ``rows [N, C, H, W] -> probs [N, T, K]`` (the predictor's first output).
        rule: which chunks may share a batch (``ExactRule``, ``FreeRule``, ``NoMerge``).
        wait_ms: after the first chunk arrives, wait at most this long for the chunks of the other
            requests now in recognition (not at all when none is).
        max_rows: stop waiting once this many rows are pending.
        on_batch: called with ``(rows, chunks)`` after each predictor run (metrics).
    """

    def __init__(self, run: RunFn, rule, wait_ms: float = 5.0, max_rows: int = 16,
                 on_batch: Callable[[int, int], None] | None = None) -> None:
        self.run = run
        self.rule = rule
        self.wait_s = max(0.0, wait_ms) / 1e3
        self.max_rows = max_rows
        self.on_batch = on_batch
        self.stats = BatchStats()
        self._pending: list[_Job] = []
        self._active = 0  # requests now inside recognition (each has at most one chunk pending)
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="ppocr-rec-batcher", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def enter(self) -> None:
        with self._cond:
            self._active += 1

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    def submit(self, rows: np.ndarray) -> Future:
        job = _Job(np.ascontiguousarray(rows, dtype=np.float32))
        with self._cond:
            if self._closed:
                raise RuntimeError("the rec batcher is closed")
            self._pending.append(job)
            self._cond.notify_all()
        return job.future

    def close(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _collect(self) -> list[_Job]:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait(0.5)
            deadline = time.monotonic() + self.wait_s
            while not self._closed:
                rows = sum(len(j.rows) for j in self._pending)
                left = deadline - time.monotonic()
                if len(self._pending) >= self._active or rows >= self.max_rows or left <= 0:
                    break
                self._cond.wait(left)
            jobs, self._pending = self._pending, []
            return jobs

    def _loop(self) -> None:
        while True:
            jobs = self._collect()
            if not jobs:
                if self._closed:
                    return
                continue
            plan = plan_batches([(j.rows.shape[1:], len(j.rows)) for j in jobs], self.rule)
            for members in plan:
                self._run([jobs[i] for i in members])

    def _run(self, jobs: list[_Job]) -> None:
        try:
            batch = jobs[0].rows if len(jobs) == 1 else np.concatenate([j.rows for j in jobs])
            probs = self.run(batch)
        except Exception as exc:  # noqa: BLE001 - handed to each waiting request, the thread lives on
            for job in jobs:
                job.future.set_exception(exc)
            return
        start = 0
        for job in jobs:
            job.future.set_result(probs[start:start + len(job.rows)])
            start += len(job.rows)
        self.stats.batches += 1
        self.stats.rows += len(batch)
        self.stats.merged += len(jobs) > 1
        if self.on_batch is not None:
            self.on_batch(len(batch), len(jobs))


class _BatchingPredictor:
    """Stands in for a recognizer's predictor: ``run(batch)`` waits for the batcher's rows."""

    def __init__(self, predictor, batcher: RecBatcher, timeout_s: float) -> None:
        self._predictor = predictor
        self._batcher = batcher
        self._timeout_s = timeout_s

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return [self._batcher.submit(inputs[0]).result(self._timeout_s)]

    def __getattr__(self, name: str):  # enable_mkldnn, input_names, ... of the real predictor
        return getattr(self._predictor, name)


class BatchedRecognizer:
    """``TextRecognizer`` whose predictor runs go through a shared ``RecBatcher``; same call, same result."""

    def __init__(self, recognizer: TextRecognizer, batcher: RecBatcher, timeout_s: float = 300.0) -> None:
        self.recognizer = recognizer
        self.batcher = batcher
        self._view = copy.copy(recognizer)
        self._view.predictor = _BatchingPredictor(recognizer.predictor, batcher, timeout_s)

    def __call__(self, images: list[np.ndarray]) -> RecResult:
        self.batcher.enter()
        try:
            return self._view(images)
        finally:
            self.batcher.leave()

    def describe(self) -> dict:
        return self.recognizer.describe()


def rec_runner(recognizer: TextRecognizer) -> RunFn:
    """``rows -> probs`` on the recognizer's real predictor."""
    return lambda rows: recognizer.predictor.run(rows)[0]
