"""A `Cleaner` is built once from options and owns its rules as data: pickled, it carries them
to worker processes and cluster workers, which need no rule files of their own. Each page is
decoded and parsed once, however many stages look at it."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import scraper
from faultserver import ARTICLE_HTML
from scraper.clean import parse as parse_module
from scraper.learn.fingerprints import TemplateOptions
from scraper.clean.cleaner import Cleaner, CleanOptions
from scraper.run.batch import BatchOptions, Input, run_batch
from scraper.run.dask import DaskExecutor
from scraper.run.partitions import partitions, run_partitions
from scraper.crawl.workers import clean_page

NOTE = "The council meets on Thursdays in the old mill hall beside the river."
PAGE = ARTICLE_HTML.replace("</article>", f'<p class="council-note">{NOTE}</p>\n</article>')
RULES = """
# Evidence: the council's meeting note is boilerplate on every page of this site.
[[html]]
name = "council-note"
css = "p.council-note"
"""


def user_rules(tmp_path: Path) -> Path:
    path = tmp_path / "council.toml"
    path.write_text(RULES)
    return path


def test_a_pickled_cleaner_cleans_with_its_rules_after_the_rule_file_is_gone(tmp_path: Path) -> None:
    rules = user_rules(tmp_path)
    cleaner = scraper.Cleaner(CleanOptions(rule_files=(str(rules),)))
    rules.unlink()
    travelled = pickle.loads(pickle.dumps(cleaner))
    article = travelled.clean_html(PAGE.encode(), url="https://news.example.com/a")
    assert NOTE not in article.text and "flowing again" in article.text
    assert [r.rule for r in article.removed if r.rule == "council-note"] == ["council-note"]
    assert NOTE in Cleaner().clean_html(PAGE.encode(), url="https://news.example.com/a").text


def test_a_cleaner_reads_its_rule_files_once_when_built(tmp_path: Path) -> None:
    rules = user_rules(tmp_path)
    cleaner = Cleaner(CleanOptions(rule_files=(str(rules),)))
    rules.write_text("not = [valid")  # a file changed later is not read again
    assert NOTE not in cleaner.clean_html(PAGE, url="https://a.example/1").text
    with pytest.raises(scraper.RuleError):
        Cleaner(CleanOptions(rule_files=(str(rules),)))


def test_a_batch_in_worker_processes_cleans_with_rules_whose_file_is_gone(tmp_path: Path) -> None:
    rules = user_rules(tmp_path)
    options = BatchOptions(clean=CleanOptions(rule_files=(str(rules),)), jobs=2, learn_templates=False)
    cleaner = Cleaner(options.clean)
    rules.unlink()
    pages = []
    for i in range(3):
        pages.append(tmp_path / f"page-{i}.html")
        pages[-1].write_text(PAGE.replace("Rivers return", f"Story {i}: rivers return"))
    results = list(run_batch([Input(str(p)) for p in pages], options, cleaner=cleaner))
    assert len(results) == 3 and all(NOTE not in r.text for r in results)


def test_a_dask_worker_cleans_with_user_rules_absent_on_its_side(
        tmp_path: Path, dask_cluster: DaskExecutor) -> None:
    rules = user_rules(tmp_path)
    options = BatchOptions(clean=CleanOptions(rule_files=(str(rules),)), jobs=1, learn_templates=False)
    cleaner = Cleaner(options.clean)
    rules.unlink()  # gone before any worker runs: the rules can only travel inside the cleaner
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(4):
        (inputs / f"story-{i}.html").write_text(PAGE.replace("Rivers return", f"Story {i}: rivers return"))
    out = tmp_path / "parts"
    ran = list(run_partitions(partitions([str(inputs)], 2), options, str(out), dask_cluster, cleaner))
    assert sum(counts["cleaned"] for _, counts, _ in ran) == 4
    texts = [json.loads(line)["text"] for part in out.glob("part-*[0-9a-f].jsonl")
             for line in part.read_text().splitlines()]
    assert len(texts) == 4 and all(NOTE not in t and "flowing again" in t for t in texts)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts lxml parses of whole pages, wherever `scraper` makes them."""
    count = [0]
    real = parse_module.document_fromstring

    def counting(*args: object, **kwargs: object) -> object:
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(parse_module, "document_fromstring", counting)
    return count


def test_a_crawled_page_is_parsed_once_for_its_fingerprint_and_its_article(parses: list[int]) -> None:
    article, fingerprint = clean_page(PAGE.encode(), "https://news.example.com/a", "utf-8",
                                      "https://news.example.com/a", (), TemplateOptions(), cleaner=Cleaner())
    assert isinstance(article, scraper.Article) and fingerprint is not None
    assert fingerprint.site == "example.com" and any("council meets" in t for t in fingerprint.texts)
    assert parses[0] == 1


def test_a_shared_parse_gives_the_same_article_and_fingerprint_as_two(parses: list[int]) -> None:
    from scraper.learn.fingerprints import fingerprint_page
    options = CleanOptions(prune=False)  # the fingerprint may not strip the tree extraction reads
    for cleaner in (Cleaner(), Cleaner(options)):
        article, shared = clean_page(PAGE.encode(), "https://news.example.com/a", None,
                                     "https://news.example.com/a", (), TemplateOptions(), cleaner=cleaner)
        alone = fingerprint_page(PAGE.encode(), "https://news.example.com/a", TemplateOptions())
        assert shared == alone
        assert article == cleaner.clean_html(PAGE.encode(), "https://news.example.com/a",
                                             source="https://news.example.com/a")


def test_a_batch_without_learning_parses_each_page_once(tmp_path: Path, parses: list[int]) -> None:
    for i in range(3):
        (tmp_path / f"page-{i}.html").write_text(PAGE.replace("Rivers return", f"Story {i}: rivers return"))
    options = BatchOptions(jobs=1, page_timeout=None, max_memory=None, learn_templates=False)
    results = list(run_batch([Input(str(p)) for p in sorted(tmp_path.glob("*.html"))], options))
    assert len(results) == 3 and all(isinstance(r, scraper.Article) for r in results)
    assert parses[0] == 3


def test_a_dask_crawl_cleans_with_user_rules_absent_on_the_workers(
        tmp_path: Path, dask_cluster: DaskExecutor) -> None:
    from faultserver import FaultServer
    from scraper.crawl.job import CrawlOptions
    from scraper.crawl.fetch import FetchOptions
    from scraper.crawl.parts import domain_partitions, run_crawl_partitions

    rules = user_rules(tmp_path)
    options = CrawlOptions(clean=CleanOptions(rule_files=(str(rules),)), fetch=FetchOptions(allow_private=True),
                           delay=0, jobs=1, learn_templates=False)
    cleaner = Cleaner(options.clean)
    rules.unlink()
    with FaultServer(robots_txt=None) as server:
        for i in range(3):
            server.add_page(f"/a/{i}", PAGE.replace("Rivers return", f"Story {i}: rivers return"))
        parts = domain_partitions([server.url(f"/a/{i}") for i in range(3)], 4)
        out = tmp_path / "parts"
        ran = list(run_crawl_partitions(parts, options, str(out), dask_cluster, cleaner))
    assert sum(counts["cleaned"] for _, counts in ran) == 3
    texts = [json.loads(line)["text"] for part in out.glob("crawl-*.jsonl")
             if not part.name.endswith(".failures.jsonl") for line in part.read_text().splitlines()]
    assert len(texts) == 3 and all(NOTE not in t and "flowing again" in t for t in texts)
