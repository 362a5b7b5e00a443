"""The local web page, ``minecalc serve``: a scenario's figures, charts, Monte Carlo and
downloads for people who do not write Python (Panel, the ``app`` extra).

:mod:`.fields` maps the page's controls to scenario fields; :mod:`.page` is one browser
session's page; :func:`serve` starts the server.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

MAX_MESSAGE_BYTES = 25_000_000
"""The largest message the server takes from a browser [bytes]. An upload arrives as one
message, in base64 (4/3 of its size): up to about 18 MB it reaches the loader, which refuses
anything over 1 MB with its message; beyond, the websocket closes that session's
connection (the page then asks to reload), and the server goes on."""


def serve(  # noqa: PLR0913 - where and how to listen, all keyword-only
    start: str,
    start_data: dict | None = None,
    *,
    host: str,
    port: int,
    show: bool,
    origins: tuple[str, ...] = (),
    prefix: str = "",
    ready: Any = None,
) -> None:
    """Serve the page until interrupted.

    Parameters
    ----------
    start : str
        The packaged example the page starts from, or the name of ``start_data``.
    start_data : dict, optional
        A scenario read by the command line (a file the operator named), as a mapping.
    host, port : str, int
        Where to listen; ``port`` 0 picks a free one.
    show : bool
        Open a browser on the page.
    origins : tuple of str
        ``host[:port]`` of the addresses browsers use to reach the page, besides the one it
        listens on (the public name behind a reverse proxy); pages from anywhere else cannot
        open a session.
    prefix : str
        The path the page is served under (``/minecalc`` behind a proxy; slashes around it
        optional).
    ready : callable, optional
        ``ready(address)`` once the server listens.
    """
    import panel as pn

    from .page import page

    logging.disable(logging.NOTSET)  # the command line quiets libraries' logs; a server keeps one
    log = logging.getLogger("minecalc.app")  # each run and every error, on stderr
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)

    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    if port == 0:  # a free port, known before the server starts: its origin must be allowed
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]

    def session() -> Any:  # a function (not a partial): Panel calls it once per session
        return page(start, start_data)

    server = pn.serve(
        session,
        address=host,
        port=port,
        show=show,
        start=False,
        title="minecalc",
        websocket_max_message_size=MAX_MESSAGE_BYTES,
        websocket_origin=[f"{host}:{port}", f"localhost:{port}", *origins],
        prefix=prefix,
        use_xheaders=bool(origins),  # behind a proxy: the client's address from its headers
    )
    address = f"http://{host}:{server.port}{prefix}/"
    if ready is not None:
        ready(address)
    server.start()
    server.io_loop.start()
