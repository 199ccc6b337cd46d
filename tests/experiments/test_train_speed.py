"""The training-speed driver: its clock, its parsing of both sides' step lines and its RSS cap."""

from __future__ import annotations

import sys

from ppocr.config import apply_overrides, load_config
from ppocr.experiments.train_speed import CONFIG, STEP_LINE, Run, overrides, timed_run

OURS = ("[2026/12/01 18:00:20] ppocr INFO: epoch: [1/1], global_step: 60, lr: 0.000978, CTCLoss: 42.07, "
        "loss: 45.44, avg_reader_cost: 0.0014s, avg_batch_cost: 4.9797s, avg_samples: 16, ips: 3.59 samples/s")
UPSTREAM = ("[2025/03/06 10:00:00] ppocr INFO: epoch: [1/1], global_step: 7, lr: 0.000010, loss: 50.1, "
            "avg_reader_cost: 0.01 s, avg_batch_cost: 9.1 s, avg_samples: 21.0, ips: 2.3 samples/s, eta: 0:01:00")


def test_step_lines_of_both_sides_parse():
    assert STEP_LINE.search(OURS).groups() == ("60", "16")
    assert STEP_LINE.search(UPSTREAM).groups() == ("7", "21.0")
    assert STEP_LINE.search("eval at step 50: acc: 0.1") is None


def test_rate_leaves_out_the_warm_up_steps():
    run = Run("x", steps=[(1, 100.0, 0.0), (2, 8.0, 50.0), (3, 8.0, 52.0), (4, 4.0, 53.0)])
    assert run.samples_per_s(skip=2) == (8 + 4) / 3.0
    assert run.samples_per_s(skip=4) is None
    assert run.seconds_per_batch(skip=2) == 3.0 / 2 and run.seconds_per_batch(skip=4) is None


def test_overrides_apply_to_the_v4_config():
    cfg = apply_overrides(load_config(CONFIG), overrides("/d", 32, 2, "/s"))
    assert cfg["Train"]["sampler"]["first_bs"] == cfg["Train"]["loader"]["batch_size_per_card"] == 32
    assert cfg["Train"]["sampler"]["scales"] == [[320, 32], [320, 48], [320, 64]]  # as in the file
    assert cfg["Train"]["dataset"]["label_file_list"] == ["/d/label.txt"]
    assert cfg["Global"]["distributed"] is False and cfg["Global"]["cal_metric_during_train"] is False


def test_timed_run_stops_at_the_step_and_enforces_the_rss_cap(tmp_path):
    script = "import time\nfor i in range(1, 50):\n    print(f'global_step: {i}, x, avg_samples: 4,', flush=True)\n" \
             "    time.sleep(0.01)\n"
    run = timed_run("t", [sys.executable, "-c", script], str(tmp_path), {}, steps=5, max_rss_gb=8.0, timeout_s=60)
    assert [s for s, _, _ in run.steps] == [1, 2, 3, 4, 5] and run.ended == "stopped after 5 steps"
    hog = "import time\nx = bytearray(300_000_000)\nx[::4096] = b'1' * len(x[::4096])\ntime.sleep(30)\n"
    run = timed_run("t", [sys.executable, "-c", hog], str(tmp_path), {}, steps=5, max_rss_gb=0.1, timeout_s=60)
    assert run.ended == "killed: RSS over 0.1 GB" and run.peak_rss_gb > 0.1 and not run.steps


def test_measure_alternates_sides_and_reports_means_and_round_ratios(monkeypatch, tmp_path):
    import ppocr.experiments.train_speed as ts

    order, rates = [], {"ours": iter([2.0, 4.0]), "upstream": iter([1.0, 4.0])}

    def fake(side, cmd, cwd, env, steps, max_rss_gb, timeout_s):
        order.append((side, cmd[1] if side == "upstream" else "--stop_after_steps" in cmd, env["OMP_NUM_THREADS"]))
        rate = next(rates[side])
        wall = 1.0 if side == "ours" else 2.0  # upstream's batches take twice as long, with twice the samples
        return Run(side, steps=[(1, 0.0, 0.0), (2, rate * wall, wall)], ended="stopped")

    monkeypatch.setattr(ts, "timed_run", fake)
    out = ts.measure(str(tmp_path), "/up/python", str(tmp_path), first_bs=8, steps=2, skip=1, rounds=2,
                     threads=3, work_dir=str(tmp_path / "w"))
    assert order == [("ours", True, "3"), ("upstream", "tools/train.py", "3")] * 2
    assert out["ours"] == 3.0 and out["upstream"] == 2.5 and out["ratio_ours_over_upstream"] == 1.2
    assert out["round_ratios"] == [2.0, 1.0]
    assert out["ours_s_per_batch"] == 1.0 and out["upstream_s_per_batch"] == 2.0
    assert out["batch_rate_ratio_ours_over_upstream"] == 2.0
    assert [r["batch_samples"] for r in out["runs"]] == [[2], [2], [4], [8]]
