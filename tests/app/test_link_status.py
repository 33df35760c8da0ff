"""The status bar follows the link even when nothing is queued (the window's poll informs the sync engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from pytestqt.qtbot import QtBot

from app.services.cache import SessionCache
from app.services.connection import ApiClient, Sequencer, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.session_window import SessionWindow
from app.ui.supervisor_window import SupervisorWindow
from bideval.identity.pki import Role
from tests.netfault import FaultyLink
from tests.support import RunningServer

PIN = "246810"
WAIT = 15_000


def client_through(
    link: FaultyLink, server: RunningServer, person: str, role: Role, device: str
) -> ApiClient:
    cert_pem, key_pem = server.pki.person(person, role)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=server.pki.directory.ca_path.read_bytes(),
        private_key=key_pem,
        certificate_chain=cert_pem,
    )
    channel = grpc.secure_channel(
        link.address,
        credentials,
        options=[("grpc.initial_reconnect_backoff_ms", 50), ("grpc.max_reconnect_backoff_ms", 200)],
    )
    return ApiClient(channel, Sequencer(device, signer_from_pem(cert_pem, key_pem)), timeout=2.0)


@pytest.fixture
def link(server: RunningServer) -> Iterator[FaultyLink]:
    with FaultyLink(server.address) as faulty:
        yield faulty


@pytest.mark.parametrize(
    ("person", "role", "window_type"),
    [("E01", Role.EXPERT, SessionWindow), ("S01", Role.SUPERVISOR, SupervisorWindow)],
)
def test_an_idle_window_shows_connected_offline_and_connected_again(
    qtbot: QtBot,
    server: RunningServer,
    link: FaultyLink,
    tmp_path: Path,
    person: str,
    role: Role,
    window_type: type[SessionWindow] | type[SupervisorWindow],
) -> None:
    device = f"{person}-pc"
    cache = SessionCache.create(tmp_path, server.session_id, person, device, PIN)
    client = client_through(link, server, person, role, device)
    engine = SyncEngine(cache, client, server.session_id, idle_poll=0.2)
    engine.start()
    window = window_type(client, engine, server.session_id, refresh_interval_ms=200)
    qtbot.addWidget(window)
    labels = (
        window.connection_label if isinstance(window, SessionWindow) else window.sync_labels.connection_label
    )
    try:
        # Nothing is ever queued here: only the poll can tell the engine about the link.
        qtbot.waitUntil(lambda: labels.text() == "已连接", timeout=WAIT)
        link.cut()
        qtbot.waitUntil(lambda: labels.text().startswith("离线自"), timeout=WAIT)
        assert not engine.status().connected
        link.restore()
        qtbot.waitUntil(lambda: labels.text() == "已连接", timeout=WAIT)
        assert engine.status().unsynced == 0
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
        engine.stop(timeout=10)
        cache.close()
        client.close()
