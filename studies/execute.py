"""What a worker process does with one run: build it from its seeds, fit it, score it.

:func:`execute` never raises for a run's own failure: an exception, NaN numbers or a run
past its time limit come back as a record with its status and error, so the study goes on.
Everything in the record is plain data (it crosses process boundaries and goes to SQLite).
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback

from threadpoolctl import threadpool_limits

from optimizers import Status, fit

from .provenance import package_versions
from .runspec import RunSpec
from .seeds import init_rng, run_rng, split_rng

__all__ = ["execute", "execute_pickled", "failed_record"]


def _base(run: RunSpec) -> dict:
    return {
        "run_id": run.run_id,
        "task": run.task.key,
        "task_name": run.task.name,
        "optimizer": run.label,
        "optimizer_name": run.optimizer.name,
        "repetition": int(run.repetition),
        "study_seed": int(run.study_seed),
        "metric": run.task.metric,
        "metric_maximize": bool(run.task.metric_maximize),
        "target": None if run.task.target is None else float(run.task.target),
        "target_split": run.task.target_split,
        "network": run.network.to_dict(),
        "budget": run.budget.limits(),
        "max_run_seconds": run.max_run_seconds,
        "content": run.content(),
        "host": socket.gethostname(),
        "versions": package_versions(),
        "pid": os.getpid(),
    }


def failed_record(run: RunSpec, error: str, wall_seconds: float = float("nan")) -> dict:
    """The record of a run that produced nothing: its status is ``failed``."""
    return {
        **_base(run),
        "status": Status.FAILED.value,
        "error": error,
        "result": None,
        "scores": {},
        "solved": False,
        "connections": None,
        "hidden_nodes": None,
        "wall_seconds": wall_seconds,
    }


def execute(run: RunSpec) -> dict:
    """Run ``run`` in this process (BLAS limited to ``run.blas_threads`` threads)."""
    t0 = time.perf_counter()
    try:
        with threadpool_limits(limits=run.blas_threads):
            return _execute(run, t0)
    except Exception as exc:  # a run's own failure is a result, not the study's end
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        tb = traceback.format_exc(limit=-6)
        return failed_record(run, f"{text}\n{tb}", time.perf_counter() - t0)


def execute_pickled(run_id: str, blob: bytes) -> dict:
    """:func:`execute` of a run sent as cloudpickle bytes. Dask pickles with plain pickle
    first, which sends a class from a study script by reference, and a worker that never
    ran the script cannot import it; cloudpickle sends the script's classes by value."""
    import cloudpickle

    try:
        run = cloudpickle.loads(blob)
    except Exception as exc:  # e.g. a package the worker lacks: this run fails, not the study
        return {
            "run_id": run_id,
            "unpickle_error": f"the worker could not load the run: {type(exc).__name__}: {exc}",
        }
    return execute(run)


def _stopping(task) -> dict:
    """``fit``'s stop (and screen) for a task that ends its runs at the target."""
    if not getattr(task, "stop_at_target", False):
        return {}
    return {"stop": task.solved, "screen": getattr(task, "screen", None)}


def _execute(run: RunSpec, t0: float) -> dict:
    task = run.task
    splits = task.splits(split_rng(run.study_seed, task.key, run.repetition))
    problem = task.problem(splits)
    initial = run.network.build(
        problem.n_inputs, problem.n_outputs, rng=init_rng(run.study_seed, task.key, run.repetition)
    )
    test_scores = task.test_scorer(problem, splits)  # each curve point's test figures too
    result = fit(
        run.optimizer.build(),
        problem,
        run.budget,
        run_rng(run.study_seed, task.key, run.repetition, run.label),
        initial=initial,
        record_every=run.record_every,
        max_seconds=run.max_run_seconds,
        measure=test_scores,
        **_stopping(task),
    )
    scores = {**result.metrics, **test_scores(result.best)}
    status = Status(result.status)
    if status is Status.DONE and not all(math.isfinite(v) for v in scores.values()):
        status = Status.DIVERGED
    result.status = status
    error = None
    if status is Status.DIVERGED:
        error = "the best network's numbers are not finite (NaN or inf)"
    elif status is Status.TIMEOUT:
        error = f"stopped after {run.max_run_seconds:g} s (max_run_seconds)"
    return {
        **_base(run),
        "status": status.value,
        "error": error,
        "result": result.to_dict(),
        "scores": scores,
        "solved": bool(status is Status.DONE and task.solved(scores)),
        "connections": int(result.best.n_enabled),
        "hidden_nodes": int(result.best.n_hidden),
        "wall_seconds": time.perf_counter() - t0,
    }
