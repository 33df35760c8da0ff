"""Fetching something from the server again and again without piling fetches up.

:class:`CoalescedFetch` runs one fetch at a time through :func:`~app.operations.run_in_background`; asked
again while one is in flight, it runs once more after it (the answer in flight may predate the newest
change), however often it was asked meanwhile. The windows poll the ``SessionView`` and the pages the
``GroupSummary`` through it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.operations import run_in_background

Run = Callable[[Callable[[], object], Callable[[object], None], Callable[[BaseException], None]], None]
"""How to run a fetch: :func:`~app.operations.run_in_background`, or a test's stand-in."""


class CoalescedFetch(QObject):
    """Runs ``fetch`` in the background, one at a time (see the module docstring)."""

    sig_done = Signal(int, object)
    """(number of the fetch, its result) on the GUI thread; fetches are numbered from 1 as they start."""
    sig_failed = Signal(object)
    """The exception of a failed fetch, on the GUI thread."""

    def __init__(
        self, fetch: Callable[[], object], parent: QObject | None = None, run: Run = run_in_background
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._run = run
        self.started = 0  # fetches started so far: a result numbered above N was asked for after fetch N
        self._in_flight = False
        self._again = False
        self._closed = False

    def fetch(self) -> None:
        if self._closed:
            return
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True
        self.started += 1
        self._run(self._fetch, self._fetched, self._failed)

    def _fetched(self, result: object) -> None:
        self._in_flight = False
        if self._closed:
            return
        self.sig_done.emit(self.started, result)  # one fetch at a time: the one in flight is the last started
        self._continue()

    def _failed(self, error: BaseException) -> None:
        self._in_flight = False
        if self._closed:
            return
        self.sig_failed.emit(error)
        self._continue()

    def _continue(self) -> None:
        if self._again:
            self._again = False
            self.fetch()

    @property
    def busy(self) -> bool:
        """True while a fetch is in flight."""
        return self._in_flight

    def close(self) -> None:
        """Announce nothing more (the window is closing); a fetch in flight ends unheard."""
        self._closed = True
