"""The report's figures drawn from a :class:`~reports.content.ReportContent` into PNG files.

Figures are per task (never per run), so a study of hundreds of runs draws a few dozen.
Each figure is an :class:`Image`: its file name (relative to the report directory), its
alt text and a caption.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from joblib import Parallel, delayed

from studies.results import StudyResults

from . import figures
from .content import ReportContent, TaskContent

__all__ = ["Image", "render_figures"]

_PARALLEL_FROM = 3  # tasks: below this, starting workers costs more than it saves
_METRIC_WORDS = {"accuracy": "accuracy", "mse": "mean squared error"}


@dataclass(frozen=True)
class Image:
    file: str
    alt: str
    caption: str = ""


def metric_words(column: str, metric: str) -> str:
    """``"test_metric"`` -> ``"test accuracy"``."""
    split = column.split("_", 1)[0]
    return f"{split} {_METRIC_WORDS.get(metric, metric)}"


def render_figures(
    content: ReportContent, results: StudyResults, directory: Path, *, n_jobs: int | None = None
) -> dict[str, dict[str, Image]]:
    """Draw every figure into ``directory``; returns ``{task key or "study": {kind: Image}}``.

    Tasks are drawn in ``n_jobs`` worker processes (default: one per CPU, at most one per
    task; 1 draws here). Each figure depends only on its data, so the files are the same
    whatever the number of workers."""
    graphs = [
        {label: results.graph(run_id) for label, run_id in task.best_runs.items()}
        for task in content.tasks
    ]
    jobs = min(n_jobs or os.cpu_count() or 1, len(content.tasks))
    colours = figures.palette(content.labels)  # one colour per optimizer in every figure
    work = [delayed(_task_figures)(t, g, directory, colours) for t, g in zip(content.tasks, graphs)]
    if jobs > 1 and len(content.tasks) >= _PARALLEL_FROM:
        drawn = Parallel(n_jobs=jobs, backend="loky")(work)
    else:
        drawn = [f(*a, **kw) for f, a, kw in work]
    out: dict[str, dict[str, Image]] = {t.key: d for t, d in zip(content.tasks, drawn)}
    out["study"] = _study_figures(content, directory, colours)
    return out


def _save(fig, directory: Path, name: str, alt: str, caption: str = "") -> Image:
    figures.save(fig, directory / name)
    return Image(name, alt, caption)


def _task_figures(
    task: TaskContent, graphs: dict, directory: Path, colours: dict
) -> dict[str, Image]:
    images = {}
    words = metric_words(task.curve_metric, task.metric)
    if task.grids:
        fig = figures.learning_curves(task.grids, task.key, words, task.maximize, colors=colours)
        images["curves"] = _save(
            fig, directory, f"{task.slug}-curves.png",
            f"Learning curves on {task.key}: median {words} of each optimizer's best network "
            "against evaluations, MACs and seconds, with 95% bootstrap bands",
        )  # fmt: skip
    done = task.runs[task.runs["status"] == "done"]
    if len(done):
        fig = figures.final_distributions(done, "test_metric", task=task.key, colors=colours)
        images["distributions"] = _save(
            fig, directory, f"{task.slug}-final.png",
            f"Final test {task.metric} on {task.key}: every run of every optimizer, with box plots",
        )  # fmt: skip
    if task.ecdfs and any(len(e) for e in task.ecdfs.values()):
        per = task.runs.groupby("optimizer").size().to_dict()
        fig = figures.cost_ecdfs(task.ecdfs, task.key, per, colors=colours)
        sign = ">=" if task.maximize else "<="
        images["ecdf"] = _save(
            fig, directory, f"{task.slug}-cost.png",
            f"Cost to target on {task.key}: fraction of runs whose {task.target_split} "
            f"{task.metric} reached {sign} {task.target:g}, against evaluations and seconds",
        )  # fmt: skip
    if graphs:
        fig = figures.networks_figure(graphs, task.key)
        images["networks"] = _save(
            fig, directory, f"{task.slug}-networks.png",
            f"The best network each optimizer found on {task.key} (by test {task.metric}): "
            "edge colour is the weight's sign, width its size; disabled connections left out",
        )  # fmt: skip
    for i, (label, curves) in enumerate(task.species.items()):
        fig = figures.neat_figure(curves, label)
        images[f"species-{i}"] = _save(
            fig, directory, f"{task.slug}-species-{i}.png",
            f"{label} on {task.key}: species sizes over generations (first repetition) and "
            "network complexity over generations (median over runs)",
        )  # fmt: skip
    return images


def _study_figures(content: ReportContent, directory: Path, colours: dict) -> dict[str, Image]:
    images = {}
    if len(content.pairs) and len(content.labels) > 1:
        fig = figures.pairwise_heatmap(content.pairs)
        images["pairwise"] = _save(
            fig, directory, "pairwise.png",
            "Pairwise results: for each row optimizer against each column optimizer, the "
            "number of tasks where it is significantly better / not told apart / worse",
        )  # fmt: skip
    fr = content.friedman
    ranks = fr.get("ranks")
    if ranks is not None and len(ranks) > 1 and fr.get("n_tasks", 0) >= 2:
        cd = float(fr.get("cd", math.nan))
        fig = figures.cd_diagram(ranks, cd, colors=colours)
        images["cd"] = _save(
            fig, directory, "critical-difference.png",
            f"Critical difference diagram: average rank of each optimizer over "
            f"{fr['n_tasks']} tasks (1 = best); CD = {cd:.2f}; optimizers joined by a bar "
            "are not significantly different",
        )  # fmt: skip
    return images
