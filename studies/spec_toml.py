"""A stored study spec written back as a study TOML file (the report shows it, and saves it
beside the report so the study can be run again from it)."""

from __future__ import annotations

import tomli_w

__all__ = ["study_toml"]

_TOP = ("name", "seed", "seeds", "record_every", "blas_threads", "max_run_seconds")


def study_toml(spec: dict) -> str:
    """The study ``spec`` (``StudyResults.spec``, as ``Study.to_dict`` stores it) as TOML in
    the study schema: each task entry carries the budget it ran under (so the runs are the
    same ones), every optimizer entry its parameters. Tasks registered by a study script
    or made from arrays run only from that script: the TOML names them all the same."""
    out = {k: spec[k] for k in _TOP if spec.get(k) is not None}
    tasks = []
    for t in spec.get("tasks", []):
        entry = {"name": t["name"], **(t.get("params") or {})}
        if t.get("budget"):
            entry["budget"] = t["budget"]
        if t.get("network"):
            entry["network"] = _plain(t["network"])
        if t.get("optimizers"):
            entry["optimizers"] = _plain(t["optimizers"])
        tasks.append(entry)
    out["tasks"] = tasks
    if spec.get("network"):
        out["network"] = _plain(spec["network"])
    out["optimizers"] = {}
    for label, o in spec.get("optimizers", {}).items():
        entry = {"optimizer": o["optimizer"], **_plain(o.get("params") or {})}
        if o.get("network"):
            entry["network"] = _plain(o["network"])
        out["optimizers"][label] = entry
    return tomli_w.dumps(out)


def _plain(value):
    """TOML has no null: keys whose value is None are left out (their defaults)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
