"""The detailed-review score sheet: a keyboard-first table over ``ScoreGridModel`` and a status line.

Typing on a cell starts editing, Enter commits and moves down, Tab moves right, Esc cancels. A refused
value stays out of the model; the status line says why and the cell turns light red.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
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

    def __init__(self, model: ScoreGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._grid = model
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
        if current.isValid():
            self.sig_status.emit(self._grid.cell_error(current.row(), current.column()) or "")

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
