"""URL normalisation, validation, politeness keys and URL-list reading."""

from __future__ import annotations

import io

import pytest

from scraper.errors import InputError, SecurityError
from scraper.urls import (authority, check, declared_host, host_key, host_of, known_url, normalise, origin,
                          read_url_list, site_of)


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTP://Example.COM/Path", "http://example.com/Path"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com?a=1", "https://example.com/?a=1"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/a?utm_source=x&id=7&UTM_Medium=y&fbclid=abc&b=2",
     "https://example.com/a?id=7&b=2"),
    ("https://example.com/a?gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5&_ga=6&yclid=7"
     "&igshid=8&ref_src=9", "https://example.com/a"),
    ("https://example.com/a?z=1&a=2&m=3", "https://example.com/a?z=1&a=2&m=3"),
    ("https://example.com/a?q=x+y&empty=&flag", "https://example.com/a?q=x+y&empty=&flag"),
    ("https://example.com/a?utm_campaign=spring#top", "https://example.com/a"),
    ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
    ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
    ("http://[::FFFF:7f00:1]:8080/", "http://[::ffff:7f00:1]:8080/"),
    ("http://192.168.0.1/", "http://192.168.0.1/"),
    ("  https://example.com/padded  ", "https://example.com/padded"),
])
def test_normalise(url: str, expected: str) -> None:
    assert normalise(url) == expected


def test_normalise_is_idempotent() -> None:
    once = normalise("HTTPS://Bücher.Example:443/a?utm_source=x&b=1#f")
    assert normalise(once) == once


@pytest.mark.parametrize(("url", "reason"), [
    ("", "invalid URL: empty"),
    ("example.com/page", "invalid URL: no scheme"),
    ("example.com:8080/page", "invalid URL: no scheme"),
    ("http:///path-only", "invalid URL: no host"),
    ("https://", "invalid URL: no host"),
    ("http://example.com:99999/", "invalid URL: bad port"),
    ("http://example.com:abc/", "invalid URL: bad port"),
    ("http://example.com:0/", "invalid URL: bad port"),
    ("http://exa mple.com/", "invalid URL: whitespace or control character"),
    ("http://example.com/a b", "invalid URL: whitespace or control character"),
    ("http://exa%20mple.com/", "invalid URL: bad host"),
    ("http://[not-ipv6]/", "invalid URL: unparseable"),
])
def test_malformed_urls_are_input_errors(url: str, reason: str) -> None:
    with pytest.raises(InputError) as info:
        normalise(url)
    assert info.value.reason == reason


@pytest.mark.parametrize(("url", "scheme"), [
    ("ftp://example.com/file", "ftp"),
    ("file:///etc/passwd", "file"),
    ("javascript:alert(1)", "javascript"),
    ("mailto:someone@example.com", "mailto"),
    ("GOPHER://example.com/", "gopher"),
])
def test_other_schemes_are_refused_by_policy(url: str, scheme: str) -> None:
    with pytest.raises(SecurityError) as info:
        normalise(url)
    assert info.value.reason == f"unsupported scheme: {scheme}"


def test_check_keeps_the_url_but_drops_the_fragment() -> None:
    assert check("https://Example.com/a?utm_source=x#frag") == "https://Example.com/a?utm_source=x"
    with pytest.raises(SecurityError):
        check("ftp://example.com/")


@pytest.mark.parametrize(("url", "key"), [
    ("https://Example.com/a", "example.com:443"),
    ("http://example.com/a", "example.com:80"),
    ("http://example.com:8080/a", "example.com:8080"),
    ("https://bücher.example/", "xn--bcher-kva.example:443"),
    ("http://[::1]:9000/", "[::1]:9000"),
    ("http://user:pw@example.com/", "example.com:80"),
])
def test_host_key_always_has_an_explicit_port(url: str, key: str) -> None:
    assert host_key(url) == key


def test_read_url_list_skips_blanks_and_comments() -> None:
    text = "\ufeff# my list\nhttps://a.example/1\n\n   \n  https://b.example/2  \n#https://c/\n"
    assert list(read_url_list(io.StringIO(text))) == ["https://a.example/1", "https://b.example/2"]


def test_read_url_list_is_lazy() -> None:
    def lines():
        yield "https://a.example/\n"
        raise AssertionError("read past the first URL")

    assert next(read_url_list(lines())) == "https://a.example/"


@pytest.mark.parametrize(("url", "expected"), [
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/./a", "http://example.com/a"),
    ("http://example.com/a/b/..", "http://example.com/a/"),
    ("http://example.com/../../x", "http://example.com/x"),
    ("http://example.com/a/%2e%2E/b", "http://example.com/b"),
    ("http://example.com/a/.well-known/..x", "http://example.com/a/.well-known/..x"),
    ("http://0x7f000001/", "http://127.0.0.1/"),
    ("http://2130706433/", "http://127.0.0.1/"),
    ("http://0177.0.0.1/", "http://127.0.0.1/"),
    ("http://127.1/", "http://127.0.0.1/"),
    ("http://0x7F.1:8080/a", "http://127.0.0.1:8080/a"),
    ("http://127.0.0.1./", "http://127.0.0.1/"),
    ("http://" + "a" * 63 + ".com/", "http://" + "a" * 63 + ".com/"),
])
def test_dot_segments_and_ipv4_forms_are_one_url(url: str, expected: str) -> None:
    assert normalise(url) == expected
    assert normalise(expected) == expected


def test_ipv4_forms_share_a_host_key() -> None:
    assert host_key("http://0x7f000001/") == host_key("http://127.0.0.1/") == "127.0.0.1:80"


@pytest.mark.parametrize("url", [
    "http://" + "a" * 64 + ".com/",           # urllib3 raised LocationParseError on it
    "http://" + ("a" * 60 + ".") * 5 + "com/",  # over 253 characters
    "http://.example.com/",
    "http://*.example.com/",
    "http://256.0.0.1/",
    "http://1.2.3.4.5/",
    "http://09.0.0.1/",
    "http://example.123/",
])
def test_hosts_nothing_could_fetch_are_invalid(url: str) -> None:
    for function in (normalise, check, host_key):
        with pytest.raises(InputError) as info:
            function(url)
        assert info.value.reason == "invalid URL: bad host"


def test_unencodable_text_is_an_invalid_url_not_a_crash() -> None:
    with pytest.raises(InputError) as info:
        normalise("http://example.com/\udc00")
    assert info.value.reason == "invalid URL: not valid Unicode"


def test_non_ascii_user_info_is_percent_encoded() -> None:
    assert normalise("http://José:ß@example.com/") == "http://Jos%C3%A9:%C3%9F@example.com/"


def test_one_module_says_what_host_and_site_a_url_belongs_to() -> None:
    url = "https://user:pw@News.Example.co.uk:8443/a?b=1"
    assert host_of(url) == "news.example.co.uk"
    assert site_of(url) == "example.co.uk"
    assert authority(url) == "News.Example.co.uk:8443"
    assert origin(url) == "https://News.Example.co.uk:8443"
    assert host_key(url) == "news.example.co.uk:8443"
    assert declared_host("https://www.example.com/x") == "example.com"


@pytest.mark.parametrize("declared", [None, "", "/relative", "http://[oops", "not a url"])
def test_a_declared_url_without_a_usable_host_has_none(declared: str | None) -> None:
    assert declared_host(declared) is None


def test_a_page_is_known_by_its_given_url_else_a_canonical_that_parses() -> None:
    assert known_url("https://a.example/x", "https://b.example/y") == "https://a.example/x"
    assert known_url(None, "https://b.example/y") == "https://b.example/y"
    assert known_url(None, "http://[oops") is None
    assert known_url(None, "http://b.example:port/") is None
