"""Records are safe to write wherever they are built: every string field of an Article, Removal
and Failure is valid UTF-8 without NUL or C1 controls; unknown exceptions become readable
"internal error" reasons."""

from __future__ import annotations

import json

from faultserver import ARTICLE_HTML
from scraper.article import Article, Failure, Removal, encodable
from scraper.clean.cleaner import clean_html, clean_text
from scraper.errors import FetchError

HOSTILE = "Bob \udc00 Smith\x00 said \x93hi\x94 \x81\ud83d\ude00 \udbff"


def written(record: Article | Failure) -> dict:
    """The record as a JSON line in strict UTF-8, read back."""
    return json.loads(json.dumps(record.to_dict(), ensure_ascii=False).encode("utf-8"))


def test_lone_surrogates_nul_and_c1_controls_are_made_encodable() -> None:
    assert encodable(HOSTILE) == "Bob \ufffd Smith said \u201chi\u201d \U0001F600 \ufffd"
    assert encodable("plain text, café") == "plain text, café"


def test_every_string_field_of_an_article_is_encodable() -> None:
    article = Article(text=HOSTILE, url=HOSTILE, canonical_url=HOSTILE, title=HOSTILE,
                      author=HOSTILE, date=HOSTILE, sitename=HOSTILE, description=HOSTILE,
                      language=HOSTILE, source=HOSTILE, encoding=HOSTILE,
                      removed=(Removal(HOSTILE, HOSTILE, HOSTILE),), reverted=(HOSTILE,),
                      warnings=(HOSTILE,), id=HOSTILE, list_id=HOSTILE, list_unsubscribe=HOSTILE)
    data = written(article)
    strings = [v for v in data.values() if isinstance(v, str)]
    strings += [v for v in data["removed"][0].values() if isinstance(v, str)]
    strings += data["reverted"] + data["warnings"]
    assert len(strings) == 20
    assert set(strings) - {article.content_hash} == {encodable(HOSTILE)}
    plain = Article(text=encodable(HOSTILE))
    assert (article.word_count, article.content_hash) == (plain.word_count, plain.content_hash)


def test_every_string_field_of_a_failure_is_encodable() -> None:
    failure = Failure(HOSTILE, HOSTILE, HOSTILE, HOSTILE, "failed")
    assert set(written(failure).values()) == {encodable(HOSTILE), "failed"}


def test_a_surrogate_in_json_ld_is_replaced_by_clean_html_and_clean_text() -> None:
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
          '"author": {"name": "Bob \\udc00 Smith"}}</script>')
    article = clean_html(ARTICLE_HTML.replace("</head>", ld + "</head>"), "http://x.test/a")
    assert written(article)["author"] == "Bob \ufffd Smith"
    text = clean_text("Rivers return \udc00 to the valley after a decade of drought.\n\n" * 3)
    assert "\udc00" not in text.text and "\ufffd" in written(text)["text"]


def test_unknown_exceptions_become_internal_errors_and_library_errors_keep_their_reason() -> None:
    assert Failure.of("s", FetchError("connection refused")).reason == "connection refused"
    bug = Failure.of("s", KeyError("etag"))
    assert (bug.reason, bug.kind, bug.status) == ("internal error: KeyError: 'etag'", "KeyError", "failed")
    long = Failure.of("s", ValueError("x" * 5000 + "\n\udc00"))
    assert long.reason.startswith("internal error: ValueError: xxx") and len(long.reason) < 400
    assert Failure.of("s", RuntimeError()).reason == "internal error: RuntimeError: (no message)"

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert Failure.of("s", Unprintable()).reason == "internal error: Unprintable: (message unavailable)"
