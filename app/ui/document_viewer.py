"""Reading bid documents (DOMAIN.md step 6): a PDF viewer with page thumbnails, zoom, go-to-page and search.

Documents are confidential: a PDF is opened from the verified bytes the cache returns
(``SessionCache.document_bytes``) through a ``QBuffer``, never written to a temporary file. The header
shows the title, the start of the SHA-256 fingerprint the caller verified and the signature status the
caller determined; the viewer only displays them.

Thumbnails are rendered lazily: ``PageThumbnailModel`` renders a page only when a view asks for its
decoration, i.e. when the row becomes visible (``QListView`` with uniform item sizes asks for the first
row's size only), and keeps what it rendered. Opening a 300-page bid renders a handful of thumbnails.

Page numbers in this module's API are the numbers a person reads (1-based, as in a criterion link
``bid:12``); Qt's page indices are 0-based.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QBuffer,
    QByteArray,
    QIODevice,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QImage, QKeySequence

# PySide6 >= 6.12 ships these in the separate PySide6-Pdf wheel; until it is a dependency mypy may not see
# them (the ignore is then used) or may (``unused-ignore`` keeps that quiet too).
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel  # type: ignore[import-not-found, unused-ignore]
from PySide6.QtPdfWidgets import QPdfView  # type: ignore[import-not-found, unused-ignore]
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

THUMBNAIL_SIZE = QSize(90, 128)
ZOOM_STEP = 1.25
MIN_ZOOM = 0.1
MAX_ZOOM = 8.0
FINGERPRINT_HEX_SHOWN = 16


class PageThumbnailModel(QAbstractListModel):
    """One row per page of a QPdfDocument; the decoration is rendered on first request, then kept."""

    def __init__(self, document: QPdfDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._images: dict[int, QImage] = {}
        self._page_count = 0
        document.statusChanged.connect(self._status_changed)

    def rendered_pages(self) -> frozenset[int]:
        """The 0-based pages whose thumbnail has been rendered so far."""
        return frozenset(self._images)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._page_count

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < self._page_count:
            return None
        page = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return str(page + 1)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("第 %1 页").replace("%1", str(page + 1))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(page)
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(THUMBNAIL_SIZE.width() + 16, THUMBNAIL_SIZE.height() + 24)
        return None

    def _thumbnail(self, page: int) -> QImage:
        image = self._images.get(page)
        if image is None:
            points = self._document.pagePointSize(page)
            size = THUMBNAIL_SIZE
            if points.width() > 0 and points.height() > 0:
                size = points.scaled(THUMBNAIL_SIZE.toSizeF(), Qt.AspectRatioMode.KeepAspectRatio).toSize()
            image = self._document.render(page, size)
            self._images[page] = image
        return image

    def _status_changed(self, status: QPdfDocument.Status) -> None:
        if status in (QPdfDocument.Status.Ready, QPdfDocument.Status.Null, QPdfDocument.Status.Error):
            self.beginResetModel()
            self._images.clear()
            self._page_count = self._document.pageCount() if status == QPdfDocument.Status.Ready else 0
            self.endResetModel()


class DocumentViewer(QWidget):
    """One PDF: header line, page thumbnails on the left, the pages in the middle, zoom and search."""

    sig_page_changed = Signal(int)
    """Emitted with the page number now shown (1-based) whenever the current page changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._buffer: QBuffer | None = None
        self._hits = 0
        self.document = QPdfDocument(self)
        self.search_model = QPdfSearchModel(self)
        self.search_model.setDocument(self.document)
        self.thumbnails = PageThumbnailModel(self.document, self)

        self.header_label = QLabel()
        self.header_label.setTextFormat(Qt.TextFormat.PlainText)
        self.header_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()

        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setSearchModel(self.search_model)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.pageNavigator().currentPageChanged.connect(self._page_changed)

        self.thumbnail_list = QListView()
        self.thumbnail_list.setModel(self.thumbnails)
        self.thumbnail_list.setUniformItemSizes(True)  # so the view never asks every row for its size
        self.thumbnail_list.setIconSize(THUMBNAIL_SIZE)
        self.thumbnail_list.setViewMode(QListView.ViewMode.IconMode)
        self.thumbnail_list.setFlow(QListView.Flow.TopToBottom)
        self.thumbnail_list.setWrapping(False)
        self.thumbnail_list.setMovement(QListView.Movement.Static)
        self.thumbnail_list.setFixedWidth(THUMBNAIL_SIZE.width() + 40)
        self.thumbnail_list.clicked.connect(lambda index: self.go_to_page(index.row() + 1))

        self.zoom_in_action = self._action(self.tr("放大"), "Ctrl+=", self.zoom_in)
        self.zoom_out_action = self._action(self.tr("缩小"), "Ctrl+-", self.zoom_out)
        self.fit_width_action = self._action(self.tr("适合宽度"), "Ctrl+0", self.fit_width)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("在文档中查找…"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(lambda: self.search(self.search_edit.text()))
        self.previous_action = self._action(self.tr("上一个"), "Shift+F3", self.previous_result)
        self.next_action = self._action(self.tr("下一个"), "F3", self.next_result)
        self.search_status_label = QLabel()

        toolbar = QToolBar()
        toolbar.addAction(self.zoom_out_action)
        toolbar.addAction(self.zoom_in_action)
        toolbar.addAction(self.fit_width_action)
        toolbar.addSeparator()
        toolbar.addWidget(self.search_edit)
        toolbar.addAction(self.previous_action)
        toolbar.addAction(self.next_action)
        toolbar.addWidget(self.search_status_label)

        body = QHBoxLayout()
        body.addWidget(self.thumbnail_list)
        body.addWidget(self.view, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header_label)
        layout.addWidget(self.error_label)
        layout.addWidget(toolbar)
        layout.addLayout(body, 1)

    def _action(self, text: str, shortcut: str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # --- opening ---------------------------------------------------------------------------------------

    def open_document(self, title: str, data: bytes, sha256_hex: str, signature_status: str) -> bool:
        """Show ``data`` (verified PDF bytes); False, with an error shown, when it is no readable PDF."""
        self.search_edit.clear()
        self.search_model.setSearchString("")
        self.search_status_label.clear()
        self.document.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        fingerprint = sha256_hex[:FINGERPRINT_HEX_SHOWN] + "…"
        self.header_label.setText(
            f"{title}    {self.tr('SHA-256 指纹')}: {fingerprint}    {self.tr('签章')}: {signature_status}"
        )
        self.header_label.setToolTip(sha256_hex)
        if self.document.status() != QPdfDocument.Status.Ready:
            self.error_label.setText(
                self.tr("无法打开该文档：文件已损坏或不是 PDF 格式。请勿依据此文件评审，并联系项目负责人。")
            )
            self.error_label.show()
            self.view.hide()
            self.thumbnail_list.hide()
            return False
        self.error_label.hide()
        self.view.show()
        self.thumbnail_list.show()
        self.fit_width()
        self.go_to_page(1)
        return True

    def page_count(self) -> int:
        return self.document.pageCount() if self.document.status() == QPdfDocument.Status.Ready else 0

    def current_page(self) -> int:
        """The page number shown (1-based); 0 when no document is open."""
        return self.view.pageNavigator().currentPage() + 1 if self.page_count() else 0

    # --- navigation and zoom ---------------------------------------------------------------------------

    def go_to_page(self, number: int) -> bool:
        """Show page ``number`` (1-based, as in a link ``bid:12``); False when there is no such page."""
        if not 1 <= number <= self.page_count():
            return False
        self.view.pageNavigator().jump(number - 1, QPointF(), self.view.zoomFactor())
        self.thumbnail_list.setCurrentIndex(self.thumbnails.index(number - 1, 0))
        return True

    def zoom_in(self) -> None:
        self._set_zoom(self.view.zoomFactor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self.view.zoomFactor() / ZOOM_STEP)

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def _set_zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(min(MAX_ZOOM, max(MIN_ZOOM, factor)))

    def _page_changed(self, page: int) -> None:
        self.sig_page_changed.emit(page + 1)

    # --- search ----------------------------------------------------------------------------------------

    def search(self, text: str) -> int:
        """Find ``text`` in the whole document, show the first hit, and return how many there are."""
        self.search_model.setSearchString(text)
        hits = 0
        if text:
            # resultsOnPage searches that page at once (QPdfSearchModel otherwise searches one page per
            # timer tick); PDFium's text search takes well under a millisecond per page.
            hits = sum(len(self.search_model.resultsOnPage(page)) for page in range(self.page_count()))
        self._hits = hits
        if hits:
            self._show_result(0)
        else:
            self.search_status_label.setText(self.tr("未找到") if text else "")
        return hits

    def search_hits(self) -> int:
        return self._hits

    def next_result(self) -> None:
        if self.search_hits():
            self._show_result((self.view.currentSearchResultIndex() + 1) % self.search_hits())

    def previous_result(self) -> None:
        if self.search_hits():
            self._show_result((self.view.currentSearchResultIndex() - 1) % self.search_hits())

    def _show_result(self, index: int) -> None:
        link = self.search_model.resultAtIndex(index)
        self.view.setCurrentSearchResultIndex(index)
        self.view.pageNavigator().jump(link)
        self.search_status_label.setText(f"{index + 1} / {self.search_hits()}")


class SideBySideViewer(QWidget):
    """Two bids next to each other, for comparing (e.g. identical errors across bidders)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.left = DocumentViewer()
        self.right = DocumentViewer()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.right)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

    def compare(
        self, left: tuple[str, bytes, str, str], right: tuple[str, bytes, str, str]
    ) -> tuple[bool, bool]:
        """Open ``(title, data, sha256_hex, signature_status)`` on each side; say which side opened."""
        return self.left.open_document(*left), self.right.open_document(*right)
