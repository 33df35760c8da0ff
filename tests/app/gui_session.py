"""A whole committee in one test process: one real window per person, each behind its own cuttable link.

Every person (E01-E05 in a :class:`SessionWindow`, S01 in a :class:`SupervisorWindow`) has what a room PC
has: an encrypted SessionCache, a Sequencer for its device, a SyncEngine, and an ApiClient whose channel
goes through its own :class:`~tests.netfault.FaultyLink` to the real in-process server. The helpers here
act on the windows the way a user does (buttons, keyboard into the grids) and read back what the windows
show; nothing of the server is mocked.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QMainWindow, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from app.models.score_grid import CellState, ScoreGridModel
from app.services.cache import OutboxStatus, SessionCache
from app.services.committee import grid_value
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from app.services.sync import SyncEngine
from app.services.witness import LogWitness
from app.ui.score_grid import ScoreSheet
from app.ui.session_window import SessionWindow, entry_to_proto
from app.ui.supervisor_window import SupervisorWindow
from bideval.domain.method import Criterion, ItemKind
from bideval.identity.pki import Role, cert_from_pem
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from tests.netfault import FaultyLink
from tests.support import RunningServer

PIN = "246810"
EXPERTS = ("E01", "E02", "E03", "E04", "E05")
SUPERVISOR = "S01"
WAIT = 45_000  # ms: six windows and a server share two busy cores; be patient, never sleep
SYNC_WAIT = 90_000  # ms: after a long cut the channel reconnects with a backoff of up to 5 s
REFRESH_MS = 400  # the windows poll GetSession this often (the product default is 1 s)


# -- one person at one room PC -----------------------------------------------------------------------------


@dataclass
class Seat:
    person_id: str
    cache: SessionCache
    engine: SyncEngine
    client: ApiClient
    link: FaultyLink

    def sent_operations(self) -> int:
        """How many changes this device has stamped (its last sequence number)."""
        return self.cache.device_state().last_sequence


@dataclass
class Expert(Seat):
    window: SessionWindow

    def view(self) -> session_pb2.SessionView:
        view = self.window.view
        assert view is not None
        return view

    def phase(self) -> int:
        view = self.window.view
        return common_pb2.PHASE_UNSPECIFIED if view is None else view.phase

    def me(self) -> session_pb2.Member:
        return next(m for m in self.view().members if m.person_id == self.person_id)

    def shows(self, page: QWidget) -> bool:
        return self.window.pages.currentWidget() is page

    def grid(self) -> ScoreGridModel:
        model = self.window.detailed_page.model
        assert model is not None, f"{self.person_id}: the score sheet is not built yet"
        return model

    def sheet(self) -> ScoreSheet:
        sheet = self.window.detailed_page.sheet
        assert sheet is not None, f"{self.person_id}: the score sheet is not built yet"
        return sheet


@dataclass
class Supervisor(Seat):
    window: SupervisorWindow

    def view(self) -> session_pb2.SessionView:
        view = self.window.view
        assert view is not None
        return view


@dataclass
class Committee:
    server: RunningServer
    experts: dict[str, Expert]
    supervisor: Supervisor
    _readers: dict[str, ApiClient] = field(default_factory=dict)

    @property
    def session_id(self) -> str:
        return self.server.session_id

    def seats(self) -> list[Seat]:
        return [*self.experts.values(), self.supervisor]

    def reader(self, person_id: str) -> ApiClient:
        """A client straight to the server (no link of ours), on a device id that never sends changes."""
        if person_id not in self._readers:
            role = Role.SUPERVISOR if person_id == SUPERVISOR else Role.EXPERT
            self._readers[person_id] = self.server.client(person_id, role, device="reader")
        return self._readers[person_id]

    def server_view(self) -> session_pb2.SessionView:
        client = self.reader(SUPERVISOR)
        response: evaluation_service_pb2.GetSessionResponse = client.evaluation.GetSession(
            evaluation_service_pb2.GetSessionRequest(session_id=self.session_id), timeout=30
        )
        return response.session

    def server_summary(self) -> session_pb2.GroupSummary:
        client = self.reader(SUPERVISOR)
        response: evaluation_service_pb2.GetSummaryResponse = client.evaluation.GetSummary(
            evaluation_service_pb2.GetSummaryRequest(session_id=self.session_id), timeout=30
        )
        return response.summary

    def server_sheet(self, expert_id: str) -> session_pb2.Sheet:
        client = self.reader(expert_id)
        response: evaluation_service_pb2.GetSheetsResponse = client.evaluation.GetSheets(
            evaluation_service_pb2.GetSheetsRequest(session_id=self.session_id), timeout=30
        )
        return next(s for s in response.sheets if s.expert_id == expert_id)

    def all_experts_at(self, phase: int) -> bool:
        return all(expert.phase() == phase for expert in self.experts.values())


def _open_seat(
    server: RunningServer, folder: Path, person_id: str, role: Role
) -> tuple[SessionCache, ApiClient, SyncEngine, FaultyLink]:
    device = f"{person_id}-room-pc"
    cache = SessionCache.create(folder / person_id, server.session_id, person_id, device, PIN)
    cert_pem, key_pem = server.pki.person(person_id, role)
    link = FaultyLink(server.address)
    ca_pem = server.pki.directory.ca_path.read_bytes()
    signer = signer_from_pem(cert_pem, key_pem)
    client = ApiClient(
        open_channel(Endpoint(link.address, ca_pem, cert_pem, key_pem)),
        Sequencer(device, signer, *cache.device_state()),
    )
    if role is Role.SUPERVISOR:
        # As session_start.open_session does for a supervisor: the witness co-signs every head it checked.
        client.witness = LogWitness(client.audit, cert_from_pem(ca_pem), signer, cache.tree_head())
    # A short backoff cap so that a restored link is used within a couple of seconds.
    engine = SyncEngine(cache, client, server.session_id, idle_poll=0.5, backoff_max=2.0)
    engine.start()
    return cache, client, engine, link


@contextmanager
def committee_windows(qtbot: QtBot, server: RunningServer, folder: Path) -> Iterator[Committee]:
    """E01-E05 and S01, each in its own shown window behind its own FaultyLink; all closed afterwards."""
    experts: dict[str, Expert] = {}
    seats: list[Seat] = []
    supervisor: Supervisor | None = None
    committee: Committee | None = None
    try:
        for person_id in EXPERTS:
            cache, client, engine, link = _open_seat(server, folder, person_id, Role.EXPERT)
            window = SessionWindow(client, engine, server.session_id, refresh_interval_ms=REFRESH_MS)
            qtbot.addWidget(window)
            window.show()
            experts[person_id] = Expert(person_id, cache, engine, client, link, window)
            seats.append(experts[person_id])
        cache, client, engine, link = _open_seat(server, folder, SUPERVISOR, Role.SUPERVISOR)
        console = SupervisorWindow(
            client, engine, server.session_id, refresh_interval_ms=REFRESH_MS, witness_interval_ms=2_000
        )
        qtbot.addWidget(console)
        console.show()
        supervisor = Supervisor(SUPERVISOR, cache, engine, client, link, console)
        seats.append(supervisor)
        committee = Committee(server, experts, supervisor)
        yield committee
    finally:
        for seat in seats:
            seat.link.restore()  # so that the windows' last fetches end quickly
        windows: list[SessionWindow | SupervisorWindow] = [
            seat.window for seat in seats if isinstance(seat, Expert | Supervisor)
        ]
        for shown in windows:
            shown.close()
        for shown in windows:
            qtbot.waitUntil(lambda w=shown: not w.busy, timeout=WAIT)  # type: ignore[misc]
        for seat in seats:
            seat.engine.stop(timeout=15)
            seat.cache.close()
            seat.client.close()
            seat.link.close()
        if committee is not None:
            for reader in committee._readers.values():
                reader.close()


# -- what a window shows ---------------------------------------------------------------------------------

_UNSYNCED = re.compile(r"未同步变更\D*(\d+)")


def status_texts(window: QMainWindow) -> list[str]:
    """The texts of the status bar's labels (connection, unsynced changes, last sync)."""
    return [label.text() for label in window.statusBar().findChildren(QLabel)]


def unsynced_shown(window: QMainWindow) -> int | None:
    """The number of unsynced changes the status bar shows, or None before it shows one."""
    for text in status_texts(window):
        matched = _UNSYNCED.search(text)
        if matched is not None:
            return int(matched.group(1))
    return None


def shows_offline(window: QMainWindow) -> bool:
    """The status bar says the link is down: 离线自 HH:MM, or 正在重新连接."""
    return any("离线" in text or "重新连接" in text for text in status_texts(window))


def shows_connected(window: QMainWindow) -> bool:
    return any(text.startswith("已连接") for text in status_texts(window))


def table_rows(table: QTableWidget) -> list[list[str]]:
    rows = []
    for row in range(table.rowCount()):
        cells = []
        for column in range(table.columnCount()):
            item = table.item(row, column)
            cells.append("" if item is None else item.text())
        rows.append(cells)
    return rows


# -- the detailed review: what each expert types ----------------------------------------------------------

QUALITY = (0.8, 0.7, 0.6, 0.9, 0.75, 0.65, 0.85)  # of the valid bidders, in the order of the grid
T1_SPREAD = {
    "E01": Decimal(0),
    "E02": Decimal("0.5"),
    "E03": Decimal(0),
    "E04": Decimal("-0.5"),
    "E05": Decimal("0.5"),
}
"""Each expert's own judgement on T1 (0-8 points): a spread well inside mean ± 30 %."""


@dataclass(frozen=True)
class Deviation:
    """An intentionally deviating score: far outside the others' mean ± 30 %, so the summary flags it."""

    expert_id: str
    row: int
    criterion_id: str
    value: str


DEVIATIONS = (Deviation("E03", 0, "T1", "2"), Deviation("E05", 1, "T2", "3"))


def sheet_text(expert_id: str, row: int, criterion: Criterion) -> str:
    """What ``expert_id`` types into (row, criterion): objective values agree (one true value), judged
    scores differ a little on T1 and a lot where DEVIATIONS say so."""
    for deviation in DEVIATIONS:
        if (deviation.expert_id, deviation.row, deviation.criterion_id) == (expert_id, row, criterion.id):
            return deviation.value
    quality = QUALITY[row % len(QUALITY)]
    low, high, step = criterion.min_points, criterion.max_points, criterion.step
    match criterion.kind:
        case ItemKind.SCORE | ItemKind.OBJECTIVE:
            value = grid_value(low, high, step, quality)
            if criterion.id == "T1":
                value += T1_SPREAD[expert_id]
            return format(value.normalize(), "f")
        case ItemKind.DEDUCT:
            return "0"  # no deductions
        case ItemKind.VOTE:
            return "1"  # yes
        case _:
            raise AssertionError(f"no typing for {criterion.kind}")


def type_cell(qtbot: QtBot, expert: Expert, row: int, column: int, text: str) -> None:
    """Select the cell, type ``text`` (typing starts the editor) and press Enter, as a user does."""
    sheet, model = expert.sheet(), expert.grid()
    view = sheet.view
    index = model.index(row, column)
    view.setCurrentIndex(index)
    QTest.keyClicks(view, text[0])
    editor = view.indexWidget(index)
    assert editor is not None, f"{expert.person_id}: typing did not open the editor of ({row}, {column})"
    rest = text[1:]
    if rest.isascii():
        QTest.keyClicks(editor, rest)
    elif isinstance(editor, QLineEdit):
        editor.insert(rest)  # what an input method commits (QTest types ASCII only)
    else:
        raise AssertionError(f"cannot type {rest!r} into {editor!r}")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits and closes the editor queued, as Qt does for Enter.
    qtbot.waitUntil(lambda: view.indexWidget(index) is None, timeout=WAIT)
    assert model.cell_error(row, column) is None, (expert.person_id, row, column, text)


def type_column(qtbot: QtBot, expert: Expert, column: int, texts: dict[int, str] | None = None) -> int:
    """Type the whole column (``texts``: row -> text, default the expert's sheet); returns the number of
    changes that were recorded (typing a cell's current value records nothing)."""
    model = expert.grid()
    criterion = model.criterion(column)
    assert criterion is not None
    before = expert.sent_operations()
    for row in range(model.rowCount()):
        text = (texts or {}).get(row) or sheet_text(expert.person_id, row, criterion)
        type_cell(qtbot, expert, row, column, text)
    return expert.sent_operations() - before


EntryValue = tuple[str, object]


def entry_value(entry: session_pb2.ScoreEntry) -> EntryValue:
    """A ScoreEntry's value compared by meaning ("6.0" == "6"), without the server's effective_points."""
    kind = entry.WhichOneof("value")
    match kind:
        case "points":
            return kind, Decimal(entry.points)
        case "objective":
            return kind, Decimal(entry.objective)
        case "deductions":
            return kind, tuple((Decimal(d.points), d.reason) for d in entry.deductions.deductions)
        case "pass_fail":
            return kind, (entry.pass_fail.passed, entry.pass_fail.reason)
        case "vote":
            return kind, entry.vote
    raise AssertionError(f"a score entry without a value: {entry}")


def grid_values(model: ScoreGridModel) -> dict[tuple[str, str], EntryValue]:
    """The grid's values as the server would store them."""
    return {key: entry_value(entry_to_proto(*key, entry)) for key, entry in model.entries().items()}


def server_values(sheet: session_pb2.Sheet) -> dict[tuple[str, str], EntryValue]:
    return {(e.bidder_id, e.criterion_id): entry_value(e) for e in sheet.scores}


def all_cells_synced(model: ScoreGridModel) -> bool:
    return all(model.cell_state(*key) is CellState.SYNCED for key in model.entries())


# -- exactly once -----------------------------------------------------------------------------------------


def stored_score_changes(server: RunningServer, actor: str) -> Counter[tuple[str, str]]:
    """How many score changes of ``actor`` the server stored per (bidder, criterion)."""
    counted: Counter[tuple[str, str]] = Counter()
    for _sequence, kind, actor_id, _at, payload in server.app.store.event_rows(server.session_id):
        data = json.loads(payload)
        if actor_id == actor and "ScoreRecorded" in (kind, data.get("type")):
            counted[(data["bidder_id"], data["criterion_id"])] += 1
    return counted


def assert_exactly_once(server: RunningServer, seat: Seat) -> None:
    """Every change the device stamped is in its outbox, answered and accepted (no refused duplicate), and
    the server holds exactly those operations: numbers 1..N with no gap, each once."""
    last = seat.sent_operations()
    assert last > 0
    own_operations = set()
    for sequence in range(1, last + 1):
        item = seat.cache.outbox_item(sequence)
        assert item is not None, f"{seat.person_id}: change {sequence} is missing from the outbox"
        assert item.status is OutboxStatus.ACKNOWLEDGED, (
            seat.person_id,
            sequence,
            item.rpc,
            item.error_message,
        )
        own_operations.add(item.operation_id)
    device_key = f"{seat.person_id}/{seat.client.sequencer.device_id}"
    position, _envelope = server.app.store.device_positions()[device_key]
    assert position == last
    stored = [op for key, op in server.app.store.operation_ids() if key == device_key]
    assert len(stored) == last  # unique per (device, sequence): with the position, 1..N without a gap
    assert set(stored) == own_operations


def recorded_scores(seat: Seat) -> Counter[tuple[str, str]]:
    """How many score changes the device recorded per (bidder, criterion), from its outbox."""
    counted: Counter[tuple[str, str]] = Counter()
    for sequence in range(1, seat.sent_operations() + 1):
        item = seat.cache.outbox_item(sequence)
        assert item is not None
        if item.rpc == "RecordScore":
            request = evaluation_service_pb2.RecordScoreRequest()
            request.ParseFromString(item.request)
            counted[(request.entry.bidder_id, request.entry.criterion_id)] += 1
    return counted
