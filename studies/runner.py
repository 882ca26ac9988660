"""Run a study: every run not yet in the store, in parallel, each stored as it finishes.

Runs execute in worker processes (joblib's loky locally, or a Dask cluster) and stream
back in the order they finish; only this process writes the store, one transaction per
run. A study run again into the same directory runs only what is missing, so a study
killed at any moment resumes with nothing lost or duplicated, and adding seeds, tasks or
optimizers runs only the new runs.

A worker process that dies (``os._exit``, a segfault, out of memory) takes loky's whole
map down with it, without saying which run killed it. The runner then runs what was left
again in two halves, and halves again whatever breaks, until the run that kills its worker
is alone: it is recorded as ``failed`` and every other run completes. A run that dies k
times costs about k * log2(n) restarts of the map, not a serial study. On Dask each run is
a future of its own, so Dask names the run whose worker died (``KilledWorker``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
from joblib import Parallel, delayed, parallel_config

from .execute import execute, execute_pickled, failed_record
from .provenance import study_provenance
from .runspec import RunSpec
from .spec import Study
from .store import STORE_FILE, Store

__all__ = ["run_study", "StudyOutcome", "BACKENDS"]

log = logging.getLogger(__name__)

BACKENDS = ("loky", "dask", "sequential")


@dataclass(frozen=True)
class StudyOutcome:
    """What :func:`run_study` did: ``total`` runs in the study, ``reused`` found in the
    store, ``ran`` executed now (``failed`` of them not ``done``)."""

    out: Path
    total: int
    reused: int
    ran: int
    failed: int
    seconds: float

    @property
    def store(self) -> Path:
        return self.out / STORE_FILE


def _check_args(study, n_jobs, backend, scheduler) -> None:
    if not isinstance(study, Study):
        raise ValueError(f"run_study needs a studies.Study, got {type(study).__name__}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an integer >= 1, got {n_jobs!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler address needs backend='dask'")


def run_study(
    study: Study,
    out=None,
    *,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    rerun_failed: bool = False,
    progress: Callable[[dict], None] | None = None,
) -> StudyOutcome:
    """Run ``study`` into the directory ``out`` (default ``results/<study name>``).

    ``backend``: ``"loky"`` (worker processes on this machine, ``n_jobs`` of them),
    ``"dask"`` (the Dask scheduler at ``scheduler``, e.g. ``"tcp://10.0.0.5:8786"``, or a
    local cluster of ``n_jobs`` single-threaded worker processes when none is given) or
    ``"sequential"`` (in this process: for debugging; a run that kills its process kills
    the study). Runs already stored are reused; with ``rerun_failed`` the ``failed`` and
    ``timeout`` ones are run again. ``progress(event)`` is called with
    ``{"event": "start", "total", "reused", "todo"}`` and then ``{"event": "run",
    "record"}`` per stored run. On Ctrl-C the finished runs stay stored and a line on
    stderr says how to resume.
    """
    _check_args(study, n_jobs, backend, scheduler)
    t0 = time.perf_counter()
    out = Path(out) if out is not None else Path("results") / study.name
    runs = study.runs()
    # the workers first: an unreachable scheduler fails before the store is touched
    with _executor(backend, n_jobs, scheduler) as execute_all, Store.open(out, study.name) as store:
        provenance = {**study_provenance(), "source": study.source}
        store.set_spec(study.to_json(), provenance, [r.run_id for r in runs])
        ids = {r.run_id for r in runs}
        # a run stopped by a lower time limit than the study's is run again under the new one
        again = store.timed_out_below(study.max_run_seconds)
        if rerun_failed:
            again |= store.recorded(("failed", "timeout"))
        store.forget(again & ids)
        stored = store.recorded()
        todo = [r for r in runs if r.run_id not in stored]
        reused = len(runs) - len(todo)
        if progress is not None:
            progress({"event": "start", "total": len(runs), "reused": reused, "todo": len(todo)})
        ran = failed = 0
        try:
            for record in execute_all(todo):
                store.write(record)
                ran += 1
                failed += record["status"] != "done"
                if progress is not None:
                    progress({"event": "run", "record": record})
        except KeyboardInterrupt:
            log.warning(
                "interrupted: %d of %d runs are stored in %s; run the same study again to "
                "resume (stored runs are kept)",
                reused + ran,
                len(runs),
                out,
            )
            raise
    return StudyOutcome(out, len(runs), reused, ran, failed, time.perf_counter() - t0)


def _worker_died(exc: BaseException) -> bool:
    """Whether ``exc`` says a worker process died (not that the map could not run)."""
    return isinstance(exc, BrokenProcessPool)  # loky's TerminatedWorkerError is one


def _isolating(runs: list[RunSpec], execute_many) -> Iterator[dict]:
    """Every run's record, the runs that kill their worker isolated (module docstring)."""
    groups = [runs]
    while groups:
        group = groups.pop()
        finished: set[str] = set()
        try:
            for record in execute_many(group):
                finished.add(record["run_id"])
                yield record
        except Exception as exc:
            if not _worker_died(exc):
                raise  # not a run's doing (e.g. a run that cannot be pickled): the study stops
            left = [r for r in group if r.run_id not in finished]
            if len(left) == 1:
                detail = " ".join(str(exc).split())  # loky's message runs over lines
                yield failed_record(
                    left[0], f"its worker process died: {type(exc).__name__}: {detail}"
                )
            elif left:
                half = len(left) // 2
                groups += [left[half:], left[:half]]


@contextmanager
def _executor(backend: str, n_jobs: int, scheduler: str | None):
    """A function mapping runs to their records as they finish, on ``backend``."""
    if backend == "sequential":
        yield lambda runs: (execute(r) for r in runs)
    elif backend == "loky":
        yield lambda runs: _isolating(list(runs), lambda group: _loky_map(group, n_jobs))
    else:
        with _dask_client(n_jobs, scheduler) as client:
            yield lambda runs: _dask_map(client, runs)


def _loky_map(runs: list[RunSpec], n_jobs: int) -> Iterator[dict]:
    if not runs:
        return
    with parallel_config(backend="loky", n_jobs=n_jobs):
        yield from Parallel(return_as="generator_unordered")(delayed(execute)(r) for r in runs)


def _dask_map(client, runs: Iterable[RunSpec]) -> Iterator[dict]:
    """Runs as Dask futures, each on its own. A worker that dies takes with it the runs it
    held (Dask's ``KilledWorker``): the one that killed it and any queued beside it. Each of
    those is then run again alone; one that kills its worker again is recorded as failed."""
    from distributed.scheduler import KilledWorker

    suspects: list[RunSpec] = []
    for run, record in _dask_futures(client, list(runs)):
        if isinstance(record, KilledWorker):
            suspects.append(run)
        else:
            yield record
    for run in suspects:
        for _, record in _dask_futures(client, [run]):
            if isinstance(record, KilledWorker):
                record = failed_record(run, f"its worker process died: KilledWorker: {record}")
            yield record


def _dask_futures(client, runs: list[RunSpec]):
    """(run, record or KilledWorker) as the runs finish."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    futures = {}
    for r in runs:  # cloudpickle bytes: see execute_pickled; a fresh key for each attempt
        key = f"run-{r.run_id}-{uuid.uuid4().hex[:8]}"
        future = client.submit(execute_pickled, r.run_id, cloudpickle.dumps(r), key=key)
        futures[future] = r
    try:
        for future in as_completed(futures):
            run = futures[future]
            try:
                record = future.result()
            except KilledWorker as exc:
                yield run, exc
                continue
            if "unpickle_error" in record:
                record = failed_record(run, record["unpickle_error"])
            yield run, record
    finally:
        client.cancel(list(futures))


@contextmanager
def _dask_client(n_jobs: int, scheduler: str | None):
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(
            "backend 'dask' needs dask.distributed: pip install -e \".[dask]\""
        ) from None
    if scheduler is None:
        # a run that kills its worker fails at once, instead of killing three more first
        with (
            dask.config.set({"distributed.scheduler.allowed-failures": 0}),
            LocalCluster(
                n_workers=n_jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=5)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(
            f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address, "
            "or leave the scheduler out to run a local cluster"
        ) from None
    with client:
        yield client
