"""A headless Chromium check of a local HTML page, for tests (standard library only).

- :func:`find_chromium`: the Chromium (or Chrome) executable to use, or None.
- :func:`load_page`: open a local HTML file headless, with no network, and say what the page
  looked like once it had loaded: its title, every ``<img>`` (did it decode, how wide) and
  the errors it raised.

How: a copy of the page is written beside it (so relative links resolve as they do for the
page itself) with a small script injected at the top of its ``<head>``. The script records
uncaught errors and resources that failed to load from the start, and on the window's
``load`` event (which waits for every image) writes a JSON summary, base64-encoded, into a
``<pre>`` element with a random id. ``chromium --headless --dump-dom`` prints the DOM after
load; the summary is read back out of it and the copy removed. Chromium's stderr (D-Bus,
GPU and sandbox chatter) is ignored unless it fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

__all__ = ["BrowserError", "BrowserTimeout", "find_chromium", "load_page", "CANDIDATES"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root (CI) cannot use the sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a small /dev/shm in containers crashes the renderer
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1280,1024",
    # no network: every host name fails to resolve (file:// pages need none)
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)

# injected first into the page's <head>: collects errors from the start, and on load writes
# the summary as base64 JSON into <pre id=TOKEN> (base64: nothing to escape or unescape)
_PROBE = """<script>(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) {
      errors.push("failed to load " + t.tagName.toLowerCase() + ": " +
                  (t.currentSrc || t.src || t.href || "?"));
    } else {
      errors.push((e.message || "error") +
                  (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    var r = e.reason;
    errors.push("unhandled rejection: " + (r && r.message ? r.message : String(r)));
  });
  window.addEventListener("load", function () {
    setTimeout(function () {
      var images = Array.prototype.map.call(document.images, function (img) {
        return {src: img.getAttribute("src"), url: img.currentSrc || img.src,
                complete: img.complete, naturalWidth: img.naturalWidth,
                naturalHeight: img.naturalHeight, alt: img.getAttribute("alt")};
      });
      var text = JSON.stringify({title: document.title, images: images, errors: errors});
      var pre = document.createElement("pre");
      pre.id = "__TOKEN__";
      pre.textContent = btoa(unescape(encodeURIComponent(text)));
      (document.body || document.documentElement).appendChild(pre);
    }, 0);
  });
})();</script>"""
# one line, so the line numbers in the page's own error messages stay right
_PROBE = " ".join(line.strip() for line in _PROBE.splitlines())

_NOISE = re.compile(
    rb"dbus|bus\.cc|object_proxy|gpu|viz|sandbox|unexpected operator|fontconfig|"
    rb"crashpad|gcm|ssl_client|socket|ALSA|pulse|udev",
    re.IGNORECASE,
)


class BrowserError(RuntimeError):
    """Chromium could not load the page or report on it; the message says why."""


class BrowserTimeout(BrowserError, TimeoutError):
    """Chromium did not finish loading the page within the time allowed."""


def find_chromium() -> str | None:
    """The browser to use: ``$CHROMIUM`` (a path or a name on PATH) if it resolves, else the
    first of chromium, chromium-browser, google-chrome, google-chrome-stable on PATH; None
    when there is none."""
    chosen = os.environ.get("CHROMIUM", "").strip()
    if chosen:
        found = shutil.which(chosen)
        if found:
            return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _inject(html: bytes, probe: bytes) -> bytes:
    """``html`` with ``probe`` first in its <head> (else after <html>, else after the
    doctype, else at the start): before the page's own scripts, and never before the
    doctype (that would switch the page to quirks mode)."""
    for pattern in (rb"<head\b[^>]*>", rb"<html\b[^>]*>", rb"<!doctype[^>]*>"):
        m = re.search(pattern, html, re.IGNORECASE)
        if m:
            return html[: m.end()] + probe + html[m.end() :]
    return probe + html


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the browser and every process it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _stderr_tail(stderr: bytes, lines: int = 8) -> str:
    useful = [ln for ln in stderr.splitlines() if ln.strip() and not _NOISE.search(ln)]
    return b"\n".join(useful[-lines:]).decode("utf-8", "replace") or "(nothing but noise)"


def load_page(html_path, timeout: float = 60, *, chromium: str | None = None) -> dict:
    """Open ``html_path`` headless in Chromium (file:// URL, no network) and return what the
    page looked like after its load event:

    ``{"title": str, "images": [{"src", "url", "complete", "naturalWidth", "naturalHeight",
    "alt"}, ...], "errors": [str, ...]}``, images in document order (``src`` as written in
    the page, ``url`` resolved; a broken image has ``naturalWidth`` 0), errors the page's
    uncaught errors and unhandled rejections and each resource that failed to load.

    Raises FileNotFoundError for a missing page, :class:`BrowserTimeout` when Chromium has
    not finished within ``timeout`` seconds (it is then killed, with its children), and
    :class:`BrowserError` when no Chromium is found or it gives no summary.
    """
    page = Path(html_path).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"no HTML file at {page}")
    browser = chromium or find_chromium()
    if browser is None:
        raise BrowserError(
            f"no Chromium found (looked for {', '.join(CANDIDATES)} on PATH and $CHROMIUM)"
        )
    token = "browser-probe-" + secrets.token_hex(8)
    copy = page.with_name(f".{page.stem}.{token}.html")
    copy.write_bytes(_inject(page.read_bytes(), _PROBE.replace("__TOKEN__", token).encode()))
    try:
        with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
            budget_ms = max(1000, int(timeout * 1000 * 0.5))
            cmd = [
                browser,
                *_FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                copy.as_uri(),
            ]
            env = {**os.environ, "HOME": profile}  # nothing written to the real home
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,  # its own process group, killed as one on timeout
            )
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise BrowserTimeout(
                    f"Chromium did not finish loading {page} within {timeout:g} s"
                ) from None
            finally:
                if proc.poll() is None:  # an exception other than the timeout
                    _kill_group(proc)
    finally:
        copy.unlink(missing_ok=True)
    m = re.search(rb'<pre id="' + token.encode() + rb'"[^>]*>([A-Za-z0-9+/=\s]*)</pre>', out)
    if m is None:
        raise BrowserError(
            f"Chromium ({browser}, exit status {proc.returncode}) gave no summary of {page}: "
            f"the page did not reach its load event or scripts did not run. Its stderr:\n"
            f"{_stderr_tail(err)}"
        )
    summary = json.loads(base64.b64decode(b"".join(m.group(1).split())).decode("utf-8"))
    summary["errors"] = [e.replace(copy.name, page.name) for e in summary["errors"]]
    return summary
