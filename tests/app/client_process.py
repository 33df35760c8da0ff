"""A real desktop-client process for the fault tests, driven line by line over stdin/stdout.

``python -m tests.app.client_process login --server ADDR --credential FILE`` fills the LoginWindow
programmatically (PIN from ``BIDEVAL_TEST_PIN``), logs in and opens the session window exactly as
``app.main`` does. ``resume --session ID`` reopens the existing cache of BIDEVAL_CLIENT_DATA with
``open_session`` without asking the server first (the link may be cut), then shows the session window.

Output: one JSON object per line (``{"event": ...}``): ``window`` once the session window exists,
``detailed`` once its score grid is built (with the editable score cells), ``labels`` whenever the status
bar text changes, ``edited`` / ``cells`` / ``error`` in answer to commands.
Commands (stdin, one per line): ``edit <json [[bidder, criterion, value], ...]>``, ``cells <json
[[bidder, criterion], ...]>``, ``quit``.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from app.models.score_grid import ScoreGridModel
from app.operations import background_pool
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel
from app.services.session_start import OpenedSession, open_session
from app.ui.login import LoginResult, LoginWindow
from app.ui.session_window import SessionWindow, open_session_window
from bideval.audit.signing import SoftwareSigner
from bideval.domain.method import ItemKind
from bideval.identity.credential import unlock_credential
from bideval.identity.pki import cert_from_pem

PIN_ENV = "BIDEVAL_TEST_PIN"


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def score_cells(model: ScoreGridModel) -> list[list[str]]:
    """[bidder, criterion, min, max, step] of every SCORE cell, for the test to choose values."""
    cells = []
    for column in range(model.total_column):
        criterion = model.criterion(column)
        if criterion is None or criterion.kind is not ItemKind.SCORE:
            continue
        for row in range(model.rowCount()):
            cells.append(
                [
                    model.bidder_id(row),
                    criterion.id,
                    str(criterion.min_points),
                    str(criterion.max_points),
                    str(criterion.step),
                ]
            )
    return cells


class Driver(QObject):
    sig_command = Signal(str)
    """Emitted by the stdin thread with each command line; handled on the GUI thread (queued)."""

    def __init__(self) -> None:
        super().__init__()
        self.window: SessionWindow | None = None
        self.opened: OpenedSession | None = None
        self.login: LoginWindow | None = None
        self._labels: tuple[str, str, str] = ("", "", "")
        self._announced_detailed = False
        self.sig_command.connect(self.handle)
        self.poll = QTimer(self)
        self.poll.setInterval(50)
        self.poll.timeout.connect(self._watch)
        self.poll.start()

    def set_window(self, window: SessionWindow) -> None:
        self.window = window
        emit("window")

    def _watch(self) -> None:
        window = self.window
        if window is None:
            return
        labels = (window.connection_label.text(), window.unsynced_label.text(), window.message_label.text())
        if labels != self._labels:
            self._labels = labels
            view = window.view
            emit(
                "labels",
                connection=labels[0],
                unsynced=labels[1],
                message=labels[2],
                phase=None if view is None else int(view.phase),
                pool=background_pool().activeThreadCount(),
            )
        model = window.detailed_page.model
        # Announced once the grid is editable: it stays read-only until the saved sheet is restored.
        if model is not None and not model.read_only and not self._announced_detailed:
            self._announced_detailed = True
            emit("detailed", cells=score_cells(model))

    def handle(self, line: str) -> None:
        command, _, argument = line.strip().partition(" ")
        try:
            if command == "quit":
                QApplication.quit()
            elif command == "edit":
                self._edit(json.loads(argument))
            elif command == "cells":
                self._cells(json.loads(argument))
            else:
                emit("error", message=f"unknown command {command!r}")
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            emit("error", message=f"{type(error).__name__}: {error}")

    def _model(self) -> ScoreGridModel:
        assert self.window is not None
        assert self.window.detailed_page.model is not None
        return self.window.detailed_page.model

    def _position(self, bidder_id: str, criterion_id: str) -> tuple[int, int]:
        model = self._model()
        row = next(r for r in range(model.rowCount()) if model.bidder_id(r) == bidder_id)
        column = next(
            c for c in range(model.total_column) if (k := model.criterion(c)) and k.id == criterion_id
        )
        return row, column

    def _edit(self, cells: list[list[str]]) -> None:
        model = self._model()
        accepted = []
        for bidder_id, criterion_id, value in cells:
            row, column = self._position(bidder_id, criterion_id)
            accepted.append(bool(model.setData(model.index(row, column), value)))
        assert self.window is not None
        # setData recorded each change synchronously (SyncEngine.record): the cache holds them all now.
        emit("edited", accepted=accepted, unsynced=self.window.engine.cache.unsynced_count())

    def _cells(self, cells: list[list[str]]) -> None:
        model = self._model()
        shown = []
        for bidder_id, criterion_id in cells:
            entry = model.entry(bidder_id, criterion_id)
            points = getattr(entry, "points", None)
            shown.append(
                [
                    bidder_id,
                    criterion_id,
                    None if points is None else str(points),
                    str(model.cell_state(bidder_id, criterion_id)),
                ]
            )
        emit("cells", cells=shown)


def read_stdin(driver: Driver) -> None:
    for line in sys.stdin:
        driver.sig_command.emit(line)
    driver.sig_command.emit("quit")


def resume(session_id: str, address: str, credential: Path, pin: str) -> OpenedSession:
    """What log_in does after the server answered, without asking it (the link may be down)."""
    unlocked = unlock_credential(credential, pin)
    channel = open_channel(Endpoint(address, unlocked.ca_pem, unlocked.cert_pem, unlocked.key_pem))
    signer = SoftwareSigner(cert_from_pem(unlocked.cert_pem), unlocked.private_key)
    client = ApiClient(channel, Sequencer(f"{unlocked.identity.person_id}-desktop", signer))
    return open_session(client, unlocked, pin, session_id)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("login", "resume"))
    parser.add_argument("--server", required=True)
    parser.add_argument("--credential", required=True)
    parser.add_argument("--session", default="")
    args = parser.parse_args()
    pin = os.environ[PIN_ENV]
    # SIGUSR1 writes every thread's stack to stderr: the test asks for it when the client stops answering.
    faulthandler.register(signal.SIGUSR1, all_threads=True)

    application = QApplication(sys.argv[:1])
    driver = Driver()
    if args.mode == "login":
        login = LoginWindow(args.server, args.credential)
        driver.login = login

        def logged_in(result: LoginResult) -> None:
            window = open_session_window(login, result)
            if not isinstance(window, SessionWindow):  # E01 is an expert: the expert's window
                emit("error", message=f"expected the expert's session window after login, got {window!r}")
                return
            driver.opened = result.opened
            driver.set_window(window)

        login.sig_logged_in.connect(logged_in)
        login.show()
        login.pin_edit.setText(pin)
        login.submit()
    else:
        opened = resume(args.session, args.server, Path(args.credential), pin)
        driver.opened = opened
        application.aboutToQuit.connect(opened.close)
        window = SessionWindow(opened.client, opened.engine, opened.session_id, refresh_interval_ms=300)
        window.show()
        driver.set_window(window)
    threading.Thread(target=read_stdin, args=(driver,), daemon=True).start()
    return application.exec()


if __name__ == "__main__":
    sys.exit(main())
