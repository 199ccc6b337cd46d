"""Training samples/s of one config in ppocr and in upstream PaddleOCR, same data, batch, threads.

``python tools/train_speed.py --upstream_dir /tmp/h2/upstream_src --upstream_python /tmp/upvenv/bin/python
--data_dir train_data/synth_rec48_en/train --first_bs 32 --steps 14 --skip 4 --rounds 2``

Each side runs its own ``tools/train.py`` on ``-c CONFIG`` (default
``configs/rec/PP-OCRv4/ch_PP-OCRv4_rec.yml``: MultiScaleDataSet + MultiScaleSampler, scales and
shapes as in the file) with the same ``-o`` overrides: the data (``Train.dataset.data_dir`` and its
``label.txt``, PaddleOCR's ``path<TAB>text`` format, read by both sides' MultiScaleDataSet), the
batch (``Train.sampler.first_bs`` and ``Train.loader.batch_size_per_card``), ``num_workers``, CPU,
no distributed init, no train-time metric, no eval, a log line every step. Runs alternate
(ours, upstream, ours, ...) with ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` set alike. The clock is the
parent's: each ``global_step: N ... avg_samples: S`` line is stamped as it arrives, and samples/s
is the samples of steps ``skip+1..steps`` over the time from step ``skip``'s line to the last, so
start-up, the first (slow) steps and the final checkpoint are left out. Peak RSS is the process
tree's (workers included), polled every 0.2 s; a run over ``--max_rss_gb`` is killed and reported
as such, so an oversized batch cannot take the machine down.

Upstream's side, as measured for issue 13:
- a venv with paddlepaddle 3.3.1 and numpy 1.26 (``/tmp/upvenv``; the paddleocr 2.10 wheel in it
  lacks ``ppocr/modeling``, so its own code does not take part);
- upstream's source tree at commit 7c512f3be1c493d5c3d3107500da0ec488637180 of
  PaddlePaddle/PaddleOCR (PR #14810, "New capabilities added for version 2.10"):
  ``git --git-dir=MIRROR archive 7c512f3b ppocr tools configs/rec/PP-OCRv4 requirements.txt |
  tar -x -C /tmp/h2/upstream_src`` (any mirror holding that commit; git's hashes make the tree
  exactly upstream's);
- run as ``cd UPSTREAM_DIR && UPSTREAM_PYTHON tools/train.py -c configs/rec/PP-OCRv4/ch_PP-OCRv4_rec.yml
  -o ...`` with the overrides above (upstream has no step limit: the run is stopped after ``steps``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

CONFIG = os.path.join("configs", "rec", "PP-OCRv4", "ch_PP-OCRv4_rec.yml")
STEP_LINE = re.compile(r"global_step: (\d+),.*avg_samples: ([\d.]+)")


@dataclass
class Run:
    """One timed training run: stamped step lines, peak RSS and how it ended."""

    side: str
    steps: list[tuple[int, float, float]] = field(default_factory=list)  # (step, samples, time)
    peak_rss_gb: float = 0.0
    ended: str = ""
    tail: list[str] = field(default_factory=list)

    def _window(self, skip: int) -> tuple[list[float], float] | None:
        """(samples of each step after ``skip``, seconds from step ``skip``'s line to the last); None
        when the run did not get past ``skip``."""
        start = [t for s, _, t in self.steps if s == skip]
        later = [(n, t) for s, n, t in self.steps if s > skip]
        if not start or not later:
            return None
        return [n for n, _ in later], later[-1][1] - start[0]

    def samples_per_s(self, skip: int) -> float | None:
        """Samples of the steps after ``skip`` over the time since step ``skip``'s line."""
        window = self._window(skip)
        return None if window is None else sum(window[0]) / max(window[1], 1e-9)

    def seconds_per_batch(self, skip: int) -> float | None:
        """Mean wall seconds of the steps after ``skip``. MultiScaleSampler sizes every batch to the
        same pixel count (first_bs x the first scale), so unlike samples/s this does not depend on
        which heights the sampler happened to draw in a short run."""
        window = self._window(skip)
        return None if window is None else window[1] / len(window[0])


def overrides(data_dir: str, first_bs: int, num_workers: int, save_dir: str) -> list[str]:
    """The ``-o`` overrides both sides run with (see the module docstring)."""
    label = os.path.join(data_dir, "label.txt")
    return [f"Train.dataset.data_dir={data_dir}", f"Train.dataset.label_file_list=['{label}']",
            f"Eval.dataset.data_dir={data_dir}", f"Eval.dataset.label_file_list=['{label}']",
            f"Train.sampler.first_bs={first_bs}", f"Train.loader.batch_size_per_card={first_bs}",
            f"Train.loader.num_workers={num_workers}", "Global.use_gpu=false", "Global.distributed=false",
            "Global.cal_metric_during_train=false", "Global.print_batch_step=1",
            "Global.eval_batch_step=[0,1000000]", f"Global.save_model_dir={save_dir}",
            "Global.use_visualdl=false"]


def _tree_rss_gb(pid: int) -> float:
    """RSS of ``pid`` and its descendants (GB), from /proc; 0 where it cannot be read."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
        rss[int(name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total / 1e9


def timed_run(side: str, cmd: list[str], cwd: str, env: dict[str, str], steps: int,
              max_rss_gb: float, timeout_s: float) -> Run:
    """Run ``cmd`` until its ``steps``-th step line (then stop it), its end, the RSS cap or the timeout."""
    run = Run(side)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, start_new_session=True)
    stop = threading.Event()

    def watch() -> None:
        start = time.time()
        while not stop.is_set() and proc.poll() is None:
            run.peak_rss_gb = max(run.peak_rss_gb, _tree_rss_gb(proc.pid))
            if run.peak_rss_gb > max_rss_gb and not run.ended:
                run.ended = f"killed: RSS over {max_rss_gb} GB"
            elif time.time() - start > timeout_s and not run.ended:
                run.ended = f"killed: over {timeout_s:.0f} s"
            if run.ended:
                os.killpg(proc.pid, signal.SIGKILL)
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert proc.stdout is not None  # PIPE above
    for line in proc.stdout:
        run.tail = (run.tail + [line.rstrip()])[-20:]
        found = STEP_LINE.search(line)
        if found:
            run.steps.append((int(found.group(1)), float(found.group(2)), time.time()))
            if int(found.group(1)) >= steps:
                run.ended = run.ended or f"stopped after {steps} steps"
                break
    stop.set()
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    watcher.join()
    run.ended = run.ended or f"exited {proc.returncode} after {len(run.steps)} steps"
    return run


def measure(upstream_dir: str, upstream_python: str, data_dir: str, first_bs: int, steps: int = 14,
            skip: int = 4, rounds: int = 2, threads: int = 2, num_workers: int = 2, config: str = CONFIG,
            max_rss_gb: float = 8.0, timeout_s: float = 900.0, work_dir: str = "/tmp/train_speed",
            sides: tuple[str, ...] = ("ours", "upstream")) -> dict[str, Any]:
    """Alternate ``rounds`` runs per side; returns each run's figures, each side's mean and the ratio."""
    data_dir = os.path.abspath(data_dir)
    ours_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "PYTHONUNBUFFERED": "1", "PYTHONPATH": ours_root}
    up_env = {**env, "PYTHONPATH": os.path.abspath(upstream_dir)}
    runs = []
    for r in range(rounds):
        for side in sides:
            save = os.path.join(work_dir, f"{side}_{r}")
            opts = overrides(data_dir, first_bs, num_workers, save)
            if side == "ours":
                cmd = [sys.executable, os.path.join(ours_root, "tools", "train.py"), "-c",
                       os.path.join(ours_root, config), "--stop_after_steps", str(steps + 1), "-o", *opts]
                run = timed_run(side, cmd, ours_root, env, steps, max_rss_gb, timeout_s)
            else:
                cmd = [upstream_python, "tools/train.py", "-c", config, "-o", *opts]
                run = timed_run(side, cmd, upstream_dir, up_env, steps, max_rss_gb, timeout_s)
            rate, per_batch = run.samples_per_s(skip), run.seconds_per_batch(skip)
            runs.append({"side": side, "round": r, "samples_per_s": None if rate is None else round(rate, 3),
                         "s_per_batch": None if per_batch is None else round(per_batch, 2),
                         "batch_samples": [int(n) for s, n, _ in run.steps if s > skip],
                         "steps_seen": len(run.steps), "peak_rss_gb": round(run.peak_rss_gb, 2),
                         "ended": run.ended, "tail": [] if rate else run.tail[-8:]})
            print(f"{side} round {r}: {runs[-1]['samples_per_s']} samples/s, {runs[-1]['s_per_batch']} s per "
                  f"batch (samples {runs[-1]['batch_samples']}), peak RSS {runs[-1]['peak_rss_gb']} GB, "
                  f"{run.ended}", flush=True)
    result: dict[str, Any] = {"config": config, "first_bs": first_bs, "steps": steps, "skip": skip,
                              "threads": threads, "num_workers": num_workers, "runs": runs}
    for side in sides:
        result[side] = _mean_of_rounds(runs, side, "samples_per_s", rounds, 3)
        result[f"{side}_s_per_batch"] = _mean_of_rounds(runs, side, "s_per_batch", rounds, 2)
    if result.get("ours") and result.get("upstream"):
        result["ratio_ours_over_upstream"] = round(result["ours"] / result["upstream"], 3)
        # each round's pair ran back to back: its ratio shows how much the machine's load moved it
        result["round_ratios"] = [round(runs[2 * r]["samples_per_s"] / runs[2 * r + 1]["samples_per_s"], 3)
                                  for r in range(rounds) if sides == ("ours", "upstream")]
    if result.get("ours_s_per_batch") and result.get("upstream_s_per_batch"):
        # equal-pixel batches: the speed ratio with the draw of heights taken out
        result["batch_rate_ratio_ours_over_upstream"] = round(
            result["upstream_s_per_batch"] / result["ours_s_per_batch"], 3)
    return result


def _mean_of_rounds(runs: list[dict[str, Any]], side: str, key: str, rounds: int, digits: int) -> float | None:
    """A side's mean of ``key`` over its rounds; None unless every round has the figure."""
    values = [x[key] for x in runs if x["side"] == side and x[key]]
    return round(sum(values) / len(values), digits) if len(values) == rounds else None
