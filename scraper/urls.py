"""URL hygiene: validation, normalisation for de-duplication, politeness keys, and the one place
that says what host (`host_of`, `declared_host`, `authority`, `origin`; `host_key` for politeness)
and site (`site_of`, the registered domain) a URL belongs to.

Error policy: a URL that is malformed (no host, bad port, whitespace, unparseable host, a host
label over 63 characters, anything urllib3 would refuse) raises
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
from tld import get_fld
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from scraper.errors import InputError, SecurityError

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
_DOTS = {"%2e": ".", ".%2e": "..", "%2e.": "..", "%2e%2e": ".."}


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
    try:
        parse_url(url)  # what the fetch will do with it: refuse here what it would choke on
    except (LocationParseError, ValueError, UnicodeError) as exc:
        raise _fail("unparseable") from exc
    _normal_host(parts.hostname)
    return parts


def _ipv4_number(part: str) -> int | None:
    """A WHATWG IPv4 number: decimal, 0x-hex or 0-octal; None if `part` is not one."""
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, base = part[1:], 8
    if not part:
        return 0
    try:
        return int(part, base) if part.isalnum() and part.isascii() else None
    except ValueError:
        return None


def _ipv4(host: str) -> str | None:
    """The dotted quad for a host the WHATWG URL parser reads as IPv4 (`0x7f000001`,
    `2130706433`, `0177.0.0.1`, `127.1`), None for a domain; a host that ends in a number but
    is no valid address is refused, as browsers refuse it."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts or _ipv4_number(parts[-1]) is None or (
            not parts[-1].isdigit() and not parts[-1].lower().startswith("0x")):
        return None  # does not end in a number: a domain name
    numbers = [_ipv4_number(p) if p else None for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise _fail("bad host")
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise _fail("bad host")
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
    return str(ipaddress.IPv4Address(value))


def _normal_host(hostname: str) -> str:
    """Lower-case and IDNA-encode a hostname; IPv6 literals are compressed and bracketed."""
    if ":" in hostname:
        try:
            return f"[{ipaddress.IPv6Address(hostname.split('%')[0]).compressed}]"
        except ValueError as exc:
            raise _fail("bad host") from exc
    if hostname.isascii():
        host = hostname.lower()
        if not re.fullmatch(r"[a-z0-9._~!$&'()*+,;=-]+", host) or ".." in host \
                or host.startswith("*"):
            raise _fail("bad host")
        address = _ipv4(host)
        if address is not None:
            return address
    else:
        try:
            host = idna.encode(hostname, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise _fail("bad host") from exc
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        raise _fail("bad host")  # DNS limits: 63 per label, 253 in all
    return host


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: resolve `.` and `..` segments, so `/a/./b/../c` is `/a/c`
    (`%2e` counts as a dot, as in browsers)."""
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        segment = _DOTS.get(segment.lower(), segment)
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") or not path.startswith("/") else "/" + result


def is_tracking_param(part: str) -> bool:
    """Whether a query part (`name=value`) is a web tracking parameter (utm_*, fbclid...)."""
    name = unquote_plus(part.split("=", 1)[0]).lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def _keep_param(part: str) -> bool:
    return not is_tracking_param(part)


def normalise(url: str) -> str:
    """Return the canonical form of an http(s) URL, used to de-duplicate the crawl.

    Lower-cases scheme and host, IDNA-encodes the host, drops the default port and the fragment,
    removes tracking parameters (utm_*, fbclid, gclid...) keeping the order of the others,
    percent-encodes non-ASCII path/query characters, removes `.` and `..` path segments, turns
    an empty path into "/" and writes IPv4 hosts as dotted quads (`0x7f000001` is 127.0.0.1).
    Surrounding whitespace is ignored; inner whitespace is an error.
    """
    try:
        return _normalise(url)
    except (ValueError, UnicodeError) as exc:  # e.g. a lone surrogate: never past this point
        raise _fail("unparseable") from exc


def _normalise(url: str) -> str:
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = _normal_host(parts.hostname or "")
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = quote(parts.netloc.rsplit("@", 1)[0], safe=_SAFE) + "@" + netloc
    path = remove_dot_segments(quote(parts.path, safe=_SAFE)) or "/"
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


def host_of(url: str | None) -> str:
    """The host name of `url` as rules and reports know a site: lower-case, without `www.`, no
    port; "" when there is no URL or it has no host. Raises ValueError when urllib cannot split
    the URL (e.g. "http://[x"); callers decide whether that is an error."""
    return _hostname(url).removeprefix("www.")


def declared_host(url: str | None) -> str | None:
    """`host_of` for a URL a page or record declares, which may be anything: None when it has
    no host or urllib cannot split it."""
    try:
        return host_of(url) or None
    except ValueError:
        return None


def _hostname(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""  # urllib lower-cases it


def splittable(url: str | None) -> bool:
    """Whether urllib can split `url` and read its port: what rules by site and metadata need of
    a URL they are handed (a page's canonical link may be "http://[oops")."""
    try:
        urlsplit(url or "").port  # noqa: B018  (".port" is where a bad port raises)
    except ValueError:
        return False
    return True


def known_url(given: str | None, declared: str | None) -> str | None:
    """The URL a page is known by (its rules by site, its template, its review): the one it was
    given, else the canonical one it declares (`metadata.page_url`) if urllib can split it."""
    return given or (declared if splittable(declared) else None)


def site_of(url: str | None) -> str | None:
    """The registrable domain of a page's URL (`news.example.co.uk` -> `example.co.uk`, by the
    Public Suffix List), else its host without `www.`; None when it has none or is unparseable."""
    try:
        host = _hostname(url)
    except ValueError:
        return None
    if not host:
        return None
    return get_fld(host, fix_protocol=True, fail_silently=True) or host.removeprefix("www.")


def authority(url: str) -> str:
    """`host[:port]` of `url` as written, without user info (a file name, a robots.txt URL)."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


def origin(url: str) -> str:
    """`scheme://host[:port]` of `url`, without user info: where its robots.txt lives."""
    return f"{urlsplit(url).scheme}://{authority(url)}"


def read_url_list(lines: Iterable[str]) -> Iterator[str]:
    """Yield the URLs of a list file lazily: stripped, without blank lines or `#` comments."""
    for line in lines:
        line = line.strip().lstrip("\ufeff").strip()
        if line and not line.startswith("#"):
            yield line
