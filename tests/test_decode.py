"""Decoding order: BOM, HTTP charset, <meta>, then detection; never silent mojibake."""

from __future__ import annotations

import pytest

from scraper.decode import decode_bytes
from scraper.errors import DecodeError, InputError

FRENCH = "<html><head><title>t</title></head><body><p>" + "Les élus ont voté la reconstruction du mur, déjà prévue à Noël. " * 5 + "</p></body></html>"


def test_bom_wins_over_a_wrong_meta():
    data = b"\xef\xbb\xbf" + FRENCH.replace("<head>", '<head><meta charset="iso-8859-2">').encode()
    assert decode_bytes(data) == (FRENCH.replace("<head>", '<head><meta charset="iso-8859-2">'), "utf-8")


def test_http_charset_then_meta():
    data = FRENCH.encode("cp1252")
    assert decode_bytes(data, http_charset="windows-1252")[1] == "cp1252"
    with_meta = FRENCH.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    assert decode_bytes(with_meta.encode("cp1252"))[0] == with_meta


def test_iso_8859_1_label_means_windows_1252():
    text, encoding = decode_bytes("“quoted” — dash".encode("cp1252"), http_charset="ISO-8859-1")
    assert text == "“quoted” — dash" and encoding == "cp1252"


def test_wrong_declaration_falls_back_to_detection():
    data = FRENCH.replace("<head>", '<head><meta charset="utf-8">').encode("cp1252")
    text, _ = decode_bytes(data)
    assert "élus ont voté" in text


def test_undeclared_legacy_bytes_are_detected():
    text, encoding = decode_bytes(FRENCH.encode("cp1252"))
    assert "déjà prévue à Noël" in text and encoding == "cp1252"


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
