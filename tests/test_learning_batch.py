"""A batch that learns site templates does so in one pass: each page is parsed once, for its
fingerprint and its article together; only a site's first pages, cleaned before the site had
pages enough to decide its template, are cleaned again with it. Inputs stream through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.article import Article
from scraper.errors import WorkerError
from scraper.clean import parse as parse_module
from scraper.learn.fingerprints import TemplateOptions, fingerprint
from scraper.newsletters import clean_message
from scraper.run.batch import BatchOptions, Input, find_inputs, run_batch
from test_templates import PROMO, SITE, TEMPLATE, paragraphs, site_page, write_site

IN_PROCESS = BatchOptions(jobs=1, page_timeout=None, max_memory=None)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "newsletters"
OTHER = "quaysidechronicle.com"


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


def other_page(i: int) -> str:
    """A page of a second site with a template of its own."""
    return (site_page(i).replace(SITE, OTHER).replace("Harbour Club", "Quayside Circle")
            .replace("Harbour Gazette", "Quayside Chronicle"))


def test_each_page_is_parsed_once_but_the_first_few_of_its_site(tmp_path: Path, parses: list[int]) -> None:
    # Saved pages without URLs: the site comes from each page's canonical link.
    pages = 8
    site = write_site(tmp_path / "site", range(pages))
    for i in range(pages, 20):
        (site / f"page{i}.html").write_text(site_page(i % 8).replace(f"/news/{i % 8}", f"/news/{i}")
                                            .replace("Councillors in", f"In part {i}, councillors in"))
    results = list(run_batch(find_inputs([str(site)]), IN_PROCESS))
    assert len(results) == 20 and all(isinstance(r, Article) for r in results)
    assert all(not any(t in a.text for t in TEMPLATE) for a in results)  # the first pages too
    # Cleaned again: the pages cleaned before the third print decided the site, and the ones
    # in flight then (two per job); every later page was parsed once.
    again = parses[0] - 20
    assert 0 < again <= TemplateOptions().min_pages + 2


def test_pages_of_two_sites_in_one_folder_each_lose_their_own_template(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(6):  # interleaved, so the folder's last site is often the wrong guess
        (folder / f"{i:02d}-a.html").write_text(site_page(i))
        (folder / f"{i:02d}-b.html").write_text(other_page(i))
    results = list(run_batch(find_inputs([str(folder)]), IN_PROCESS))
    assert len(results) == 12 and all(isinstance(r, Article) for r in results)
    for article in results:
        own = TEMPLATE if article.source.endswith("-a.html") else [
            t.replace("Harbour Club", "Quayside Circle").replace("Harbour Gazette", "Quayside Chronicle")
            for t in TEMPLATE]
        assert not any(t in article.text for t in own), article.source
        i = int(Path(article.source).name[:2])
        assert all(p in article.text for p in paragraphs(i)), article.source


def test_inputs_stream_through_rather_than_being_listed_first(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", range(8))
    pulled = [0]

    def inputs() -> Iterator[Input]:
        for item in find_inputs([str(site)] * 3):  # 24 inputs, three copies of each page
            pulled[0] += 1
            yield item

    results = run_batch(inputs(), IN_PROCESS)
    next(results)
    assert pulled[0] < 12
    assert len(list(results)) == 23


def test_a_site_too_small_to_decide_is_cleaned_once_and_comes_out_in_input_order(
        tmp_path: Path, parses: list[int]) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(2):
        (folder / f"page{i}.html").write_text(site_page(i))
    results = list(run_batch(find_inputs([str(folder)]), IN_PROCESS))
    assert [Path(r.source).name for r in results] == ["page0.html", "page1.html"]
    assert all(PROMO[0] in r.text for r in results)  # two pages teach nothing
    assert parses[0] == 2


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_an_email_fingerprinted_from_its_cleaning_parse_is_cleaned_the_same(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    senders: list[str] = []

    def seen(root, sender):  # noqa: ANN001, ANN202
        senders.append(sender)
        fingerprint(root, sender, TemplateOptions())

    assert clean_message(data, before_prune=seen) == clean_message(data)
    assert all(s.startswith("mail:") for s in senders)
    html = b"text/html" in data.lower()
    forward = name == "forwarded-gmail.eml"  # another sender's words: they teach nothing
    assert len(senders) == (1 if html and not forward else 0)


class _BrokenStream:
    error: BaseException | None = ValueError("the pool's thread died")

    def submit(self, task: object) -> None:
        pass  # never answered

    def close(self, abandon: bool = False) -> None:
        pass


class _BrokenPool:
    def stream(self, *args: object) -> _BrokenStream:
        return _BrokenStream()


def test_workers_that_stop_as_a_whole_stop_the_batch_with_the_reason_not_a_hang(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", range(3))
    with pytest.raises(WorkerError, match="the cleaning workers stopped: ValueError"):
        list(run_batch(find_inputs([str(site)]), IN_PROCESS, executor=_BrokenPool()))  # type: ignore[arg-type]
