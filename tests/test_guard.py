"""Address policy: private addresses are refused on the connected socket, on every hop."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from faultserver import FaultServer
from scraper.errors import SecurityError
from scraper.fetch import Fetcher, FetchOptions
from scraper.guard import AddressPolicy, GuardedAdapter, check_address, is_public_address, \
    precheck_host

REFUSED = "private address refused: 127.0.0.1 (use --allow-private to allow)"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b:1::1",
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


def test_https_peer_is_refused_before_the_tls_handshake() -> None:
    received: list[bytes] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(5)
        port = listener.getsockname()[1]

        def accept() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(5)
                received.append(conn.recv(1024))  # b"" once the client hangs up

        thread = threading.Thread(target=accept)
        thread.start()
        session = requests.Session()
        session.trust_env = False
        session.mount("https://", GuardedAdapter(AddressPolicy()))
        with session, pytest.raises(SecurityError) as info:
            session.get(f"https://localhost:{port}/", timeout=5)
        thread.join()
    assert info.value.reason.startswith("private address refused: ")
    assert received == [b""]  # not even a TLS ClientHello was sent
