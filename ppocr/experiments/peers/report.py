"""From run records to the table: ms/image per engine, texts vs upstream's, and ours/peer ratios.

Pure (numpy + stdlib): tested without any engine.

- Per round: *first pass* = mean ms over the photos the first time the process sees them;
  *warm* = the median over the warm passes of each pass's mean ms/photo. An engine's figure is the
  median over its rounds, with the range over rounds beside it. Load time is reported apart.
- Ratios are ``peer ms / ours ms``: above 1 ours is that many times faster, below 1 slower.
- Text agreement: per photo, each reference line (upstream predict_system's, from its first round)
  is paired with at most one line of the engine: pairs are taken greedily by IoU of the boxes'
  axis-aligned bounding rectangles, highest first, IoU >= ``IOU_MIN``. ``equal`` counts pairs with
  identical text; ``total`` counts pairs + unpaired lines of either side (a missed or extra line
  counts as a difference).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from ppocr.experiments.peers.runner import RunRecord
from ppocr.experiments.peers.specs import KINDS, OURS, UPSTREAM, EngineSpec

IOU_MIN = 0.5
GOAL = 1.5  # issue 12: >= 1.5x faster than the fastest peer
FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "upstream_system"


def stats(values: list[float]) -> dict[str, Any] | None:
    """``{"median", "min", "max", "values"}`` (rounded), or None for no values."""
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "values": [round(v, 3) for v in values]}


def first_ms_per_image(rec: RunRecord) -> float | None:
    return statistics.fmean(rec.first_ms.values()) if rec.first_ms else None


def warm_ms_per_image(rec: RunRecord) -> float | None:
    passes = [statistics.fmean(p.values()) for p in rec.warm_ms if p]
    return statistics.median(passes) if passes else None


def bbox(box: list[list[float]]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in box]
    ys = [p[1] for p in box]
    return min(xs), min(ys), max(xs), max(ys)


def iou(a: list[list[float]], b: list[list[float]]) -> float:
    """IoU of the axis-aligned bounding rectangles of two boxes."""
    ax0, ay0, ax1, ay1 = bbox(a)
    bx0, by0, bx1, by1 = bbox(b)
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def match_lines(ref: list[dict[str, Any]], other: list[dict[str, Any]],
                iou_min: float = IOU_MIN) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Greedy one-to-one pairing by box IoU: ``(pairs (ref i, other j), unpaired ref, unpaired other)``."""
    cands = sorted(((iou(r["box"], o["box"]), i, j) for i, r in enumerate(ref) for j, o in enumerate(other)),
                   key=lambda t: (-t[0], t[1], t[2]))
    used_r: set[int] = set()
    used_o: set[int] = set()
    pairs = []
    for value, i, j in cands:
        if value < iou_min:
            break
        if i in used_r or j in used_o:
            continue
        pairs.append((i, j))
        used_r.add(i)
        used_o.add(j)
    pairs.sort()
    return (pairs, [i for i in range(len(ref)) if i not in used_r],
            [j for j in range(len(other)) if j not in used_o])


def text_agreement(ref: dict[str, list[dict[str, Any]]], other: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """``{"equal", "total", "differences": [...]}`` over the photos of ``ref``."""
    equal = total = 0
    diffs = []
    for name in sorted(ref):
        r, o = ref[name], other.get(name, [])
        pairs, miss_r, miss_o = match_lines(r, o)
        total += len(pairs) + len(miss_r) + len(miss_o)
        for i, j in pairs:
            if r[i]["text"] == o[j]["text"]:
                equal += 1
            else:
                diffs.append({"image": name, "reference": r[i]["text"], "engine": o[j]["text"]})
        diffs += [{"image": name, "reference": r[i]["text"], "engine": None} for i in miss_r]
        diffs += [{"image": name, "reference": None, "engine": o[j]["text"]} for j in miss_o]
    return {"equal": equal, "total": total, "differences": diffs}


def fixture_reference(names: list[str], fixtures: Path = FIXTURES) -> dict[str, list[dict[str, Any]]] | None:
    """Upstream predict_system's recorded lines for the sample photos (``upstream_system/v4_*.txt``),
    for a run without the upstream engine; None unless every photo is there."""
    out: dict[str, list[dict[str, Any]]] = {}
    for folder in ("scene", "doc"):
        path = fixtures / f"v4_{folder}.txt"
        if not path.is_file():
            continue
        for row in path.read_text(encoding="utf-8").splitlines():
            fname, items = row.split("\t", 1)
            out[f"{folder}/{Path(fname).name}"] = [{"box": it["points"], "text": it["transcription"]}
                                                   for it in json.loads(items)]
    if not names or any(n not in out for n in names):
        return None
    return {n: out[n] for n in names}


def reference_lines(records: list[RunRecord], names: list[str]) -> tuple[dict[str, list[dict[str, Any]]] | None, str]:
    """Upstream's lines from this run (its earliest good round), else the recorded fixtures."""
    for rec in sorted(records, key=lambda r: r.round):
        if rec.kind == UPSTREAM and not rec.error and rec.spec == UPSTREAM:
            return rec.lines, f"upstream predict_system in this run (round {rec.round})"
    fixed = fixture_reference(names)
    if fixed is not None:
        return fixed, "upstream predict_system's recorded results (tests/fixtures/upstream_system/v4_*.txt)"
    return None, "none (no upstream engine in the run)"


def summarize(specs: list[EngineSpec], records: list[RunRecord]) -> dict[str, Any]:
    """Per spec: load/first/warm stats over rounds, texts vs upstream, versions, models, errors; and ratios."""
    names = sorted({n for r in records for n in r.first_ms})
    ref, ref_source = reference_lines(records, names)
    rows = []
    for spec in specs:
        recs = [r for r in records if r.spec == spec.name]
        good = [r for r in recs if not r.error]
        row: dict[str, Any] = {
            "spec": spec.name, "kind": spec.kind, "engine": KINDS[spec.kind], "options": spec.option_dict(),
            "rounds_ok": len(good), "rounds": len(recs),
            "errors": [f"round {r.round}: {r.error}" for r in recs if r.error],
            "load_s": stats([r.load_s for r in good if r.load_s is not None]),
            "first_ms_per_image": stats([v for r in good if (v := first_ms_per_image(r)) is not None]),
            "warm_ms_per_image": stats([v for r in good if (v := warm_ms_per_image(r)) is not None]),
            "peak_rss_mb": max((r.peak_rss_mb for r in good if r.peak_rss_mb), default=None),
            "amortized": any(r.amortized for r in good),
            "versions": good[0].info.get("versions", {}) if good else {},
            "models": good[0].info.get("models", {}) if good else {},
            "notes": good[0].info.get("notes", []) if good else [],
            "deterministic": all(len(set(d)) == 1 for r in good for d in r.digests.values())
            and all(len({tuple(r.digests.get(n, [])[:1]) for r in good}) <= 1 for n in names),
        }
        for key in ("openvino_precision", "kwargs", "predictors"):
            if good and key in good[0].info:
                row[key] = good[0].info[key]
        row["is_reference"] = ref_source.startswith("upstream predict_system in this run") and spec.name == UPSTREAM
        if ref is not None and good:
            agreement = text_agreement(ref, min(good, key=lambda r: r.round).lines)
            row["texts_equal"], row["texts_total"] = agreement["equal"], agreement["total"]
            row["text_differences"] = agreement["differences"][:20]
        rows.append(row)
    return {"rows": rows, "ratios": ratios(rows), "goal": goal(rows), "text_reference": ref_source,
            "images": names}


def _median(row: dict[str, Any], key: str) -> float | None:
    s = row.get(key)
    return s["median"] if s else None


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``peer ms / ours ms`` (warm and first pass) for every ours row against every other row."""
    out = []
    for ours in (r for r in rows if r["kind"] == OURS):
        for peer in (r for r in rows if r["kind"] != OURS):
            entry: dict[str, Any] = {"ours": ours["spec"], "peer": peer["spec"]}
            for key, tag in (("warm_ms_per_image", "warm"), ("first_ms_per_image", "first")):
                o, p = _median(ours, key), _median(peer, key)
                entry[tag] = round(p / o, 4) if o and p else None
            out.append(entry)
    return out


def goal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ours row against the fastest peer (warm and first pass separately) and the 1.5x goal."""
    peers = [r for r in rows if r["kind"] != OURS]
    out = []
    for ours in (r for r in rows if r["kind"] == OURS):
        entry: dict[str, Any] = {"ours": ours["spec"]}
        for key, tag in (("warm_ms_per_image", "warm"), ("first_ms_per_image", "first")):
            timed = [(p["spec"], _median(p, key)) for p in peers if _median(p, key)]
            o = _median(ours, key)
            if not timed or not o:
                entry[tag] = None
                continue
            name, best = min(timed, key=lambda t: t[1])
            entry[tag] = {"fastest_peer": name, "ratio": round(best / o, 4), "met": best / o >= GOAL}
        out.append(entry)
    return out


def times_text(ratio: float | None) -> str:
    """``2.00× faster`` / ``2.50× slower`` / ``n/a`` for a ``peer/ours`` ratio."""
    if not ratio:
        return "n/a"
    return f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"


def _cell(s: dict[str, Any] | None, digits: int = 0) -> str:
    if not s:
        return "failed"
    fmt = f"{{:.{digits}f}}"
    if len(s["values"]) == 1:
        return fmt.format(s["median"])
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}–{fmt.format(s['max'])})"


def _versions(row: dict[str, Any]) -> str:
    v = row.get("versions") or {}
    keep = [k for k in v if k not in ("numpy", "opencv-python")]
    text = ", ".join(f"{k} {v[k]}" for k in keep) or "?"
    if row.get("openvino_precision"):
        text += f" ({'/'.join(row['openvino_precision'])})"
    return text


def format_report(summary: dict[str, Any]) -> str:
    """The markdown tables: engines, then ours/peer ratios, then the goal line per ours row."""
    lines = ["| engine | versions | load s | first pass ms/image | warm ms/image | texts = upstream | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in summary["rows"]:
        texts = f"{row['texts_equal']}/{row['texts_total']}" if "texts_total" in row else "n/a"
        texts += " (reference)" if row.get("is_reference") else ""
        name = row["spec"] + (" (amortized)" if row.get("amortized") else "")
        rss = f"{row['peak_rss_mb']:.0f}" if row.get("peak_rss_mb") else "?"
        lines.append(f"| {name} | {_versions(row)} | {_cell(row['load_s'], 2)} | {_cell(row['first_ms_per_image'])} "
                     f"| {_cell(row['warm_ms_per_image'])} | {texts} | {rss} |")
    lines.append("")
    lines.append("median over rounds (range over rounds); texts compared with " + summary["text_reference"])
    for row in summary["rows"]:
        for err in row["errors"]:
            lines.append(f"- {row['spec']} {err}")
    if summary["ratios"]:
        lines += ["", "Ours vs each peer (peer ms / ours ms; '× faster' = ours takes less time):", "",
                  "| ours | peer | warm | first pass |", "|---|---|---|---|"]
        for r in summary["ratios"]:
            lines.append(f"| {r['ours']} | {r['peer']} | {times_text(r['warm'])} | {times_text(r['first'])} |")
    for g in summary["goal"]:
        parts = []
        for tag in ("warm", "first"):
            v = g.get(tag)
            if v:
                parts.append(f"{tag}: {times_text(v['ratio'])} than {v['fastest_peer']} "
                             f"(goal ≥ {GOAL}× faster: {'met' if v['met'] else 'not met'})")
        if parts:
            lines.append(f"\n{g['ours']} vs the fastest peer — " + "; ".join(parts))
    return "\n".join(lines)
