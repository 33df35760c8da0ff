"""The desktop client under faults: killed with unsynced changes, server killed, link cut 50 times,
wrong PIN / damaged cache / a server of another CA at login, and the GUI thread during a link cut.

Everything is real: the gRPC server over mTLS (in-process, or ``server.main`` as a subprocess), the
client's SQLCipher cache, the SyncEngine, and a TCP proxy (tests/netfault.py) whose link is cut. E01 uses
the client; E02-E05 and S01 (and E01's earlier steps, on another device id) are simulated by
CommitteeDriver through the public API.
"""

from __future__ import annotations

import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from app.models.score_grid import ScoreGridModel
from app.services.cache import SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.login import LoginWindow
from app.ui.session_window import SessionWindow
from bideval.domain.commands import ScoreEntry
from bideval.domain.method import ItemKind
from bideval.identity.credential import write_credential
from bideval.identity.pki import PkiDirectory, Role, cert_from_pem, key_from_pem
from bideval.v1 import common_pb2, diagnostics_service_pb2, evaluation_service_pb2
from server.datadir import DataDir
from server.packages.manifest import LoadedPackage
from server.rpc.auth import AuthorizationInterceptor
from server.storage.database import sqlite_url
from server.storage.store import Store
from tests.conftest import running_server
from tests.netfault import FaultyLink
from tests.server.test_durability import client_for, prepare_data_dir, start_server
from tests.support import PASSPHRASE, Pki, RunningServer

REPO = Path(__file__).resolve().parents[2]
PIN = "246810"
EXPERT = "E01"
OTHERS = ("E02", "E03", "E04", "E05")
WAIT = 30_000  # ms: the machine is shared, be patient
PROCESS_WAIT = 120.0  # s: a client process logs in (two scrypt runs) and fetches the session


# -- helpers -------------------------------------------------------------------------------------------


def is_connected(text: str) -> bool:
    """The status bar's connection label says connected (with or without an English gloss)."""
    return text.startswith("已连接")


def unsynced(text: str) -> int:
    """The number in the status bar's "未同步变更: N" label (-1 when it shows none yet)."""
    match = re.fullmatch(r"未同步变更\s*[:：]\s*(\d+).*", text.strip())
    return -1 if match is None else int(match.group(1))


def drive_to_detailed_review(clients: dict[str, ApiClient], supervisor: ApiClient, session_id: str) -> None:
    """The whole committee, E01 included (on the driver's own device id), up to the detailed review."""
    driver = CommitteeDriver(session_id, clients, supervisor)
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E02")
    driver.start()
    driver.preliminary()
    assert driver.view().phase == common_pb2.PHASE_DETAILED_REVIEW


def drive_server(server: RunningServer) -> None:
    clients = {person: server.client(person, device="driver") for person in (EXPERT, *OTHERS)}
    drive_to_detailed_review(clients, server.client("S01", Role.SUPERVISOR), server.session_id)


def credential_file(pki: PkiDirectory, cert_pem: bytes, key_pem: bytes, path: Path) -> Path:
    write_credential(path, cert_from_pem(cert_pem), key_from_pem(key_pem, None), pki.ca_certificate(), PIN)
    return path


def score_values(model: ScoreGridModel) -> list[tuple[str, str, list[str]]]:
    """(bidder, criterion, allowed values) of every SCORE cell of the grid."""
    cells = []
    for column in range(model.total_column):
        criterion = model.criterion(column)
        if criterion is None or criterion.kind is not ItemKind.SCORE:
            continue
        steps = int((criterion.max_points - criterion.min_points) / criterion.step)
        values = [str(criterion.min_points + criterion.step * i) for i in range(steps + 1)]
        for row in range(model.rowCount()):
            cells.append((model.bidder_id(row), criterion.id, values))
    return cells


def server_scores(client: ApiClient, session_id: str, expert: str = EXPERT) -> dict[tuple[str, str], str]:
    sheets = client.evaluation.GetSheets(
        evaluation_service_pb2.GetSheetsRequest(session_id=session_id), timeout=30
    )
    own = next((s for s in sheets.sheets if s.expert_id == expert), None)
    return {} if own is None else {(e.bidder_id, e.criterion_id): e.points for e in own.scores}


def score_events(store: Store, session_id: str, actor: str = EXPERT) -> Counter[tuple[str, str, str]]:
    """How often the server stored each (bidder, criterion, points) of ``actor``'s score changes."""
    counted: Counter[tuple[str, str, str]] = Counter()
    for _sequence, kind, actor_id, _at, payload in store.event_rows(session_id):
        data = json.loads(payload)
        if actor_id != actor or "ScoreRecorded" not in (kind, data.get("type")):
            continue
        value = data["value"]
        counted[(data["bidder_id"], data["criterion_id"], str(value.get("points")))] += 1
    return counted


def model_scores(model: ScoreGridModel) -> dict[tuple[str, str], str]:
    return {key: str(entry.points) for key, entry in model.entries().items() if isinstance(entry, ScoreEntry)}


# -- a client process ----------------------------------------------------------------------------------


@dataclass
class ClientProcess:
    """``tests/app/client_process.py`` as a subprocess: JSON events out, commands in."""

    process: subprocess.Popen[str]
    log: IO[str]
    events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, args: list[str], data_dir: Path, log_path: Path) -> ClientProcess:
        env = dict(
            os.environ, BIDEVAL_CLIENT_DATA=str(data_dir), BIDEVAL_TEST_PIN=PIN, QT_QPA_PLATFORM="offscreen"
        )
        log = log_path.open("a")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.app.client_process", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        return cls(process, log)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(
        self, event: str, timeout: float = PROCESS_WAIT, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """The next event named ``event`` for which ``where`` holds (earlier ones are skipped)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if not readable:
                if self.process.poll() is not None:
                    break
                continue
            line = self.process.stdout.readline()
            if not line:
                break
            message: dict[str, Any] = json.loads(line)
            self.events.append(message)
            if message["event"] == "error":
                raise AssertionError(f"client process: {message['message']}")
            if message["event"] == event and (where is None or where(message)):
                return message
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)  # its stacks go to the log, to show where it hangs
            time.sleep(1)
        raise AssertionError(
            f"no such {event} from the client process; got {self.events[-5:]}; see {self.log.name}"
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # SIGKILL: no aboutToQuit, no cache close, no WAL checkpoint
        self.process.wait(timeout=30)
        self.close()

    def quit(self) -> None:
        if self.process.poll() is None:
            self.send("quit")
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.close()

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.log.close()


# -- a. the client killed with unsynced changes --------------------------------------------------------


@pytest.mark.slow
def test_client_killed_with_unsynced_scores_resends_them_exactly_once(
    server: RunningServer, tmp_path: Path, sqlite_store: Store
) -> None:
    drive_server(server)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    credential = credential_file(server.pki.directory, cert_pem, key_pem, tmp_path / "E01.bidcred")
    data_dir = tmp_path / "client-process-data"
    log_path = tmp_path / "client.log"
    reader = server.client(EXPERT, device="reader")
    with FaultyLink(server.address) as link:
        first = ClientProcess.start(
            ["login", "--server", link.address, "--credential", str(credential)], data_dir, log_path
        )
        try:
            detailed = first.wait_for("detailed")
            link.cut()
            rng = random.Random(11)
            chosen = rng.sample(detailed["cells"], 6)
            edits = []
            for bidder, criterion, low, high, step in chosen:
                steps = int((Decimal(high) - Decimal(low)) / Decimal(step))
                edits.append([bidder, criterion, str(Decimal(low) + Decimal(step) * rng.randint(1, steps))])
            first.send("edit " + json.dumps(edits))
            edited = first.wait_for("edited")
            assert edited["accepted"] == [True] * len(edits)
            assert edited["unsynced"] == len(edits)
        finally:
            first.kill()
        assert server_scores(reader, server.session_id) == {}  # nothing got through the cut link

        second = ClientProcess.start(
            [
                "resume",
                "--server",
                link.address,
                "--credential",
                str(credential),
                "--session",
                server.session_id,
            ],
            data_dir,
            log_path,
        )
        try:
            second.wait_for("window")
            # Still cut: the restarted client shows the six changes as unsynced, from its cache.
            second.wait_for("labels", where=lambda m: unsynced(m["unsynced"]) == len(edits))
            assert link.down
            link.restore()
            synced = second.wait_for("labels", where=lambda m: unsynced(m["unsynced"]) == 0)
            assert is_connected(synced["connection"])
            # The restarted window shows the cells typed before the kill, synced now.
            if not any(message["event"] == "detailed" for message in second.events):
                second.wait_for("detailed")
            second.send("cells " + json.dumps([[b, c] for b, c, _v in edits]))
            shown = second.wait_for("cells")["cells"]
            assert [(b, c, v) for b, c, v, _state in shown] == [tuple(e) for e in edits]
            assert {state for *_cell, state in shown} <= {"synced", "unsynced"}, shown
            expected = {(bidder, criterion): value for bidder, criterion, value in edits}
            assert server_scores(reader, server.session_id) == expected
            stored = score_events(sqlite_store, server.session_id)
            assert sorted(stored) == sorted((b, c, v) for (b, c), v in expected.items())
            assert set(stored.values()) == {1}  # each change reached the server exactly once
        finally:
            second.quit()


@pytest.mark.slow
def test_restarted_client_shows_the_unsynced_cells(server: RunningServer, tmp_path: Path) -> None:
    drive_server(server)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    credential = credential_file(server.pki.directory, cert_pem, key_pem, tmp_path / "E01.bidcred")
    data_dir, log_path = tmp_path / "client-process-data", tmp_path / "client.log"
    with FaultyLink(server.address) as link:
        first = ClientProcess.start(
            ["login", "--server", link.address, "--credential", str(credential)], data_dir, log_path
        )
        try:
            bidder, criterion, low, _high, step = first.wait_for("detailed")["cells"][0]
            value = str(Decimal(low) + Decimal(step))
            link.cut_for(8.0)  # restored while the second process runs: it needs the view to build the grid
            first.send("edit " + json.dumps([[bidder, criterion, value]]))
            first.wait_for("edited")
        finally:
            first.kill()
        second = ClientProcess.start(
            [
                "resume",
                "--server",
                link.address,
                "--credential",
                str(credential),
                "--session",
                server.session_id,
            ],
            data_dir,
            log_path,
        )
        try:
            second.wait_for("detailed")
            second.send("cells " + json.dumps([[bidder, criterion]]))
            shown = second.wait_for("cells")["cells"]
            # The value typed before the kill, restored from the cache (synced by now, or about to be).
            assert shown[0][2] == value
            assert shown[0][3] in ("unsynced", "synced"), shown
        finally:
            second.quit()


# -- the session window behind a faulty link (in-process) ----------------------------------------------


@dataclass
class Scoring:
    window: SessionWindow
    engine: SyncEngine
    model: ScoreGridModel
    link: FaultyLink
    reader: ApiClient
    session_id: str


@pytest.fixture
def scoring(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> Iterator[Scoring]:
    """E01's session window in the detailed review, its own client going through a FaultyLink."""
    drive_server(server)
    cache = SessionCache.create(tmp_path / "cache", server.session_id, EXPERT, "E01-window", PIN)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    link = FaultyLink(server.address)
    endpoint = Endpoint(link.address, server.pki.directory.ca_path.read_bytes(), cert_pem, key_pem)
    sequencer = Sequencer(cache.device_id, signer_from_pem(cert_pem, key_pem), *cache.device_state())
    own = ApiClient(open_channel(endpoint), sequencer)
    engine = SyncEngine(cache, own, server.session_id, idle_poll=0.5)
    engine.start()
    window = SessionWindow(own, engine, server.session_id, refresh_interval_ms=300)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.detailed_page.model is not None, timeout=WAIT)
        model = window.detailed_page.model
        assert model is not None
        yield Scoring(window, engine, model, link, server.client(EXPERT, device="reader"), server.session_id)
    finally:
        link.restore()
        window.close()
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
        engine.stop(timeout=15)
        cache.close()
        own.close()
        link.close()


class Editor:
    """The user: changes a score cell every ``interval_ms`` on the GUI thread, as typing would."""

    def __init__(self, model: ScoreGridModel, seed: int, interval_ms: int = 25) -> None:
        self.model = model
        self.cells = score_values(model)
        self.rng = random.Random(seed)
        self.recorded = 0
        self.timer = QTimer(model)  # dies with the model, even when a test fails before stopping it
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.edit)

    def edit(self) -> None:
        bidder, criterion, values = self.rng.choice(self.cells)
        current = self.model.entry(bidder, criterion)
        choices = [v for v in values if not isinstance(current, ScoreEntry) or Decimal(v) != current.points]
        row = next(r for r in range(self.model.rowCount()) if self.model.bidder_id(r) == bidder)
        column = next(
            c for c in range(self.model.total_column) if (k := self.model.criterion(c)) and k.id == criterion
        )
        assert self.model.setData(self.model.index(row, column), self.rng.choice(choices))
        self.recorded += 1


class StallProbe:
    """A 5 ms QTimer: the longest gap between two of its ticks is the longest the event loop stalled."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.longest_ms = 0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.longest_ms = max(self.longest_ms, self.clock.restart())

    def stop(self) -> None:
        self.timer.stop()


def settle(qtbot: QtBot, setup: Scoring, sqlite_store: Store, recorded: int) -> None:
    """Everything synced; the server's sheet equals the grid; each change stored once."""
    qtbot.waitUntil(lambda: unsynced(setup.window.unsynced_label.text()) == 0, timeout=60_000)
    qtbot.waitUntil(lambda: is_connected(setup.window.connection_label.text()), timeout=WAIT)
    assert setup.engine.status().unsynced == 0
    assert server_scores(setup.reader, setup.session_id) == model_scores(setup.model)
    stored = score_events(sqlite_store, setup.session_id)
    assert sum(stored.values()) == recorded  # every change once: none lost, none doubled
    for sequence in range(1, recorded + 1):
        item = setup.engine.cache.outbox_item(sequence)
        assert item is not None
        assert item.status.name == "ACKNOWLEDGED", (sequence, item)


# -- c. the link cut 50 times mid-scoring --------------------------------------------------------------


@pytest.mark.slow
def test_link_cut_fifty_times_mid_scoring(qtbot: QtBot, scoring: Scoring, sqlite_store: Store) -> None:
    rng = random.Random(50)
    # 47 short cuts of 20-600 ms and three long ones of 3-4 s, at random points, 30-400 ms apart.
    lengths = [rng.uniform(0.02, 0.6) for _ in range(47)] + [rng.uniform(3.0, 4.0) for _ in range(3)]
    rng.shuffle(lengths)
    done = threading.Event()

    def cutter() -> None:
        for length in lengths:
            time.sleep(rng.uniform(0.03, 0.4))
            scoring.link.cut()
            time.sleep(length)
            scoring.link.restore()
        done.set()

    editor = Editor(scoring.model, seed=5, interval_ms=40)
    editor.timer.start()
    thread = threading.Thread(target=cutter, daemon=True)
    thread.start()
    qtbot.waitUntil(done.is_set, timeout=120_000)
    editor.timer.stop()
    thread.join(5)
    assert scoring.link.cuts == 50
    assert editor.recorded > 100
    settle(qtbot, scoring, sqlite_store, editor.recorded)


# -- e. the GUI thread during a link cut ---------------------------------------------------------------


def test_gui_never_stalls_during_a_link_cut(qtbot: QtBot, scoring: Scoring, sqlite_store: Store) -> None:
    probe = StallProbe()
    editor = Editor(scoring.model, seed=9, interval_ms=20)
    probe.start()
    editor.timer.start()
    qtbot.wait(1000)
    scoring.link.cut()
    qtbot.waitUntil(lambda: not is_connected(scoring.window.connection_label.text()), timeout=WAIT)
    qtbot.wait(3000)
    scoring.link.restore()
    qtbot.waitUntil(lambda: is_connected(scoring.window.connection_label.text()), timeout=WAIT)
    qtbot.wait(1000)
    editor.timer.stop()
    probe.stop()
    print(f"\nlongest GUI stall during the link cut: {probe.longest_ms} ms ({editor.recorded} edits)")
    # A catch for blocking network or disk calls on the GUI thread, not a performance target.
    assert probe.longest_ms < 1000
    settle(qtbot, scoring, sqlite_store, editor.recorded)


# -- d. wrong PIN, damaged cache, a server of another CA -----------------------------------------------


def cache_bytes(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()}


def log_in(qtbot: QtBot, address: str, credential: Path, pin: str) -> LoginWindow:
    """Fill the login window as the user would and submit; returns once it answered (either way)."""
    window = LoginWindow(address, str(credential))
    qtbot.addWidget(window)
    window.pin_edit.setText(pin)
    window.login_button.click()
    assert not window.login_button.isEnabled()  # working in the background
    qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT)
    return window


@pytest.fixture
def e01_credential(server: RunningServer, tmp_path: Path) -> Path:
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    return credential_file(server.pki.directory, cert_pem, key_pem, tmp_path / "E01.bidcred")


def first_login(qtbot: QtBot, server: RunningServer, credential: Path, client_data_dir: Path) -> Path:
    """Log in once so that the session's cache exists; returns the cache folder (cache closed)."""
    window = LoginWindow(server.address, str(credential))
    qtbot.addWidget(window)
    window.pin_edit.setText(PIN)
    with qtbot.waitSignal(window.sig_logged_in, timeout=WAIT) as logged_in:
        window.submit()
    result = logged_in.args[0]
    assert result.opened is not None
    folder: Path = result.opened.cache.paths.database.parent
    result.opened.close()
    assert folder.is_relative_to(client_data_dir)
    assert SessionCache.exists(folder, server.session_id)
    return folder


def test_wrong_pin_says_so_and_leaves_the_cache_untouched(
    qtbot: QtBot, server: RunningServer, e01_credential: Path, client_data_dir: Path
) -> None:
    folder = first_login(qtbot, server, e01_credential, client_data_dir)
    before = cache_bytes(folder)
    window = log_in(qtbot, server.address, e01_credential, "135790")
    assert window.status_label.text().startswith("PIN 码错误")
    assert window.sessions_list.count() == 0
    assert cache_bytes(folder) == before


def test_damaged_cache_is_named_and_not_overwritten(
    qtbot: QtBot, server: RunningServer, e01_credential: Path, client_data_dir: Path
) -> None:
    folder = first_login(qtbot, server, e01_credential, client_data_dir)
    database = next(folder.glob(f"{server.session_id}*.db"))
    damaged = bytearray(database.read_bytes())
    middle = len(damaged) // 2
    damaged[middle : middle + 16] = bytes(b ^ 0xFF for b in damaged[middle : middle + 16])
    database.write_bytes(bytes(damaged))
    before = cache_bytes(folder)
    window = log_in(qtbot, server.address, e01_credential, PIN)
    text = window.status_label.text()
    assert "本地缓存数据库已损坏" in text, text
    assert str(database) in text  # the user (or the help desk) is told which file
    assert cache_bytes(folder) == before  # nothing repaired, rewritten or deleted


def test_a_server_of_another_ca_gets_nothing(
    qtbot: QtBot,
    server: RunningServer,
    e01_credential: Path,
    demo_package: LoadedPackage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every RPC passes the server's authorization interceptor before its handler: count them.
    reached: list[str] = []
    original = AuthorizationInterceptor.intercept_service

    def counting(self: AuthorizationInterceptor, continuation: Any, details: Any) -> Any:
        reached.append(details.method)
        return original(self, continuation, details)

    monkeypatch.setattr(AuthorizationInterceptor, "intercept_service", counting)
    other_directory = PkiDirectory(tmp_path / "other-pki")
    other_directory.init("another platform CA", ["localhost", "127.0.0.1"], PASSPHRASE, 30)
    other_store = Store.open(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path / "other-blobs")
    try:
        with running_server(other_store, Pki(other_directory), demo_package) as other:
            leaves = len(other_store.audit_leaves())
            events = len(other_store.event_rows(other.session_id))
            window = log_in(qtbot, other.address, e01_credential, PIN)
            text = window.status_label.text()
            assert text.startswith("无法连接评标服务器"), text
            assert window.sessions_list.count() == 0
            assert reached == []  # the TLS handshake failed: no request reached any handler
            assert len(other_store.audit_leaves()) == leaves
            assert len(other_store.event_rows(other.session_id)) == events
            assert not list((tmp_path / "client-data").rglob("*.db"))  # no cache was created either
            # The counter does count: a client of that server's own CA gets through.
            other.client("E01").diagnostics.GetServerInfo(
                diagnostics_service_pb2.GetServerInfoRequest(), timeout=30
            )
            assert reached
    finally:
        other_store.close()


# -- b. the server killed and restarted ----------------------------------------------------------------


@pytest.mark.slow
def test_server_killed_and_restarted_while_scoring(
    qtbot: QtBot, tmp_path: Path, demo_package: LoadedPackage
) -> None:
    root = tmp_path / "server-data"
    credentials = prepare_data_dir(root, demo_package)
    ca_pem = DataDir(root).pki.ca_path.read_bytes()
    log = (tmp_path / "server.log").open("a")
    running = start_server(root, log)
    link = FaultyLink(running.address)  # a fixed address for the client across the restart
    session_id = demo_package.setups[0].session_id
    opened: list[ApiClient] = []

    def client(person: str, device: str, address: str) -> ApiClient:
        made = client_for(
            address,
            ca_pem,
            credentials[person],
            Sequencer(f"{person}-{device}", signer_from_pem(*credentials[person])),
        )
        opened.append(made)
        return made

    cache = SessionCache.create(tmp_path / "cache", session_id, EXPERT, "E01-window", PIN)
    engine: SyncEngine | None = None
    window: SessionWindow | None = None
    try:
        drivers = {person: client(person, "driver", running.address) for person in (EXPERT, *OTHERS)}
        drive_to_detailed_review(drivers, client("S01", "driver", running.address), session_id)
        own = client(EXPERT, "window", link.address)
        own.sequencer = Sequencer(
            cache.device_id, signer_from_pem(*credentials[EXPERT]), *cache.device_state()
        )
        engine = SyncEngine(cache, own, session_id, idle_poll=0.5)
        engine.start()
        window = SessionWindow(own, engine, session_id, refresh_interval_ms=300)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window is not None and window.detailed_page.model is not None, timeout=WAIT)
        model = window.detailed_page.model
        assert model is not None
        editor = Editor(model, seed=3, interval_ms=40)
        editor.timer.start()
        # The status bar says "connected" once the first change went through.
        qtbot.waitUntil(
            lambda: window is not None and is_connected(window.connection_label.text()),
            timeout=WAIT,
        )
        shown: list[str] = []
        watch = QTimer()
        watch.setInterval(20)
        watch.timeout.connect(
            lambda: (
                shown.append(window.connection_label.text())
                if window is not None and (not shown or shown[-1] != window.connection_label.text())
                else None
            )
        )
        watch.start()
        qtbot.wait(1500)
        running.stop(kill=True)  # SIGKILL mid-scoring
        qtbot.waitUntil(
            lambda: window is not None and not is_connected(window.connection_label.text()),
            timeout=WAIT,
        )
        qtbot.wait(1500)  # the user keeps scoring while the server is gone
        running = start_server(root, log)
        link.upstream = ("127.0.0.1", int(running.address.rsplit(":", 1)[1]))
        qtbot.waitUntil(
            lambda: window is not None and is_connected(window.connection_label.text()),
            timeout=60_000,
        )
        qtbot.wait(1000)
        editor.timer.stop()
        qtbot.waitUntil(
            lambda: window is not None and unsynced(window.unsynced_label.text()) == 0, timeout=60_000
        )
        watch.stop()
        offline = [text for text in shown if not is_connected(text)]
        assert offline, shown
        assert all(t.startswith(("正在重新连接", "离线自")) for t in offline), shown
        assert is_connected(shown[-1])
        reader = client(EXPERT, "reader", running.address)
        assert server_scores(reader, session_id) == model_scores(model)
        for sequence in range(1, editor.recorded + 1):
            item = cache.outbox_item(sequence)
            assert item is not None
            assert item.status.name == "ACKNOWLEDGED", (sequence, item)
    finally:
        if window is not None:
            window.close()
            qtbot.waitUntil(lambda: window is not None and not window.busy, timeout=WAIT)
        if engine is not None:
            engine.stop(timeout=15)
        for made in opened:
            made.close()
        running.stop(kill=False)
        link.close()
        log.close()
    # The server's own record, read from its database once it stopped: every change stored once.
    store = Store.open(sqlite_url(root), DataDir(root).blobs)
    try:
        stored = score_events(store, session_id)
    finally:
        store.close()
    cache.close()
    assert sum(stored.values()) == editor.recorded
