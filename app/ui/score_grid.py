"""The detailed-review score sheet: a keyboard-first table over ``ScoreGridModel`` and a status line.

Typing on a cell starts editing, Enter commits and moves down, Tab moves right, Esc cancels. A refused
value stays out of the model; the status line says why and the cell turns light red. A value the server
refused is red as well, and the status line gives the server's reason when the cell is selected.

查看相关页 (context menu, or F4) asks to show the document pages the current criterion refers to
(``Criterion.page_refs``) through ``sig_show_pages``. Not F2: F2 is Qt's "edit the current cell" key.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.score_grid import ScoreGridModel


class ScoreGridView(QTableView):
    sig_status = Signal(str)
    """Emitted with a message for the status line: a refusal, or "" once a value is accepted."""
    sig_show_pages = Signal(list, str)
    """Emitted with (page refs of the current criterion, bidder id of the current row) on 查看相关页."""

    def __init__(self, model: ScoreGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Before setModel: setting the model calls currentChanged, which updates this action.
        self._grid = model
        self.show_pages_action = QAction(self.tr("查看相关页"), self)
        self.show_pages_action.setShortcut(QKeySequence("F4"))
        self.show_pages_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.show_pages_action.setEnabled(False)
        self.show_pages_action.triggered.connect(self.show_pages)
        self.addAction(self.show_pages_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setModel(model)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setWordWrap(False)
        model.sig_rejected.connect(self._rejected)
        model.sig_entry_changed.connect(self._accepted)

    def current_page_refs(self) -> list[str]:
        """The page refs of the criterion in the current column (empty for the total column)."""
        current = self.currentIndex()
        criterion = self._grid.criterion(current.column()) if current.isValid() else None
        return [] if criterion is None else list(criterion.page_refs)

    def show_pages(self) -> None:
        refs = self.current_page_refs()
        if refs:
            self.sig_show_pages.emit(refs, self._grid.bidder_id(self.currentIndex().row()))

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        """Enter (SubmitModelCache) moves down one row unless the value was refused; Tab/Esc as Qt does."""
        if hint is not QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            super().closeEditor(editor, hint)
            return
        current = self.currentIndex()
        super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        if not current.isValid() or self._grid.cell_error(current.row(), current.column()) is not None:
            return
        below = current.siblingAtRow(current.row() + 1)
        if below.isValid():
            self.setCurrentIndex(below)

    def currentChanged(
        self, current: QModelIndex | QPersistentModelIndex, previous: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().currentChanged(current, previous)
        self.show_pages_action.setEnabled(bool(self.current_page_refs()))
        if current.isValid():
            row, column = current.row(), current.column()
            refusal = self._grid.cell_refusal(row, column)
            refused = "" if refusal is None else self.tr("服务器未接受：") + refusal
            self.sig_status.emit(self._grid.cell_error(row, column) or refused)

    def _rejected(self, row: int, column: int, message: str) -> None:
        self.sig_status.emit(message)

    def _accepted(self, bidder_id: str, criterion_id: str, entry: object) -> None:
        self.sig_status.emit("")


class ScoreSheet(QWidget):
    """The grid with its status line underneath (read-only after submission: ``model.set_read_only``)."""

    def __init__(self, model: ScoreGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = ScoreGridView(model, self)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view.sig_status.connect(self.status_label.setText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(self.status_label)
