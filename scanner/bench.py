"""Benchmark: decode rate and time per frame of each engine alone and of the pipeline.

    python -m scanner.bench [--quick] [--json PATH] [--per-cell N] [--seed S]

Frames come from scanner.synth (seeded, so runs are comparable). They are generated
first, in two processes; decoding is then timed in this process pinned to one CPU with
OpenCV limited to one thread, every runner on the same decoded BGR frame.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from scanner import DecodeOptions, decode, synth
from scanner._cv import cv2
from scanner.formats import FAMILY

TIERS = ("easy", "medium", "hard")
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
RUNNERS: dict[str, DecodeOptions] = {
    "zxing": DecodeOptions(engines=("zxing",), fallbacks=False),
    "zbar": DecodeOptions(engines=("zbar",), fallbacks=False),
    "opencv": DecodeOptions(engines=("opencv",), fallbacks=False),
    "pipeline": DecodeOptions(),
}


@dataclass(frozen=True, slots=True)
class Job:
    format: str
    tier: str
    size: str
    index: int
    seed: int


def _make(job: Job) -> tuple[Job, synth.Sample]:
    key = [job.seed, synth.FORMATS.index(job.format), TIERS.index(job.tier), job.index]
    rng = np.random.default_rng([*key, SIZES[job.size][0]])
    return job, synth.sample(job.format, job.tier, SIZES[job.size], rng)


@dataclass(slots=True)
class Outcome:
    ok: bool
    wrong: bool
    ms: float


@dataclass(slots=True)
class Results:
    jobs: list[Job] = field(default_factory=list)
    outcomes: dict[str, list[Outcome]] = field(default_factory=lambda: {r: [] for r in RUNNERS})


_last_progress = 0.0


def _progress(label: str, done: int, total: int, started: float) -> None:
    """One progress line on stderr, redrawn at most a few times a second."""
    global _last_progress
    now = time.perf_counter()
    if done < total and now - _last_progress < 0.5:
        return
    _last_progress = now
    elapsed = now - started
    eta = elapsed / done * (total - done) if done else 0.0
    sys.stderr.write(f"\r{label}: {done}/{total}, {elapsed:.0f} s, ~{eta:.0f} s left   ")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def generate(jobs: list[Job]) -> list[tuple[Job, synth.Sample]]:
    started = time.perf_counter()
    out = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        for i, item in enumerate(pool.map(_make, jobs, chunksize=4), 1):
            out.append(item)
            _progress("generating frames", i, len(jobs), started)
    return out


def measure(samples: list[tuple[Job, synth.Sample]]) -> Results:
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = Results()
    started = time.perf_counter()
    for i, (job, sample) in enumerate(samples, 1):
        frame = sample.frame()
        results.jobs.append(job)
        for name, options in RUNNERS.items():
            t0 = time.perf_counter()
            symbols = decode(frame, options=options)
            ms = (time.perf_counter() - t0) * 1000
            ok = any(_matches(s.format, s.text, sample) for s in symbols)
            results.outcomes[name].append(Outcome(ok, bool(symbols) and not ok, ms))
        _progress("decoding", i, len(samples), started)
    return results


def _matches(fmt: str, text: str, sample: synth.Sample) -> bool:
    return text == sample.expected and FAMILY[fmt] == FAMILY[sample.format]


def _rate(outcomes: Iterable[Outcome]) -> float:
    items = list(outcomes)
    return 100.0 * sum(o.ok for o in items) / len(items) if items else float("nan")


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summarise(results: Results) -> dict[str, object]:
    jobs = results.jobs
    formats = list(dict.fromkeys(j.format for j in jobs))
    families = list(dict.fromkeys(FAMILY[f] for f in formats))

    def pick(runner: str, pred: object) -> list[Outcome]:
        return [o for j, o in zip(jobs, results.outcomes[runner], strict=True) if pred(j)]  # type: ignore[operator]

    rates: dict[str, dict[str, dict[str, float]]] = {}
    for runner in RUNNERS:
        per: dict[str, dict[str, float]] = {}
        for f in formats:
            per[f] = {
                t: _rate(pick(runner, lambda j, f=f, t=t: j.format == f and j.tier == t))
                for t in TIERS
            }
            per[f]["all"] = _rate(pick(runner, lambda j, f=f: j.format == f))
        for fam in families:
            per[f"family:{fam}"] = {
                t: _rate(
                    pick(runner, lambda j, fam=fam, t=t: FAMILY[j.format] == fam and j.tier == t)
                )
                for t in TIERS
            } | {"all": _rate(pick(runner, lambda j, fam=fam: FAMILY[j.format] == fam))}
        per["all"] = {t: _rate(pick(runner, lambda j, t=t: j.tier == t)) for t in TIERS}
        per["all"]["all"] = _rate(results.outcomes[runner])
        rates[runner] = per
    timing: dict[str, dict[str, dict[str, float]]] = {}
    for runner in RUNNERS:
        timing[runner] = {}
        for size in SIZES:
            ms = [o.ms for o in pick(runner, lambda j, size=size: j.size == size)]
            if ms:
                timing[runner][size] = {"median_ms": statistics.median(ms), "p95_ms": _pct(ms, 95)}
    # the pipeline against zxing alone on frames zxing reads at once (same frames)
    first: dict[str, dict[str, float]] = {}
    for size in SIZES:
        idx = [i for i, j in enumerate(jobs) if j.size == size and results.outcomes["zxing"][i].ok]
        if idx:
            zx = statistics.median(results.outcomes["zxing"][i].ms for i in idx)
            pl = statistics.median(results.outcomes["pipeline"][i].ms for i in idx)
            first[size] = {
                "frames": len(idx),
                "zxing_median_ms": zx,
                "pipeline_median_ms": pl,
                "ratio": pl / zx,
            }
    wrong = {r: sum(o.wrong for o in results.outcomes[r]) for r in RUNNERS}
    return {
        "frames": len(jobs),
        "rates_percent": rates,
        "timing": timing,
        "first_read_timing": first,
        "wrong_reads": wrong,
    }


def render(summary: dict[str, object]) -> str:
    rates: dict[str, dict[str, dict[str, float]]] = summary["rates_percent"]  # type: ignore[assignment]
    timing: dict[str, dict[str, dict[str, float]]] = summary["timing"]  # type: ignore[assignment]
    first: dict[str, dict[str, float]] = summary["first_read_timing"]  # type: ignore[assignment]
    wrong: dict[str, int] = summary["wrong_reads"]  # type: ignore[assignment]
    runners = list(RUNNERS)
    lines = [
        f"Decode rate, % of frames (easy / medium / hard), {summary['frames']} frames",
        "",
        "| format | " + " | ".join(runners) + " |",
        "|---|" + "---|" * len(runners),
    ]
    rows = [k for k in rates["pipeline"] if not k.startswith("family:") and k != "all"]
    rows += [k for k in rates["pipeline"] if k.startswith("family:")] + ["all"]
    for row in rows:
        cells = [
            " / ".join(f"{rates[r][row][t]:3.0f}" for t in TIERS) + f" ({rates[r][row]['all']:.0f})"
            for r in runners
        ]
        name = f"**{row}**" if row == "all" else row
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Time per frame on one core, ms (median / p95)", ""]
    lines.append("| frame | " + " | ".join(runners) + " |")
    lines.append("|---|" + "---|" * len(runners))
    for size in SIZES:
        if all(size in timing[r] for r in runners):
            cells = [
                f"{timing[r][size]['median_ms']:.1f} / {timing[r][size]['p95_ms']:.1f}"
                for r in runners
            ]
            lines.append(f"| {size} | " + " | ".join(cells) + " |")
    lines += ["", "Frames zxing-cpp alone reads: median ms, zxing alone vs pipeline", ""]
    for size, f in first.items():
        lines.append(
            f"- {size}: {f['frames']} frames, zxing {f['zxing_median_ms']:.1f} ms, "
            f"pipeline {f['pipeline_median_ms']:.1f} ms ({f['ratio']:.2f}×)"
        )
    lines += [
        "",
        "Wrong reads (a symbol returned with other text): "
        + ", ".join(f"{r} {n}" for r, n in wrong.items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scanner.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="one frame per format, tier and size")
    parser.add_argument("--per-cell", type=int, default=None, help="frames per format/tier/size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    per_cell = args.per_cell or (1 if args.quick else 8)
    jobs = [
        Job(f, t, s, i, args.seed)
        for s in SIZES
        for f in synth.FORMATS
        for t in TIERS
        for i in range(per_cell)
    ]
    started = time.perf_counter()
    samples = generate(jobs)
    results = measure(samples)
    summary = summarise(results)
    summary["seed"], summary["per_cell"] = args.seed, per_cell
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print(render(summary))
    print(f"\n(seed {args.seed}, {per_cell} per cell, {summary['seconds']} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
