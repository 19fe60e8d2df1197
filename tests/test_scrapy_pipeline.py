"""`scraper.integrations.scrapy.CleanPipeline` in a real Scrapy crawl (a subprocess) of a local
server: items with HTML and URL come out with the cleaned fields, under configurable names, and
keep their own; a page that cannot be cleaned says why."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from faultserver import ARTICLE_HTML, FaultServer

SPIDER = textwrap.dedent('''
    import sys, scrapy
    from scrapy.crawler import CrawlerProcess

    class Pages(scrapy.Spider):
        name = "pages"
        start_urls = sys.argv[2:]

        def parse(self, response):
            yield {"link": response.url, "page": response.text, "kind": "news"}

    process = CrawlerProcess(settings={
        "ITEM_PIPELINES": {"scraper.integrations.scrapy.CleanPipeline": 300},
        "SCRAPER_HTML_FIELD": "page", "SCRAPER_URL_FIELD": "link",
        "SCRAPER_FIELDS": ["title", "text", "word_count"], "SCRAPER_FIELD_PREFIX": "clean_",
        "SCRAPER_PAGE_TIMEOUT": 2, "SCRAPER_JOBS": 2,
        "FEEDS": {sys.argv[1]: {"format": "jsonlines"}},
        "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
    })
    process.crawl(Pages)
    process.start()
''')


def test_a_real_scrapy_crawl_comes_out_cleaned(tmp_path: Path) -> None:
    script = tmp_path / "spider.py"
    script.write_text(SPIDER)
    out = tmp_path / "items.jsonl"
    with FaultServer(robots_txt=None) as server:
        for i in range(3):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
        server.add_page("/blank", "<html><body></body></html>")
        urls = [server.url(f"/a/{i}") for i in range(3)] + [server.url("/blank")]
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(script), str(out), *urls], capture_output=True,
                              text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    items = {item["link"]: item for item in map(json.loads, out.read_text().splitlines())}
    assert set(items) == set(urls)
    for i in range(3):
        item = items[server.url(f"/a/{i}")]
        assert f"Story {i}: rivers return" in item["clean_title"]
        assert "three rivers that once fed the valley" in item["clean_text"]
        assert item["clean_word_count"] > 50 and item["kind"] == "news" and "page" in item
        assert not {"clean_author", "text", "clean_failure"} & set(item)
    assert items[server.url("/blank")]["clean_failure"]
    assert "clean_text" not in items[server.url("/blank")]
    assert time.monotonic() - started < 60
