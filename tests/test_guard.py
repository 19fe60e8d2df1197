"""Address policy: private addresses are refused before connecting, on every hop."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from faultserver import FaultServer
from scraper.errors import FetchError, SecurityError
from scraper.crawl.fetch import Fetcher, FetchOptions
from scraper.crawl.guard import AddressPolicy, GuardedAdapter, check_address, is_public_address, \
    precheck_host

REFUSED = "private address refused: 127.0.0.1 (use --allow-private to allow)"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b:1::1",
    "fec0::1", "192.0.0.1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", [
    "93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


def test_refusal_reason_names_the_address_and_the_way_out() -> None:
    with pytest.raises(SecurityError) as info:
        check_address("::ffff:127.0.0.1", 80, AddressPolicy())
    assert info.value.reason == REFUSED


def test_allow_private_and_allowed_endpoints() -> None:
    check_address("127.0.0.1", 80, AddressPolicy(allow_private=True))
    only = AddressPolicy(allowed_endpoints=frozenset({("127.0.0.1", 8080)}))
    check_address("127.0.0.1", 8080, only)
    with pytest.raises(SecurityError):
        check_address("127.0.0.1", 8081, only)


def test_precheck_resolves_names() -> None:
    with pytest.raises(SecurityError) as info:
        precheck_host("localhost", 80, AddressPolicy())
    assert info.value.reason.startswith("private address refused: ")


def test_loopback_url_is_refused_before_any_request(fault_server: FaultServer) -> None:
    with Fetcher(FetchOptions()) as fetcher, pytest.raises(SecurityError) as info:
        fetcher.fetch(fault_server.url("/article"))
    assert info.value.reason == REFUSED
    assert fault_server.log == []


def test_the_connected_address_is_checked_without_the_precheck(fault_server: FaultServer) -> None:
    # A plain requests session with only the adapter: no name pre-check, so the refusal
    # below can only come from the peer-address check made after connecting (which is
    # what defeats DNS rebinding: it sees the address really connected to).
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", GuardedAdapter(AddressPolicy()))
    with session, pytest.raises(SecurityError) as info:
        session.get(f"http://localhost:{fault_server.port}/article", timeout=5)
    assert info.value.reason.startswith("private address refused: ")
    assert fault_server.log == []


def test_the_connected_address_check_applies_to_each_redirect_hop() -> None:
    with FaultServer() as allowed, FaultServer() as target:
        session = requests.Session()
        session.trust_env = False
        policy = AddressPolicy(allowed_endpoints=frozenset({allowed.endpoint}))
        session.mount("http://", GuardedAdapter(policy))
        hop = allowed.url("/redirect-to?url=" + target.url("/article"))
        with session, pytest.raises(SecurityError) as info:
            session.get(hop, timeout=5)  # requests follows the redirect itself here
        assert info.value.reason == REFUSED
        assert allowed.count("/redirect-to") == 1
        assert target.log == []


def test_fetcher_refuses_a_redirect_from_an_allowed_host_to_loopback() -> None:
    with FaultServer() as allowed, FaultServer() as target:
        options = FetchOptions(allowed_endpoints=frozenset({allowed.endpoint}))
        with Fetcher(options) as fetcher:
            assert fetcher.fetch(allowed.url("/article")).status == 200
            with pytest.raises(SecurityError) as info:
                fetcher.fetch(allowed.url("/redirect-to?url=" + target.url("/article")))
        assert info.value.reason == REFUSED
        assert target.log == []


def test_redirect_to_another_scheme_is_refused(fault_server: FaultServer) -> None:
    with Fetcher(FetchOptions(allow_private=True)) as fetcher, \
            pytest.raises(SecurityError) as info:
        fetcher.fetch(fault_server.url("/redirect-to?url=file:///etc/passwd"))
    assert info.value.reason == "unsupported scheme: file"


def accepted(listener: socket.socket) -> int:
    """How many connections completed their TCP handshake with `listener` (the kernel queues
    them whether or not anyone calls accept)."""
    listener.setblocking(False)
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_no_handshake_is_ever_made_with_a_refused_address(scheme: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        reasons = set()
        with Fetcher(FetchOptions(retries=0)) as fetcher:
            for host in ("127.0.0.1", "localhost", "0x7f000001", "127.1"):
                with pytest.raises(SecurityError) as info:
                    fetcher.fetch(f"{scheme}://{host}:{port}/")
                reasons.add(info.value.reason)
        assert accepted(listener) == 0
    assert reasons == {REFUSED}


def test_a_refusal_does_not_tell_open_ports_from_closed_ones() -> None:
    with socket.socket() as listener, socket.socket() as closed:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connecting would be refused
        with Fetcher(FetchOptions(retries=0)) as fetcher:
            reasons = []
            for sock in (listener, closed):
                with pytest.raises(SecurityError) as info:
                    fetcher.fetch(f"http://127.0.0.1:{sock.getsockname()[1]}/")
                reasons.append(info.value.reason)
    assert reasons == [REFUSED, REFUSED]


@pytest.mark.parametrize("address", [
    "fec0::1", "feff::1", "192.0.0.1", "192.0.0.9", "192.0.0.10", "192.0.0.170", "192.0.2.1",
    "198.18.0.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "3fff::1", "5f00::1",
    "100::1", "100:0:0:1::1", "64:ff9b:1::1", "64:ff9b::7f00:1", "64:ff9b::a00:1",
    "2001:2::1", "192.88.99.1",
])
def test_special_purpose_ranges_are_refused(address: str) -> None:
    assert not is_public_address(address)
    with pytest.raises(SecurityError):
        check_address(address, 80, AddressPolicy())


def test_dns_lookups_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: str, *args, **kwargs):  # a resolver that never answers for this name
        if host == "hangs.example":
            release.wait(30)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    options = FetchOptions(total_timeout=1, retries=0)
    try:
        with Fetcher(options) as fetcher:
            started = time.monotonic()
            with pytest.raises(FetchError) as info:
                fetcher.fetch("http://hangs.example/")
            elapsed = time.monotonic() - started
    finally:
        release.set()
    assert info.value.reason == "timeout after 1 s"
    assert elapsed < 2


@pytest.mark.parametrize("listening", [True, False])
def test_dns_rebinding_can_neither_reach_nor_probe_a_refused_address(
        monkeypatch: pytest.MonkeyPatch, listening: bool) -> None:
    # The name first answers an allowed address, then a refused one: the address checked must
    # be the address connected to, so the refused one sees no handshake and its state (open or
    # closed port) cannot change the outcome.
    with socket.socket() as refused, socket.socket() as allowed:
        refused.bind(("127.0.0.1", 0))
        port = refused.getsockname()[1]
        allowed.bind(("127.0.0.2", port))
        allowed.listen()
        if listening:
            refused.listen()
        answers = iter(["127.0.0.2"])
        real = socket.getaddrinfo

        def rebinding(host: str, *args, **kwargs):
            if host != "rebind.example":
                return real(host, *args, **kwargs)
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        options = FetchOptions(allowed_endpoints=frozenset({("127.0.0.2", port)}),
                               total_timeout=1, retries=0)
        with Fetcher(options) as fetcher, pytest.raises(FetchError) as info:
            fetcher.fetch(f"http://rebind.example:{port}/")
        assert info.value.reason == "timeout after 1 s"  # the allowed listener never answers
        assert accepted(allowed) == 1
        if listening:
            assert accepted(refused) == 0
