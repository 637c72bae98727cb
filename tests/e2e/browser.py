"""Headless Chromium for the e2e tests: Debian's package (/usr/bin/chromium, which .ci/run installs),
driven by Playwright with that executable; Playwright's own browser download is never used."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# As root on a closed network: no sandbox (it needs user namespaces), and none of Chromium's own calls home,
# whose refused connections otherwise pile up at every start.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    """The browser's path. Without one, CI (CI=true, where .ci/run installs it) fails; a contributor's
    machine, which the README promises needs only Python, skips the browser check naming the install."""
    found = Path(CHROMIUM) if Path(CHROMIUM).exists() else None
    found = found or (Path(path) if (path := shutil.which("chromium")) else None)
    if found is None:
        missing = f"no Chromium at {CHROMIUM}: run `apt-get install -y chromium` (.ci/run does)"
        assert os.environ.get("CI", "").lower() not in {"true", "1"}, missing
        pytest.skip(missing)
    return str(found)


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A page in a fresh headless Chromium, closed after use."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=list(FLAGS))
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def log_in(page: Any, api_url: str, username: str, password: str) -> None:
    """Through the auth manager's own login form, as a person would; done when the UI's token is set."""
    page.goto(f"{api_url}/auth/login", wait_until="domcontentloaded")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_function("document.cookie.includes('_token=') || location.pathname.indexOf('/auth') < 0")
