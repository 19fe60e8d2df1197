"""Shared fixtures: `fault_server` (tests/faultserver.py) is available to every test module."""

from faultserver import fault_server  # noqa: F401  (re-exported pytest fixture)
