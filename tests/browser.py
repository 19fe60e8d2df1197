"""A real headless Chromium (Debian's `chromium` package) driven by Playwright, for the review tests.

`browser` is one browser per test module; `watched` opens a page that records every console
error, uncaught exception, dialog and request, so tests can assert nothing ran and nothing left
file://. Playwright's own browser downloads are never used: CI installs `chromium` (.ci/run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Watched:
    """A page plus what it did: console errors, page errors, dialogs, requested URLs."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def outside_file(self) -> list[str]:
        return [url for url in self.requests if not url.startswith("file://")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    seen = Watched(page)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("request", lambda r: seen.requests.append(r.url))

    def dialog(d):  # an alert() from page text would mean it ran as script
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    yield seen
    context.close()
