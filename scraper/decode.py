"""Bytes to text, in the order browsers use: BOM, HTTP charset, `<meta>`, then detection.

We never fall back to a lossy guess: when no declared or detected encoding decodes the bytes
cleanly, `DecodeError` says so instead of handing mojibake to the cleaner.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from .errors import DecodeError, InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
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
# WHATWG maps these labels to windows-1252, which is what such pages really are.
_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252",
            "us-ascii": "cp1252", "iso8859-1": "cp1252"}


def normalise_label(label: str | None) -> str | None:
    """Return a Python codec name for an encoding label, or None if it is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


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
    """Decode page bytes; return `(text, encoding)` or raise `DecodeError`/`InputError`."""
    if not data.strip():
        raise InputError("empty input")
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), name
            except UnicodeDecodeError as exc:
                raise DecodeError(f"bytes do not match their {name} byte-order mark") from exc
    if looks_binary(data):
        raise InputError("binary content, not text")
    for label in (http_charset, sniff_meta_charset(data)):
        name = normalise_label(label)
        if name and not name.startswith("utf-16") and not name.startswith("utf-32"):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                continue  # declared wrongly: real sites mislabel cp1252 as utf-8; detect instead
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"detected encoding {encoding} does not decode the page") from exc


def detect_encoding(data: bytes) -> str:
    """Best guess for undeclared bytes, preferring windows-1252 among near-equal candidates.

    Short Western pages score almost the same under cp1252, cp1257 and cp1250 in statistical
    detection; cp1252 is by far the most common legacy encoding on the web (and the HTML
    standard's fallback), so it is taken when nearly all its non-ASCII characters are ones
    Western European text uses. Cyrillic or Central European bytes read as cp1252 give symbols
    like ð, ¹, ³ instead, or whole words of accented letters, and go to the detector.
    """
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = ""
    letters = [c for c in western if ord(c) > 127]
    alphabetic = sum(c.isalpha() for c in western[:100_000])
    if (letters and sum(c in _WESTERN for c in letters) >= _WESTERN_SHARE * len(letters)
            and len(letters) <= _ACCENTED_SHARE * alphabetic):
        return "cp1252"
    matches = list(charset_normalizer.from_bytes(data[:200_000]))
    if not matches:
        raise DecodeError("could not detect the text encoding")
    best = matches[0]
    close = [m for m in matches if m.chaos <= best.chaos + _CHAOS_TIE]
    if any("cp1252" in m.could_be_from_charset for m in close):
        return "cp1252"
    return max(close, key=lambda m: m.coherence).encoding
