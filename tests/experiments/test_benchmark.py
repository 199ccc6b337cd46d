"""run_benchmark with tiny exported models: every stage timed with oneDNN on and off, and a table."""

import numpy as np
import pytest

from ppocr.experiments.benchmark import STAGES, format_table, run_benchmark, text_like_crops
from tests.helpers.tiny_models import export_tiny, text_image


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("bench"))
    return {kind: export_tiny(kind, root)[2] for kind in ("det", "cls", "rec")}


@pytest.fixture(scope="module")
def result(dirs):
    return run_benchmark(dirs, text_image(160, 320, seed=0), num_crops=4, limit_side_len=320, repeats=1,
                         warmup=0, cpu_threads=1)


def test_every_stage_is_timed_with_onednn_on_and_off(result):
    assert set(result) == {"onednn_on", "onednn_off", "ratio_off_over_on", "num_crops"}
    assert result["num_crops"] == 4
    for key, active in (("onednn_on", True), ("onednn_off", False)):
        run = result[key]
        assert all(run[s] > 0 for s in STAGES), run
        assert run["total"] == pytest.approx(sum(run[s] for s in STAGES), abs=0.011)
        assert run["onednn_active"] is active
        assert run["det_input"] == [1, 3, 160, 320]
        assert run["det_boxes"] >= 0


def test_ratio_is_off_over_on_per_stage(result):
    on, off, ratio = result["onednn_on"], result["onednn_off"], result["ratio_off_over_on"]
    assert set(ratio) == {*STAGES, "total"}
    for stage, value in ratio.items():
        assert value == round(off[stage] / on[stage], 2) and value > 0


def test_table_has_a_row_per_stage(result):
    table = format_table(result)
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    assert set(rows) == {"stage", *STAGES, "total"}
    for stage in (*STAGES, "total"):
        cells = [c.strip() for c in rows[stage].split("|")[1:-1]]
        assert cells == [stage, str(result["onednn_on"][stage]), str(result["onednn_off"][stage]),
                         f"{result['ratio_off_over_on'][stage]}x"]
    assert "oneDNN actually active: True / False" in table


def test_text_like_crops_have_line_proportions():
    img = np.zeros((300, 900, 3), dtype=np.uint8)
    crops = text_like_crops(img, 30, seed=1)
    assert len(crops) == 30
    for crop in crops:
        h, w = crop.shape[:2]
        assert 20 <= h <= 48 and 2 * h - 1 <= w <= 12 * h
    assert [c.shape for c in text_like_crops(img, 5, seed=1)] == [c.shape for c in crops[:5]]
