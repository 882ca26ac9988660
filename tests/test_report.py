"""The HTML report: the quickstart's report (files, sections, every image, the headline's
numbers against ``studies.load`` + ``studies.stats``), escaping of names from a study,
a report of a study still running, failed runs, determinism, and a real browser."""

from __future__ import annotations

import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import find_chromium, load_page

import studies
from reports import build_report
from reports.page import fmt_ert, fmt_metric
from studies import Study, load, load_study, run_study, stats

SECTIONS = ("headline", "across", "failed", "provenance")


class Page(HTMLParser):
    """What a test needs of a page: section ids, images, tables (as rows of cell text),
    the text, and every attribute value."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids, self.images, self.tables, self.headings = [], [], [], []
        self.text, self.scripts, self.handlers = [], [], []
        self._cell = self._row = self._heading = None
        self._tag = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._tag = tag
        self.handlers += [f"{tag} {k}" for k in attrs if k.lower().startswith("on")]
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        elif tag == "script":
            self.scripts.append(attrs)
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h2", "h3"):
            self._heading = [tag]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("h2", "h3") and self._heading is not None:
            level, *parts = self._heading
            self.headings.append((level, " ".join("".join(parts).split())))
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def page_of(index: Path) -> Page:
    return Page(index.read_text(encoding="utf-8"))


def headline_tables(page: Page) -> dict[str, list[list[str]]]:
    """The headline's table of each task, keyed by the task (the headline's h3 headings
    are the task keys; nothing else in the page is an h3)."""
    tables = [t for t in page.tables if t and t[0][0] == "optimizer" and len(t[0]) > 1
              and t[0][1].endswith("median [95% CI]")]  # fmt: skip
    tasks = [text for level, text in page.headings if level == "h3"]
    assert len(tasks) == len(tables)
    return dict(zip(tasks, tables))


@pytest.fixture(scope="module")
def qs(quickstart):
    cwd, done = quickstart
    directory = cwd / "results" / "quickstart"
    return directory, directory / "report" / "index.html"


def test_the_quickstart_report_has_every_section_and_every_image(qs):
    directory, index = qs
    page = page_of(index)
    results = load(directory)
    tasks = [t["key"] for t in results.spec["tasks"]]
    for section in SECTIONS:
        assert section in page.ids
    assert sum(i.startswith("task-") for i in page.ids) == len(tasks) == 3
    assert not page.scripts  # no JavaScript, nothing fetched from a network
    srcs = [im["src"] for im in page.images]
    assert len(srcs) == len(set(srcs)) >= 3 * 4 + 2  # per task: curves, final, networks, neat
    for im in page.images:
        assert not im["src"].startswith(("http:", "https:", "//", "/"))
        assert (index.parent / im["src"]).is_file(), im["src"]
        assert len(im.get("alt") or "") > 20, im
    on_disk = {p.name for p in index.parent.glob("*.png")}
    assert on_disk == set(srcs)  # nothing stale, nothing missing
    for task in tasks:
        assert any(task in im["alt"] and "species" in im["alt"] for im in page.images)
    text = " ".join(page.text)
    assert "neuroarena run quickstart --out" in text  # how to run it again
    # 3 seeds: no rank test can reach p < 0.05, and the page says so instead of "no difference"
    assert "None of the 30 pairwise comparisons can be significant" in " ".join(text.split())
    assert text.count("too few runs to test") == 3 * 4
    assert results.provenance["versions"]["numpy"] in text
    # the saved spec runs the same runs
    again = load_study(index.parent / "study.toml")
    assert {r.run_id for r in again.runs()} == set(results.runs["run_id"])


def test_the_headline_tables_show_what_the_statistics_give(qs):
    directory, index = qs
    results = load(directory)
    runs = results.runs
    described = stats.describe(runs[runs["status"] == "done"])
    erts = stats.ert(stats.hitting_times(runs, results.curves))
    tables = headline_tables(page_of(index))
    assert list(tables) == [t["key"] for t in results.spec["tasks"]]
    for task, table in tables.items():
        head, *rows = table
        assert len(rows) == runs[runs["task"] == task]["optimizer"].nunique() == 5
        metric = runs[runs["task"] == task]["metric"].iloc[0]
        medians = []
        for row in rows:
            label = row[0].split(" (")[0]
            d = described[(described["task"] == task) & (described["optimizer"] == label)]
            d = d.set_index("quantity")
            expect = f"{fmt_metric(d.loc['test_metric', 'median'], metric)} "
            expect += f"[{fmt_metric(d.loc['test_metric', 'ci_low'], metric)}, "
            expect += f"{fmt_metric(d.loc['test_metric', 'ci_high'], metric)}]"
            assert row[1].rstrip("†") == expect, (task, label)
            medians.append(d.loc["test_metric", "median"])
            mine = runs[(runs["task"] == task) & (runs["optimizer"] == label)]
            assert row[3] == f"{int(mine['solved'].sum())}/{len(mine)}"
            e = erts[(erts["task"] == task) & (erts["optimizer"] == label)].iloc[0]
            reached = f"({int(e['successes'])}/{len(mine)} reached)"
            assert row[4] == f"{fmt_ert(e['ert_evaluations'])} {reached}"
            assert row[5] == f"{mine['evaluations'].median():,.0f}"
        assert medians == sorted(medians, reverse=True)  # best first (accuracy)
        assert rows[0][2] == "best"


def test_names_from_a_study_are_escaped(tmp_path):
    tag = '<img src=x onerror="alert(1)">'
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(**{tag: (X[:, 0] > 0).astype(int)})
    frame.to_csv(tmp_path / "data.csv", index=False)
    study = Study(
        name="escape",
        tasks=[{"name": "csv", "path": str(tmp_path / "data.csv"), "target": tag}],
        optimizers={"rs": "random-search", "ga": "ga"},
        seeds=2,
        budget={"evaluations": 120},
    )
    run_study(study, tmp_path / "out", backend="sequential")
    con = sqlite3.connect(tmp_path / "out" / "study.sqlite")
    con.execute("UPDATE runs SET status = 'failed', error = ? WHERE repetition = 1 AND "
                "optimizer = 'ga'", (f"RuntimeError: {tag} <script>alert(2)</script>",))  # fmt: skip
    con.commit()
    con.close()
    index = build_report(tmp_path / "out")
    text = index.read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=" in text and "&lt;script&gt;alert(2)" in text
    page = page_of(index)
    assert not page.scripts and not page.handlers  # the names made no element of their own
    assert any(tag in t for t in page.text)  # shown as text
    assert len(page.images) >= 3 and all(im["src"].endswith(".png") for im in page.images)
    assert all((index.parent / im["src"]).is_file() for im in page.images)
    failed = [t for t in page.tables if t and t[0][:2] == ["task", "optimizer"]][0]
    assert len(failed) == 2 and tag in failed[1][4]  # the error shown as text


def test_a_report_of_a_study_still_running_shows_the_finished_runs(tmp_path, qs):
    directory, _ = qs
    partial = tmp_path / "partial"
    shutil.copytree(directory, partial, ignore=shutil.ignore_patterns("report"))
    con = sqlite3.connect(partial / "study.sqlite")
    con.execute("DELETE FROM runs WHERE repetition = 2 AND task = 'iris'")
    con.execute("DELETE FROM curves WHERE run_id NOT IN (SELECT run_id FROM runs)")
    con.commit()
    con.close()
    index = build_report(partial)
    text = " ".join(page_of(index).text)
    assert "40 of 45 runs stored" in " ".join(text.split())
    assert "The study is not complete" in text


def test_the_same_store_gives_the_same_report_whatever_the_workers(tmp_path, qs):
    directory, index = qs  # built by `neuroarena run`, figures drawn in 2 worker processes
    copy = tmp_path / "again"
    shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("report"))
    rebuilt = build_report(copy, n_jobs=1)
    before = {p.name: p.read_bytes() for p in index.parent.iterdir()}
    after = {p.name: p.read_bytes() for p in rebuilt.parent.iterdir()}
    assert before.keys() == after.keys()
    for name in before:
        if name == "index.html":  # it names its own directory (as it was given)
            relative = str(directory.relative_to(directory.parent.parent)).encode()
            assert before[name].replace(relative, b"D") == after[name].replace(
                str(copy).encode(), b"D"
            )
        else:
            assert before[name] == after[name], name
    assert not list(copy.glob(".report-*"))  # the staging directory is gone


def test_a_report_opens_in_a_real_browser_with_every_image_decoded(qs):
    if find_chromium() is None:
        pytest.skip("no Chromium here (.ci/run installs Debian's chromium when run as root)")
    _, index = qs
    seen = load_page(index)
    assert seen["title"] == "quickstart: neuroarena report"
    assert not seen["errors"], seen["errors"]
    assert len(seen["images"]) == len(page_of(index).images)
    for im in seen["images"]:
        assert im["complete"] and im["naturalWidth"] > 0, im


def test_report_from_python_returns_the_page(tmp_path):
    study = Study(name="tiny-report", tasks=["xor"], optimizers={"rs": "random-search"},
                  seeds=1, budget={"evaluations": 64})  # fmt: skip
    run_study(study, tmp_path, backend="sequential")
    index = build_report(tmp_path)
    assert index == tmp_path / "report" / "index.html" and index.is_file()
    assert studies.load(tmp_path).spec["name"] == "tiny-report"
    page = page_of(index)
    assert "On xor, only rs has results; there is nothing to compare it with." in " ".join(
        page.text
    )


def test_a_study_whose_runs_all_failed_gets_a_report_that_lists_them(tmp_path):
    load_study(Path(__file__).parent / "study_files" / "probes.py")  # registers test-probe
    study = Study(
        name="all-fail",
        tasks=["xor"],
        optimizers={"boom": ("test-probe", {"mode": "raise"}), "nan": ("test-probe", {"mode": "nan"})},
        seeds=2,
        budget={"evaluations": 100},
    )  # fmt: skip
    run_study(study, tmp_path, backend="sequential")
    page = page_of(build_report(tmp_path))
    text = " ".join(" ".join(page.text).split())
    assert "On xor, none of the 4 stored runs ended well" in text
    failed = [t for t in page.tables if t and t[0][:2] == ["task", "optimizer"]][0][1:]
    assert (
        sorted((r[1], r[3]) for r in failed) == [("boom", "failed")] * 2 + [("nan", "diverged")] * 2
    )
    assert all("probe raised on purpose" in r[4] for r in failed if r[1] == "boom")
