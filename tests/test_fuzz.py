"""Hostile input, generated: whatever bytes or strings come in, the library answers with an
`Article` or a `ScraperError`, never anything else, and every article serialises as UTF-8 JSON.

Examples are random on a developer's machine (to find new faults; FUZZ_EXAMPLES=2000 digs
deeper) and derandomised when the `CI` environment variable is set (so CI is reproducible); a
failure prints the input, to be added as an `@example`.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, example, given, settings, strategies as st

import scraper
from pages import article_page
from scraper import urls
from scraper.article import Failure
from scraper.clean.decode import decode_bytes
from scraper.run.batch import BatchOptions, Input, clean_input

# The deadline catches a hang on one input, not slowness: CI machines are shared and loaded.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=10_000,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every code point, lone surrogates and controls included: strings from the outside have them.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=300)
LABELS = st.one_of(st.none(), st.sampled_from([
    "utf-8", "UTF8", "latin1", "iso-8859-9", "windows-1252", "shift_jis", "euc-kr", "gb18030",
    "big5", "iso-2022-jp", "utf-16", "utf-16le", "replacement", "x-user-defined", "koi8-r",
    "macintosh", "x-mac-cyrillic", "", "  ", "bogus", "utf-7", "unicode-1-1-utf-7", "cp037",
]), ANY_TEXT)
# Pieces of pages that steer the decoder and parser into their corners.
PIECES = st.sampled_from([
    b"<html>", b"<head>", b"<body>", b"</body></html>", b"<p>", b"</p>", b"<article>", b"<h3>",
    b"<meta charset=\"iso-8859-9\">", b"<meta charset='utf-16'>", b"<meta charset=replacement>",
    b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\">",
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00", b"\x92\x97\x80",
    b"<?xml version=\"1.0\" encoding=\"ebcdic\"?>", b"<script type=\"application/ld+json\">",
    b"{\"@type\": \"NewsArticle\", \"headline\": \"H\\ud800\", \"author\": {\"name\": \"Bob \\udc00\"}}",
    b"</script>", b"<div class=\"newsletter\">", b"</div>", b"<!--", b"-->", b"<![CDATA[", b"&#0;",
    b"&#xD800;", b"&#x110000;", b"The council voted to rebuild the harbour wall before winter. " * 3,
    "Le conseil a voté la reconstruction du mur. ".encode("cp1252"),
    "Городской совет проголосовал. ".encode("koi8-r"), "東京都は計画を発表しました。".encode("shift_jis"),
])
PAGE = article_page(head='<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
                         '"Harbour wall", "author": {"name": "Ann Smith"}, "datePublished": "2025-09-29"}</script>')


def _spliced(page: str, codec: str, at: int, piece: bytes) -> bytes:
    data = page.encode(codec, "replace")
    at %= len(data)
    return data[:at] + piece + data[at:]


# A real article page (so cleaning gets as far as metadata, rules and output) with junk spliced in.
SPLICED = st.builds(_spliced, st.just(PAGE), st.sampled_from(["utf-8", "cp1254", "utf-16", "shift_jis"]),
                    st.integers(min_value=0), st.one_of(PIECES, st.binary(max_size=60)))
PAGE_BYTES = st.one_of(st.binary(max_size=3000), SPLICED,
                       st.lists(st.one_of(PIECES, st.binary(max_size=40)), max_size=40).map(b"".join))
PAGE_TEXT = st.one_of(ANY_TEXT, PAGE_BYTES.map(lambda b: b.decode("utf-8", "surrogateescape")),
                      st.lists(st.one_of(ANY_TEXT, st.sampled_from([article_page()])), max_size=4).map("".join))


def serialises(result: object) -> None:
    """An article becomes valid UTF-8 JSON, as every store writes it."""
    assert isinstance(result, scraper.Article)
    line = json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    assert json.loads(line.decode("utf-8"))["text"] == result.text


def clean_or_refuse(clean, *args, **kwargs) -> None:
    try:
        result = clean(*args, **kwargs)
    except scraper.ScraperError as exc:
        assert exc.reason and isinstance(exc.reason, str)
        return
    serialises(result)


@FUZZ
@given(data=PAGE_BYTES, label=LABELS)
@example(data=b"<p>\x92quoted\x92 \x97 5 \x80</p>", label="iso-8859-9")
@example(data=b"\xff\xfe\x00\x00" + b"x" * 7, label=None)
@example(data=b"\x01", label="\ud800")
@example(data=b"<p>caf\xe9</p>", label="utf-8\udcff")
def test_decoding_gives_text_and_a_whatwg_name_or_a_scraper_error(data, label):
    try:
        text, encoding = decode_bytes(data, http_charset=label)
    except scraper.ScraperError:
        return
    assert isinstance(text, str) and encoding
    assert encoding.lower() == encoding and "_" not in encoding.replace("shift_jis", "")
    text.encode("utf-8")  # a decoder never makes lone surrogates


@FUZZ
@given(data=PAGE_BYTES, label=LABELS, url=st.one_of(st.none(), st.just("https://news.example.com/a"), ANY_TEXT))
@example(data=PAGE.replace("Ann Smith", "Bob \\udc00 Smith").replace("Harbour wall\"", "H\\ud800\"").encode(),
         label=None, url=None)
def test_clean_html_of_any_bytes(data, label, url):
    clean_or_refuse(scraper.clean_html, data, url=url, http_charset=label)


@FUZZ
@given(html=PAGE_TEXT, url=st.one_of(st.none(), ANY_TEXT))
@example(html=article_page().replace("winter", "winter \ud800"), url=None)
@example(html=article_page() + "\x00\x85\x9f", url="https://news.example.com/\udc00")
def test_clean_html_of_any_string(html, url):
    clean_or_refuse(scraper.clean_html, html, url=url)


@FUZZ
@given(text=PAGE_TEXT, url=st.one_of(st.none(), ANY_TEXT))
@example(text="Harbour wall news\nThe council voted \udc00 to rebuild the wall before winter storms.", url=None)
def test_clean_text_of_any_string(text, url):
    clean_or_refuse(scraper.clean_text, text, url=url)


URLISH = st.one_of(ANY_TEXT, st.builds(lambda scheme, host, rest: f"{scheme}://{host}{rest}",
                                       st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
                                       st.one_of(ANY_TEXT, st.from_regex(r"[a-z0-9.\-\[\]:%@]{0,80}", fullmatch=True)),
                                       ANY_TEXT))


@FUZZ
@given(url=URLISH)
@example(url="http://" + "a" * 64 + ".com/")
@example(url="http://[::1%25eth0]/")
@example(url="http://0x7f000001/./a/../b")
@example(url="HTTP://\ud800")
@example(url="https://news.example.com/\udc00")
def test_url_normalisation_takes_any_string(url):
    for check in (urls.normalise, urls.check, urls.host_key):
        try:
            result = check(url)
        except scraper.ScraperError:
            continue
        assert isinstance(result, str)
        result.encode("utf-8")
    assert all(isinstance(line, str) for line in urls.read_url_list(url.splitlines()))


@FUZZ
@given(data=PAGE_BYTES, source=st.sampled_from(["-", "page.html", "notes.txt", "page.html.gz", "\udcff.html"]),
       url=st.one_of(st.none(), ANY_TEXT))
def test_every_batch_item_becomes_one_record_that_serialises(data, source, url):
    result = clean_input(Input(source, data), BatchOptions(url=url))
    assert isinstance(result, (scraper.Article, Failure))
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
