"""The report's speed: building it for the quickstart's store and for a 600-run store.

(a) The quickstart's store (``neuroarena run quickstart --jobs 2``, 75 runs, made once
    here unless ``--quickstart DIR`` gives one): ``reports.build_report`` end to end.
(b) A synthetic 600-run store (10 tasks x 6 optimizers x 10 seeds, 100-point curves,
    a few failed / diverged / timed-out runs: ``benchmarks/synthetic_store.py``): the
    statistics alone (``reports.report_content``: every number the report shows) and the
    whole build. Target: the build under 30 s on 2 cores.

There is no peer to compare with (no other tool builds this report); the figures are
medians over ``--repeats`` builds. Prints a table, then one JSON line (the last line).

    .venv/bin/python benchmarks/bench_report.py [--repeats 3] [--quickstart DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from synthetic_store import write_synthetic_store  # noqa: E402

from reports import build_report, report_content  # noqa: E402
from studies import load  # noqa: E402

TARGET_S = 30.0


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median_of(fn, repeats: int) -> tuple[float, list[float]]:
    times = [timed(fn) for _ in range(repeats)]
    return statistics.median(times), times


def quickstart_store(tmp: Path) -> Path:
    out = tmp / "quickstart"
    cmd = [sys.executable, "-m", "studies.cli", "run", "quickstart", "--jobs", "2", "--quiet",
           "--no-report", "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=HERE.parent)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quickstart", type=Path, help="an existing quickstart results directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        qs = args.quickstart or quickstart_store(tmp)
        qs_runs = len(load(qs))
        qs_s, qs_all = median_of(lambda: build_report(qs), args.repeats)
        big = write_synthetic_store(tmp / "synthetic")
        big_runs = len(load(big))
        stats_s, stats_all = median_of(lambda: report_content(load(big)), args.repeats)
        build_s, build_all = median_of(lambda: build_report(big), args.repeats)
        pngs = len(list((big / "report").glob("*.png")))
    rows = [
        ("quickstart report", qs_runs, qs_s, qs_all),
        ("600-run statistics", big_runs, stats_s, stats_all),
        ("600-run report", big_runs, build_s, build_all),
    ]
    print(f"{'what':<22}{'runs':>6}{'median s':>10}  all (s)")
    for what, n, med, every in rows:
        print(f"{what:<22}{n:>6}{med:>10.2f}  {', '.join(f'{t:.2f}' for t in every)}")
    ok = build_s < TARGET_S
    print(f"600-run report: {build_s:.1f} s, {pngs} figures; target < {TARGET_S:.0f} s: "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip
    print(json.dumps({
        "benchmark": "report", "machine": platform.machine(), "cpus": os.cpu_count(),
        "repeats": args.repeats, "quickstart_runs": qs_runs, "quickstart_build_s": round(qs_s, 3),
        "runs_600": big_runs, "stats_600_s": round(stats_s, 3), "build_600_s": round(build_s, 3),
        "figures_600": pngs, "target_s": TARGET_S, "target_met": ok,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
