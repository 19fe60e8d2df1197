"""Decoding order: BOM, HTTP charset, <meta>, then detection; labels and names as the WHATWG
Encoding Standard has them; never silent mojibake."""

from __future__ import annotations

import codecs

import pytest

from scraper import clean_html

from scraper.clean.decode import decode_bytes, lookup
from scraper.errors import DecodeError, InputError

FRENCH = "<html><head><title>t</title></head><body><p>" + "Les élus ont voté la reconstruction du mur, déjà prévue à Noël. " * 5 + "</p></body></html>"


def test_bom_wins_over_a_wrong_meta():
    data = b"\xef\xbb\xbf" + FRENCH.replace("<head>", '<head><meta charset="iso-8859-2">').encode()
    assert decode_bytes(data) == (FRENCH.replace("<head>", '<head><meta charset="iso-8859-2">'), "utf-8")


def test_http_charset_then_meta():
    data = FRENCH.encode("cp1252")
    assert decode_bytes(data, http_charset="windows-1252")[1] == "windows-1252"
    with_meta = FRENCH.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    assert decode_bytes(with_meta.encode("cp1252"))[0] == with_meta


def test_iso_8859_1_label_means_windows_1252():
    text, encoding = decode_bytes("“quoted” — dash".encode("cp1252"), http_charset="ISO-8859-1")
    assert text == "“quoted” — dash" and encoding == "windows-1252"


def test_wrong_declaration_falls_back_to_detection():
    data = FRENCH.replace("<head>", '<head><meta charset="utf-8">').encode("cp1252")
    text, _ = decode_bytes(data)
    assert "élus ont voté" in text


def test_undeclared_legacy_bytes_are_detected():
    text, encoding = decode_bytes(FRENCH.encode("cp1252"))
    assert "déjà prévue à Noël" in text and encoding == "windows-1252"


def test_undeclared_cyrillic_is_detected():
    page = "<html><body><p>" + "Городской совет проголосовал за восстановление старой стены гавани. " * 6 + "</p></body></html>"
    assert "Городской совет" in decode_bytes(page.encode("cp1251"))[0]


def test_empty_and_binary_are_input_errors():
    with pytest.raises(InputError, match="empty input"):
        decode_bytes(b"  \n")
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"GIF89a\x00\x00\x01\x00" * 10)


def test_bad_bom_is_a_decode_error():
    with pytest.raises(DecodeError):
        decode_bytes(b"\xef\xbb\xbf\xff\xfe\xfa" + b"x" * 20)


@pytest.mark.parametrize("label, name", [
    ("iso-8859-9", "windows-1254"), ("ISO-8859-1", "windows-1252"), ("latin1", "windows-1252"),
    ("ascii", "windows-1252"), ("us-ascii", "windows-1252"), ("iso-8859-11", "windows-874"),
    ("x-sjis", "shift_jis"), ("gb2312", "gbk"), ("  'UTF8' ", "utf-8"),
])
def test_labels_map_as_the_encoding_standard_says(label, name):
    assert decode_bytes(b"<p>plain ascii text</p>", http_charset=label)[1] == name


def test_iso_8859_9_bytes_of_quotes_dashes_and_euros_are_those_characters():
    data = b"<p>Bu \x92ak\xfdll\xfd\x92 bir \x97 \x80 5 fiyat</p>"
    text, encoding = decode_bytes(data, http_charset="iso-8859-9")
    assert text == "<p>Bu ’akıllı’ bir — € 5 fiyat</p>" and encoding == "windows-1254"
    assert not any(0x80 <= ord(c) <= 0x9F for c in text)


def test_meta_label_is_mapped_too():
    page = FRENCH.replace("<head>", '<head><meta charset="iso-8859-9">').replace("Noël", "Noël — 5 €")
    assert decode_bytes(page.encode("cp1254")) == (page, "windows-1254")


def test_unknown_and_replacement_labels_fall_through_to_detection():
    data = FRENCH.encode("cp1252")
    for label in ("no-such-charset", "iso-2022-kr", "utf-16"):
        assert decode_bytes(data, http_charset=label) == (FRENCH, "windows-1252")


@pytest.mark.parametrize("text, codec", [
    ("Городской совет проголосовал за восстановление старой стены гавани. ", "cp1251"),
    ("Городской совет проголосовал за восстановление старой стены гавани. ", "koi8-r"),
    ("Το δημοτικό συμβούλιο ψήφισε την ανακατασκευή του παλιού τείχους του λιμανιού. ", "cp1253"),
    ("東京都は新しい港の計画を発表しました。市民の皆さんの意見を聞きます。", "shift_jis"),
])
def test_invalid_utf8_without_a_charset_is_named_as_a_browser_names_it(text, codec):
    page = "<html><body><p>" + text * 6 + "</p></body></html>"
    decoded, encoding = decode_bytes(page.encode(codec))
    assert decoded == page
    assert encoding == lookup(encoding).name  # a WHATWG name, never a Python codec's like iso8859_13
    assert encoding == lookup(codec).name


def test_utf8_and_bom_names_are_whatwg_names():
    assert decode_bytes("<p>héllo</p>".encode())[1] == "utf-8"
    assert decode_bytes(codecs.BOM_UTF16_LE + "<p>héllo</p>".encode("utf-16-le"))[1] == "utf-16le"
    assert decode_bytes(codecs.BOM_UTF16_BE + "<p>héllo</p>".encode("utf-16-be"))[1] == "utf-16be"


def test_http_charset_wins_over_meta_and_bom_over_both():
    page = FRENCH.replace("<head>", '<head><meta charset="windows-1250">')
    assert decode_bytes(page.encode("cp1252"), http_charset="latin1")[1] == "windows-1252"
    assert decode_bytes(codecs.BOM_UTF8 + page.encode(), http_charset="latin1")[1] == "utf-8"


def test_records_carry_the_whatwg_name():
    page = FRENCH.replace("<p>", "<article><p>").replace("</p>", "</p></article>")
    article = clean_html(page.encode("cp1254"), http_charset="iso-8859-9")
    assert article.encoding == "windows-1254" and "déjà prévue" in article.text


@pytest.mark.parametrize("text, codec", [
    ("Rada miasta zagłosowała za odbudową starego muru portowego. Łódź, źródło, żółć. ", "cp1257"),
    ("Rada miasta zagłosowała za odbudową starego muru portowego. Łódź, źródło, żółć. ", "iso8859-2"),
    ("Vilniaus savivaldybė paskelbė, kad Žvėryno tiltas bus uždarytas dėl remonto darbų. ", "iso8859-4"),
])
def test_a_guess_is_still_named_as_the_standard_names_it(text, codec):
    # Short Central European and Baltic pages are hard to tell apart; whatever is guessed, the
    # record says it in the standard's words (these gave iso8859_10, iso8859_14, iso8859_15).
    encoding = decode_bytes(("<html><body><p>" + text * 5 + "</p></body></html>").encode(codec))[1]
    assert encoding == lookup(encoding).name and "_" not in encoding
