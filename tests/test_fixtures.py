"""Every fixture keeps its article phrases and loses its promo phrases (fixtures/expectations.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scraper.article import Article
from scraper.run.batch import BatchOptions, clean_input, find_inputs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXPECTATIONS = tomllib.loads((FIXTURES / "expectations.toml").read_text(encoding="utf-8"))


def clean(name: str, spec: dict) -> Article:
    # "box.mbox#message-id": one message of a mailbox, found as a batch finds it.
    item = next(i for i in find_inputs([str(FIXTURES / name.split("#")[0])]) if i.source == str(FIXTURES / name))
    result = clean_input(item, BatchOptions(url=spec.get("url")))
    assert isinstance(result, Article), f"{name} failed: {result.reason}"
    return result


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture(name: str) -> None:
    spec = EXPECTATIONS[name]
    article = clean(name, spec)
    lost = [p for p in spec.get("keep", []) if p not in article.text]
    leaked = [p for p in spec.get("drop", []) if p in article.text]
    assert not lost, f"article text lost: {lost}"
    assert not leaked, f"promo leaked: {leaked}"
    if name.startswith("pages/"):
        if "title" in spec:
            assert article.title == spec["title"]
        if "author" in spec:
            assert spec["author"] in (article.author or "")
        if "date" in spec:
            assert (article.date or "").startswith(spec["date"])


def test_every_page_has_expectations() -> None:
    pages = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.suffix in (".html", ".htm", ".gz", ".txt")}
    assert pages == {name for name in EXPECTATIONS if not name.startswith("newsletters/")}


def test_every_newsletter_message_has_expectations() -> None:
    found = {str(Path(i.source).relative_to(FIXTURES)) for i in find_inputs([str(FIXTURES / "newsletters")])}
    broken = "newsletters/inbox.mbox#cut-off.20251103@example.org"  # a failure on purpose
    assert found - {broken} == {name for name in EXPECTATIONS if name.startswith("newsletters/")}
