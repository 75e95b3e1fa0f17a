"""The classroom app in a real headless browser, at projector sizes, offline.

The app is served in a subprocess exactly as ``sixerrors classroom`` serves
it; Debian's chromium, driven by Playwright, loads it while every request
that would leave 127.0.0.1 is recorded and refused (a classroom without
internet). At 1024x768, 1280x720 and 1920x1080 the test fails on any console
error, on any attempt to reach the internet, if the Step button, either
side's network or its charts is not inside the window (a teacher would have
to scroll to find them), if a slider's value is not on screen, if a
resident's dot is too small to see on a projector, or if Step does not
change the week and the pixels of both sides' charts (a new picture with
the same pixels would not do: the images' addresses change at every
render, drawn anew or not). A screenshot of each size is kept in
``tests/artifacts/classroom-WxH.png``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from experiments.classroom.drawing import marker_diameter
from model.population import Stance

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ROOT = Path(__file__).parent.parent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (bash scripts/setup-browser.sh)",
    ),
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WINDOWS = ((1024, 768), (1280, 720), (1920, 1080))
"""Classroom projector and laptop sizes the page must fit."""

RESIDENTS = 2000
"""The classroom's default city size (the declared default of ``n_residents``)."""

MIN_DOT_PX = {1024: 4.0, 1280: 4.0, 1920: 6.0}
"""Smallest on-screen diameter, in CSS pixels, of a quiet resident's dot, by window
width. A projector shows a 1920-pixel-wide page on a wall a few metres across, so a
6-pixel dot is about a centimetre there; smaller windows are laptops, viewed closer."""

MIN_CHANGED_PIXELS = 20
"""Pixels of each side's charts that must change when Step adds a week: the first
week's segments of both lines in the four charts are about 70."""

PIXELS_JS = """
window.sixerrorsPixels = () => [...document.querySelectorAll('.sixerrors-picture')].map(img => {
  if (!img.complete || img.naturalWidth === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  return context.getImageData(0, 0, canvas.width, canvas.height).data;
});
window.sixerrorsChanged = before => window.sixerrorsPixels().map((now, i) => {
  const was = before[i];
  if (!now || !was || now.length !== was.length) return -1;
  let changed = 0;
  for (let k = 0; k < now.length; k += 4) {
    if (now[k] !== was[k] || now[k + 1] !== was[k + 1] || now[k + 2] !== was[k + 2]) changed++;
  }
  return changed;
});
"""
"""Each picture's decoded pixels (the blob images are same-origin, so a canvas may
read them), and per picture how many pixels differ from an earlier reading."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app served by ``serve()`` in a subprocess on a free port."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    code = (
        f"from experiments.classroom.app import serve; raise SystemExit(serve('127.0.0.1', {port}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None:
            pytest.fail(f"the server exited: {process.stdout.read() if process.stdout else ''}")
        time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the server did not start within 60 s")
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for every window size."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() starts chromium with a fresh temporary profile of its own.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _drawn_scale(page: Any, selector: str) -> list[float]:
    """How much the page shrinks each matching image (``object-fit: contain``)."""
    result: list[float] = page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return Math.min(r.width / e.naturalWidth, r.height / e.naturalHeight); })",
    )
    return result


def _inside(page: Any, selector: str) -> list[bool]:
    """For every element matching ``selector``: wholly inside the window, at a visible size."""
    result: list[bool] = page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return r.width > 50 && r.height > 20 && r.left >= 0 && r.top >= 0"
        " && r.right <= window.innerWidth + 0.5 && r.bottom <= window.innerHeight + 0.5; })",
    )
    return result


@pytest.mark.parametrize(("width", "height"), WINDOWS, ids=[f"{w}x{h}" for w, h in WINDOWS])
def test_app_fits_the_window_draws_offline_and_steps(
    server: str, browser: Any, width: int, height: int
) -> None:
    errors: list[str] = []
    outside: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": height})

    def refuse_outside(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", refuse_outside)
    page.add_init_script(PIXELS_JS)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "requestfailed",
        lambda r: errors.append(f"failed: {r.url}") if "127.0.0.1" in r.url else None,
    )

    page.goto(server)
    page.wait_for_selector("text=Week 0", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sixerrors-picture')]"
        ".filter(i => i.complete && i.naturalWidth > 100).length === 4",
        timeout=30_000,
    )
    # Everything a teacher drives and watches is on screen without scrolling.
    step = page.get_by_role("button", name="Step")
    box = step.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, "Step is below the window"
    for side in (0, 1):
        for kind in ("network", "charts"):
            shown = _inside(page, f".sixerrors-side-{side} .sixerrors-{kind}")
            assert shown == [True], f"side {side}'s {kind} is not wholly in the window"
    # Mesa's internal controls are not shown to the teacher.
    for internal in ("Play Interval", "Render Interval", "Use Threads"):
        assert page.get_by_text(internal).count() == 0, internal
    # Slider values are printed beside their labels, not only while dragging.
    values = page.eval_on_selector_all(
        ".sixerrors-setting-value",
        "els => els.filter(e => { const r = e.getBoundingClientRect();"
        " return r.width > 0 && r.bottom <= window.innerHeight; }).map(e => e.textContent)",
    )
    assert "10 %" in values and "80 %" in values, values  # the error side's levers

    # Residents are dots a class can see: a quiet one (the smallest) at least
    # MIN_DOT_PX across on screen; those who act are drawn larger still.
    quiet = marker_diameter(int(Stance.QUIET), RESIDENTS)
    for scale in _drawn_scale(page, ".sixerrors-network"):
        assert quiet * scale >= MIN_DOT_PX[width], (
            f"a quiet resident is {quiet * scale:.1f} px across at {width}x{height}"
        )
    assert marker_diameter(int(Stance.PROTESTING), RESIDENTS) > 1.3 * quiet

    # Step redraws both sides' charts: their pixels change, not only their addresses.
    assert page.evaluate("() => (window.sixerrorsBefore = window.sixerrorsPixels()).length") == 4
    step.click()
    page.wait_for_selector("text=Week 1", timeout=30_000)
    page.wait_for_function(
        "least => { const c = window.sixerrorsChanged(window.sixerrorsBefore);"
        " return c[1] >= least && c[3] >= least; }",
        arg=MIN_CHANGED_PIXELS,
        timeout=30_000,
    )
    changed = page.evaluate("() => window.sixerrorsChanged(window.sixerrorsBefore)")
    assert changed[1] >= MIN_CHANGED_PIXELS and changed[3] >= MIN_CHANGED_PIXELS, changed
    scales = _drawn_scale(page, ".sixerrors-network")
    print(
        f"{width}x{height}: quiet dot {min(scales) * quiet:.1f} px on screen; "
        f"pixels changed by Step (network, charts, network, charts): {changed}"
    )
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"classroom-{width}x{height}.png"), full_page=False)
    page.close()

    assert not outside, f"the page tried to reach the internet: {outside}"
    assert not errors, f"console errors: {errors}"
