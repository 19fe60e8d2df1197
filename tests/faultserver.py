"""A real HTTP/1.1 server on 127.0.0.1 with scripted faults, for fetch, robots and crawl tests.

Built-in paths (query parameters in brackets):
    / and /article     a small realistic article page (ETag/Last-Modified, answers 304)
    /private/page      the article again, under the path robots.txt disallows
    /robots.txt        `server.robots_txt` (None -> 404), status `server.robots_status`,
                       unless a page is registered at that path
    /slow              waits `server.slow_seconds` before answering
    /flaky[?fail=N]    503 for the first N (default 1) requests of that exact path, then 200
    /ratelimited[?after=S]  429 with Retry-After: S (default 1) once, then 200
    /reset             headers and part of the body, then an abrupt close (TCP RST)
    /truncated         headers and part of the body, then a clean close (FIN)
    /loop, /loop-b     redirect to each other
    /redirect-to?url=U[&status=302]   redirect to U
    /chain?n=N         N redirects, then the article
    /big[?size=B&declare=1]  streamed HTML of B bytes (default 32 MB), chunked unless declared
    /bomb              a gzip bomb: 16 MB of HTML in about 16 KB of gzip
    /pdf[?stall=1]     application/pdf; with stall=1 the body is held back until shutdown
    /missing           404
    /gzip              gzip-encoded HTML
    /legacy            cp1252 bytes, Content-Type: text/html without charset, no <meta charset>
    /drip-headers      the status line and headers, one byte every `server.drip_seconds`
    /drip-body         headers at once, then the body one byte every `server.drip_seconds`
    /stacked-bomb[?status=S&mb=M]  status S (default 200; a 3xx also sends Location: /article)
                       with `Content-Encoding: gzip, gzip`: M MB (default 256) of HTML in < 1 KB
Extra pages: `server.add_page(path, body, content_type=..., status=..., headers=...)`.
`server.latency` delays every answer. The request log (`server.log`, `server.count(path)`) and
`server.max_in_flight` let crawl tests check politeness; `server.aborted` lists paths whose
client hung up while the body was still being sent.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Rivers return to the valley | The Daily Example</title>
<meta name="author" content="Ada Example">
</head>
<body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/subscribe">Subscribe</a></nav>
<article>
<h1>Rivers return to the valley</h1>
<p class="byline">By Ada Example, 3 March 2025</p>
<p>After a decade of drought, the three rivers that once fed the valley are flowing again,
and the farmers who stayed are cautiously planting the lower fields.</p>
<p>Hydrologists credit a run of wet winters and the removal of two small dams upstream. "The
water table came back faster than any of our models predicted," said one of them.</p>
<p>Not everyone is celebrating. Residents near the old riverbed worry about floods, and the
council has promised a report on defences before the autumn rains.</p>
</article>
<aside class="newsletter"><p>Enjoyed this? Sign up for our morning newsletter!</p></aside>
<footer><p>&copy; 2025 The Daily Example. All rights reserved.</p></footer>
</body>
</html>
"""
LEGACY_HTML = """<html><head><title>Caf\u00e9 society returns</title></head><body>
<h1>Caf\u00e9 society returns to the old town</h1>
<p>\u201cWe never thought we\u2019d see queues again,\u201d says the owner of the caf\u00e9 on the
corner \u2014 a fa\u00e7ade that has not changed since 1952. Coffee now costs \u20ac3, and the
cr\u00e8me br\u00fbl\u00e9e is, by common consent, the best in town.</p>
<p>Regulars \u2014 na\u00efve newcomers included \u2014 are welcome\u2026 as long as they tip.</p>
</body></html>
"""
DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private\nCrawl-delay: 2\n"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
_BOMB_SIZE = 16 * 1024 * 1024
_bomb_cache: list[bytes] = []
_stacked_cache: dict[int, bytes] = {}


@dataclass
class Page:
    """A registered response."""

    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it; `started` is `time.monotonic()` on arrival and
    `client_port` tells connections apart (keep-alive reuse)."""

    method: str
    path: str
    headers: dict[str, str]
    started: float
    in_flight: int
    client_port: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fault: FaultServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request is the point of this server; other errors are bugs.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        if request in self.fault._abortive:
            # No shutdown(SHUT_WR): that would send a FIN; close with SO_LINGER 0 sends a RST.
            self.fault._abortive.discard(request)
            self.close_request(request)
        else:
            super().shutdown_request(request)


class FaultServer:
    """The server; use as a context manager or through the `fault_server` fixture."""

    def __init__(self, latency: float = 0.0, robots_txt: str | None = DEFAULT_ROBOTS,
                 host: str = "127.0.0.1") -> None:
        self.latency = latency
        self.robots_txt = robots_txt
        self.robots_status = 200
        self.slow_seconds = 5.0
        self.drip_seconds = 1.0
        self.pages: dict[str, Page] = {}
        self.aborted: list[str] = []
        self.max_in_flight = 0
        self._log: list[RequestRecord] = []
        self._counters: dict[str, int] = {}
        self._in_flight = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._abortive: set[socket.socket] = set()
        article = ARTICLE_HTML.encode("utf-8")
        for path in ("/", "/article", "/private/page"):
            self.add_page(path, article)
        self.add_page("/legacy", LEGACY_HTML.encode("cp1252"), content_type="text/html")
        self.add_page("/gzip", gzip.compress(article), headers={"Content-Encoding": "gzip"})
        self.add_page("/pdf", b"%PDF-1.4\n" + b"0" * 4000 + b"\n%%EOF\n",
                      content_type="application/pdf")
        self.add_page("/missing", b"<html><body><h1>Not found</h1></body></html>", status=404)
        self._httpd = _Server((host, 0), _Handler)  # any 127.x.y.z: another host on loopback
        self._httpd.fault = self
        self.host, self.port = host, self._httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving; stalled handlers are woken so they end promptly."""
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def endpoint(self) -> tuple[str, int]:
        """`(ip, port)`, for `FetchOptions.allowed_endpoints`."""
        return (self.host, self.port)

    def add_page(self, path: str, body: bytes | str, content_type: str | None =
                 "text/html; charset=utf-8", status: int = 200,
                 headers: dict[str, str] | None = None) -> None:
        """Serve `body` at `path` (exact path, any query string)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[path] = Page(data, content_type, status, dict(headers or {}))

    @property
    def log(self) -> list[RequestRecord]:
        with self._cond:
            return list(self._log)

    def count(self, path: str) -> int:
        """Requests for `path`; without "?" the query string is ignored."""
        return sum(1 for r in self.log
                   if (r.path if "?" in path else r.path.split("?", 1)[0]) == path)

    def reset(self) -> None:
        """Forget the log, the per-path counters and the in-flight high-water mark."""
        with self._cond:
            self._log.clear()
            self._counters.clear()
            self.aborted.clear()
            self.max_in_flight = 0

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled (e.g. before reading `aborted`)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)

    def _enter(self, method: str, path: str, headers: dict[str, str], client_port: int) -> int:
        with self._cond:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._log.append(RequestRecord(method, path, headers, time.monotonic(),
                                           self._in_flight, client_port))
            self._counters[path] = self._counters.get(path, 0) + 1
            return self._counters[path]

    def _leave(self, path: str, aborted: bool) -> None:
        with self._cond:
            self._in_flight -= 1
            if aborted:
                self.aborted.append(path.split("?", 1)[0])
            self._cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fault = self.server.fault
        nth = fault._enter("GET", self.path, {k.lower(): v for k, v in self.headers.items()},
                           self.client_address[1])
        aborted = False
        try:
            if fault.latency:
                fault._stop.wait(fault.latency)
            self._dispatch(fault, nth)
        except (BrokenPipeError, ConnectionResetError):
            aborted = True
            self.close_connection = True
        finally:
            fault._leave(self.path, aborted)

    def _dispatch(self, fault: FaultServer, nth: int) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path == "/robots.txt" and path not in fault.pages:
            if fault.robots_txt is None:
                self._send(404, b"not found", "text/plain")
            else:
                self._send(fault.robots_status, fault.robots_txt.encode(), "text/plain")
        elif path == "/slow":
            fault._stop.wait(fault.slow_seconds)
            self._page(fault.pages["/article"])
        elif path == "/flaky" and nth <= int(query.get("fail", "1")):
            self._send(503, b"try later", "text/plain")
        elif path == "/ratelimited" and nth == 1:
            self._send(429, b"slow down", "text/plain",
                       {"Retry-After": query.get("after", "1")})
        elif path in ("/flaky", "/ratelimited"):
            self._page(fault.pages["/article"])
        elif path in ("/reset", "/truncated"):
            self._cut(fault, abrupt=path == "/reset")
        elif path in ("/loop", "/loop-b"):
            self._redirect("/loop-b" if path == "/loop" else "/loop")
        elif path == "/redirect-to":
            self._redirect(query["url"], int(query.get("status", "302")))
        elif path == "/chain":
            n = int(query.get("n", "1"))
            self._redirect(f"/chain?n={n - 1}") if n > 0 else self._page(fault.pages["/article"])
        elif path == "/big":
            self._big(int(query.get("size", str(32 * 1024 * 1024))), query.get("declare") == "1")
        elif path == "/bomb":
            self._send(200, _bomb(), "text/html", {"Content-Encoding": "gzip"})
        elif path == "/pdf" and query.get("stall") == "1":
            self._send_headers(200, "application/pdf", {"Content-Length": "5000"})
            self.wfile.flush()
            fault._stop.wait(fault.slow_seconds)
            self.wfile.write(b"%PDF" + b"0" * 4996)
        elif path in fault.pages:
            self._page(fault.pages[path])
        elif path == "/drip-headers":
            self._drip(fault, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                       + b"X-Drip: " + b"x" * 1000 + b"\r\n\r\n")
        elif path == "/drip-body":
            self._send_headers(200, "text/html; charset=utf-8", {"Content-Length": "1000"})
            self.wfile.flush()
            self._drip(fault, b"<html><body>" + b"x" * 988)
        elif path == "/stacked-bomb":
            status = int(query.get("status", "200"))
            headers = {"Content-Encoding": "gzip, gzip"}
            if 300 <= status <= 399:
                headers["Location"] = "/article"
            self._send(status, stacked_bomb(int(query.get("mb", "256"))), "text/html", headers)
        else:
            self._send(404, b"<html><body>no such page</body></html>", "text/html")

    def _drip(self, fault: FaultServer, data: bytes) -> None:
        """Send `data` one byte at a time until the client gives up (or the server stops)."""
        self.close_connection = True
        for i in range(len(data)):
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            if fault._stop.wait(fault.drip_seconds):
                return

    def _send_headers(self, status: int, content_type: str | None,
                      headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> None:
        self._send_headers(status, content_type, {**(headers or {}),
                                                  "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _page(self, page: Page) -> None:
        etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, **page.headers}
        if page.status == 200 and (self.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in self.headers
                and self.headers.get("If-Modified-Since") == LAST_MODIFIED)):
            self._send_headers(304, None, {"ETag": etag, "Content-Length": "0"})
            return
        self._send(page.status, page.body, page.content_type, headers)

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"", "text/html", {"Location": location})

    def _cut(self, fault: FaultServer, abrupt: bool) -> None:
        self._send_headers(200, "text/html; charset=utf-8", {"Content-Length": "20000"})
        self.wfile.write(ARTICLE_HTML.encode()[:500])
        self.wfile.flush()
        # Let the client start reading the body, so the cut lands mid-body, not mid-headers.
        fault._stop.wait(0.2)
        self.close_connection = True
        if abrupt:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            fault._abortive.add(self.connection)

    def _big(self, size: int, declare: bool) -> None:
        head = b"<!DOCTYPE html><html><body>"
        para = b"<p>" + b"All work and no play makes a big page. " * 40 + b"</p>\n"
        headers = {"Content-Length": str(size)} if declare else {"Transfer-Encoding": "chunked"}
        self._send_headers(200, "text/html; charset=utf-8", headers)
        sent = 0
        while sent < size:
            chunk = (head if sent == 0 else b"") + para * 16
            chunk = chunk[:size - sent]
            self.wfile.write(chunk if declare else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        if not declare:
            self.wfile.write(b"0\r\n\r\n")


def _bomb() -> bytes:
    if not _bomb_cache:
        body = b"<!DOCTYPE html><html><body><p>" + b" " * _BOMB_SIZE + b"</p></body></html>"
        _bomb_cache.append(gzip.compress(body, compresslevel=9))
    return _bomb_cache[0]


def stacked_bomb(megabytes: int) -> bytes:
    """gzip of gzip of `megabytes` MB of HTML: each layer shrinks it about a thousandfold."""
    if megabytes not in _stacked_cache:
        inner = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
        parts = [inner.compress(b"<!DOCTYPE html><html><body><p>")]
        spaces = b" " * (1 << 20)
        parts += [inner.compress(spaces) for _ in range(megabytes)]
        parts.append(inner.flush())
        _stacked_cache[megabytes] = gzip.compress(b"".join(parts), compresslevel=9)
    return _stacked_cache[megabytes]


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A fresh `FaultServer` per test."""
    with FaultServer() as server:
        yield server
