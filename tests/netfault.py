"""A real TCP proxy between a client and the server, whose link tests can cut and restore.

``FaultyLink(upstream)`` listens on 127.0.0.1:<free port> and forwards every connection to ``upstream``
(``host:port``) with two pump threads. ``cut()`` drops every open connection (both sockets shut down, so
both ends see the connection die mid-stream) and, until ``restore()``, accepts and immediately closes new
ones: the client sees a refused link at once rather than waiting for a timeout. ``cut_for(seconds)``
restores on a timer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class FaultyLink:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._down = False
        self._closed = False
        self._timer: threading.Timer | None = None
        self.cuts = 0
        self.connections = 0
        self._acceptor = threading.Thread(target=self._accept, name="netfault-accept", daemon=True)
        self._acceptor.start()

    # -- control -------------------------------------------------------------------------------------------

    @property
    def down(self) -> bool:
        return self._down

    def cut(self) -> None:
        """Drop every open connection; refuse new ones until restore()."""
        with self._lock:
            self._down = True
            self.cuts += 1
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._down = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def cut_for(self, seconds: float) -> None:
        """Cut now and restore after ``seconds`` (on a timer thread)."""
        self.cut()
        timer = threading.Timer(seconds, self.restore)
        timer.daemon = True
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = timer
        timer.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
        self.cut()
        _close(self._listener)
        self._acceptor.join(5)

    def __enter__(self) -> FaultyLink:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    # -- forwarding ----------------------------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            if self._closed:
                _close(client)
                return
            if self._down:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._down:
                    _close(client)
                    _close(server)
                    continue
                self._open.update((client, server))
                self.connections += 1
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(target)
            _close(source)
            _close(target)
