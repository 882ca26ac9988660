"""The study runner's speed: parallel speedup, overhead per run, store write/load.

(a) A 16-run study (iris x ga, cmaes x 8 seeds, 2,000 evaluations each) run with 1 and
    with 2 loky workers, the worker pool warmed first: speedup = time(1) / time(2), target
    >= 1.8x on 2 cores (joblib running neat-python's runs reaches 1.88x on this machine).
(b) Overhead per run: a 60-run study of tiny runs (xor x random-search, 64 evaluations)
    through ``run_study`` (one loky worker, the store written) against calling
    ``optimizers.fit`` directly in a loop on the same problems and starting networks; target
    <= 20 ms per run.
(c) A store of 2,000 runs with 200-step curves: writing it run by run (one transaction
    each, as the runner does) and ``studies.load`` reading it with ``.runs`` and
    ``.curves`` built; target: load under 2 s.

(d) The quickstart end to end, ``neuroarena run quickstart --jobs 2`` in a fresh output
    directory (the report included once it exists); target < 120 s. ``--quick``: one seed.

Every figure is the median over ``--repeats`` repeats; ``--quick`` runs one repeat of
smaller versions. Prints tables, then one JSON line (the last line) with every figure.

    .venv/bin/python benchmarks/bench_studies.py [--quick]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import studies  # noqa: E402
from optimizers import fit, get  # noqa: E402
from studies import Study, load, run_study  # noqa: E402
from studies.execute import execute  # noqa: E402
from studies.seeds import init_rng, run_rng, split_rng  # noqa: E402
from studies.store import Store  # noqa: E402


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def speedup(repeats: int, seeds: int, evaluations: int) -> dict:
    study = Study(
        name="bench-speedup",
        tasks=["iris"],
        optimizers={"ga": "ga", "cmaes": "cmaes"},
        seeds=seeds,
        budget={"evaluations": evaluations},
    )
    times = {1: [], 2: []}
    for _ in range(repeats):
        for n in (1, 2):
            with tempfile.TemporaryDirectory() as warm:  # start the pool outside the timing
                run_study(Study(**{**_args(study), "seeds": n, "name": "warm"}), warm, n_jobs=n)
            with tempfile.TemporaryDirectory() as out:
                times[n].append(timed(lambda out=out, n=n: run_study(study, out, n_jobs=n)))
    t1, t2 = statistics.median(times[1]), statistics.median(times[2])
    return {"runs": len(study.runs()), "t1_s": t1, "t2_s": t2, "speedup": t1 / t2}


def _args(study: Study) -> dict:
    return {
        "name": study.name,
        "tasks": [t.task for t in study.tasks],
        "optimizers": {o.label: (o.spec.name, dict(o.spec.params)) for o in study.optimizers},
        "seeds": study.seeds,
        "budget": study.budget,
    }


def overhead(repeats: int, seeds: int) -> dict:
    study = Study(
        name="bench-overhead",
        tasks=["xor"],
        optimizers={"rs": ("random-search", {"population": 16})},
        seeds=seeds,
        budget={"evaluations": 64},
    )
    runs = study.runs()

    def direct():
        for r in runs:
            splits = r.task.splits(split_rng(r.study_seed, r.task.key, r.repetition))
            problem = r.task.problem(splits)
            initial = r.network.build(
                problem.n_inputs,
                problem.n_outputs,
                rng=init_rng(r.study_seed, r.task.key, r.repetition),
            )
            fit(
                get(r.optimizer.name)(**r.optimizer.params),
                problem,
                r.budget,
                run_rng(r.study_seed, r.task.key, r.repetition, r.label),
                initial=initial,
            )

    with tempfile.TemporaryDirectory() as warm:
        run_study(Study(**{**_args(study), "seeds": 2, "name": "warm"}), warm, n_jobs=1)
    t_direct, t_runner = [], []
    for _ in range(repeats):
        t_direct.append(timed(direct))
        with tempfile.TemporaryDirectory() as out:
            t_runner.append(timed(lambda out=out: run_study(study, out, n_jobs=1)))
    d, r = statistics.median(t_direct), statistics.median(t_runner)
    return {
        "runs": len(runs),
        "direct_s": d,
        "runner_s": r,
        "overhead_ms_per_run": 1e3 * (r - d) / len(runs),
    }


def store_io(repeats: int, n_runs: int, points: int) -> dict:
    study = Study(
        name="bench-store",
        tasks=["iris"],
        optimizers={"ga": "ga"},
        seeds=1,
        budget={"steps": points},
    )
    record = execute(study.runs()[0])
    assert len(record["result"]["curve"]) == points, len(record["result"]["curve"])
    writes, loads = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            records = []
            for i in range(n_runs):
                rec = copy.copy(record)
                rec["run_id"] = f"{i:032x}"
                rec["repetition"] = i
                records.append(rec)
            with Store.open(out, "bench-store") as store:
                store.set_spec(study.to_json(), {}, [r["run_id"] for r in records])
                writes.append(
                    timed(lambda store=store, records=records: [store.write(r) for r in records])
                )

            def read(out=out):
                res = load(out)
                assert len(res.runs) == n_runs and len(res.curves) == n_runs * points

            loads.append(timed(read))
    return {
        "runs": n_runs,
        "points": points,
        "write_s": statistics.median(writes),
        "write_ms_per_run": 1e3 * statistics.median(writes) / n_runs,
        "load_s": statistics.median(loads),
    }


def quickstart(quick: bool) -> dict:
    import subprocess

    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "studies.cli", "run", "quickstart", "--jobs", "2",
               "--out", out, "--quiet"] + (["--seeds", "1"] if quick else [])  # fmt: skip
        t = timed(lambda: subprocess.run(cmd, check=True, capture_output=True))
        runs = len(load(out).runs)
    return {"runs": runs, "seconds": t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repeat of smaller versions")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    a = speedup(repeats, seeds=4 if args.quick else 8, evaluations=1_000 if args.quick else 2_000)
    b = overhead(repeats, seeds=20 if args.quick else 60)
    c = store_io(repeats, n_runs=300 if args.quick else 2_000, points=200)
    d = quickstart(args.quick)

    print(f"(a) {a['runs']}-run study: 1 worker {a['t1_s']:.2f} s, 2 workers {a['t2_s']:.2f} s, "
          f"speedup {a['speedup']:.2f}x (target >= 1.8x)")  # fmt: skip
    print(f"(b) {b['runs']} tiny runs: fit loop {b['direct_s']:.2f} s, run_study {b['runner_s']:.2f} s, "
          f"overhead {b['overhead_ms_per_run']:.1f} ms per run (target <= 20 ms)")  # fmt: skip
    print(f"(c) store of {c['runs']} runs x {c['points']} points: write {c['write_s']:.2f} s "
          f"({c['write_ms_per_run']:.2f} ms per run), studies.load {c['load_s']:.2f} s (target < 2 s)")  # fmt: skip
    print(f"(d) neuroarena run quickstart --jobs 2: {d['runs']} runs in {d['seconds']:.1f} s "
          "(target < 120 s)")  # fmt: skip
    targets = {
        "speedup": a["speedup"] >= 1.8,
        "overhead": b["overhead_ms_per_run"] <= 20,
        "load": c["load_s"] < 2.0 or args.quick,
        "quickstart": d["seconds"] < 120,
    }
    print(json.dumps({
        "benchmark": "studies", "quick": args.quick, "repeats": repeats,
        "speedup": a, "overhead": b, "store": c, "quickstart": d, "targets_met": targets,
        "python": platform.python_version(), "numpy": np.__version__,
        "neuroarena_studies": studies.__name__,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
