"""The session's documents in the expert's window (DOMAIN.md step 6): list, download state, viewers.

The list shows the tender document, the opening record, each bid and the clarifications with their
local state (未下载 / a progress bar / 已就绪 / 校验失败). After the list arrives every document is
downloaded in the background, one at a time, in that order (:meth:`DocumentsPane.start`); 全部下载
restarts what stopped. Double-click opens a document in a tab of viewers below the list; 并排对比 opens
two selected bids side by side; :meth:`DocumentsPane.open_ref` opens the page a criterion refers to,
downloading the document first.

All network and disk work goes through :func:`~app.operations.run_in_background`
(:class:`~app.services.documents.DocumentLibrary` methods); download progress comes back from the worker
thread through the queued signal ``sig_progress``. After a transient failure (server unreachable) the pane
retries by itself every ``retry_interval_ms``; downloads resume from the last stored chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe
from app.operations import run_in_background
from app.services.documents import (
    DocumentInfo,
    DocumentLibrary,
    DocumentList,
    DocumentMismatch,
    DocumentState,
    DownloadCancelled,
    PageRefError,
    resolve_page_ref,
)
from app.ui.document_viewer import DocumentViewer, SideBySideViewer
from bideval.v1 import session_pb2

_PERMILLE = 1000
_ERROR_STYLE = "color: #b00020;"
_MISMATCH_BAR_STYLE = "QProgressBar { color: #b00020; }"


def _tr(text: str) -> str:
    return QCoreApplication.translate("DocumentsPane", text)


def kind_text(kind: str) -> str:
    return {
        "tender": _tr("招标文件"),
        "opening_record": _tr("开标记录"),
        "bid": _tr("投标文件"),
        "clarification": _tr("澄清文件"),
    }.get(kind, kind)


def fingerprint_status(document: DocumentInfo, recorded: dict[str, str]) -> str:
    """What the header says about a document's integrity.

    A bid's fingerprint is compared with the one recorded at the bid opening (``Bidder.bid_file_sha256``
    of the SessionView); the download itself was checked against the listed SHA-256 already. The server
    does not report an e-signature verification result, so the text does not claim one.
    """
    if document.kind != "bid":
        return _tr("指纹已校验")
    opening = recorded.get(document.bidder_id, "")
    if not opening:
        return _tr("开标记录中无该投标文件的指纹")
    if opening.lower() == document.sha256:
        return _tr("指纹与开标记录一致")
    return _tr("指纹与开标记录不一致！请勿依据此文件评审，并报告监督人员")


class DocumentsPane(QWidget):
    """Document list with per-document state, plus tabs of open documents (see the module docstring)."""

    sig_progress = Signal(str, int, int)
    """(document id, bytes received, size): emitted on a worker thread, delivered queued to the pane."""
    sig_opened = Signal(str, int)
    """(document id, page) once a document is shown in a viewer at that page."""

    def __init__(
        self,
        library: DocumentLibrary,
        *,
        auto_download: bool = True,
        retry_interval_ms: int = 5000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.auto_download = auto_download
        self.documents: list[DocumentInfo] = []
        self.offline = False
        self.states: dict[str, DocumentState] = {}
        self.viewers: dict[str, DocumentViewer] = {}
        self.comparison: SideBySideViewer | None = None
        self._recorded: dict[str, str] = {}  # bidder id -> fingerprint recorded at the bid opening
        self._items: dict[str, QTreeWidgetItem] = {}
        self._bars: dict[str, QProgressBar] = {}
        self._queue: list[str] = []
        self._downloading: str | None = None
        self._pending_open: dict[str, int] = {}  # document id -> page to show once it is downloaded
        self._listing = False
        self._reads = 0
        self._closed = False
        self._run = run_in_background

        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("文件"), self.tr("页数"), self.tr("状态")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setColumnWidth(0, 260)
        self.tree.itemDoubleClicked.connect(lambda item, _column: self._double_clicked(item))
        self.tree.itemSelectionChanged.connect(self._update_buttons)

        self.download_all_button = QPushButton(self.tr("全部下载"))
        self.download_all_button.clicked.connect(self.download_all)
        self.compare_button = QPushButton(self.tr("并排对比"))
        self.compare_button.setToolTip(self.tr("在列表中选择两份投标文件，并排查看"))
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self._compare_selected)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)

        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)

        buttons = QHBoxLayout()
        buttons.addWidget(self.download_all_button)
        buttons.addWidget(self.compare_button)
        buttons.addStretch()
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.tree, 1)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.status_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.setInterval(retry_interval_ms)
        self.retry_timer.timeout.connect(self._retry)
        self.sig_progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)

    # -- the list --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Fetch the list (the stored one when offline) and, with ``auto_download``, download everything."""
        if self._closed or self._listing:
            return
        self._listing = True
        library = self.library

        def fetch() -> tuple[DocumentList, dict[str, tuple[DocumentState, int]]]:
            listed = library.list_documents()
            return listed, library.states(listed.documents)

        self._run(fetch, self._listed, self._list_failed)

    def _listed(self, result: tuple[DocumentList, dict[str, tuple[DocumentState, int]]]) -> None:
        self._listing = False
        if self._closed:
            return
        listed, states = result
        self.offline = listed.offline
        self.documents = list(listed.documents)
        self._fill(states)
        if listed.offline:
            self._say(self.tr("服务器暂时无法连接：显示本机已缓存的文件，已下载的文件可离线查看。"))
            self.retry_timer.start()
        else:
            self._say("")
        if self.auto_download:
            self.download_all()
        self._pump()  # documents asked for before the list arrived

    def _list_failed(self, error: BaseException) -> None:
        self._listing = False
        if self._closed:
            return
        self._say(self.tr("无法读取文件列表：") + describe(error), error=True)
        if _transient(error):
            self.retry_timer.start()

    def _fill(self, states: dict[str, tuple[DocumentState, int]]) -> None:
        if list(self._items) == [d.id for d in self.documents]:
            # The same list again (a retry while offline): keep the rows and the user's selection.
            for document_id, (state, received) in states.items():
                if document_id != self._downloading:
                    self._show_state(document_id, state, received)
            return
        self.tree.clear()
        self._items.clear()
        self._bars.clear()
        for document in self.documents:
            title = document.title or document.id
            if document.kind == "bid" and document.bidder_id and document.bidder_id not in title:
                title = f"{document.bidder_id} {title}"
            item = QTreeWidgetItem([title, str(document.pages or ""), ""])
            item.setData(0, Qt.ItemDataRole.UserRole, document.id)
            item.setToolTip(0, f"{kind_text(document.kind)}  SHA-256: {document.sha256}")
            self.tree.addTopLevelItem(item)
            bar = QProgressBar()
            bar.setRange(0, _PERMILLE)
            bar.setTextVisible(True)
            self.tree.setItemWidget(item, 2, bar)
            self._items[document.id] = item
            self._bars[document.id] = bar
            state, received = states.get(document.id, (DocumentState.MISSING, 0))
            self._show_state(document.id, state, received)
        self._update_buttons()

    def document(self, document_id: str) -> DocumentInfo | None:
        return next((d for d in self.documents if d.id == document_id), None)

    def show_view(self, view: session_pb2.SessionView) -> None:
        """Take the fingerprints recorded at the bid opening from the SessionView (for the headers)."""
        self._recorded = {b.id: b.bid_file_sha256 for b in view.bidders}

    # -- per-document state ----------------------------------------------------------------------------

    def state(self, document_id: str) -> DocumentState:
        return self.states.get(document_id, DocumentState.MISSING)

    def _show_state(self, document_id: str, state: DocumentState, received: int = 0) -> None:
        self.states[document_id] = state
        bar = self._bars.get(document_id)
        document = self.document(document_id)
        if bar is None or document is None:
            return
        bar.setStyleSheet(_MISMATCH_BAR_STYLE if state is DocumentState.MISMATCH else "")
        if state is DocumentState.READY:
            bar.setValue(_PERMILLE)
            bar.setFormat(self.tr("已就绪"))
        elif state is DocumentState.MISMATCH:
            bar.setValue(0)
            bar.setFormat(self.tr("校验失败"))
        elif state is DocumentState.PARTIAL:
            bar.setValue(_permille(received, document.size))
            bar.setFormat(self.tr("已下载 %p%，待续传"))
        else:
            bar.setValue(0)
            bar.setFormat(self.tr("未下载"))

    def _progress(self, document_id: str, received: int, size: int) -> None:
        if self._closed or document_id != self._downloading:
            return
        bar = self._bars.get(document_id)
        if bar is not None:
            bar.setStyleSheet("")
            bar.setValue(_permille(received, size))
            bar.setFormat(self.tr("下载中 %p%"))

    def progress_value(self, document_id: str) -> int:
        """The bar's value in permille (for the status line and tests)."""
        bar = self._bars.get(document_id)
        return 0 if bar is None else bar.value()

    def progress_text(self, document_id: str) -> str:
        bar = self._bars.get(document_id)
        return "" if bar is None else bar.text()

    # -- downloading -----------------------------------------------------------------------------------

    def download_all(self) -> None:
        """Queue every document not yet ready (a document that failed its check is downloaded afresh)."""
        for document in self.documents:
            if self.state(document.id) is not DocumentState.READY and document.id not in self._queue:
                self._queue.append(document.id)
        self._pump()

    def download(self, document_id: str, *, first: bool = False) -> None:
        if self.state(document_id) is DocumentState.READY and document_id != self._downloading:
            return
        if document_id in self._queue:
            self._queue.remove(document_id)
        if first:
            self._queue.insert(0, document_id)
        else:
            self._queue.append(document_id)
        self._pump()

    def _pump(self) -> None:
        if self._closed or self._downloading is not None or not self.documents:
            return
        while self._queue:
            document_id = self._queue.pop(0)
            if self.document(document_id) is None:
                self._pending_open.pop(document_id, None)
                continue
            break
        else:
            return
        self._downloading = document_id
        library, relay = self.library, self.sig_progress
        discard = self.state(document_id) is DocumentState.MISMATCH

        def work() -> DocumentState:
            if discard:
                library.discard(document_id)  # start from byte 0 after a failed check
            library.download(
                document_id,
                lambda received, size: relay.emit(document_id, received, size),
                lambda: self._closed,
            )
            return DocumentState.READY

        self._run(work, lambda _state: self._downloaded(document_id), lambda e: self._failed(document_id, e))

    def _downloaded(self, document_id: str) -> None:
        self._downloading = None
        if self._closed:
            return
        self._show_state(document_id, DocumentState.READY)
        page = self._pending_open.pop(document_id, None)
        if page is not None:
            self.open_document(document_id, page)
        if not self._queue and all(self.state(d.id) is DocumentState.READY for d in self.documents):
            self._say(self.tr("全部文件已下载并加密保存在本机，可离线查看。"))
        self._pump()

    def _failed(self, document_id: str, error: BaseException) -> None:
        self._downloading = None
        if self._closed:
            return
        document = self.document(document_id)
        title = document.title if document is not None else document_id
        if isinstance(error, DownloadCancelled):
            return
        self._pending_open.pop(document_id, None)
        self._run(
            lambda: self.library.state(document) if document is not None else (DocumentState.MISSING, 0),
            lambda state: self._show_state(document_id, *state),
            _ignore,
        )
        if isinstance(error, DocumentMismatch):
            self._show_state(document_id, DocumentState.MISMATCH)
            self._say(describe(error), error=True)
            self._pump()
            return
        self._say(self.tr("文件「%1」下载中断：").replace("%1", title) + describe(error), error=True)
        if _transient(error):
            # The link is down: keep the queue and retry later instead of failing every document now.
            self._queue.insert(0, document_id)
            self.retry_timer.start()
        else:
            self._pump()

    def _retry(self) -> None:
        if self._closed:
            return
        if self.offline or not self.documents:
            self.start()
        else:
            self._pump()

    # -- opening ---------------------------------------------------------------------------------------

    def _double_clicked(self, item: QTreeWidgetItem) -> None:
        self.open_document(str(item.data(0, Qt.ItemDataRole.UserRole)))

    def open_document(self, document_id: str, page: int = 1) -> None:
        """Show the document at ``page`` (1-based) in its tab; download it first when needed."""
        if self._closed:
            return
        document = self.document(document_id)
        if document is None:
            # Not listed yet (the list is still loading): open it once it is there and downloaded.
            self._pending_open[document_id] = page
            self._queue.insert(0, document_id)
            return
        viewer = self.viewers.get(document_id)
        if viewer is not None and viewer.page_count():
            self.tabs.setCurrentWidget(viewer)
            viewer.go_to_page(page)
            self.sig_opened.emit(document_id, viewer.current_page())
            return
        if self.state(document_id) is not DocumentState.READY:
            self._pending_open[document_id] = page
            self._say(self.tr("正在下载「%1」，完成后自动打开…").replace("%1", document.title))
            self.download(document_id, first=True)
            return
        self._read([document_id], lambda data: self._show(document, data[0], page))

    def _read(self, document_ids: list[str], done: Callable[[list[bytes]], None]) -> None:
        self._reads += 1
        library = self.library

        def read() -> list[bytes]:
            return [library.read(document_id) for document_id in document_ids]

        def succeeded(data: list[bytes]) -> None:
            self._reads -= 1
            if not self._closed:
                done(data)

        def failed(error: BaseException) -> None:
            self._reads -= 1
            if self._closed:
                return
            if isinstance(error, DocumentMismatch):
                for document_id in document_ids:
                    self._check_after_mismatch(document_id)
            self._say(describe(error), error=True)

        self._run(read, succeeded, failed)

    def _check_after_mismatch(self, document_id: str) -> None:
        # The library flagged whichever of the documents failed; show each one's state as the library sees
        # it (the flag is in memory: cheap, but still asked off the GUI thread with the cache read).
        document = self.document(document_id)
        if document is None:
            return
        self._run(lambda: self.library.state(document), lambda s: self._show_state(document_id, *s), _ignore)

    def _show(self, document: DocumentInfo, data: bytes, page: int) -> None:
        viewer = self.viewers.get(document.id)
        if viewer is None:
            viewer = DocumentViewer()
            self.viewers[document.id] = viewer
            self.tabs.addTab(viewer, self._tab_title(document))
        opened = viewer.open_document(
            self._header_title(document), data, document.sha256, fingerprint_status(document, self._recorded)
        )
        self.tabs.setCurrentWidget(viewer)
        if not opened:
            self._say(self.tr("文件「%1」无法打开").replace("%1", document.title), error=True)
            return
        viewer.go_to_page(page)
        self._say("")
        self.sig_opened.emit(document.id, viewer.current_page())

    def open_ref(self, page_ref: str, bidder_id: str | None = None) -> bool:
        """Open the page a criterion refers to (``"tender:12"``, ``"bid-B03:4"``, ``"bidder:B03:4"``;
        ``"bid:4"`` with ``bidder_id``). False, with the reason shown, when it names no document."""
        try:
            document_id, page = resolve_page_ref(page_ref, self.documents, bidder_id)
        except PageRefError as error:
            if not self.documents:
                self._say(self.tr("文件列表尚未载入，请稍候再试。"), error=True)
            else:
                self._say(str(error), error=True)
            return False
        self.open_document(document_id, page)
        return True

    # -- side by side ----------------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        return [str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.tree.selectedItems()]

    def _update_buttons(self) -> None:
        selected = [self.document(i) for i in self.selected_ids()]
        self.compare_button.setEnabled(
            len(selected) == 2 and all(d is not None and d.kind == "bid" for d in selected)
        )

    def _compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            self.compare(ids[0], ids[1])

    def compare(self, left_id: str, right_id: str) -> None:
        """Open two (downloaded) documents side by side in one tab."""
        left, right = self.document(left_id), self.document(right_id)
        if left is None or right is None:
            return
        missing = [d for d in (left, right) if self.state(d.id) is not DocumentState.READY]
        if missing:
            for document in missing:
                self.download(document.id, first=True)
            self._say(self.tr("请等待两份文件下载完成后再并排对比。"), error=True)
            return

        def show(data: list[bytes]) -> None:
            if self.comparison is None:
                self.comparison = SideBySideViewer()
                self.tabs.addTab(self.comparison, self.tr("并排对比"))
            self.comparison.compare(self._viewer_args(left, data[0]), self._viewer_args(right, data[1]))
            index = self.tabs.indexOf(self.comparison)
            self.tabs.setTabText(index, f"{self._tab_title(left)} | {self._tab_title(right)}")
            self.tabs.setCurrentWidget(self.comparison)

        self._read([left_id, right_id], show)

    # -- helpers ---------------------------------------------------------------------------------------

    def _viewer_args(self, document: DocumentInfo, data: bytes) -> tuple[str, bytes, str, str]:
        status = fingerprint_status(document, self._recorded)
        return self._header_title(document), data, document.sha256, status

    @staticmethod
    def _tab_title(document: DocumentInfo) -> str:
        if document.kind == "bid" and document.bidder_id:
            return document.bidder_id
        return document.title or document.id

    @staticmethod
    def _header_title(document: DocumentInfo) -> str:
        prefix = f"{document.bidder_id} " if document.kind == "bid" and document.bidder_id else ""
        return f"{prefix}{document.title}"

    def _close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        self.tabs.removeTab(index)
        for document_id, viewer in list(self.viewers.items()):
            if viewer is widget:
                del self.viewers[document_id]
        if widget is self.comparison:
            self.comparison = None
        if widget is not None:
            widget.deleteLater()

    def current_viewer(self) -> DocumentViewer | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DocumentViewer) else None

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setStyleSheet(_ERROR_STYLE if error else "")
        self.status_label.setText(text)

    @property
    def busy(self) -> bool:
        """True while a list fetch, a download or a cache read is in flight."""
        return self._listing or self._downloading is not None or self._reads > 0

    def shutdown(self) -> None:
        """Stop retrying; a running download stops after its current chunk (kept for resuming)."""
        self._closed = True
        self.retry_timer.stop()
        self._queue.clear()


def _permille(received: int, size: int) -> int:
    return _PERMILLE if size <= 0 else min(_PERMILLE, received * _PERMILLE // size)


def _transient(error: BaseException) -> bool:
    return isinstance(error, grpc.RpcError) and error.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    )


def _ignore(_value: Any) -> None:
    pass
