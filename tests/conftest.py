"""Shared fixtures."""

import socket

import pytest


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
