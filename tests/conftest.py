"""Shared fixtures."""

import os
import socket

import pytest
from hypothesis import settings

# CI gates what lands, so there the property tests replay a fixed set of examples; everywhere
# else they explore new ones (a falsifying example found there is pinned with @example).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def no_user_data(tmp_path_factory):
    """The packaged history in every test (and its subprocesses), whatever
    ``minecalc data update`` has put into this machine's user data folder."""
    os.environ["MINECALC_DATA_DIR"] = str(tmp_path_factory.mktemp("no-user-data"))
    yield
    os.environ.pop("MINECALC_DATA_DIR", None)


@pytest.fixture
def dashboard_port_taken():
    """Hold 127.0.0.1:8787, dask's default dashboard port, as a user's own dask dashboard would.

    The clusters in these tests must start whatever listens there: a fixed port would make
    distributed warn (an error here) or fail to start.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        try:
            held.bind(("127.0.0.1", 8787))
            held.listen()
        except OSError:
            pass  # already in use: the very condition under test
        yield
