"""Per-stage profile of the OCR system on the sample photos, variants side by side in one run.

Each (variant, round) runs in a fresh spawned process, one after the other, the order alternating
per round: oneDNN keeps the kernels it built in a process-wide cache, so a variant run second in
the same process would find the first one's kernels and look faster on a "first pass".

Variants: ``exact`` (one image at a time, no buckets: upstream's inputs), ``buckets`` (det + rec
shape buckets), ``det_buckets``, ``rec_buckets``, ``overlap`` (``run_many``: det on its own thread),
``group4`` (``run_many(group=4)``: cls/rec batches across 4 images); ``NAME@N`` runs a variant with
a oneDNN shape cache of N; ``NAME:ENGINE[-PRECISION]`` on another engine (``exact:openvino-bf16``). Every variant's texts, scores and boxes are compared with the first's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import numpy as np

VARIANTS = {  # name: (det buckets, rec buckets, run mode, group)
    "exact": (False, False, "call", 1),
    "buckets": (True, True, "call", 1),
    "det_buckets": (True, False, "call", 1),
    "rec_buckets": (False, True, "call", 1),
    "overlap": (False, False, "many", 1),
    "group4": (False, False, "many", 4),
}
STAGES = ("det_preprocess", "det_inference", "det_postprocess", "crop", "cls", "rec")
SUB_STAGES = tuple(f"{m}_{s}" for m in ("cls", "rec") for s in ("preprocess", "inference", "postprocess"))


class Timed:
    """A classifier/recognizer whose stage seconds also add up in ``sink`` (``rec_inference``, ...)."""

    def __init__(self, inner, prefix: str, sink: dict[str, float]) -> None:
        self.inner, self.prefix, self.sink = inner, prefix, sink

    def __call__(self, crops):
        result = self.inner(crops)
        for k, v in result.times.items():
            self.sink[f"{self.prefix}_{k}"] = self.sink.get(f"{self.prefix}_{k}", 0.0) + v
        return result

    def __getattr__(self, name: str):
        return getattr(self.inner, name)
PHOTOS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "real" / "sample_images"


def sample_photos(root: str | Path = PHOTOS) -> list[Path]:
    """The 5 scene + 5 doc sample photos (sorted within each folder)."""
    root = Path(root)
    return sorted((root / "scene").iterdir()) + sorted((root / "doc").iterdir())


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def varied_images(images: list[np.ndarray], count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` random crops of the photos, each resized by 0.5-1.5x: many distinct input shapes."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        img = images[k % len(images)]
        h, w = img.shape[:2]
        ch, cw = int(rng.integers(h // 2, h + 1)), int(rng.integers(w // 2, w + 1))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        scale = float(rng.uniform(0.5, 1.5))
        out.append(cv2.resize(img[y:y + ch, x:x + cw], None, fx=scale, fy=scale))
    return out


def parse_variant(variant: str) -> tuple[str, int | None, str | None, str]:
    """``NAME[@CAPACITY][:ENGINE[-PRECISION]]`` → (name, oneDNN cache or None, engine or None, precision)."""
    head, _, engine_part = variant.partition(":")
    name, _, capacity = head.partition("@")
    if name not in VARIANTS:
        raise ValueError(f"variant {variant!r}: {name!r} is not one of {list(VARIANTS)}")
    engine, _, precision = engine_part.partition("-")
    return name, int(capacity) if capacity else None, engine or None, precision or "fp32"


def build(ocr_version: str, lang: str, cpu_threads: int, det_buckets: bool, rec_buckets: bool,
          engine: str | None = None, precision: str = "fp32"):
    from ppocr import OCR

    ocr = OCR(ocr_version, lang, use_angle_cls=lang == "ch", cpu_threads=cpu_threads, engine=engine,
              precision=precision)
    ocr.system.detector.shape_buckets = det_buckets
    ocr.system.recognizer.shape_buckets = rec_buckets
    return ocr.system


def one_pass(system, images: list[np.ndarray], mode: str, group: int) -> tuple[list[Any], dict[str, float], float]:
    """Results, summed stage seconds and wall seconds of one pass over ``images``."""
    sink: dict[str, float] = {}
    inner = system.recognizer, system.classifier
    system.recognizer = Timed(system.recognizer, "rec", sink)
    if system.classifier is not None:
        system.classifier = Timed(system.classifier, "cls", sink)
    try:
        t0 = time.perf_counter()
        results = [system(img) for img in images] if mode == "call" else list(
            system.run_many(images, overlap=True, group=group))
        wall = time.perf_counter() - t0
    finally:
        system.recognizer, system.classifier = inner
    stages = {s: sum(r.times.get(s, 0.0) for r in results) for s in STAGES}
    stages.update({s: sink.get(s, 0.0) for s in SUB_STAGES})
    return results, stages, wall


def _child(spec: dict[str, Any], queue) -> None:
    import cv2

    from ppocr.inference import predictor

    name, capacity, engine, precision = parse_variant(spec["variant"])
    predictor.MKLDNN_CACHE_CAPACITY = capacity or spec["cache_capacity"]
    det_b, rec_b, mode, group = VARIANTS[name]
    images = [cv2.imread(p) for p in spec["photos"]]
    system = build(spec["ocr_version"], spec["lang"], spec["cpu_threads"], det_b, rec_b, engine, precision)
    out: dict[str, Any] = {"variant": spec["variant"], "rss_start": rss_mb(), "passes": []}
    for _ in range(1 + spec["warm_passes"]):
        results, stages, wall = one_pass(system, images, mode, group)
        out["passes"].append({"wall": wall, "stages": stages})
    out["lines"] = [[(ln.text, ln.score, ln.points) for ln in r.lines] for r in results]
    if spec["rss_images"]:
        many, samples = varied_images(images, spec["rss_images"]), []
        for i, img in enumerate(many):
            system(img) if mode == "call" else list(system.run_many([img]))
            if (i + 1) % max(1, len(many) // 10) == 0:
                samples.append(round(rss_mb()))
        out["rss_over_varied"] = samples
    out["rss_end"] = rss_mb()
    queue.put(out)


def run_variant(spec: dict[str, Any]) -> dict[str, Any]:
    """``_child(spec)`` in a fresh spawned process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(spec, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def compare(ref: list[list[tuple]], got: list[list[tuple]]) -> dict[str, Any]:
    """Lines, equal texts, max score and box-corner differences of ``got`` against ``ref``."""
    lines = equal = 0
    score = box = 0.0
    for a, b in zip(ref, got):
        if len(a) != len(b):
            lines += max(len(a), len(b))
            equal += sum(x[0] == y[0] for x, y in zip(a, b))
            continue
        for x, y in zip(a, b):
            lines += 1
            equal += x[0] == y[0]
            score = max(score, abs(x[1] - y[1]))
            box = max(box, float(np.abs(np.asarray(x[2]) - np.asarray(y[2])).max()))
    return {"lines": lines, "texts_equal": equal, "max_score_diff": score, "max_box_diff": box}


def profile(variants: list[str], rounds: int = 2, warm_passes: int = 3, ocr_version: str = "PP-OCRv4",
            lang: str = "ch", cpu_threads: int = 2, cache_capacity: int = 10, rss_images: int = 0,
            photos: list[str] | None = None) -> dict[str, Any]:
    """Every variant ``rounds`` times (order alternating per round); per-stage ms/image and comparisons."""
    photos = photos or [str(p) for p in sample_photos()]
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for r in range(rounds):
        for v in variants if r % 2 == 0 else variants[::-1]:
            runs[v].append(run_variant({"variant": v, "ocr_version": ocr_version, "lang": lang,
                                        "cpu_threads": cpu_threads, "cache_capacity": cache_capacity,
                                        "warm_passes": warm_passes, "rss_images": rss_images if r == 0 else 0,
                                        "photos": photos}))
    n = len(photos)
    table = {}
    for v, outs in runs.items():
        first = [o["passes"][0] for o in outs]
        warm = [p for o in outs for p in o["passes"][1:]]
        table[v] = {
            "first_ms_per_image": [round(p["wall"] / n * 1e3) for p in first],
            "warm_ms_per_image": round(float(np.median([p["wall"] for p in warm])) / n * 1e3) if warm else None,
            "first_stages_ms": {s: round(float(np.median([p["stages"][s] for p in first])) / n * 1e3, 1)
                                for s in STAGES + SUB_STAGES},
            "warm_stages_ms": {s: round(float(np.median([p["stages"][s] for p in warm])) / n * 1e3, 1)
                               for s in STAGES + SUB_STAGES} if warm else None,
            "vs_exact": compare(runs[variants[0]][0]["lines"], outs[0]["lines"]),
            "rss_mb": [round(outs[0]["rss_start"]), round(outs[0]["rss_end"])],
            "rss_over_varied": outs[0].get("rss_over_varied"),
        }
    return table


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=["exact", "buckets", "overlap"],
                        help=f"of {list(VARIANTS)}, each NAME[@CAPACITY][:ENGINE[-PRECISION]] (oneDNN cache; "
                             "e.g. exact:openvino-bf16); the first one is the reference the others are compared with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warm_passes", type=int, default=3)
    parser.add_argument("--ocr_version", default="PP-OCRv4")
    parser.add_argument("--lang", default="ch")
    parser.add_argument("--cpu_threads", type=int, default=2)
    parser.add_argument("--cache_capacity", type=int, default=10, help="oneDNN shapes kept per predictor thread")
    parser.add_argument("--rss_images", type=int, default=0, help="then run this many varied crops, RSS every 10%%")
    parser.add_argument("--output", default=None, help="also write the table as JSON here")
    args = parser.parse_args(argv)
    for v in args.variants:
        try:
            parse_variant(v)
        except ValueError as exc:
            parser.error(str(exc))
    table = profile(args.variants, args.rounds, args.warm_passes, args.ocr_version, args.lang, args.cpu_threads,
                    args.cache_capacity, args.rss_images)
    print("variant       first ms/img   warm ms/img  " + "  ".join(f"{s:>15}" for s in STAGES) + "  texts=  max|ds|")
    for v, row in table.items():
        stages = row["warm_stages_ms"] or row["first_stages_ms"]
        cmp = row["vs_exact"]
        print(f"{v:<13} {str(row['first_ms_per_image']):<14} {str(row['warm_ms_per_image']):<12} "
              + "  ".join(f"{stages[s]:>15}" for s in STAGES)
              + f"  {cmp['texts_equal']}/{cmp['lines']}  {cmp['max_score_diff']:.1e}")
    print(json.dumps(table, indent=1))
    if args.output:
        Path(args.output).write_text(json.dumps(table, indent=1), encoding="utf-8")
    return table
