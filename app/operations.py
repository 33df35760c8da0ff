"""The one way the client runs work off the GUI thread.

``run_in_background(fn, on_success, on_failure)`` runs ``fn`` on Qt's thread pool and delivers its result or
exception back on the GUI thread through a queued signal, so widgets never block on the network, the disk or
key derivation (STYLE.md practice 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    sig_succeeded = Signal(object)
    """Emitted on the GUI thread with the callable's return value."""
    sig_failed = Signal(object)
    """Emitted on the GUI thread with the exception the callable raised."""


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as error:  # noqa: BLE001 - every failure is delivered to the GUI, none is lost
            self._relay.sig_failed.emit(error)
        else:
            self._relay.sig_succeeded.emit(result)


_in_flight: set[_Relay] = set()

# Our own pool, not Qt's global one: that one has one thread per core (two on many room PCs), and the
# background work here mostly waits on the network. A document download or a poll stuck on a cut link
# until its deadline must not hold up the next poll, the outbox reads or the PIN unlock.
BACKGROUND_THREADS = 16
_pool: QThreadPool | None = None


def background_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(BACKGROUND_THREADS)
    return _pool


def run_in_background(
    fn: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
) -> None:
    relay = _Relay()
    _in_flight.add(relay)  # keep the relay alive until it has delivered

    def succeeded(result: Any) -> None:
        _in_flight.discard(relay)
        if _receiver_alive(on_success):
            on_success(result)

    def failed(error: BaseException) -> None:
        _in_flight.discard(relay)
        if _receiver_alive(on_failure):
            on_failure(error)

    relay.sig_succeeded.connect(succeeded)
    relay.sig_failed.connect(failed)
    background_pool().start(_Task(fn, relay))


def _receiver_alive(callback: Callable[..., None]) -> bool:
    """False when ``callback`` is a method of a Qt object deleted meanwhile (its window was closed and
    deleted while the call was in flight): the answer is dropped instead of touching a dead widget."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)
