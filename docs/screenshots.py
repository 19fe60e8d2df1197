"""Remake docs/review-index.png and docs/review-page.png: the review of the shipped fixture
pages, photographed by Debian's headless Chromium (the browser the tests use).

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db, out = Path(tmp) / "articles.db", Path(tmp) / "review"
        scraper = [sys.executable, "-m", "scraper"]
        subprocess.run([*scraper, "clean", "fixtures/pages", "-o", str(db), "-q"], cwd=ROOT, check=True)
        subprocess.run([*scraper, "review", str(db), "-o", str(out)], cwd=ROOT, check=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto((out / "index.html").as_uri() + "#rule=related-heading")  # scrolls to the pages
            page.screenshot(path=str(ROOT / "docs" / "review-index.png"))
            page.goto((out / "index.html").as_uri())
            page.click("a.page-link:has-text('Why my sourdough stopped rising')")
            page.locator(".block.removed.kind-text").first.hover()
            page.screenshot(path=str(ROOT / "docs" / "review-page.png"))
            browser.close()


if __name__ == "__main__":
    main()
