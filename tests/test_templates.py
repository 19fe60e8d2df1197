"""Site templates: blocks that recur on most pages of a site are learned in a batch and removed
from every page of it, the first ones too; a site's standard sign-off paragraph stays."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from scraper.article import Article
from scraper.clean.cleaner import CleanOptions, clean_html
from scraper.errors import InputError, RuleError
from scraper.run.batch import BatchOptions, Input, find_inputs, learn_rule_file, run_batch
from scraper.clean.rulefiles import load_rule_file
from scraper.sinks.store import open_store
from scraper.learn.fingerprints import TemplateOptions, fingerprint_page
from scraper.learn.templates import TemplateLearner, learn, to_toml
from scraper.urls import site_of

SITE = "harbourgazette.co.uk"
TOPICS = ["the winter ferry timetable", "the new lifeboat station", "the Saturday fish market",
          "the harbour school roof", "the lantern festival budget", "dredging the inner basin",
          "parking charges on the quay", "the maritime museum reopening"]
SIGN_OFF = "This story was produced in partnership with the Local News Fund."
# Wording and class names none of the shipped rules know: only learning can remove these.
PROMO = ["Join the Harbour Club for weekly walking routes",
         "Members get a printed map of the coast path every Friday and early seats at the boat parade.",
         "See how the club works"]
ELSEWHERE = ["Elsewhere on the quay", "The lighthouse keeper's final logbook goes on show",
             "Crab season opens a week early", "Why the tide gauge was moved"]
FOOTER = "Harbour Gazette is published by Quayside Media Ltd, 4 Rope Walk, Porthaven."
TEMPLATE = [*PROMO, *ELSEWHERE, FOOTER]


def hashed(i: int, name: str) -> str:
    """A CSS-module class name that changes from page to page, as on sites built with them."""
    return f"{name}__{hashlib.md5(f'{name}{i}'.encode()).hexdigest()[:5]}"


def paragraphs(i: int) -> list[str]:
    topic = TOPICS[i]
    return [f"Councillors in Porthaven spent most of Tuesday evening arguing about {topic}, "
            "a question that has divided the town since spring.",
            f"Supporters of the plan for {topic} say the harbour cannot wait another year, "
            "pointing to a survey of rising costs.",
            f"Opponents want a public consultation on {topic} first and have collected more than "
            f"{300 + 37 * i} signatures.",
            f"A final decision on {topic} is expected on the {10 + i}th, when officers present "
            "three costed options to the council."]


def site_page(i: int) -> str:
    ps = paragraphs(i)
    promo = (f'<div class="{hashed(i, "Card_box")}"><h4>{PROMO[0]}</h4><p>{PROMO[1]}</p>'
             f'<a href="/club">{PROMO[2]}</a></div>')
    links = "".join(f'<li><a href="/n/{n}">{title}</a></li>' for n, title in enumerate(ELSEWHERE[1:]))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Porthaven argues over {TOPICS[i]} | Harbour Gazette</title>
<link rel="canonical" href="https://www.{SITE}/news/{i}"></head>
<body><main><article><h1>Porthaven argues over {TOPICS[i]}</h1>
<div class="{hashed(i, "Body_text")}"><p>{ps[0]}</p><p>{ps[1]}</p>{promo}<p>{ps[2]}</p><p>{ps[3]}</p><p>{SIGN_OFF}</p></div>
<div class="{hashed(i, "List_wrap")}"><h3>{ELSEWHERE[0]}</h3><ul>{links}</ul></div></article></main>
<div class="{hashed(i, "Foot_note")}"><p>{FOOTER}</p></div></body></html>"""


def write_site(folder: Path, pages: range = range(7)) -> Path:
    folder.mkdir(exist_ok=True)
    for i in pages:
        (folder / f"page{i}.html").write_text(site_page(i), encoding="utf-8")
    return folder


def batch(paths: list[str], **options) -> dict[str, Article]:
    results = {Path(r.source).name: r for r in run_batch(find_inputs(paths), BatchOptions(**options))}
    assert all(isinstance(r, Article) for r in results.values()), results
    return results


def test_batch_removes_the_template_from_every_page_and_keeps_each_page_own_text(tmp_path):
    articles = batch([str(write_site(tmp_path / "site"))])
    assert sorted(articles) == [f"page{i}.html" for i in range(7)]
    for name, article in articles.items():
        i = int(name[4])
        assert [t for t in TEMPLATE if t in article.text] == [], name
        assert all(p in article.text for p in paragraphs(i)), name
        assert SIGN_OFF in article.text, name


def test_first_page_of_the_batch_is_cleaned_too(tmp_path):
    first = batch([str(write_site(tmp_path / "site"))])["page0.html"]
    assert PROMO[0] not in first.text
    assert any(r.rule.startswith("template-") for r in first.removed)


def test_without_learning_the_template_leaks(tmp_path):
    articles = batch([str(write_site(tmp_path / "site"))], learn_templates=False)
    assert all(PROMO[0] in a.text and PROMO[1] in a.text for a in articles.values())


def test_worker_processes_learn_the_same(tmp_path):
    folder = str(write_site(tmp_path / "site"))
    serial, parallel = batch([folder]), batch([folder], jobs=2)
    assert {n: a.text for n, a in serial.items()} == {n: a.text for n, a in parallel.items()}


def test_sign_off_among_the_article_paragraphs_is_not_learned():
    page = fingerprint_page(site_page(0), None, TemplateOptions())
    assert page is not None and page.site == SITE
    assert page.texts[SIGN_OFF.lower()] is True  # sits in running text
    assert page.texts[" ".join(PROMO).lower()] is False
    assert page.positions == {}  # generated class names give no stable position
    rules = learn((None, site_page(i)) for i in range(7))[SITE]
    assert not any("local news fund" in r.pattern for r in rules.html)
    assert any(r.kind == "exact" and r.pattern.startswith("join the harbour club") for r in rules.html)


def test_too_few_pages_or_copies_of_one_page_learn_nothing():
    assert learn((None, site_page(i)) for i in range(2)) == {}
    assert learn((None, site_page(0)) for _ in range(5)) == {}


def test_single_page_is_cleaned_exactly_as_without_learning(tmp_path):
    path = tmp_path / "one.html"
    path.write_text(site_page(3), encoding="utf-8")
    learned = batch([str(path)])["one.html"]
    # The batch adds only the input's stable id (a hash of its source).
    assert learned == replace(clean_html(path.read_bytes(), source=str(path)), id=Input(str(path)).stable_id)
    assert PROMO[0] in learned.text


def test_link_list_at_a_stable_position_is_learned_even_when_its_links_change():
    def page(i: int) -> str:
        links = "".join(f'<li><a href="/n/{i}{k}">Story {i}-{k} from the harbour archive</a></li>' for k in range(4))
        return site_page(i).replace("</article>", f'<aside class="quay-links"><ul>{links}</ul></aside></article>')

    rules = learn((None, page(i)) for i in range(7))[SITE]
    positions = [r for r in rules.html if r.kind == "xpath"]
    assert len(positions) == 1 and "quay-links" in positions[0].pattern
    article = clean_html(page(0), options=CleanOptions(learned=(rules,)))
    assert "harbour archive" not in article.text and SIGN_OFF in article.text


def test_rule_file_toml_round_trip_with_evidence(tmp_path):
    learner = TemplateLearner()
    for i in range(7):
        learner.add(None, site_page(i))
    text = learner.to_toml(SITE)
    assert "# on 7 of 7 pages" in text
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_rule_file(path)
    original = learner.rule_file(SITE)
    assert (loaded.domains, loaded.html) == (original.domains, original.html)


def test_toml_round_trip_keeps_awkward_characters(tmp_path):
    awkward = 'say "café" \\ back\tslash \x7f and a tab'
    rule_file = load_rule_file(write(tmp_path / "a.toml", f'domains = ["{SITE}"]\n[[html]]\nname = "odd"\n'
                                     f'exact = {json.dumps(awkward)}\n[[html]]\nname = "css"\ncss = "div.x > p"\n'
                                     'expand = true\n[[text]]\nname = "line"\npattern = "^read \\\\w+$"\nmax_words = 4\n'))
    again = load_rule_file(write(tmp_path / "b.toml", to_toml(rule_file)))
    assert (again.domains, again.html, again.text) == (rule_file.domains, rule_file.html, rule_file.text)
    assert again.html[0].pattern == 'say "café" \\ back slash \x7f and a tab'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_exact_rules_match_whitespace_and_case_insensitively(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(f'domains = ["{SITE}"]\n[[html]]\nname = "club"\nexact = """  JOIN the Harbour Club for\n'
                    f'weekly walking routes {PROMO[1]}   {PROMO[2]} """\n', encoding="utf-8")
    article = clean_html(site_page(0), options=CleanOptions(rule_files=(str(path),)))
    assert PROMO[0] not in article.text and SIGN_OFF in article.text
    path.write_text('[[html]]\nname = "empty"\nexact = "  "\n', encoding="utf-8")
    with pytest.raises(RuleError, match="empty exact text"):
        load_rule_file(path)


def test_learn_rule_file_writes_a_site_file_that_cleans_a_new_page(tmp_path):
    text = learn_rule_file([str(write_site(tmp_path / "site", range(6)))], site=f"www.{SITE}")
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    article = clean_html(site_page(7), options=CleanOptions(rule_files=(str(path),)))
    assert PROMO[0] not in article.text and SIGN_OFF in article.text


def test_learn_rule_file_needs_enough_pages_of_one_site(tmp_path):
    with pytest.raises(InputError, match="at least 3"):
        learn_rule_file([str(write_site(tmp_path / "two", range(2)))])
    with pytest.raises(InputError, match="choose one with --site"):
        learn_rule_file([str(tmp_path / "two"), str(Path(__file__).parent.parent / "fixtures" / "pages")])


@pytest.mark.parametrize("output", ["out.db", "out.jsonl", "out"])
def test_templates_persist_so_a_later_run_on_one_page_benefits(tmp_path, output):
    def run(items: list[Input]) -> list[Article]:
        store = open_store(str(tmp_path / output))
        learner = TemplateLearner()
        learner.load(store)
        results = list(run_batch(items, BatchOptions(), learner))
        learner.save(store)
        store.close()
        return results

    run(list(find_inputs([str(write_site(tmp_path / "site", range(6)))])))
    (tmp_path / "new.html").write_text(site_page(6), encoding="utf-8")
    [article] = run([Input(str(tmp_path / "new.html"))])
    assert PROMO[0] not in article.text and SIGN_OFF in article.text
    again = TemplateLearner()
    again.load(open_store(str(tmp_path / output)))
    assert again.sites == {SITE: 7}


def test_site_is_the_registrable_domain():
    assert site_of("https://news.bbc.co.uk/a") == "bbc.co.uk"
    assert site_of(f"https://www.{SITE}/x") == SITE
    assert site_of("http://127.0.0.1:8000/a") == "127.0.0.1"
    assert site_of(None) is None and site_of("/relative") is None


def test_a_damaged_templates_file_is_ignored(tmp_path):
    (tmp_path / "out.templates.json").write_text("{not json", encoding="utf-8")
    learner = TemplateLearner()
    learner.load(open_store(str(tmp_path / "out.jsonl")))
    assert learner.sites == {}


def test_memory_budget_forgets_small_sites_first():
    learner = TemplateLearner(TemplateOptions(max_entries=400))
    for i in range(7):
        learner.add(None, site_page(i))
    for n in range(40):  # one page each of many other sites
        learner.add(f"https://site{n}.org/a", site_page(n % 8))
    assert learner.sites[SITE] == 7 and len(learner.sites) < 41
    assert learner.rule_file(SITE) is not None


def test_scraper_clean_learns_by_default(tmp_path):
    from click.testing import CliRunner

    from scraper.cli import cli

    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["clean", str(write_site(tmp_path / "site")), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(texts) == 7 and all(SIGN_OFF in t and PROMO[0] not in t for t in texts)
