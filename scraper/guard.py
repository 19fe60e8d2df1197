"""Address policy: refuse to connect to loopback, private and other non-public addresses.

A crawler fed arbitrary URLs must not become a way into the local network (SSRF). Checking the
hostname before the request is not enough, because DNS can answer differently a moment later
(DNS rebinding), so the authoritative check is made on the socket's peer address right after
connecting and before a single byte of the request is sent, on every connection and thus on
every redirect hop. `precheck_host` repeats the check on a fresh DNS answer only to fail early.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import FetchError, SecurityError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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

    Refuses loopback, private, link-local, multicast, reserved, unspecified and shared
    (carrier-grade NAT) ranges, for IPv4 and IPv6, including IPv4 addresses embedded in IPv6.
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
    return ip.is_global


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
        raise SecurityError(f"private address refused: {shown} (use --allow-private to allow)")


def precheck_host(host: str, port: int, policy: AddressPolicy) -> None:
    """Resolve `host` and refuse early if any of its addresses is forbidden.

    Raises `FetchError("DNS lookup failed")` when the name does not resolve. This is only a
    courtesy for a clear, early error; the connected-address check is the real guard.
    """
    if policy.allow_private:
        return
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("DNS lookup failed") from exc
    for info in infos:
        check_address(str(info[4][0]), port, policy)


class _PeerCheckMixin:
    """Check the peer address of every new socket before the request goes out."""

    guard_policy: AddressPolicy = AddressPolicy()

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        try:
            peer = sock.getpeername()
            check_address(str(peer[0]), int(peer[1]), self.guard_policy)
        except BaseException:
            sock.close()
            raise
        return sock


class GuardedHTTPConnection(_PeerCheckMixin, HTTPConnection):
    """A urllib3 HTTP connection that refuses forbidden peers."""


class GuardedHTTPSConnection(_PeerCheckMixin, HTTPSConnection):
    """A urllib3 HTTPS connection that refuses forbidden peers before the TLS handshake."""


def _pool_classes(policy: AddressPolicy) -> dict[str, type[HTTPConnectionPool]]:
    # urllib3 pool keys reject unknown keyword arguments, so the policy rides on the class.
    http_conn = type("GuardedHTTPConnection", (GuardedHTTPConnection,), {"guard_policy": policy})
    https_conn = type("GuardedHTTPSConnection", (GuardedHTTPSConnection,),
                      {"guard_policy": policy})
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,),
                     {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,),
                      {"ConnectionCls": https_conn}),
    }


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter whose connections enforce an `AddressPolicy`.

    Proxies are not supported: behind a proxy the peer is the proxy, so the check would be
    meaningless. Sessions using this adapter should set `trust_env = False`.
    """

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise SecurityError("proxies are not supported with the address guard")
