"""A counting proxy for the Docker API: a UNIX socket that forwards to the real daemon and counts
the HTTP requests passing through, so a benchmark can report API calls without trusting the code
it measures."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from pathlib import Path

_REQUEST_LINE = re.compile(rb"(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (/[^ ]*) HTTP/1\.[01]\r\n")


class CountingProxy:
    def __init__(self, listen: Path, upstream: str = "/var/run/docker.sock") -> None:
        self.listen = listen
        self.upstream = upstream
        self.count = 0
        self.paths: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.listen}"

    def start(self) -> CountingProxy:
        if self.listen.exists():
            self.listen.unlink()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.listen))
        os.chmod(self.listen, 0o600)
        self._server.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.listen.unlink(missing_ok=True)

    def reset(self) -> None:
        with self._lock:
            self.count = 0
            self.paths = {}

    def _accept(self) -> None:
        assert self._server is not None
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.upstream)
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()
        self._pipe(client, upstream, True)

    def _pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        tail = b""
        try:
            while data := src.recv(65536):
                if count:
                    window = tail + data
                    for match in _REQUEST_LINE.finditer(window):
                        if match.end() > len(tail):  # not already counted in the previous chunk
                            self._record(match.group(2).decode("latin-1"))
                    tail = window[-512:]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _record(self, path: str) -> None:
        route = re.sub(r"^/v[0-9.]+", "", path.split("?", 1)[0])
        route = re.sub(r"/[0-9a-f]{12,64}(?=/|$)", "/{id}", route)
        with self._lock:
            self.count += 1
            self.paths[route] = self.paths.get(route, 0) + 1
