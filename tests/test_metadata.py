"""Page metadata: what a page declares (JSON-LD, meta tags) or shows (title, byline, date)."""

from __future__ import annotations

import dataclasses

import pytest
import trafilatura
from lxml import etree

from scraper.clean.metadata import PageMeta, extract_metadata, iso_date, page_language, page_url

FILLER = "<p>" + "The council met on Tuesday to discuss the harbour wall and the budget. " * 6 + "</p>"


def parse(html: str):
    return trafilatura.load_html(html)


def meta_of(html: str, url: str | None = "https://www.example.com/news/story") -> PageMeta:
    return extract_metadata(parse(html), url)


def test_json_ld_graph_with_author_list_and_publisher():
    page = """<html lang="en-GB"><head><title>Harbour wall to be rebuilt | Example News</title>
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "@id": "https://www.example.com/#site", "name": "Example News"},
      {"@type": "Organization", "@id": "https://www.example.com/#org", "name": "Example Media Ltd"},
      {"@type": "Person", "@id": "https://www.example.com/#jane", "name": "Jane Doe"},
      {"@type": "NewsArticle", "headline": "Harbour wall to be rebuilt",
       "author": [{"@id": "https://www.example.com/#jane"}, {"@type": "Person", "name": "John Smith"}],
       "datePublished": "2024-03-05T09:30:00Z", "dateModified": "2024-03-07T10:00:00Z",
       "publisher": {"@id": "https://www.example.com/#org"},
       "description": "The wall will be rebuilt before winter."}]}</script>
    </head><body><article>""" + FILLER + "</article></body></html>"
    meta = meta_of(page)
    assert meta.title == "Harbour wall to be rebuilt"
    assert meta.author == "Jane Doe; John Smith"
    assert meta.date == "2024-03-05"
    assert meta.sitename == "Example Media Ltd"
    assert meta.description == "The wall will be rebuilt before winter."
    assert meta.language == "en"


def test_opengraph_only_page():
    page = """<html><head>
    <meta property="og:title" content="Tide tables for the new season">
    <meta property="og:site_name" content="Coastal Times">
    <meta property="og:description" content="When to walk the causeway.">
    <meta property="og:url" content="/tides/2024">
    <meta property="og:locale" content="fr_FR">
    <meta property="article:published_time" content="2024-04-01">
    <meta property="article:author" content="https://facebook.com/someone">
    <meta name="author" content="Marie Curie">
    </head><body>""" + FILLER + "</body></html>"
    meta = meta_of(page, "https://coastal.example.org/tides")
    assert meta == PageMeta(
        title="Tide tables for the new season", author="Marie Curie", date="2024-04-01",
        sitename="Coastal Times", description="When to walk the causeway.", language="fr",
        canonical_url="https://coastal.example.org/tides/2024")


def test_byline_only_page():
    page = """<html><head><title>Council approves budget</title></head><body>
    <h1>Council approves budget</h1>
    <div class="meta"><span>By <a href="/staff/ann">Ann Lee</a> and Bob Ray | March 3, 2024</span></div>
    """ + FILLER + """
    <div class="comments"><p>By Troll McTrollface</p></div></body></html>"""
    meta = meta_of(page)
    assert meta.author == "Ann Lee; Bob Ray"
    assert meta.date == "2024-03-03"


def test_author_element_by_class_when_no_by_line():
    page = """<html><body><h1>Rates rise again</h1>
    <p class="post-author">Written by: Priya Natarajan</p>""" + FILLER + "</body></html>"
    assert meta_of(page).author == "Priya Natarajan"


def test_site_name_as_author_gives_way_to_a_person():
    page = """<html><head><meta property="og:site_name" content="Example News">
    <meta name="author" content="Example News"></head><body><h1>Ferry timetable changes</h1>
    <p>By Sam Okafor</p>""" + FILLER + "</body></html>"
    assert meta_of(page).author == "Sam Okafor"


@pytest.mark.parametrize("page_title, expected", [
    ("Harbour wall to be rebuilt | Example News", "Harbour wall to be rebuilt"),
    ("Harbour wall to be rebuilt - example.com", "Harbour wall to be rebuilt"),
    ("Example News – Harbour wall to be rebuilt", "Harbour wall to be rebuilt"),
    ("Harbour wall to be rebuilt: what it means", "Harbour wall to be rebuilt: what it means"),
])
def test_title_suffix_naming_the_site_is_stripped(page_title, expected):
    page = f"""<html><head><title>{page_title}</title>
    <meta property="og:site_name" content="Example News"></head><body>{FILLER}</body></html>"""
    assert meta_of(page).title == expected


def test_headline_confirmed_by_declared_title_wins_over_blog_name():
    page = """<html><head><title>Harbour Diaries: Storm season begins</title>
    <meta property="og:title" content="Storm season begins"></head><body>
    <h1>Harbour Diaries</h1><h2>Storm season begins</h2>""" + FILLER + "</body></html>"
    assert meta_of(page, None).title == "Storm season begins"


def test_date_from_time_element_skips_update_times():
    page = """<html><body><article><h1>Storm damage assessed</h1>
    <p>Updated <time datetime="2024-06-02T08:00:00+02:00">2 June</time></p>
    <p>Posted <time datetime="2024-06-01T07:15:00+02:00">1 June</time></p>""" + FILLER + """
    </article></body></html>"""
    assert meta_of(page).date == "2024-06-01"


@pytest.mark.parametrize("value, expected", [
    ("2024-03-05", "2024-03-05"),
    ("2024-03-05T09:30:00.123Z", "2024-03-05"),
    ("2024-03-05 09:30 +0100", "2024-03-05"),
    ("2024-03-05T23:30:00-05:00", "2024-03-05"),  # the page's own day, not UTC's
    ("2024-03-05T09:30:00", "2024-03-05"),
    ("March 5th, 2024", "2024-03-05"),
    ("5 Mar 2024", "2024-03-05"),
    ("05.03.2024", "2024-03-05"),
    ("2024/03/05", "2024-03-05"),
    ("Tue, 05 Mar 2024 09:30:00 GMT", "2024-03-05"),
    ("1709631000", "2024-03-05"),
    ("yesterday", None),
    ("1066-10-14", None),
    ("2024-02-30", None),
])
def test_iso_date(value, expected):
    assert iso_date(value) == expected


def test_nothing_found_gives_nones():
    meta = meta_of("<html><body><div><p>Just some words.</p></div></body></html>", None)
    assert meta == PageMeta()


def test_host_is_the_site_name_of_last_resort():
    assert meta_of("<html><body><p>Hello there.</p></body></html>").sitename == "example.com"


def test_broken_json_ld_is_ignored():
    page = """<html><head><title>Storm season begins</title>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Broken</script>
    <script type="application/ld+json">[1, "two", null]</script>
    <script type="application/ld+json"></script>
    <meta name="author" content="Kim Park"></head><body>""" + FILLER + "</body></html>"
    meta = meta_of(page)
    assert meta.title == "Storm season begins"
    assert meta.author == "Kim Park"


def test_tree_is_not_modified():
    page = """<html><head><title>A | B</title></head><body><h1>Quiet week</h1>
    <p class="byline">By Lee Chan</p>""" + FILLER + "</body></html>"
    root = parse(page)
    before = etree.tostring(root)
    extract_metadata(root, None)
    assert etree.tostring(root) == before


def test_page_meta_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PageMeta().title = "x"  # type: ignore[misc]


def test_page_url_and_language_helpers():
    root = parse("""<html><head><link rel="canonical" href="/a/b">
    <meta http-equiv="Content-Language" content="de-AT"></head><body><p>x</p></body></html>""")
    assert page_url(root, "https://example.com/x?y=1") == "https://example.com/a/b"
    assert page_url(root, None) == "/a/b"
    assert page_language(root) == "de"


def test_headline_line_breaks_separate_words_and_comments_are_not_text():
    page = "<html><body><h1>Weekend<br>coding <!-- draft -->agent</h1>" + FILLER + "</body></html>"
    assert meta_of(page).title == "Weekend coding agent"


def test_every_date_form_loads_as_one_iso_form():
    """One form, `YYYY-MM-DD`, whatever the page wrote: pandas needs no format argument."""
    found = {iso_date(v) for v in ("2024-03-05T09:30:00.123Z", "2024-03-05T09:30", "March 5th, 2024",
                                   "Tue, 05 Mar 2024 09:30:00 GMT", "2024-03-05")}
    assert found == {"2024-03-05"}


def test_json_ld_entities_are_unescaped():
    page = """<html><head><script type="application/ld+json">{"@type": "NewsArticle",
    "headline": "Ransomware gang&#039;s new trick", "author": {"@type": "Person",
    "name": "Lindsey O&#039;Donnell"}}</script></head><body>""" + FILLER + "</body></html>"
    meta = meta_of(page)
    assert meta.author == "Lindsey O'Donnell"
    assert meta.title == "Ransomware gang's new trick"
