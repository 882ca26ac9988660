"""What ``neuroarena run`` shows while a study runs, fed by :func:`studies.run_study`'s
``progress`` events, on stderr (stdout keeps the summary)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["RunProgress"]


class RunProgress:
    """The runner's progress events on stderr. On a terminal: a line saying what will run,
    then a tqdm bar (runs stored/total, failed, ETA). Otherwise (a log file, a pipe): one
    line per finished run. ``quiet``: nothing."""

    def __init__(self, name: str, out: Path, jobs: int, backend: str, *, quiet: bool) -> None:
        self.name, self.out, self.jobs, self.backend = name, out, jobs, backend
        self.quiet, self.bar, self.failed = quiet, None, 0
        self.tty = sys.stderr.isatty()
        self.done = self.total = 0

    def _workers(self) -> str:
        if self.backend == "sequential":
            return "this process"
        if self.backend == "dask":
            return "the Dask cluster"
        return f"{self.jobs} worker process{'es' if self.jobs > 1 else ''}"

    def __call__(self, event: dict) -> None:
        if self.quiet:
            return
        if event["event"] == "start":
            self.done, self.total = event["reused"], event["total"]
            if self.tty and event["todo"]:
                from tqdm import tqdm

                print(
                    f"{self.name}: {event['total']} runs, {event['reused']} already stored, "
                    f"{event['todo']} to run on {self._workers()} -> {self.out}",
                    file=sys.stderr,
                    flush=True,
                )
                self.bar = tqdm(
                    total=event["total"], initial=event["reused"], unit="run",
                    file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                )  # fmt: skip
                self.bar.set_postfix(failed=0)
        elif event["event"] == "run":
            record = event["record"]
            self.failed += record["status"] != "done"
            self.done += 1
            if self.bar is not None:
                self.bar.set_postfix(failed=self.failed, refresh=False)
                self.bar.update(1)
            elif not self.tty:
                print(
                    f"[{self.done}/{self.total}] {record['task']} x {record['optimizer']} "
                    f"repetition {record['repetition']}: {record['status']}"
                    + (f" ({self.failed} not done so far)" if self.failed else ""),
                    file=sys.stderr,
                    flush=True,
                )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
