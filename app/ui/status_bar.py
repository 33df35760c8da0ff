"""The sync part of a window's status bar: connected / reconnecting / offline since, unsynced, last sync.

Shared by the expert's and the supervisor's windows so that both say the same thing in the same words.
The :class:`~app.services.sync.SyncEngine` calls its listeners on worker threads; :class:`SyncRelay`
carries each status to the GUI thread through a queued signal, and :class:`SyncStatusLabels` shows it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from app.operations import run_in_background
from app.services.sync import SyncEngine, SyncStatus

_CONTEXT = "SyncStatusLabels"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def connection_text(status: SyncStatus) -> str:
    """The connection label's text: connected, offline since HH:MM (local time), or reconnecting."""
    if status.connected:
        return _tr("已连接")
    if status.offline_since is not None:
        since = status.offline_since.astimezone().strftime("%H:%M")
        return _tr("离线自 %1").replace("%1", since)
    return _tr("正在重新连接…")


def unsynced_text(status: SyncStatus) -> str:
    return _tr("未同步变更: %1").replace("%1", str(status.unsynced))


def last_sync_text(status: SyncStatus) -> str:
    last = status.last_sync_at.astimezone().strftime("%H:%M:%S") if status.last_sync_at else "—"
    return _tr("上次同步: %1").replace("%1", last)


class SyncRelay(QObject):
    sig_status = Signal(object)
    """Emitted (from any thread) with a SyncStatus; connected queued to the GUI thread."""


class SyncStatusLabels(QObject):
    """Three permanent labels in ``status_bar`` that follow ``engine`` until :meth:`detach`."""

    sig_status = Signal(object)
    """Emitted on the GUI thread with each SyncStatus after the labels show it."""

    def __init__(self, engine: SyncEngine, status_bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.status: SyncStatus | None = None
        self._detached = False
        self.connection_label = QLabel(_tr("正在连接…"))
        self.unsynced_label = QLabel()
        self.last_sync_label = QLabel()
        for label in (self.connection_label, self.unsynced_label, self.last_sync_label):
            status_bar.addPermanentWidget(label)
        self._relay = SyncRelay(self)
        self._relay.sig_status.connect(self.show_status, Qt.ConnectionType.QueuedConnection)
        self._listener: Callable[[SyncStatus], None] = self._relay.sig_status.emit
        engine.add_listener(self._listener)
        # The first status reads the cache (unsynced count, last sync): off the GUI thread.
        run_in_background(engine.status, self.show_status, lambda _error: None)

    def show_status(self, status: SyncStatus) -> None:
        if self._detached:
            return
        self.status = status
        self.connection_label.setText(connection_text(status))
        self.connection_label.setToolTip(status.last_error)
        self.unsynced_label.setText(unsynced_text(status))
        self.last_sync_label.setText(last_sync_text(status))
        self.sig_status.emit(status)

    def detach(self) -> None:
        """Stop following the engine (the engine belongs to the caller and keeps running)."""
        if self._detached:
            return
        self._detached = True
        self.engine.remove_listener(self._listener)
