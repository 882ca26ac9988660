"""``build_report(DIR)``: a study's results directory -> ``DIR/report/index.html``."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from studies.results import load

from .content import report_content
from .page import render_page
from .render import render_figures

__all__ = ["build_report", "REPORT_DIR"]

REPORT_DIR = "report"
log = logging.getLogger(__name__)


def build_report(
    directory, *, paired: bool = False, seed: int = 0, n_jobs: int | None = None
) -> Path:
    """Build the HTML report of the study in ``directory`` (what ``run_study`` or
    ``neuroarena run`` wrote) and return the path of its ``index.html``.

    The page and its PNG figures go to ``directory/report/``, replacing an earlier
    report whole (a reader never sees half of one). Reads the store read-only, so it may be
    built while the study still runs (it shows the runs finished so far). ``paired``:
    compare optimizers with the Wilcoxon signed-rank test over repetitions instead of
    Mann-Whitney U; ``seed``: the bootstraps' seed (the same store and seed give the same
    report); ``n_jobs``: processes drawing the figures (default: one per CPU; the files
    are the same whatever the number).
    """
    t0 = time.perf_counter()
    directory = Path(directory)
    results = load(directory)
    content = report_content(results, paired=paired, seed=seed)
    final = directory / REPORT_DIR
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=directory))
    try:
        images = render_figures(content, results, staging, n_jobs=n_jobs)
        (staging / "index.html").write_text(render_page(content, images), encoding="utf-8")
        (staging / "study.toml").write_text(content.toml, encoding="utf-8")
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        _replace(final, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("report of %s built in %.1f s: %s", directory, time.perf_counter() - t0, final)
    return final / "index.html"


def _replace(final: Path, staging: Path, attempts: int = 10) -> None:
    """Put the finished ``staging`` directory in ``final``'s place. Another build of the same
    study (``neuroarena report`` while ``run`` ends) may swap its own in at the same moment:
    the earlier one is moved aside and removed, and the last build to finish wins."""
    for attempt in range(attempts):
        old = final.with_name(f".report-old-{os.getpid()}-{attempt}")
        try:
            if final.exists():
                final.rename(old)
            staging.rename(final)
        except OSError as exc:  # the other build moved ours or put its own in place
            if attempt == attempts - 1:
                raise OSError(f"could not put the report in {final}: {exc}") from None
            continue
        finally:
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
        return
