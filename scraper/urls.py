"""URL hygiene for the crawler: validation, normalisation for de-duplication, politeness keys.

Error policy: a URL that is malformed (no host, bad port, whitespace, unparseable host) raises
`InputError("invalid URL: <why>")`; a well-formed URL with a scheme other than http/https raises
`SecurityError("unsupported scheme: <scheme>")`, because fetching `file:` or `gopher:` is a
policy question, not a typo. Reasons name the cause only, so failures group well in summaries.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from urllib.parse import SplitResult, quote, unquote_plus, urlsplit

import idna

from .errors import InputError, SecurityError

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "_ga", "_gl",
    "yclid", "igshid", "ref_src", "ref_url", "twclid", "li_fat_id", "mkt_tok", "_hsenc",
    "_hsmi", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid", "s_cid",
})
_WHITESPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# Characters left alone when re-quoting path and query: reserved ASCII and existing escapes.
_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fail(why: str) -> InputError:
    return InputError(f"invalid URL: {why}")


def _split(url: str) -> SplitResult:
    """Parse and validate `url`; raise `InputError` or `SecurityError` as documented above."""
    url = url.strip()
    if not url:
        raise _fail("empty")
    if _WHITESPACE_OR_CONTROL.search(url):
        raise _fail("whitespace or control character")
    if not url.isascii() and not _encodable(url):
        raise _fail("not valid Unicode")  # a lone surrogate: no request could carry it
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _fail("unparseable") from exc
    scheme = parts.scheme.lower()
    # "example.com:8080/x" parses as scheme "example.com": that is a missing scheme, not ftp.
    if not scheme or (scheme not in SCHEMES and re.match(r"[^:/]+:\d", url)):
        raise _fail("no scheme")
    if scheme not in SCHEMES:
        raise SecurityError(f"unsupported scheme: {scheme}")
    if not parts.hostname:
        raise _fail("no host")
    try:
        port = parts.port
    except ValueError as exc:
        raise _fail("bad port") from exc
    if port == 0:
        raise _fail("bad port")
    return parts


def _normal_host(hostname: str) -> str:
    """Lower-case and IDNA-encode a hostname; IPv6 literals are compressed and bracketed."""
    if ":" in hostname:
        try:
            return f"[{ipaddress.IPv6Address(hostname.split('%')[0]).compressed}]"
        except ValueError as exc:
            raise _fail("bad host") from exc
    if hostname.isascii():
        host = hostname.lower()
        if not re.fullmatch(r"[a-z0-9._~!$&'()*+,;=-]+", host) or ".." in host:
            raise _fail("bad host")
        return host
    try:
        return idna.encode(hostname, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise _fail("bad host") from exc


def _keep_param(part: str) -> bool:
    name = unquote_plus(part.split("=", 1)[0]).lower()
    return not (name.startswith("utm_") or name in TRACKING_PARAMS)


def normalise(url: str) -> str:
    """Return the canonical form of an http(s) URL, used to de-duplicate the crawl.

    Lower-cases scheme and host, IDNA-encodes the host, drops the default port and the fragment,
    removes tracking parameters (utm_*, fbclid, gclid...) keeping the order of the others,
    percent-encodes non-ASCII path/query characters and turns an empty path into "/".
    Surrounding whitespace is ignored; inner whitespace is an error.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = _normal_host(parts.hostname or "")
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    path = quote(parts.path, safe=_SAFE) or "/"
    params = [p for p in parts.query.split("&") if p and _keep_param(p)]
    query = quote("&".join(params), safe=_SAFE)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def check(url: str) -> str:
    """Validate `url` for fetching and return it without its fragment; raise like `normalise`."""
    _split(url)
    return url.strip().split("#", 1)[0]


def host_key(url: str) -> str:
    """Return "host:port" with the port always explicit, e.g. "example.com:443"."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    return f"{_normal_host(parts.hostname or '')}:{parts.port or DEFAULT_PORTS[scheme]}"


def read_url_list(lines: Iterable[str]) -> Iterator[str]:
    """Yield the URLs of a list file lazily: stripped, without blank lines or `#` comments."""
    for line in lines:
        line = line.strip().lstrip("\ufeff").strip()
        if line and not line.startswith("#"):
            yield line
