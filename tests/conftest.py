"""Shared fixtures: `fault_server` (tests/faultserver.py) and `dask_cluster` (a real Dask
LocalCluster of two worker processes on 127.0.0.1, started once per session, on first use)."""

from collections.abc import Iterator

import pytest

from faultserver import fault_server  # noqa: F401  (re-exported pytest fixture)


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[object]:
    from scraper.run.dask import DaskExecutor

    with DaskExecutor("local:2") as executor:
        executor.client  # started now: a test's own deadline does not pay for it
        yield executor
