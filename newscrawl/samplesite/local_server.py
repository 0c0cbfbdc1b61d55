"""What every local test site shares: an HTTP server on 127.0.0.1 in a background thread.

`SampleSite` (the model sites), `CapturedSite` (captured real pages) and
`RecordingServer` (the fetch policy's hostile site and "other host") differ
in what they answer; how they start, stop and name themselves is here.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalServer:
    """Serves `self._handler_class()` on `host`:`port` (0: a free port) once started.

        with Subclass(...) as site:
            ... site.base_url ...
    """

    thread_name = "local-server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.log: list = []  # what was asked, as each server records it
        self.lock = threading.Lock()  # guards `log`: the server answers from several threads
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> Self:
        # stop() waits for the server's next poll: 0.05 s, not the default 0.5 (about 100 sites a test run).
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=self.thread_name, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread is not None:  # shutdown() waits for serve_forever: only once started
            self.server.shutdown()
            self.thread.join()
            self.thread = None
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
