"""The headless-browser helper (tests/browser.py) on pages whose answer is known."""

from __future__ import annotations

import pytest
from browser import BrowserTimeout, find_chromium, load_page
from matplotlib.figure import Figure


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip(
            "no Chromium found (chromium, chromium-browser, google-chrome on PATH or "
            "$CHROMIUM): install Debian's chromium to run the browser checks"
        )
    return found


def _png(path, width_in=3.0, height_in=2.0, dpi=50) -> None:
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    fig.add_subplot().plot([0, 1, 2], [0, 1, 0])
    fig.savefig(path, dpi=dpi)


def _page(directory, body: str, title: str = "A fixture page") -> object:
    path = directory / "index.html"
    path.write_text(
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body>\n{body}\n</body></html>\n",
        encoding="utf-8",
    )
    return path


def test_a_valid_image_decodes_and_a_broken_link_does_not(tmp_path, chromium):
    (tmp_path / "figures").mkdir()
    _png(tmp_path / "figures" / "curve.png")  # 3 x 2 in at 50 dpi: 150 x 100 pixels
    page = _page(
        tmp_path,
        '<h1>Results</h1><img src="figures/curve.png" alt="a curve">'
        '<p>text</p><img src="figures/missing.png" alt="not there">',
        title="Study report: neuroarena",
    )
    before = sorted(p.name for p in tmp_path.iterdir())

    result = load_page(page, timeout=60)

    assert result["title"] == "Study report: neuroarena"
    good, broken = result["images"]
    assert good["src"] == "figures/curve.png" and good["alt"] == "a curve"
    assert good["complete"] and good["naturalWidth"] == 150 and good["naturalHeight"] == 100
    assert broken["src"] == "figures/missing.png" and broken["alt"] == "not there"
    assert broken["naturalWidth"] == 0
    assert any("missing.png" in e for e in result["errors"])
    assert not any("curve.png" in e for e in result["errors"])
    # the probe's copy of the page is gone again
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_clean_page_has_no_errors_and_non_ascii_survives(tmp_path, chromium):
    _png(tmp_path / "a.png")
    page = _page(tmp_path, '<img src="a.png" alt="Δ accuracy ≥ 0.9">', title="Résumé – µ")
    result = load_page(page)
    assert result["title"] == "Résumé – µ"
    assert result["errors"] == []
    (img,) = result["images"]
    assert img["alt"] == "Δ accuracy ≥ 0.9" and img["naturalWidth"] > 0


def test_script_errors_are_reported_with_the_page_line(tmp_path, chromium):
    page = _page(tmp_path, "<script>\nundefinedFunction();\n</script>")
    result = load_page(page)
    assert result["images"] == []
    (error,) = result["errors"]
    assert "undefinedFunction" in error and "index.html:4" in error  # the page's own line


def test_a_page_that_never_loads_times_out_clearly(tmp_path, chromium):
    page = _page(tmp_path, "<script>while (true) {}</script>")
    with pytest.raises(BrowserTimeout, match=r"did not finish loading .*index.html within 3 s"):
        load_page(page, timeout=3)
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_a_missing_page_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no HTML file"):
        load_page(tmp_path / "nowhere.html")


def test_find_chromium_honours_the_environment(monkeypatch, tmp_path):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "absent"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_chromium() is None
