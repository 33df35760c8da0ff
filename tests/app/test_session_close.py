"""When the session is over the expert's cache is destroyed (key first), never with unanswered changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.services.cache import SessionCache, cache_paths
from app.services.committee import CommitteeDriver
from app.services.connection import Sequencer, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.session_window import SessionWindow
from app.ui.supervisor_window import SupervisorWindow
from bideval.identity.pki import Role
from bideval.v1 import common_pb2
from tests.support import RunningServer

PIN = "246810"
EXPERT = "E01"
DEVICE = "E01-desktop"
COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
WAIT = 20_000


@dataclass
class Closing:
    window: SessionWindow
    engine: SyncEngine
    cache: SessionCache
    directory: Path
    driver: CommitteeDriver
    session_id: str


@pytest.fixture
def closing(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> Iterator[Closing]:
    directory = tmp_path / "cache"
    cache = SessionCache.create(directory, server.session_id, EXPERT, DEVICE, PIN)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    own = server.client(EXPERT, device="desktop")
    own.sequencer = Sequencer(DEVICE, signer_from_pem(cert_pem, key_pem), *cache.device_state())
    engine = SyncEngine(cache, own, server.session_id, idle_poll=0.2)
    engine.start()
    # The committee (E01 included, on another device) walks the session; the window only watches.
    experts = {person: server.client(person, device="walk") for person in COMMITTEE}
    driver = CommitteeDriver(server.session_id, experts, server.client("S01", Role.SUPERVISOR))
    window = SessionWindow(own, engine, server.session_id, refresh_interval_ms=200)
    qtbot.addWidget(window)
    try:
        yield Closing(window, engine, cache, directory, driver, server.session_id)
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
        engine.stop(timeout=10)
        cache.close()


def test_the_cache_is_wiped_when_the_session_closes(qtbot: QtBot, closing: Closing) -> None:
    paths = cache_paths(closing.directory, closing.session_id)
    assert paths.key.exists()
    assert paths.database.exists()
    closing.driver.run_to_ranking("E02")
    closing.driver.sign()
    window = closing.window
    qtbot.waitUntil(
        lambda: window.view is not None and window.view.phase == common_pb2.PHASE_CLOSED, timeout=WAIT
    )
    qtbot.waitUntil(lambda: not paths.key.exists() and not paths.database.exists(), timeout=WAIT)
    assert not any(path.exists() for path in paths.wal_files())
    qtbot.waitUntil(lambda: "本机加密缓存及其密钥已销毁" in window.message_label.text(), timeout=WAIT)
    assert not closing.engine.running


def test_unanswered_changes_keep_the_cache_until_they_are_synced(qtbot: QtBot, closing: Closing) -> None:
    closing.window.close()  # the window would retire the cache itself: done by hand below
    qtbot.waitUntil(lambda: not closing.window.busy, timeout=WAIT)
    closing.driver.run_to_ranking("E02")
    closing.driver.sign()
    closing.engine.stop(timeout=10)
    # A late change (refused by the server, but it must be answered before the cache may go).
    closing.engine.record("ExplainDeviation", bidder_id="B01", criterion_id="T1", text="迟到的说明")
    assert closing.cache.unsynced_count() == 1
    paths = cache_paths(closing.directory, closing.session_id)
    closing.engine.start()
    # Either the engine answered the change first (wiped) or retire found it pending (kept, restarted).
    while not closing.engine.retire():
        assert paths.key.exists()
        assert closing.engine.running
    assert not paths.key.exists()


def test_the_supervisors_cache_is_wiped_too(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> None:
    directory = tmp_path / "supervisor"
    cache = SessionCache.create(directory, server.session_id, "S01", "S01-desktop", PIN)
    cert_pem, key_pem = server.pki.person("S01", Role.SUPERVISOR)
    own = server.client("S01", Role.SUPERVISOR, device="desktop")
    own.sequencer = Sequencer("S01-desktop", signer_from_pem(cert_pem, key_pem), *cache.device_state())
    engine = SyncEngine(cache, own, server.session_id, idle_poll=0.2)
    engine.start()
    experts = {person: server.client(person, device="walk") for person in COMMITTEE}
    driver = CommitteeDriver(server.session_id, experts, server.client("S01", Role.SUPERVISOR, device="walk"))
    window = SupervisorWindow(own, engine, server.session_id, refresh_interval_ms=200)
    qtbot.addWidget(window)
    paths = cache_paths(directory, server.session_id)
    try:
        driver.run_to_ranking("E02")
        driver.sign()
        qtbot.waitUntil(lambda: not paths.key.exists() and not paths.database.exists(), timeout=WAIT)
        qtbot.waitUntil(lambda: "本机加密缓存及其密钥已销毁" in window.message_label.text(), timeout=WAIT)
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
        engine.stop(timeout=10)
        cache.close()
