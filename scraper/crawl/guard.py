"""Address policy: refuse to connect to loopback, private and other non-public addresses.

A crawler fed arbitrary URLs must not become a way into the local network (SSRF). Every new
connection resolves its host name itself (under a deadline), checks every address the name
has, and then connects to the checked address: the address is pinned, so DNS answering
differently a moment later (DNS rebinding) changes nothing, and no TCP handshake is ever made
with a refused address, so a refusal says nothing about which ports are open. TLS still sends
and verifies the host name. This holds on every connection and thus on every redirect hop.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from scraper.crawl.deadline import Watchdog
from scraper.errors import FetchError, SecurityError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PRIVATE_REFUSED = "private address refused"  # the reason, before ": <address> (...)"

# Ranges of the IANA special-purpose registries (IPv4 and IPv6, as of 2024) that are not
# globally reachable but that `ipaddress.is_global` passes, at least on some Python versions:
# a crawler has no business with any of them. 192.0.0.0/24 is refused whole (is_global lets
# its two anycast addresses .9 and .10 through).
_NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24",      # IETF protocol assignments
    "192.88.99.0/24",    # deprecated 6to4 relay anycast
    "fec0::/10",         # site-local (deprecated, still routed inside sites)
    "100::/64",          # discard-only
    "100:0:0:1::/64",    # dummy prefix
    "64:ff9b:1::/48",    # local-use IPv4/IPv6 translation
    "2001::/23",         # IETF protocol assignments
    "2001:db8::/32",     # documentation
    "3fff::/20",         # documentation
    "5f00::/16",         # segment routing SIDs
))


@dataclass(frozen=True)
class AddressPolicy:
    """Which peer addresses may be connected to.

    `allowed_endpoints` exempts exact `(ip, port)` pairs from the private-address rule, so a
    test or a local mirror can be reached without opening the whole local network.
    """

    allow_private: bool = False
    allowed_endpoints: frozenset[tuple[str, int]] = field(default_factory=frozenset)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address tunnelled inside an IPv6 one (6to4, Teredo), if any."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(address: str | IPAddress) -> bool:
    """True if `address` is a globally routable unicast address.

    Refuses loopback, private, link-local, site-local, multicast, reserved, unspecified,
    shared (carrier-grade NAT), documentation and protocol-assignment ranges, for IPv4 and
    IPv6, including IPv4 addresses embedded in IPv6 (mapped, 6to4, Teredo); NAT64 prefixes
    are refused whole (Python counts 64:ff9b::/96 as reserved).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_address(inner):
            return False
    if (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified):
        return False
    return ip.is_global and not any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)


def check_address(address: str, port: int, policy: AddressPolicy) -> None:
    """Raise `SecurityError` if `policy` forbids connecting to `address:port`."""
    if policy.allow_private:
        return
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        shown = str(ip.ipv4_mapped)
    else:
        shown = str(ip)
    if (shown, port) in policy.allowed_endpoints or (str(ip), port) in policy.allowed_endpoints:
        return
    if not is_public_address(ip):
        raise SecurityError(f"{PRIVATE_REFUSED}: {shown} (use --allow-private to allow)")


def resolve(host: str, port: int, timeout: float | None) -> list[tuple[Any, ...]]:
    """`getaddrinfo` for a TCP connection, given up after `timeout` seconds.

    The lookup runs in a daemon thread because `getaddrinfo` itself cannot be interrupted; one
    that hangs costs a parked thread until the system resolver gives up, not the attempt.
    Raises `FetchError("DNS lookup failed")`, or `socket.timeout` when time runs out.
    """
    answer: list[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            answer.append(exc)
        done.set()

    threading.Thread(target=lookup, name="dns", daemon=True).start()
    if not done.wait(timeout):
        raise socket.timeout(f"DNS lookup of {host} timed out")
    if isinstance(answer[0], BaseException):
        raise FetchError("DNS lookup failed") from answer[0]
    if not answer[0]:
        raise FetchError("DNS lookup failed")
    return list(answer[0])


def precheck_host(host: str, port: int, policy: AddressPolicy,
                  timeout: float | None = 10.0) -> list[tuple[Any, ...]]:
    """Resolve `host` and refuse if any of its addresses is forbidden; return the addresses.

    Raises `FetchError("DNS lookup failed")` when the name does not resolve, `SecurityError`
    when an address is refused, `socket.timeout` after `timeout` seconds.
    """
    infos = resolve(host.strip("[]"), port, timeout)
    for info in infos:
        check_address(str(info[4][0]), port, policy)
    return infos


def connect_checked(host: str, port: int, policy: AddressPolicy, timeout: float | None,
                    source_address: tuple[str, int] | None = None,
                    socket_options: Any = None) -> socket.socket:
    """Resolve, check every address, then connect to a checked address (never to another).

    `timeout` covers the lookup and the whole connect; each address gets an equal share of the
    time left, so an unreachable first address (say, IPv6 without a route) leaves time to try
    the next.
    """
    end = None if timeout is None else time.monotonic() + timeout
    infos = precheck_host(host, port, policy, timeout)
    error: OSError | None = None
    for i, (family, kind, proto, _, address) in enumerate(infos):
        share = None if end is None else max(0.001, (end - time.monotonic()) / (len(infos) - i))
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(share)
            if source_address:
                sock.bind(source_address)
            sock.connect(address)
            sock.settimeout(timeout)
            return sock
        except OSError as exc:
            if sock is not None:
                sock.close()
            error = exc
    assert error is not None
    raise error


class _PinnedMixin:
    """New sockets go to a checked address; each socket joins the running attempt's deadline."""

    guard_policy: AddressPolicy = AddressPolicy()
    watchdog: Watchdog | None = None

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        deadline = self.watchdog.current() if self.watchdog else None
        timeout = conn.timeout if isinstance(conn.timeout, (int, float)) else None
        if deadline is not None:
            timeout = deadline.remaining() if timeout is None \
                else min(timeout, deadline.remaining())
        try:
            sock = connect_checked(conn._dns_host, conn.port, self.guard_policy, timeout,
                                   conn.source_address, conn.socket_options)
        except socket.timeout as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {conn.host} timed out. (connect timeout={timeout})") from exc
        except OSError as exc:
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]
        if deadline is not None:
            deadline.watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        sock = getattr(self, "sock", None)
        deadline = self.watchdog.current() if self.watchdog else None
        if deadline is not None and sock is not None:
            deadline.watch(sock)  # a pooled connection, reused by this attempt
        super().request(*args, **kwargs)  # type: ignore[misc]


class GuardedHTTPConnection(_PinnedMixin, HTTPConnection):
    """A urllib3 HTTP connection that refuses forbidden peers."""


class GuardedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    """A urllib3 HTTPS connection that refuses forbidden peers; SNI and the certificate check
    use the host name, not the pinned address."""


def _pool_classes(policy: AddressPolicy,
                  watchdog: Watchdog | None) -> dict[str, type[HTTPConnectionPool]]:
    # urllib3 pool keys reject unknown keyword arguments, so the policy rides on the class.
    extra = {"guard_policy": policy, "watchdog": watchdog}
    http_conn = type("GuardedHTTPConnection", (GuardedHTTPConnection,), extra)
    https_conn = type("GuardedHTTPSConnection", (GuardedHTTPSConnection,), extra)
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,),
                     {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,),
                      {"ConnectionCls": https_conn}),
    }


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter whose connections enforce an `AddressPolicy`.

    Proxies are not supported: behind a proxy the peer is the proxy, so the check would be
    meaningless. Sessions using this adapter should set `trust_env = False`. With a `watchdog`,
    every socket a request uses joins the calling thread's running deadline.
    """

    def __init__(self, policy: AddressPolicy, watchdog: Watchdog | None = None,
                 **kwargs: Any) -> None:
        self.policy = policy
        self.watchdog = watchdog
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy, self.watchdog)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise SecurityError("proxies are not supported with the address guard")
