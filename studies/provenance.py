"""Where and with what a study ran: versions, BLAS, machine, commit, date."""

from __future__ import annotations

import datetime as _dt
import functools
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["package_versions", "study_provenance"]

PACKAGES = ("neuroarena", "numpy", "scipy", "deap", "scikit-learn", "joblib", "pandas")


@functools.lru_cache(maxsize=1)
def package_versions() -> dict:
    """Python's and the numerical packages' versions in this process."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def study_provenance() -> dict:
    """The running process's environment, stored with each version of a study's spec."""
    from threadpoolctl import threadpool_info

    return {
        "versions": package_versions(),
        "blas": [
            {k: info.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for info in threadpool_info()
        ],
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "git_commit": _git_commit(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
