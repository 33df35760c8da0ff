"""The end of a session on this PC: its cache (scores, documents, the signing chain) is destroyed.

Both windows hand every ``SessionView`` to :class:`CacheRetirement`; once the session is closed or has
failed (流标) it asks the sync engine to wipe the cache, key first, in the background. The engine refuses
while a change is still unanswered (the cache is the only copy of it) and the next view asks again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.errors import describe
from app.operations import run_in_background
from app.services.sync import SyncEngine
from bideval.v1 import common_pb2, session_pb2

SESSION_OVER = frozenset({common_pb2.PHASE_CLOSED, common_pb2.PHASE_FAILED_TENDER})


class CacheRetirement(QObject):
    sig_message = Signal(str)
    """What became of the cache, for the window's message line (on the GUI thread)."""

    def __init__(
        self,
        engine: SyncEngine,
        before_wipe: Callable[[], None] = lambda: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._before_wipe = before_wipe  # e.g. stop the document downloads that write into the cache
        self.retired: bool | None = None  # None: not asked (or asked again later); False: in flight
        self._closed = False

    def show_view(self, view: session_pb2.SessionView) -> None:
        if view.phase in SESSION_OVER and self.retired is None and not self._closed:
            self.retired = False
            self._before_wipe()
            run_in_background(self._engine.retire, self._done, self._failed)

    def close(self) -> None:
        """The window closes: start nothing more, announce nothing more (a wipe in flight completes)."""
        self._closed = True

    def _done(self, wiped: bool) -> None:
        if self._closed:
            self.retired = wiped or None
            return
        if wiped:
            self.retired = True
            self.sig_message.emit(self.tr("评标已结束，本机加密缓存及其密钥已销毁。"))
        else:
            self.retired = None
            self.sig_message.emit(self.tr("评标已结束；本机仍有未同步的变更，同步完成后销毁本机缓存。"))

    def _failed(self, error: BaseException) -> None:
        self.retired = None
        if not self._closed:
            self.sig_message.emit(describe(error))

    @property
    def busy(self) -> bool:
        return self.retired is False
