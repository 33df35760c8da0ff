"""run_in_background: results and errors come back on the GUI thread, and slow calls do not starve others."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from app.operations import BACKGROUND_THREADS, run_in_background


def test_the_result_and_the_error_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = QThread.currentThread()
    seen: list[tuple[str, object, bool]] = []

    def fail() -> None:
        raise ValueError("refused")

    run_in_background(
        lambda: 42, lambda result: seen.append(("ok", result, QThread.currentThread() is gui)), print
    )
    run_in_background(
        fail, print, lambda error: seen.append(("error", str(error), QThread.currentThread() is gui))
    )
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    assert sorted(seen) == [("error", "refused", True), ("ok", 42, True)]


def test_calls_stuck_on_the_network_do_not_hold_up_the_next_one(qtbot: QtBot) -> None:
    # Qt's global pool has one thread per core: four calls waiting on a cut link would block a two-core PC.
    release = threading.Event()
    stuck = 4
    assert stuck < BACKGROUND_THREADS
    finished: list[str] = []
    try:
        for _ in range(stuck):
            run_in_background(lambda: release.wait(30), lambda _r: finished.append("stuck"), print)
        run_in_background(lambda: "poll", finished.append, print)
        qtbot.waitUntil(lambda: "poll" in finished, timeout=5_000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: finished.count("stuck") == stuck, timeout=5_000)


def test_an_answer_for_a_deleted_widget_is_dropped(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLabel

    release = threading.Event()
    label = QLabel()
    run_in_background(lambda: release.wait(10) and "late", label.setText, print)
    label.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(label), timeout=5_000)
    release.set()
    # Delivered into a deleted QLabel this would raise "Internal C++ object already deleted" in the loop.
    qtbot.wait(200)
