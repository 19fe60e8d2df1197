"""Site templates in a crawl: blocks that recur on a site's pages are learned while crawling and
removed from every page of the site, the first ones included; the template persists in the
output's store, so a later crawl into it cleans a new page of the site at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from faultserver import FaultServer
from scraper.article import Article, Failure
from scraper.crawl.job import CrawlOptions, crawl
from scraper.crawl.fetch import FetchOptions
from scraper.sinks.store import open_store

FETCH = FetchOptions(allow_private=True, connect_timeout=1, read_timeout=2, retries=0)
OPTIONS = CrawlOptions(fetch=FETCH, delay=0, jobs=1, ignore_robots=True)
PROMO = "Join the Harbour Club for weekly walking routes, tide tables and our members' evenings."
RELATED = ("Ferry timetable changes for the winter season", "Lifeboat crew rescue two kayakers off the point",
           "Fish market reopens after the storm repairs")
SIGN_OFF = "Reporting for this series was supported by the readers of the Harbour Gazette."
TOPICS = ["lighthouse", "harbour wall", "oyster beds", "sailing school", "coastal path", "old customs house",
          "boatyard"]


def page(i: int) -> str:
    """One article of the Harbour Gazette: unique paragraphs, the sign-off among them, and a promo
    box and a related list whose class names change from page to page."""
    topic = TOPICS[i]
    paragraphs = [
        f"The {topic} has been at the centre of a long argument in town, and this week the council "
        f"finally published its plans for number {i} on the list of restoration projects.",
        f"Residents who have lived beside the {topic} for decades told us they welcome the money, "
        f"but they worry that the works will close the quay for most of the summer season.",
        f"Engineers expect the first phase at the {topic} to take eight months; a public meeting "
        f"is planned for the spring, when drawings will be on show in the library.",
    ]
    related = "".join(f'<li><a href="/story/{k}">{t}</a></li>' for k, t in enumerate(RELATED))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Plans for the {topic} | Harbour Gazette</title></head><body>
<article>
<h1>Plans for the {topic}</h1>
<p>{paragraphs[0]}</p>
<div class="q{i}zx"><p>{PROMO}</p></div>
<p>{paragraphs[1]}</p>
<p>{paragraphs[2]}</p>
<ul class="w{i}k">{related}</ul>
<p>{SIGN_OFF}</p>
</article>
</body></html>"""


def unique(i: int) -> str:
    return f"number {i} on the list of restoration projects"


def run(tmp_path: Path, urls: list[str], options: CrawlOptions, output: str) -> dict[str, Article | Failure]:
    store = open_store(str(tmp_path / output), append=True)
    try:
        results = list(crawl(urls, store, options, tmp_path / f"{output}.state.db"))
    finally:
        store.close()
    by_source = {r.source or "": r for r in results}
    assert len(by_source) == len(results), "a URL came twice"
    return by_source


def articles(results: dict[str, Article | Failure]) -> list[Article]:
    found = [r for r in results.values() if isinstance(r, Article)]
    assert len(found) == len(results), [r for r in results.values() if isinstance(r, Failure)]
    return found


@pytest.mark.parametrize("output", ["out.jsonl", "out.db"])
def test_every_page_of_a_site_loses_the_recurring_promo_and_keeps_its_own_text(
        tmp_path: Path, fault_server: FaultServer, output: str) -> None:
    for i in range(7):
        fault_server.add_page(f"/news/{i}", page(i))
    urls = [fault_server.url(f"/news/{i}") for i in range(6)]
    results = run(tmp_path, urls, OPTIONS, output)
    for i, url in enumerate(urls):
        article = results[url]
        assert isinstance(article, Article)
        assert "Harbour Club" not in article.text and RELATED[0] not in article.text, f"page {i}"
        assert unique(i) in article.text and SIGN_OFF in article.text, f"page {i}"

    again = run(tmp_path, [fault_server.url("/news/6")], OPTIONS, output)
    (new,) = articles(again)
    assert "Harbour Club" not in new.text
    assert unique(6) in new.text and SIGN_OFF in new.text


def test_without_learning_the_promo_stays(tmp_path: Path, fault_server: FaultServer) -> None:
    for i in range(6):
        fault_server.add_page(f"/news/{i}", page(i))
    urls = [fault_server.url(f"/news/{i}") for i in range(6)]
    results = run(tmp_path, urls, replace(OPTIONS, learn_templates=False), "out.jsonl")
    assert any("Harbour Club" in a.text or RELATED[0] in a.text for a in articles(results))
    assert not (tmp_path / "out.templates.json").exists()


def test_a_site_with_too_few_pages_to_learn_from_is_written_at_the_end(
        tmp_path: Path, fault_server: FaultServer) -> None:
    for i in range(2):
        fault_server.add_page(f"/news/{i}", page(i))
    urls = [fault_server.url(f"/news/{i}") for i in range(2)]
    found = articles(run(tmp_path, urls, OPTIONS, "out.jsonl"))
    assert len(found) == 2 and all(SIGN_OFF in a.text for a in found)
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
