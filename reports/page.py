"""The report's HTML: one jinja2 template (autoescaped), its CSS inline, numbers formatted
here. Nothing in the page loads from a server or the network."""

from __future__ import annotations

import math
from importlib.metadata import PackageNotFoundError, version

import jinja2

from .content import ReportContent
from .render import Image, metric_words

__all__ = ["render_page"]


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,  # every name from a study file is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        metric=fmt_metric, count=fmt_count, seconds=fmt_seconds, pvalue=fmt_p, ert=fmt_ert
    )
    return env


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_metric(value, metric: str = "accuracy") -> str:
    if not _finite(value):
        return "-"
    return f"{float(value):.3f}" if metric == "accuracy" else f"{float(value):.4g}"


def fmt_count(value) -> str:
    if not _finite(value):
        return "-"
    v = float(value)
    return f"{v:,.0f}" if abs(v) < 1e7 else f"{v:.3g}"


def fmt_seconds(value) -> str:
    if not _finite(value):
        return "-"
    v = float(value)
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def fmt_p(value) -> str:
    if not _finite(value):
        return "-"
    v = float(value)
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


_COUNTS = ("evaluations", "macs", "samples", "connections", "hidden_nodes")
_WORDS = {"macs": "MACs", "hidden_nodes": "hidden nodes", "connections": "connections"}


def quantity_words(quantity: str, metric: str) -> str:
    """``"test_metric"`` -> ``"test accuracy"``, ``"macs"`` -> ``"MACs"``."""
    if quantity.endswith("_metric"):
        return metric_words(quantity, metric)
    if quantity.endswith("_loss"):
        return f"{quantity.split('_')[0]} loss"
    return _WORDS.get(quantity, quantity)


def fmt_figure(value, quantity: str, metric: str) -> str:
    """A figure of ``quantity`` as the tables show it."""
    if quantity in _COUNTS:
        return fmt_count(value)
    if quantity == "seconds":
        return fmt_seconds(value)
    if quantity.endswith("_metric"):
        return fmt_metric(value, metric)
    return "-" if not _finite(value) else f"{float(value):.4g}"


def details(task, labels: list[str]) -> list[tuple[str, list[dict | None]]]:
    """``task.described`` as rows of quantities, one cell per label (None: no value)."""
    by = {(r["quantity"], r["optimizer"]): r for r in task.described.to_dict("records")}
    quantities = list(dict.fromkeys(task.described["quantity"]))
    return [(q, [by.get((q, label)) for label in labels]) for q in quantities]


def test_sizes(task) -> str:
    """``"Mann-Whitney U, n = 5 runs each"``: the test and its sample sizes on a task."""
    h = task.headline
    if "test" not in h or "n" not in h:
        return ""
    rows = h[h["verdict"].notna() & (h["verdict"] != "best") & h["n"].notna()]
    if not len(rows):
        return ""
    ns = sorted({int(n) for n in rows["n"]})
    n = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]} to {ns[-1]}"
    unit = "paired repetitions" if "Wilcoxon" in str(rows["test"].iloc[0]) else "runs each"
    return f"{rows['test'].iloc[0]}, n = {n} {unit}"


def fmt_ert(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return "never reached" if math.isinf(float(value)) else fmt_count(value)


def _versions(content: ReportContent) -> dict:
    stored = dict(content.provenance.get("versions") or {})
    for name in ("matplotlib", "seaborn", "jinja2"):  # what drew this report
        try:
            stored.setdefault(f"{name} (report)", version(name))
        except PackageNotFoundError:
            pass
    return stored


def render_page(content: ReportContent, images: dict[str, dict[str, Image]]) -> str:
    """index.html's text."""
    return (
        _env()
        .get_template("index.html.j2")
        .render(
            c=content,
            images=images,
            versions=_versions(content),
            metric_words=metric_words,
            quantity_words=quantity_words,
            figure=fmt_figure,
            details=details,
            test_sizes=test_sizes,
            finite=_finite,
        )
    )
