"""The classroom app in a real headless browser, with no network but this computer.

The app is served in a subprocess exactly as ``sixerrors classroom`` serves
it; Debian's chromium, driven by Playwright, loads it while every request
that would leave 127.0.0.1 is recorded and refused (a classroom without
internet). The test fails on any console error, on any attempt to reach the
internet, if either side's network or charts do not draw, or if Step does not
change the week and the charts. A screenshot is kept in
``tests/artifacts/classroom.png``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

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
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Any:
    """The app served by ``serve()`` in a subprocess on a free port."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    code = (
        "from experiments.classroom.app import serve; "
        f"raise SystemExit(serve('127.0.0.1', {port}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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


def _image_sources(page: Any) -> list[str]:
    """The src (blob URL) of every picture, in page order."""
    result: list[str] = page.eval_on_selector_all(
        ".sixerrors-picture", "els => els.map(e => e.src)"
    )
    return result


def test_app_draws_offline_and_steps(server: str) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        # launch() starts chromium with a fresh temporary profile of its own.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1300})

        def refuse_outside(route: Any) -> None:
            url = route.request.url
            if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        page.route("**/*", refuse_outside)
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
        # Both sides drawn: each has its network and its charts, at a visible size.
        for side in (0, 1):
            sizes = page.eval_on_selector_all(
                f".sixerrors-side-{side} .sixerrors-picture",
                "els => els.map(e => [e.naturalWidth, e.getBoundingClientRect().width])",
            )
            assert len(sizes) == 2, f"side {side} shows {len(sizes)} pictures"
            assert all(natural > 100 and shown > 200 for natural, shown in sizes), sizes
        before = _image_sources(page)

        page.get_by_role("button", name="Step").click()
        page.wait_for_selector("text=Week 1", timeout=30_000)
        page.wait_for_function(
            "before => { const now = [...document.querySelectorAll('.sixerrors-picture')]"
            ".map(e => e.src); return now.length === 4 && now.every((s, i) => s !== before[i]); }",
            arg=before,
            timeout=30_000,
        )
        charts_before = [before[1], before[3]]
        charts_after = [_image_sources(page)[1], _image_sources(page)[3]]
        assert charts_after != charts_before
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "classroom.png"), full_page=False)
        browser.close()

    assert not outside, f"the page tried to reach the internet: {outside}"
    assert not errors, f"console errors: {errors}"
