"""The ``neuroarena`` command.

    neuroarena run STUDY [--out DIR] [--jobs N] [--backend loky|dask|sequential]
                         [--scheduler ADDR] [--seeds N] [--rerun-failed] [--quiet] [--no-report]
    neuroarena list [tasks|optimizers|studies]
    neuroarena show DIR
    neuroarena verify DIR [--runs K] [--seed S] [--jobs N]
    neuroarena report DIR [--paired]

STUDY is a built-in study's name (``neuroarena list studies``), a ``.toml`` file or a
``.py`` script defining ``study = Study(...)``. Results go to ``--out`` (default
``results/<study name>``); the same command again reuses every stored run, so a study
stopped at any moment (Ctrl-C, ``kill -9``) resumes where it was. Progress goes to stderr:
a tqdm bar when stderr is a terminal, else one line per finished run (a log), nothing with
``--quiet``; the summary table, where the store is and where the report is go to stdout.
``run`` ends by building the HTML report (``DIR/report/index.html``) unless
``--no-report``; ``report`` builds it on its own (also while the study runs). Exit status: 0 when the study completed (failed runs are results too), 1 when
``verify`` finds a difference, 2 for bad input (one line on stderr), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

__all__ = ["main"]

PROG = "neuroarena"


class UsageError(Exception):
    """A bad command line: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, not usage plus the error."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Backprop against neuroevolution on the same networks, tasks and compute.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a study (resumes a stopped one)")
    run.add_argument(
        "study", metavar="STUDY", help="a built-in study's name, a .toml or a .py file"
    )
    run.add_argument(
        "--out", metavar="DIR", help="results directory (default results/<study name>)"
    )
    run.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help=f"worker processes (default: every CPU, {os.cpu_count()} here)",
    )
    run.add_argument(
        "--backend", choices=("loky", "dask", "sequential"), default=None,
        help="loky: worker processes here (default); dask: a Dask cluster; sequential: in this process",
    )  # fmt: skip
    run.add_argument(
        "--scheduler", metavar="ADDR",
        help="a Dask scheduler's address (implies --backend dask; without it, dask starts a local cluster)",
    )  # fmt: skip
    run.add_argument(
        "--seeds", type=_positive, metavar="N", help="repetitions per task and optimizer"
    )
    run.add_argument(
        "--rerun-failed", action="store_true", help="run failed and timed-out runs again"
    )
    run.add_argument(
        "--quiet", action="store_true", help="no progress on stderr (only the summary on stdout)"
    )
    run.add_argument("--no-report", action="store_true", help="do not build the HTML report at the end")  # fmt: skip

    lst = sub.add_parser("list", help="list tasks, optimizers or built-in studies")
    lst.add_argument(
        "what", nargs="?", choices=("tasks", "optimizers", "studies"), help="default: all three"
    )

    show = sub.add_parser("show", help="print a study's summary table (also while it runs)")
    show.add_argument("dir", metavar="DIR")

    verify = sub.add_parser(
        "verify", help="run stored runs again and check the results are identical"
    )
    verify.add_argument("dir", metavar="DIR")
    verify.add_argument(
        "--runs", type=_positive, default=5, metavar="K", help="runs to check (default 5)"
    )
    verify.add_argument(
        "--seed", type=int, default=0, metavar="S", help="which runs are picked (default 0)"
    )
    verify.add_argument(
        "--jobs",
        type=_positive,
        default=1,
        metavar="N",
        help="worker processes (default 1)",
    )

    report = sub.add_parser(
        "report", help="build the HTML report DIR/report/index.html (also while the study runs)"
    )
    report.add_argument("dir", metavar="DIR")
    report.add_argument(
        "--paired", action="store_true",
        help="compare optimizers with the Wilcoxon signed-rank test over repetitions (paired) instead of Mann-Whitney U",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (see the module docstring)."""
    try:
        args = _parser().parse_args(argv)
        commands = {"run": _run, "list": _list, "show": _show, "verify": _verify, "report": _report}
        return commands[args.command](args)
    except UsageError as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # `neuroarena list | head`: the reader has gone, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, OSError) as exc:  # StudyError and StoreError are ValueErrors
        return _fail(f"{PROG}: error: {exc}")
    except sqlite3.DatabaseError as exc:  # a store damaged in a way the checks did not see
        return _fail(f"{PROG}: error: the study store could not be read or written: {exc}")
    except KeyboardInterrupt:
        return 130  # the runner has said on stderr how to resume


def _fail(message: str) -> int:
    print(" ".join(message.split()), file=sys.stderr)
    return 2


# -- run ----------------------------------------------------------------------------------
def load_study_arg(text: str):
    """A study from the command line: a built-in name, or a .toml / .py file."""
    from . import catalog
    from .loading import load_study

    path = Path(text)
    if path.suffix not in (".toml", ".py") and text in catalog.names():
        return catalog.load(text)
    if path.suffix not in (".toml", ".py") and not path.exists():
        catalog.load(text)  # raises: unknown study, naming the built-in ones
    return load_study(path)


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Fail at once, before the store is touched, when nothing listens at a tcp:// address
    (Dask itself retries for 10 s). Other protocols are left to Dask."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise UsageError(f"{PROG} run: --scheduler {address}: not an address like tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise UsageError(
            f"{PROG}: error: cannot reach the Dask scheduler at {address} "
            f"({exc.strerror or exc}); check the address, or leave --scheduler out to run a "
            "local Dask cluster"
        ) from None


def _run(args) -> int:
    from .progress import RunProgress
    from .runner import run_study

    backend = args.backend or ("dask" if args.scheduler else "loky")
    if args.scheduler and backend != "dask":
        raise UsageError(f"{PROG} run: --scheduler needs --backend dask, got --backend {backend}")
    if args.scheduler:
        check_scheduler(args.scheduler)
    study = load_study_arg(args.study)
    if args.seeds is not None and args.seeds != study.seeds:
        study = study.replace(seeds=args.seeds)
    jobs = args.jobs or os.cpu_count() or 1
    out = Path(args.out) if args.out else Path("results") / study.name
    progress = RunProgress(study.name, out, jobs, backend, quiet=args.quiet)
    try:
        outcome = run_study(
            study, out, n_jobs=jobs, backend=backend, scheduler=args.scheduler,
            rerun_failed=args.rerun_failed, progress=progress,
        )  # fmt: skip
    finally:
        progress.close()
    from .results import load

    results = load(out)
    print(_summary(results))
    print()
    print(
        f"{outcome.total} runs: {outcome.reused} reused, {outcome.ran} ran now "
        f"({outcome.failed} of them not done) in {outcome.seconds:.1f} s"
    )
    print(f"store: {outcome.store}")
    if args.no_report:
        print(f"report: not built (--no-report); `neuroarena report {out}` builds it")
    else:
        print(f"report: {_build_report(out)}")
    return 0


def _build_report(directory, **options) -> Path:
    # the one place the command reaches up into reports/ (which reads studies): the
    # command is where the two meet, and it imports it only when a report is asked for
    from reports import build_report

    return build_report(directory, **options)


def _report(args) -> int:
    from .results import load

    load(args.dir)  # a clear line if DIR holds no study
    print(f"report: {_build_report(args.dir, paired=args.paired)}")
    return 0


def _summary(results) -> str:
    from .summary import expected_runs, summary_table

    runs = results.runs
    spec = results.spec
    order = [t["key"] for t in spec.get("tasks", [])]
    counts = runs["status"].value_counts()
    statuses = ", ".join(
        f"{counts[s]} {s}" for s in ("done", "failed", "diverged", "timeout") if s in counts
    )
    head = f"{spec.get('name', '?')}: {len(runs)} of {expected_runs(spec)} runs stored"
    head += f" ({statuses})" if statuses else ""
    return head + "\n\n" + summary_table(runs, order)


# -- show, verify, list ---------------------------------------------------------------------
def _show(args) -> int:
    from .results import load

    results = load(args.dir)
    print(_summary(results))
    print(f"\nstore: {results.path}")
    return 0


def _verify(args) -> int:
    from .verify import verify

    t0 = time.perf_counter()
    checked, differences = verify(args.dir, runs=args.runs, seed=args.seed, n_jobs=args.jobs)
    seconds = time.perf_counter() - t0
    if differences:
        for d in differences:
            print(f"differs: {d}")
        print(
            f"{len(differences)} of {len(checked)} re-run runs differ from what {args.dir} stores"
        )
        return 1
    print(
        f"{len(checked)} of {len(checked)} re-run runs identical to the stored results ({seconds:.1f} s)"
    )
    return 0


def _list(args) -> int:
    from .listing import list_optimizers, list_studies, list_tasks

    what = [args.what] if args.what else ["tasks", "optimizers", "studies"]
    texts = {"tasks": list_tasks, "optimizers": list_optimizers, "studies": list_studies}
    print("\n\n".join(texts[w]() for w in what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
