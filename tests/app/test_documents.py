"""Documents in the expert's window against a real server: download once into the encrypted cache, open
offline, refuse altered bytes, resume an interrupted download, jump to a criterion's page, compare bids."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtPdf", reason="PySide6.QtPdf is not installed (the PySide6-Pdf wheel)")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

import server.rpc.servicers as servicers
from app.models.score_grid import ScoreGridModel
from app.services.cache import SessionCache
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from app.services.documents import (
    DocumentInfo,
    DocumentLibrary,
    DocumentMismatch,
    DocumentState,
    DownloadCancelled,
    PageRefError,
    resolve_page_ref,
)
from app.services.sync import SyncEngine
from app.ui.document_viewer import DocumentViewer
from app.ui.documents_pane import DocumentsPane
from app.ui.score_grid import ScoreGridView
from app.ui.session_window import SessionWindow
from bideval.domain.method import Criterion, ItemKind, ReviewStage
from bideval.identity.pki import Role
from server.packages.manifest import LoadedPackage
from tests.support import RunningServer

PIN = "246810"
EXPERT = "E01"
DEVICE = "E01-desktop"
WAIT = 30_000  # ms: two cores shared with other test runs


@dataclass
class Library:
    library: DocumentLibrary
    cache: SessionCache
    directory: Path
    files: dict[str, bytes]  # document id -> the bytes the server stores


@pytest.fixture
def lib(server: RunningServer, demo_package: LoadedPackage, tmp_path: Path) -> Iterator[Library]:
    directory = tmp_path / "cache"
    cache = SessionCache.create(directory, server.session_id, EXPERT, DEVICE, PIN)
    library = DocumentLibrary(cache, server.client(EXPERT), server.session_id)
    files = {
        document_id: path.read_bytes()
        for (session_id, document_id), path in demo_package.files.items()
        if session_id == server.session_id
    }
    try:
        yield Library(library, cache, directory, files)
    finally:
        cache.close()


class Panes:
    """Creates DocumentsPanes and always shuts them down (so no retry outlives its test)."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.created: list[DocumentsPane] = []

    def __call__(
        self, library: DocumentLibrary, *, auto_download: bool, retry_interval_ms: int = 500
    ) -> DocumentsPane:
        pane = DocumentsPane(library, auto_download=auto_download, retry_interval_ms=retry_interval_ms)
        self.qtbot.addWidget(pane)
        pane.resize(1000, 900)
        pane.show()
        self.created.append(pane)
        return pane

    def close(self) -> None:
        for pane in self.created:
            pane.shutdown()
            self.qtbot.waitUntil(lambda pane=pane: not pane.busy, timeout=WAIT)  # type: ignore[misc]


@pytest.fixture
def make_pane(qtbot: QtBot) -> Iterator[Panes]:
    panes = Panes(qtbot)
    try:
        yield panes
    finally:
        panes.close()


def dead_address() -> str:
    """A loopback port nobody listens on: the server is unreachable, the connection refused at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def viewer_on(pane: DocumentsPane, document_id: str, page: int) -> bool:
    viewer = pane.viewers.get(document_id)
    return viewer is not None and viewer.page_count() > 0 and viewer.current_page() == page


# -- page references (pure) ---------------------------------------------------------------------------


DOCS = (
    DocumentInfo("tender", "tender", "招标文件", "0" * 64, 10, "", 8),
    DocumentInfo("opening-record", "opening_record", "开标记录表", "1" * 64, 10, "", 1),
    DocumentInfo("bid-B03", "bid", "投标文件", "2" * 64, 10, "B03", 6),
    DocumentInfo("bid-B05", "bid", "投标文件", "3" * 64, 10, "B05", 6),
)


def test_page_refs_resolve_to_a_document_and_page() -> None:
    assert resolve_page_ref("tender:4", DOCS) == ("tender", 4)
    assert resolve_page_ref("bid-B05:2", DOCS) == ("bid-B05", 2)
    assert resolve_page_ref("bidder:B03:6", DOCS) == ("bid-B03", 6)
    assert resolve_page_ref("bid:3", DOCS, bidder_id="B05") == ("bid-B05", 3)
    assert resolve_page_ref("opening_record:1", DOCS) == ("opening-record", 1)
    for bad in ("tender", "tender:0", "tender:x", "tender:9", "bid:3", "bidder:B09:1", "nothing:1"):
        with pytest.raises(PageRefError):
            resolve_page_ref(bad, DOCS)


# -- downloading ----------------------------------------------------------------------------------------


def test_download_all_shows_progress_and_stores_only_ciphertext(
    qtbot: QtBot, lib: Library, make_pane: Panes
) -> None:
    pane = make_pane(lib.library, auto_download=True)
    progress: list[tuple[str, int, int]] = []
    pane.sig_progress.connect(lambda *args: progress.append(args))
    pane.start()
    qtbot.waitUntil(lambda: len(pane.documents) == len(lib.files), timeout=WAIT)
    kinds = [d.kind for d in pane.documents]
    assert kinds[:2] == ["tender", "opening_record"]  # what everyone reads first comes first
    assert set(kinds[2:]) == {"bid"}
    qtbot.waitUntil(
        lambda: all(pane.state(d.id) is DocumentState.READY for d in pane.documents), timeout=WAIT
    )
    assert not pane.offline
    assert all(pane.progress_text(d.id) == "已就绪" for d in pane.documents)
    assert all(pane.progress_value(d.id) == 1000 for d in pane.documents)
    assert "全部文件已下载" in pane.status_label.text()
    for document in pane.documents:
        reported = [(received, size) for doc, received, size in progress if doc == document.id]
        assert reported[-1] == (document.size, document.size)
        assert [r for r, _s in reported] == sorted(r for r, _s in reported)
        assert lib.library.read(document.id) == lib.files[document.id]

    # Nothing on disk is readable PDF: no header, no 20-byte run of any document.
    on_disk = b"".join(path.read_bytes() for path in lib.directory.iterdir() if path.is_file())
    assert b"%PDF-" not in on_disk
    for data in lib.files.values():
        assert data[200:220] not in on_disk


def test_an_interrupted_download_resumes_from_its_offset(
    lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks, so that the demo's ~15 KB tender document takes several (the servicer reads the
    # module constant at each call; the server runs in this process).
    monkeypatch.setattr(servicers, "DOCUMENT_CHUNK_BYTES", 2048)
    library = lib.library
    listed = library.list_documents()
    tender = listed.get("tender")
    assert tender is not None
    assert tender.size > 3 * 2048
    seen: list[int] = []

    with pytest.raises(DownloadCancelled):
        library.download("tender", lambda received, _size: seen.append(received), lambda: seen[-1] >= 4096)
    stored = lib.cache.document_progress("tender")
    assert stored is not None
    assert stored.received == 4096
    assert not stored.complete
    assert library.state(tender) == (DocumentState.PARTIAL, 4096)

    resumed: list[int] = []
    done = library.download("tender", lambda received, _size: resumed.append(received), lambda: False)
    assert resumed[0] == 4096  # continued from the stored offset, not from 0
    assert resumed[1] == 4096 + 2048
    assert done.complete
    assert resumed[-1] == tender.size
    assert library.read("tender") == lib.files["tender"]


def test_a_broken_link_keeps_what_arrived_and_the_pane_resumes(
    qtbot: QtBot,
    lib: Library,
    server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    make_pane: Panes,
) -> None:
    """The pane retries by itself after the server became unreachable and finishes every document."""
    monkeypatch.setattr(servicers, "DOCUMENT_CHUNK_BYTES", 1024)
    library = lib.library
    library.list_documents()  # stored in the cache: the pane can show the list while offline
    # Half of the tender arrives, then the link is gone (a client pointing at a dead port).
    seen: list[int] = []
    with pytest.raises(DownloadCancelled):
        library.download("tender", lambda received, _size: seen.append(received), lambda: seen[-1] >= 5120)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    ca_pem = server.pki.directory.ca_path.read_bytes()
    dead = ApiClient(
        open_channel(Endpoint(dead_address(), ca_pem, cert_pem, key_pem)),
        Sequencer(DEVICE, signer_from_pem(cert_pem, key_pem)),
    )
    offline_library = DocumentLibrary(lib.cache, dead, server.session_id)
    # A long retry interval, so the state after the failure holds still while it is checked.
    pane = make_pane(offline_library, auto_download=True, retry_interval_ms=600_000)
    pane.start()
    qtbot.waitUntil(lambda: pane.offline and len(pane.documents) == len(lib.files), timeout=WAIT)
    qtbot.waitUntil(lambda: "下载中断" in pane.status_label.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "待续传" in pane.progress_text("tender"), timeout=WAIT)
    assert pane.state("tender") is DocumentState.PARTIAL
    assert 0 < pane.progress_value("tender") < 1000
    assert pane.retry_timer.isActive()  # the pane will try again by itself
    # The link comes back; the retry (made due now) continues every download.
    offline_library.client = server.client(EXPERT)
    pane.retry_timer.start(50)
    qtbot.waitUntil(
        lambda: all(pane.state(d.id) is DocumentState.READY for d in pane.documents), timeout=WAIT
    )
    assert library.read("tender") == lib.files["tender"]
    dead.close()


# -- integrity --------------------------------------------------------------------------------------------


def test_altered_stored_bytes_are_refused_with_a_clear_message(
    qtbot: QtBot, lib: Library, make_pane: Panes
) -> None:
    library = lib.library
    library.list_documents()
    library.download("bid-B03", lambda *_: None, lambda: False)
    # Alter the stored document behind the library's back (as damage or tampering would).
    with lib.cache._writing() as db:
        db.execute(
            "UPDATE document_chunks SET data = ? WHERE document_id = ?",
            (b"%PDF-1.4 forged", "bid-B03"),
        )
    with pytest.raises(DocumentMismatch, match="校验失败"):
        library.read("bid-B03")

    # A window opened later finds it "complete" in the cache and refuses it when opening it.
    fresh = DocumentLibrary(lib.cache, library.client, library.session_id)
    pane = make_pane(fresh, auto_download=False)
    pane.start()
    qtbot.waitUntil(lambda: len(pane.documents) == len(lib.files), timeout=WAIT)
    assert pane.state("bid-B03") is DocumentState.READY
    pane.open_document("bid-B03", 2)
    qtbot.waitUntil(lambda: "校验失败" in pane.status_label.text(), timeout=WAIT)
    assert "请勿依据此文件评审" in pane.status_label.text()
    qtbot.waitUntil(lambda: pane.state("bid-B03") is DocumentState.MISMATCH, timeout=WAIT)
    assert pane.progress_text("bid-B03") == "校验失败"
    assert pane.tabs.count() == 0  # nothing was shown

    # 全部下载 fetches it afresh; then it opens.
    pane.download_all_button.click()
    qtbot.waitUntil(lambda: pane.state("bid-B03") is DocumentState.READY, timeout=WAIT)
    pane.open_document("bid-B03", 2)
    qtbot.waitUntil(lambda: viewer_on(pane, "bid-B03", 2), timeout=WAIT)
    viewer = pane.viewers["bid-B03"]
    assert hashlib.sha256(lib.files["bid-B03"]).hexdigest()[:16] in viewer.header_label.text()
    assert "指纹" in viewer.header_label.text()


# -- opening: refs, side by side, offline ---------------------------------------------------------------


def test_open_ref_downloads_then_shows_the_page(qtbot: QtBot, lib: Library, make_pane: Panes) -> None:
    pane = make_pane(lib.library, auto_download=False)
    pane.start()
    qtbot.waitUntil(lambda: len(pane.documents) == len(lib.files), timeout=WAIT)
    assert pane.state("tender") is DocumentState.MISSING
    with qtbot.waitSignal(pane.sig_opened, timeout=WAIT) as opened:
        assert pane.open_ref("tender:5")
    assert opened.args == ["tender", 5]
    assert viewer_on(pane, "tender", 5)
    assert pane.state("tender") is DocumentState.READY

    with qtbot.waitSignal(pane.sig_opened, timeout=WAIT) as opened:
        assert pane.open_ref("bidder:B05:3")
    assert opened.args == ["bid-B05", 3]
    assert pane.tabs.currentWidget() is pane.viewers["bid-B05"]

    # Back to the tender, already open: same tab, other page.
    with qtbot.waitSignal(pane.sig_opened, timeout=WAIT):
        assert pane.open_ref("tender:2")
    assert viewer_on(pane, "tender", 2)
    assert pane.tabs.count() == 2

    assert not pane.open_ref("tender:99")
    assert "超出" in pane.status_label.text()


def test_two_bids_side_by_side(qtbot: QtBot, lib: Library, make_pane: Panes) -> None:
    pane = make_pane(lib.library, auto_download=True)
    pane.start()
    qtbot.waitUntil(
        lambda: bool(pane.documents) and all(pane.state(d.id) is DocumentState.READY for d in pane.documents),
        timeout=WAIT,
    )
    items: dict[str, QTreeWidgetItem] = {}
    for row in range(pane.tree.topLevelItemCount()):
        item = pane.tree.topLevelItem(row)
        assert item is not None
        items[item.text(0)[:3]] = item
    items["B03"].setSelected(True)
    assert not pane.compare_button.isEnabled()  # one bid is not a comparison
    items["B05"].setSelected(True)
    assert pane.compare_button.isEnabled()
    pane.compare_button.click()
    qtbot.waitUntil(
        lambda: pane.comparison is not None and pane.comparison.right.page_count() > 0, timeout=WAIT
    )
    comparison = pane.comparison
    assert comparison is not None
    assert pane.tabs.currentWidget() is comparison
    assert comparison.left.page_count() == 6
    assert comparison.right.page_count() == 6
    assert "B03" in comparison.left.header_label.text()
    assert "B05" in comparison.right.header_label.text()
    assert pane.tabs.tabText(pane.tabs.indexOf(comparison)) == "B03 | B05"


def test_the_reopened_window_opens_documents_offline(
    qtbot: QtBot, lib: Library, server: RunningServer
) -> None:
    # First session: everything downloaded (as the window does after opening).
    library = lib.library
    for document in library.list_documents().documents:
        library.download(document.id, lambda *_: None, lambda: False)
    lib.cache.close()

    # Later, the server is unreachable: the cache is unlocked again and the window opens from it.
    cache = SessionCache.open(lib.directory, server.session_id, PIN)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    ca_pem = server.pki.directory.ca_path.read_bytes()
    client = ApiClient(
        open_channel(Endpoint(dead_address(), ca_pem, cert_pem, key_pem)),
        Sequencer(DEVICE, signer_from_pem(cert_pem, key_pem), *cache.device_state()),
        timeout=3,
    )
    engine = SyncEngine(cache, client, server.session_id, idle_poll=0.5)
    window = SessionWindow(client, engine, server.session_id, refresh_interval_ms=500)
    qtbot.addWidget(window)
    pane = window.documents_pane
    try:
        qtbot.waitUntil(lambda: pane.offline and len(pane.documents) == len(lib.files), timeout=WAIT)
        assert all(pane.state(d.id) is DocumentState.READY for d in pane.documents)
        assert "离线" in pane.status_label.text()
        with qtbot.waitSignal(pane.sig_opened, timeout=WAIT) as opened:
            window.show_pages(["tender:4"])
        assert opened.args == ["tender", 4]
        viewer = pane.current_viewer()
        assert isinstance(viewer, DocumentViewer)
        assert viewer.current_page() == 4
        assert window.documents_dock.isVisible() or not window.isVisible()
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window.busy and not pane.busy, timeout=WAIT)
        cache.close()
        client.close()
    lib.cache = SessionCache.open(lib.directory, server.session_id, PIN)  # the fixture closes it


# -- the criterion link in the score grid -----------------------------------------------------------------


@dataclass(frozen=True)
class _Bidder:
    id: str
    name: str


def test_the_score_grid_asks_for_the_pages_of_the_current_criterion(qtbot: QtBot) -> None:
    criteria = [
        Criterion(
            id="D1",
            title="施工方案",
            stage=ReviewStage.DETAILED,
            kind=ItemKind.SCORE,
            max_points=Decimal("10"),
            page_refs=("tender:5", "bid:3"),
        ),
        Criterion(
            id="D2", title="工期", stage=ReviewStage.DETAILED, kind=ItemKind.SCORE, max_points=Decimal("5")
        ),
    ]
    model = ScoreGridModel([_Bidder("B03", "甲"), _Bidder("B05", "乙")], criteria, EXPERT)
    view = ScoreGridView(model)
    qtbot.addWidget(view)
    view.show()
    view.setCurrentIndex(model.index(1, 0))
    assert view.show_pages_action.isEnabled()
    assert view.show_pages_action.text() == "查看相关页"
    assert view.show_pages_action in view.actions()  # the context menu shows the view's actions
    with qtbot.waitSignal(view.sig_show_pages, timeout=WAIT) as asked:
        view.show_pages_action.trigger()
    assert asked.args == [["tender:5", "bid:3"], "B05"]
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=WAIT)
    with qtbot.waitSignal(view.sig_show_pages, timeout=WAIT) as asked:
        QTest.keyClick(view, Qt.Key.Key_F4)  # the shortcut (F2 stays "edit the cell")
    assert asked.args == [["tender:5", "bid:3"], "B05"]
    view.setCurrentIndex(model.index(0, 1))
    assert not view.show_pages_action.isEnabled()  # 工期 refers to no page
