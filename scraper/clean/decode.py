"""Bytes to text, in the order browsers use: BOM, HTTP charset, `<meta>`, then detection.

Labels are mapped as the WHATWG Encoding Standard says (by `webencodings`): `iso-8859-1` and
`ascii` mean windows-1252, `iso-8859-9` means windows-1254, and so on, because that is what
pages so labelled really are. Encodings are reported by their WHATWG names ("windows-1252"),
the only exception being UTF-32, which a byte-order mark can announce but the standard lacks.
We never fall back to a lossy guess: when no declared or detected encoding decodes the bytes
cleanly, `DecodeError` says so instead of handing mojibake to the cleaner.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import webencodings

from scraper.errors import DecodeError, InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16be"),
)
# Browsers only look at the first 1024 bytes; real pages put <meta> after long <script>
# blocks, so we look a little further.
_META_WINDOW = 8192
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.IGNORECASE
)
_CHAOS_TIE = 0.02
_WESTERN = frozenset("éèêëàâäáãåçôöóòõøûüùúîïíìñÿœæßÉÈÊËÀÂÄÁÇÔÖÓØÛÜÚÎÏÍÑŒÆ’‘“”„–—…«»€£°·©®×\xa0")
_WESTERN_SHARE = 0.9
# Accented letters are a few percent of Western European text; Cyrillic read as cp1252 is all accents.
_ACCENTED_SHARE = 0.25
# A declared UTF-16 without a BOM is a wrong label (the standard reads it as UTF-8 in <meta>);
# "replacement" turns the whole page into one U+FFFD, a guard against old ISO-2022 attacks that
# a text cleaner is better served by detecting; x-user-defined is private-use noise.
_NOT_DECLARABLE = frozenset({"utf-16le", "utf-16be", "replacement", "x-user-defined"})


def _web_encodings() -> dict[str, webencodings.Encoding]:
    """The standard's encodings by the name of the Python codec that decodes them: detection
    may only answer with what a browser could have used, under the browser's name."""
    found: dict[str, webencodings.Encoding] = {}
    for name in sorted(set(webencodings.LABELS.values())):
        encoding = webencodings.lookup(name)
        if encoding is not None and name not in _NOT_DECLARABLE and name != "iso-8859-8-i":
            found.setdefault(encoding.codec_info.name, encoding)
    return found


_BY_CODEC = _web_encodings()


def lookup(label: str | None) -> webencodings.Encoding | None:
    """The WHATWG encoding a charset label stands for (`.name`, `.codec_info`), or None."""
    if not label or not label.isascii():  # every label is ASCII; webencodings chokes on surrogates
        return None
    return webencodings.lookup(label.strip().strip("\"'"))


def normalise_label(label: str | None) -> str | None:
    """Return the WHATWG name of an encoding label ("latin1" → "windows-1252"), or None."""
    encoding = lookup(label)
    return encoding.name if encoding is not None else None


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def media_type(content_type: str | None) -> str | None:
    """The lower-cased media type of a Content-Type header, without parameters."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media or None


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the `charset=` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def sniff_meta_charset(data: bytes) -> str | None:
    """Return the charset declared by `<meta charset>` or `http-equiv` near the top."""
    match = _META_CHARSET.search(data[:_META_WINDOW])
    return match.group(1).decode("ascii", "replace") if match else None


def looks_binary(data: bytes) -> bool:
    """True for data that is clearly not text (NUL bytes in the first few KB)."""
    head = data[:4096]
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode_bytes(data: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Decode page bytes; return `(text, WHATWG encoding name)` or raise `DecodeError`/`InputError`."""
    if not data.strip():
        raise InputError("empty input")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), name
            except UnicodeDecodeError as exc:
                raise DecodeError(f"bytes do not match their {name} byte-order mark") from exc
    if looks_binary(data):
        raise InputError("binary content, not text")
    for label in (http_charset, sniff_meta_charset(data)):
        encoding = lookup(label)
        if encoding is not None and encoding.name not in _NOT_DECLARABLE:
            try:
                return data.decode(encoding.codec_info.name), encoding.name
            except UnicodeDecodeError:
                continue  # declared wrongly: real sites mislabel cp1252 as utf-8; detect instead
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(data)
    try:
        return data.decode(webencodings.lookup(encoding).codec_info.name), encoding
    except UnicodeDecodeError as exc:
        raise DecodeError(f"detected encoding {encoding} does not decode the page") from exc


def detect_encoding(data: bytes) -> str:
    """Best guess (a WHATWG name) for undeclared bytes, preferring windows-1252 among near-equal
    candidates.

    Short Western pages score almost the same under cp1252, cp1257 and cp1250 in statistical
    detection; windows-1252 is by far the most common legacy encoding on the web (and the HTML
    standard's fallback), so it is taken when nearly all its non-ASCII characters are ones
    Western European text uses. Cyrillic or Central European bytes read as cp1252 give symbols
    like ð, ¹, ³ instead, or whole words of accented letters, and go to the detector, which may
    only choose among the encodings a browser knows.
    """
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = ""
    letters = [c for c in western if ord(c) > 127]
    alphabetic = sum(c.isalpha() for c in western[:100_000])
    if (letters and sum(c in _WESTERN for c in letters) >= _WESTERN_SHARE * len(letters)
            and len(letters) <= _ACCENTED_SHARE * alphabetic):
        return "windows-1252"
    matches = list(charset_normalizer.from_bytes(data[:200_000], cp_isolation=list(_BY_CODEC)))
    found = [(m, _web_name(m.encoding)) for m in matches]
    found = [(m, name) for m, name in found if name is not None]
    if not found:
        raise DecodeError("could not detect the text encoding")
    best = found[0][0]
    close = [(m, name) for m, name in found if m.chaos <= best.chaos + _CHAOS_TIE]
    if any("cp1252" in m.could_be_from_charset for m, _ in close):
        return "windows-1252"
    return max(close, key=lambda pair: pair[0].coherence)[1]


def _web_name(codec: str) -> str | None:
    """The WHATWG name of a Python codec that the detector chose, if a browser knows it."""
    try:
        encoding = _BY_CODEC.get(codecs.lookup(codec).name)
    except LookupError:
        return None
    return encoding.name if encoding is not None else None
