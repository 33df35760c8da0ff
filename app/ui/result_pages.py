"""The pages after the detailed review: group summary (汇总), evaluation report (评标报告) and the end.

Every number comes from the server's ``GroupSummary`` (fetched with GetSummary by :class:`SummarySource`
through :func:`~app.operations.run_in_background` whenever the session's ``last_sequence`` moves); the
pages compute nothing that ends up in the record. Actions go through the window's ``_record`` (local first,
signed, synced in order, through its :class:`~app.ui.actions.ActionRecorder`). What needs the whole
committee (汇总, 更正, 回退, 排名, 签署报告) is disabled while the client is offline, with the reason in the
tooltip, and the other experts' scores in the summary are not shown then either, the reason in their place:
DOMAIN.md, "What offline means here".

The read-only parts (:class:`SummaryTable`, :class:`PricePanel`, :class:`RankingPanel`,
:class:`SigningPanel`) are widgets of their own: the expert's pages and the supervisor's console
(:class:`ResultsOverview`, no actions at all) show the same summary through the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import cast

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe
from app.models.summary import (
    ResultNotes,
    SummaryModel,
    deviation_band,
    finalize_blockers,
    flag_key,
    fmt,
    own_flags,
    signing_lines,
)
from app.operations import run_in_background
from app.services.connection import ApiClient
from app.ui.fetching import CoalescedFetch, Run
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

Record = Callable[..., int | None]
"""The window's ``_record(rpc, cell=None, on_answered=None, /, **fields)``: queues a change, returns its
sequence or None."""
FetchSummary = Callable[[], session_pb2.GroupSummary]
InFlight = Callable[[int], bool]
"""True while the change with this sequence has no answer from the server yet (acknowledged or refused)."""

_AFTER_SUMMARY = (
    common_pb2.PHASE_SUMMARY,
    common_pb2.PHASE_REPORT,
    common_pb2.PHASE_CLOSED,
    common_pb2.PHASE_FAILED_TENDER,
)

QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""

CORRECTION_CASES: tuple[tuple[int, str], ...] = (
    (
        evaluation_service_pb2.CORRECTION_CASE_SUMMATION_ERROR,
        QT_TRANSLATE_NOOP("ResultPages", "分值汇总计算错误"),
    ),
    (
        evaluation_service_pb2.CORRECTION_CASE_OUT_OF_RANGE_ITEM,
        QT_TRANSLATE_NOOP("ResultPages", "分项评分超出评分标准规定的分值范围"),
    ),
    (
        evaluation_service_pb2.CORRECTION_CASE_INCONSISTENT_OBJECTIVE,
        QT_TRANSLATE_NOOP("ResultPages", "客观评审因素评分不一致"),
    ),
    (
        evaluation_service_pb2.CORRECTION_CASE_ABNORMAL_SCORE,
        QT_TRANSLATE_NOOP("ResultPages", "评分畸高、畸低"),
    ),
)
"""The correction cases of 87号令第64条 (source text, translated where shown)."""

ROLLBACK_TARGETS: tuple[tuple[int, str], ...] = (
    (common_pb2.PHASE_PRELIMINARY_REVIEW, QT_TRANSLATE_NOOP("ResultPages", "初步评审")),
    (common_pb2.PHASE_DETAILED_REVIEW, QT_TRANSLATE_NOOP("ResultPages", "详细评审")),
)
"""Where a roll-back may return to (source text, translated where shown)."""

BASE_KINDS = {
    "lowest": QT_TRANSLATE_NOOP("ResultPages", "最低有效投标报价"),
    "second_lowest": QT_TRANSLATE_NOOP("ResultPages", "次低有效投标报价"),
    "mean": QT_TRANSLATE_NOOP("ResultPages", "有效投标报价算术平均值"),
    "trimmed_mean": QT_TRANSLATE_NOOP("ResultPages", "去掉最高、最低报价后的算术平均值"),
    "reference": QT_TRANSLATE_NOOP("ResultPages", "标底 × 系数"),
}
"""How the 评标基准价 was computed (source text, translated where shown)."""


def _tr(text: str) -> str:
    return QCoreApplication.translate("ResultPages", text)


def _phase_name(phase: int) -> str:
    return _tr(dict(ROLLBACK_TARGETS).get(phase, str(phase)))


def all_detailed_submitted(view: session_pb2.SessionView) -> bool:
    active = [m for m in view.members if m.status == "active"]
    return bool(active) and all(m.detailed_submitted for m in active)


def shows_summary(view: session_pb2.SessionView) -> bool:
    """The summary page replaces the score sheet once every sheet is sealed: the leader runs 汇总 from it."""
    return view.phase == common_pb2.PHASE_SUMMARY or (
        view.phase == common_pb2.PHASE_DETAILED_REVIEW and all_detailed_submitted(view)
    )


def _summary_due(view: session_pb2.SessionView) -> bool:
    return view.phase in _AFTER_SUMMARY or shows_summary(view)


def _threshold(view: session_pb2.SessionView) -> Decimal:
    field = view.method.rules.fields.get("deviation_threshold_percent")
    if field is None:
        return Decimal(30)
    try:
        return Decimal(field.string_value or str(field.number_value))
    except InvalidOperation:
        return Decimal(30)


def _max_candidates(view: session_pb2.SessionView) -> int:
    field = view.method.rules.fields.get("max_candidates")
    return int(field.number_value) if field is not None else 3


def _names(view: session_pb2.SessionView) -> dict[str, str]:
    return {b.id: b.name for b in view.bidders}


def _criterion_titles(view: session_pb2.SessionView) -> dict[str, str]:
    return {c.id: c.title for c in view.method.criteria}


def _read_only_table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            table.setItem(row, column, QTableWidgetItem(value))
    # As tall as the rows (a handful of bidders): the page scrolls as a whole, not each table.
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + 2 * table.frameWidth() + 4
    height += sum(table.rowHeight(row) for row in range(table.rowCount()))
    if table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOn:
        height += table.horizontalScrollBar().sizeHint().height()
    table.setFixedHeight(max(height, 60))


def ranking_rows(summary: session_pb2.GroupSummary, names: dict[str, str]) -> list[list[str]]:
    """名次, 投标人, 总分, 推荐, 并列处理 for each ranked bidder."""
    rows = []
    for place in summary.ranking:
        candidate = _tr("第 %1 中标候选人").replace("%1", str(place.rank)) if place.candidate else ""
        name = f"{place.bidder_id} {names.get(place.bidder_id, '')}".strip()
        rows.append([str(place.rank), name, place.total, candidate, place.tie_note])
    return rows


def _ranking_table() -> QTableWidget:
    return _read_only_table([_tr("名次"), _tr("投标人"), _tr("总分"), _tr("推荐"), _tr("并列处理")])


def totals_rows(summary: session_pb2.GroupSummary, names: dict[str, str]) -> list[list[str]]:
    return [
        [f"{t.bidder_id} {names.get(t.bidder_id, '')}".strip(), t.price_score or "—", t.total or "—"]
        for t in summary.totals
    ]


def summary_fetch(client: ApiClient, session_id: str) -> Callable[[], session_pb2.GroupSummary]:
    """GetSummary for a :class:`SummarySource` (run by it through run_in_background, never on the GUI
    thread); the expert's window and the supervisor's console both feed their source with it."""

    def fetch() -> session_pb2.GroupSummary:
        response: evaluation_service_pb2.GetSummaryResponse = client.evaluation.GetSummary(
            evaluation_service_pb2.GetSummaryRequest(session_id=session_id), timeout=client.timeout
        )
        return response.summary

    return fetch


class SummarySource(QObject):
    """Fetches the GroupSummary once per new ``last_sequence`` (coalesced) and hands it to the pages."""

    sig_summary = Signal(object)
    """Emitted on the GUI thread with each fetched ``GroupSummary``."""
    sig_failed = Signal(str)
    """Emitted with the user text of a failed fetch (retried with the next view)."""

    def __init__(
        self, fetch: FetchSummary, parent: QObject | None = None, run: Run = run_in_background
    ) -> None:
        super().__init__(parent)
        self._fetch = CoalescedFetch(fetch, self, run)
        self._fetch.sig_done.connect(self._fetched)
        self._fetch.sig_failed.connect(self._failed)
        self._fetched_for: int | None = None  # last_sequence of the view the newest fetch was started for
        self._closed = False
        self.summary: session_pb2.GroupSummary | None = None

    def update(self, view: session_pb2.SessionView) -> None:
        """Fetch if the view moved on since the last fetch; the three pages call this with each view."""
        if self._closed or not _summary_due(view) or view.last_sequence == self._fetched_for:
            return
        self._fetched_for = view.last_sequence
        self.fetch()

    def fetch(self) -> None:
        self._fetch.fetch()

    def _fetched(self, _number: int, summary: object) -> None:
        assert isinstance(summary, session_pb2.GroupSummary)
        self.summary = summary
        self.sig_summary.emit(summary)

    def _failed(self, error: BaseException) -> None:
        self._fetched_for = None  # retry with the next view
        self.sig_failed.emit(describe(error))

    @property
    def busy(self) -> bool:
        return self._fetch.busy

    def close(self) -> None:
        self._closed = True
        self._fetch.close()


class _ResultPage(QWidget):
    """What the three pages share: the view, the summary, online state and actions in flight."""

    def __init__(
        self, source: SummarySource, in_flight: InFlight | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self._in_flight = in_flight
        self.view: session_pb2.SessionView | None = None
        self.summary: session_pb2.GroupSummary | None = source.summary
        self.online = True
        self._busy = False
        # Actions recorded from this page (key -> sequence) that the server has not answered yet. Without
        # ``in_flight`` the window's ``busy`` decides: it turns False again when a change was refused.
        self._pending: dict[str, int] = {}
        source.sig_summary.connect(self._on_summary)
        source.sig_failed.connect(self._on_failed)

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        self.view = view
        self._busy = busy
        in_flight = self._in_flight
        if in_flight is not None:
            self._pending = {key: seq for key, seq in self._pending.items() if in_flight(seq)}
        elif not busy:
            self._pending.clear()
        self.source.update(view)
        self.refresh_state()

    def set_online(self, online: bool) -> None:
        self.online = online
        self.refresh_state()

    def _on_summary(self, summary: session_pb2.GroupSummary) -> None:
        self.summary = summary
        self.show_summary(summary)
        self.refresh_state()

    def _on_failed(self, message: str) -> None:
        pass

    def show_summary(self, summary: session_pb2.GroupSummary) -> None:
        raise NotImplementedError

    def refresh_state(self) -> None:
        raise NotImplementedError

    def _blocked(self, key: str, *, group: bool = True) -> str:
        """Why no action of this kind is possible now ("" if one is)."""
        view = self.view
        if view is None:
            return _tr("正在读取评标会话…")
        if view.paused:
            return _tr("评标已暂停: ") + view.pause_reason
        if group and not self.online:
            return _tr("离线时不能进行需要全体评委参与的操作，请等待网络恢复")
        if key in self._pending and (self._busy or self._in_flight is not None):
            return _tr("正在提交…")
        return ""

    def _record_action(self, record: Record, key: str, rpc: str, **fields: object) -> None:
        self._pending[key] = 0  # disabled at once: ``record`` re-applies the view before it returns
        sequence = record(rpc, **fields)
        if sequence is None:
            self._pending.pop(key, None)
        else:
            self._pending[key] = sequence
        self.refresh_state()


def _enable(button: QWidget, reason: str) -> None:
    button.setEnabled(not reason)
    button.setToolTip(reason)


# -- read-only widgets shared by the expert's pages and the supervisor's console ---------------------------


class SummaryTable(QWidget):
    """Group points per bidder × item (each expert's value in the tooltip), then the deviation flags of
    the experts other than the caller (all of them for a supervisor, with what they wrote when known) and
    the objective items the experts disagree on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SummaryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setMinimumHeight(220)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.flags_label = QLabel()
        self.flags_label.setWordWrap(True)
        self.inconsistencies_label = QLabel()
        self.inconsistencies_label.setWordWrap(True)
        self._flags_text = ""  # as shown online: see hide_others
        self._inconsistent_text = ""
        self._hidden = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(_tr("<b>各投标人得分</b> (鼠标停留查看各专家评分)")))
        layout.addWidget(self.table)
        layout.addWidget(self.flags_label)
        layout.addWidget(self.inconsistencies_label)

    def show_summary(
        self,
        summary: session_pb2.GroupSummary,
        view: session_pb2.SessionView,
        explanations: Mapping[tuple[str, str, str], str] | None = None,
    ) -> None:
        """Show ``summary``; ``explanations`` (flag key -> text) adds what each flagged expert wrote."""
        self.model.set_summary(summary, view.bidders, view.method.criteria, view.caller_id)
        titles = _criterion_titles(view)
        member = any(m.person_id == view.caller_id for m in view.members)
        lines = []
        for flag in summary.deviation_flags:
            if flag.expert_id == view.caller_id:
                continue  # the caller's own flags have their boxes on the summary page
            where = f"{flag.bidder_id}/{flag.criterion_id} {titles.get(flag.criterion_id, '')}".strip()
            line = f"{flag.expert_id} {where}: {flag.points} (" + _tr("平均分 ") + f"{flag.mean}) — "
            text = (explanations or {}).get(flag_key(flag), "")
            if flag.explained:
                line += _tr("已说明") + (f": {text}" if text else "")
            else:
                line += _tr("待说明")
            lines.append(line)
        caption = _tr("其他专家的评分偏离:") if member else _tr("评分偏离 (须书面说明):")
        self._flags_text = caption + "\n" + "\n".join(lines) if lines else ""
        inconsistent = [
            f"{o.bidder_id}/{o.criterion_id}: "
            + ", ".join(f"{e} {p}" for e, p in sorted(o.expert_points.items()))
            for o in summary.objective_inconsistencies
        ]
        self._inconsistent_text = (
            _tr("客观分评分不一致 (须由组长申请更正): ") + "; ".join(inconsistent) if inconsistent else ""
        )
        self.hide_others(self._hidden)

    def hide_others(self, reason: str) -> None:
        """With a ``reason`` the other experts' scores are not shown, the reason is (see SummaryModel)."""
        self._hidden = reason
        self.model.hide_others(reason)
        for label, text in (
            (self.flags_label, self._flags_text),
            (self.inconsistencies_label, self._inconsistent_text),
        ):
            label.setText((reason or text) if text else "")
            label.setVisible(bool(text))


class PricePanel(QWidget):
    """The price-score computation with every input and intermediate value, so anyone can recompute it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.table = _read_only_table(
            [
                _tr("投标人"),
                _tr("投标报价"),
                _tr("在有效范围内"),
                _tr("参与基准价计算"),
                _tr("偏差率 (%)"),
                _tr("取用偏差率 (%)"),
                _tr("扣分"),
                _tr("价格分"),
                _tr("计算过程"),
            ]
        )
        # One line per bid: the arithmetic in words would wrap each row to a column's height; it is in full
        # in the cell's tooltip and in the steps below.
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # counted in its height
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(_tr("<b>价格分计算</b>")))
        layout.addWidget(self.label)
        layout.addWidget(self.table)
        layout.addWidget(self.steps)

    def show_price(self, price: session_pb2.PriceScoreDetail, names: dict[str, str]) -> None:
        if not price.formula_version:
            self.label.setText(_tr("本评标办法无价格分。"))
            _fill(self.table, [])
            self.steps.setText("")
            return
        lines = [
            _tr("计算公式版本: ") + price.formula_version,
            _tr("评标基准价计算方法: ") + _tr(BASE_KINDS.get(price.base_kind, price.base_kind)),
            _tr("有效报价范围: ")
            + (price.window_low or _tr("无下限"))
            + " ～ "
            + (price.window_high or _tr("无上限")),
            _tr("去掉的报价: ")
            + (", ".join(f"{b} {names.get(b, '')}".strip() for b in price.trimmed_out) or _tr("无")),
            _tr("下浮前基准价: ") + price.base_before_float,
            _tr("下浮系数 (浮动点): ")
            + (f"{price.float_point_percent}%" if price.float_point_percent else _tr("无")),
            _tr("评标基准价: ") + price.base,
        ]
        self.label.setText("\n".join(lines))
        yes, no = _tr("是"), _tr("否")
        _fill(
            self.table,
            [
                [
                    f"{s.bidder_id} {names.get(s.bidder_id, '')}".strip(),
                    s.price,
                    yes if s.in_window else no,
                    yes if s.entered_base else no,
                    s.deviation_percent or "—",
                    s.deviation_used or "—",
                    s.deduction or "—",
                    (_tr("否决") if s.rejected else s.score) or "—",
                    s.explanation,
                ]
                for s in price.scores
            ],
        )
        for row in range(self.table.rowCount()):
            item = self.table.item(row, self.table.columnCount() - 1)
            if item is not None:
                item.setToolTip(item.text())
        self.steps.setText(
            _tr("计算步骤:") + "\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(price.steps, 1))
        )


class RankingPanel(QWidget):
    """The ranking and the recommended candidates (at most 3: 条例第53条), or that it is not decided yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.table = _ranking_table()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(_tr("<b>排名</b>")))
        layout.addWidget(self.label)
        layout.addWidget(self.table)

    def show_ranking(self, summary: session_pb2.GroupSummary, view: session_pb2.SessionView) -> None:
        _fill(self.table, ranking_rows(summary, _names(view)))
        count = sum(1 for place in summary.ranking if place.candidate)
        self.label.setText(
            _tr("最多推荐 %1 名中标候选人；总分相同时报价低者优先，再按招标文件规定的规则。").replace(
                "%1", str(_max_candidates(view))
            )
            + (
                _tr(" 已推荐 %1 名。").replace("%1", str(count))
                if summary.ranking
                else _tr(" 排名尚未确定。")
            )
        )


class SigningPanel(QListWidget):
    """Who signed the report, who dissented (with the dissent) and who refused, as far as the reader knows."""

    def show_signing(self, view: session_pb2.SessionView, notes: ResultNotes | None = None) -> None:
        lines = signing_lines(view, notes.signings if notes is not None else {})
        if [self.item(i).text() for i in range(self.count())] == lines:
            return
        self.clear()
        self.addItems(lines)
        # As tall as its lines (one per member): the page scrolls as a whole.
        height = 2 * self.frameWidth() + 4 + sum(self.sizeHintForRow(row) for row in range(self.count()))
        self.setFixedHeight(max(height, 40))


class _FlagBox(QFrame):
    """One of the caller's deviating scores with the mandatory written explanation (偏离说明)."""

    def __init__(self, flag: session_pb2.DeviationFlag, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flag = flag
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("_FlagBox { background: #fff3e0; }")
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(_tr("书面说明评分理由 (必填)"))
        self.button = QPushButton(_tr("提交说明"))
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addLayout(row)


class SummaryPage(_ResultPage):
    """汇总: group scores, the caller's deviation flags, objective inconsistencies, price scores, ranking;
    the leader's 运行汇总 / 申请更正 / 申请回退 / 确定排名."""

    def __init__(
        self,
        record: Record,
        source: SummarySource,
        in_flight: InFlight | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(source, in_flight, parent)
        self._record = record
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")

        self.flags_box = QGroupBox(_tr("我的评分偏离 (须书面说明)"))
        self._flags_layout = QVBoxLayout(self.flags_box)
        self.flag_boxes: dict[tuple[str, str, str], _FlagBox] = {}
        self.summary_table = SummaryTable()
        self.price_panel = PricePanel()
        self.ranking_panel = RankingPanel()
        # The shared widgets' parts under the names the page always had (the tests read them).
        self.model = self.summary_table.model
        self.table = self.summary_table.table
        self.others_flags_label = self.summary_table.flags_label
        self.inconsistencies_label = self.summary_table.inconsistencies_label
        self.price_label = self.price_panel.label
        self.price_table = self.price_panel.table
        self.price_steps = self.price_panel.steps
        self.ranking_label = self.ranking_panel.label
        self.ranking_table = self.ranking_panel.table

        # -- leader only --
        self.leader_box = QGroupBox(_tr("组长操作"))
        self.run_button = QPushButton(_tr("运行汇总"))
        self.correction_expert = QComboBox()
        self.correction_case = QComboBox()
        for case, text in CORRECTION_CASES:
            self.correction_case.addItem(_tr(text), case)
        self.correction_reason = QLineEdit()
        self.correction_reason.setPlaceholderText(_tr("更正理由 (必填)"))
        self.correction_button = QPushButton(_tr("申请更正"))
        self.rollback_target = QComboBox()
        for phase, text in ROLLBACK_TARGETS:
            self.rollback_target.addItem(_tr(text), phase)
        self.rollback_reason = QLineEdit()
        self.rollback_reason.setPlaceholderText(_tr("回退理由 (必填)"))
        self.rollback_button = QPushButton(_tr("申请回退"))
        self.rollback_label = QLabel()
        self.rollback_label.setWordWrap(True)
        self.rollback_label.setStyleSheet("color: #e65100; font-weight: bold;")
        self.tie_rule = QLineEdit()
        self.tie_rule.setPlaceholderText(_tr("招标文件规定的排序规则 (仅在总分和报价均相同时需要)"))
        self.tie_order = QLineEdit()
        self.tie_order.setPlaceholderText(_tr("并列投标人的排序，如 B03,B01"))
        self.finalize_button = QPushButton(_tr("确定排名"))
        self.finalize_reason_label = QLabel()
        self.finalize_reason_label.setWordWrap(True)
        form = QFormLayout(self.leader_box)
        form.addRow(self.run_button)
        correction = QHBoxLayout()
        for widget in (self.correction_expert, self.correction_case, self.correction_reason):
            correction.addWidget(widget)
        correction.addWidget(self.correction_button)
        form.addRow(_tr("更正 (87号令第64条):"), correction)
        rollback = QHBoxLayout()
        rollback.addWidget(self.rollback_target)
        rollback.addWidget(self.rollback_reason, 1)
        rollback.addWidget(self.rollback_button)
        form.addRow(_tr("评审回退:"), rollback)
        form.addRow(self.rollback_label)
        form.addRow(_tr("排序规则:"), self.tie_rule)
        form.addRow(_tr("并列排序:"), self.tie_order)
        form.addRow(self.finalize_button)
        form.addRow(self.finalize_reason_label)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(QLabel(_tr("<h3>汇总</h3>")))
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.leader_box)
        layout.addWidget(self.flags_box)
        layout.addWidget(self.summary_table)
        layout.addWidget(self.price_panel)
        layout.addWidget(self.ranking_panel)
        layout.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.run_button.clicked.connect(self.run_summary)
        self.correction_button.clicked.connect(self.request_correction)
        self.rollback_button.clicked.connect(self.request_rollback)
        self.finalize_button.clicked.connect(self.finalize)
        for edit in (self.correction_reason, self.rollback_reason, self.tie_rule, self.tie_order):
            edit.textChanged.connect(self.refresh_state)
        self.leader_box.hide()
        self.flags_box.hide()

    # -- showing -------------------------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return (
            self.view is not None and bool(self.view.leader_id) and self.view.leader_id == self.view.caller_id
        )

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        members = [m.person_id for m in view.members if m.status == "active"]
        if [self.correction_expert.itemData(i) for i in range(self.correction_expert.count())] != members:
            self.correction_expert.clear()
            for member in view.members:
                if member.status == "active":
                    self.correction_expert.addItem(f"{member.person_id} {member.name}", member.person_id)
        super().show_view(view, busy)

    def _on_failed(self, message: str) -> None:
        self.error_label.setText(message)

    def show_summary(self, summary: session_pb2.GroupSummary) -> None:
        view = self.view
        if view is None:
            return
        self.error_label.setText("")
        names = _names(view)
        self.summary_table.show_summary(summary, view)
        self._show_flags(summary, view, names, _criterion_titles(view))
        self.price_panel.show_price(summary.price, names)
        self.ranking_panel.show_ranking(summary, view)
        self._show_others()

    def _show_flags(
        self,
        summary: session_pb2.GroupSummary,
        view: session_pb2.SessionView,
        names: dict[str, str],
        titles: dict[str, str],
    ) -> None:
        threshold = _threshold(view)
        mine = own_flags(summary, view.caller_id)
        wanted = {flag_key(f): f for f in mine}
        for key in [k for k in self.flag_boxes if k not in wanted]:
            self.flag_boxes.pop(key).deleteLater()
        for key, flag in wanted.items():
            band = deviation_band(flag.mean, threshold)
            band_text = f"{fmt(band[0])}–{fmt(band[1])}" if band is not None else "?"
            text = _tr("投标人 %1 · %2 %3: 您的评分 %4，各专家平均分 %5，允许范围 %6 (平均分 ± %7%)")
            for placeholder, value in (
                ("%1", f"{flag.bidder_id} {names.get(flag.bidder_id, '')}"),
                ("%2", flag.criterion_id),
                ("%3", titles.get(flag.criterion_id, "")),
                ("%4", flag.points),
                ("%5", fmt(Decimal(flag.mean)) if band is not None else flag.mean),
                ("%6", band_text),
                ("%7", str(threshold)),
            ):
                text = text.replace(placeholder, value)
            text += "  " + (_tr("✓ 已说明") if flag.explained else _tr("⚑ 待说明"))
            box = self.flag_boxes.get(key)
            if box is None:
                box = _FlagBox(flag, text)
                box.edit.textChanged.connect(self.refresh_state)
                box.button.clicked.connect(lambda _checked=False, k=key: self.explain(k))
                self.flag_boxes[key] = box
                self._flags_layout.addWidget(box)
            box.flag = flag
            box.label.setText(text)
            box.edit.setVisible(not flag.explained)
            box.button.setVisible(not flag.explained)
        self.flags_box.setVisible(bool(mine))

    def _show_others(self) -> None:
        """The other experts' scores (their deviations, inconsistent objective scores, the tooltips): not
        while offline (DOMAIN.md, revealing others' scores needs the group); the reason shows instead."""
        hidden = "" if self.online else _tr("离线时不显示其他专家的评分，请等待网络恢复")
        self.summary_table.hide_others(hidden)

    def refresh_state(self) -> None:
        view, summary = self.view, self.summary
        if view is None:
            return
        self._show_others()
        phase = view.phase
        leader = self.is_leader
        self.leader_box.setVisible(leader)
        available = summary is not None and summary.available and phase == common_pb2.PHASE_SUMMARY
        if phase == common_pb2.PHASE_DETAILED_REVIEW:
            self.status_label.setText(
                _tr("所有专家已提交详细评审，") + _tr("请运行汇总。")
                if leader
                else _tr("所有专家已提交详细评审，等待组长 %1 汇总。").replace("%1", view.leader_id)
            )
        elif phase == common_pb2.PHASE_SUMMARY:
            missing = [f for f in own_flags(summary, view.caller_id) if not f.explained] if summary else []
            self.status_label.setText(
                _tr("您有 %1 项评分偏离尚未说明，组长须待全部说明后才能确定排名。").replace(
                    "%1", str(len(missing))
                )
                if missing
                else _tr("汇总已完成。") + ("" if leader else _tr("等待组长确定排名。"))
            )
        pending = view.HasField("pending_rollback")
        self.rollback_label.setVisible(pending)
        if pending:
            self.rollback_label.setText(
                _tr("评审回退申请 (回到%1): %2 — 等待监督人员批准")
                .replace("%1", _phase_name(view.pending_rollback.target_phase))
                .replace("%2", view.pending_rollback.reason)
            )

        for key, box in self.flag_boxes.items():
            reason = self._blocked("explain:" + "/".join(key), group=False)
            if not reason and phase != common_pb2.PHASE_SUMMARY:
                reason = _tr("只能在汇总阶段说明")
            if not reason and not box.edit.text().strip():
                reason = _tr("请填写书面说明")
            _enable(box.button, reason)

        if not leader:
            return
        run = self._blocked("run")
        if not run and pending:
            run = _tr("评审回退申请正等待监督人员决定")
        if not run and not shows_summary(view):
            run = _tr("只能在所有专家提交详细评审后汇总")
        _enable(self.run_button, run)

        correction = self._blocked("correction")
        if not correction and not available:
            correction = _tr("只能对已完成的汇总申请更正")
        if not correction and not self.correction_reason.text().strip():
            correction = _tr("请填写更正理由")
        _enable(self.correction_button, correction)

        rollback = self._blocked("rollback")
        if not rollback and pending:
            rollback = _tr("已有评审回退申请等待监督人员决定")
        if not rollback and phase not in (common_pb2.PHASE_DETAILED_REVIEW, common_pb2.PHASE_SUMMARY):
            rollback = _tr("当前步骤不能申请回退")
        if not rollback and not self.rollback_reason.text().strip():
            rollback = _tr("请填写回退理由")
        _enable(self.rollback_button, rollback)

        finalize = self._blocked("finalize")
        if not finalize and not available:
            finalize = _tr("请先运行汇总")
        if not finalize and summary is not None:
            finalize = "；".join(finalize_blockers(summary, view))
        if not finalize and self.tie_order.text().strip() and not self.tie_rule.text().strip():
            finalize = _tr("填写并列排序时须注明招标文件规定的排序规则")
        _enable(self.finalize_button, finalize)
        self.finalize_reason_label.setText(_tr("不能确定排名: ") + finalize if finalize else "")

    # -- actions -------------------------------------------------------------------------------------

    def explain(self, key: tuple[str, str, str]) -> None:
        box = self.flag_boxes[key]
        text = box.edit.text().strip()
        if not text or not box.button.isEnabled():
            return
        _expert, bidder_id, criterion_id = key
        self._record_action(
            self._record,
            "explain:" + "/".join(key),
            "ExplainDeviation",
            bidder_id=bidder_id,
            criterion_id=criterion_id,
            text=text,
        )

    def run_summary(self) -> None:
        self._record_action(self._record, "run", "RunSummary")

    def request_correction(self) -> None:
        expert_id = self.correction_expert.currentData()
        case = self.correction_case.currentData()
        reason = self.correction_reason.text().strip()
        if not (expert_id and case and reason):
            return
        self._record_action(
            self._record,
            "correction",
            "RequestCorrection",
            expert_id=str(expert_id),
            correction_case=int(case),
            reason=reason,
        )

    def request_rollback(self) -> None:
        reason = self.rollback_reason.text().strip()
        if not reason:
            return
        target = int(self.rollback_target.currentData())
        self._record_action(self._record, "rollback", "RequestRollback", target_phase=target, reason=reason)

    def finalize(self) -> None:
        order = [b.strip() for b in self.tie_order.text().replace("，", ",").split(",") if b.strip()]
        rule = self.tie_rule.text().strip() if order else ""
        self._record_action(
            self._record, "finalize", "FinalizeRanking", tie_break_order=order, tie_break_rule=rule
        )


class ReportPage(_ResultPage):
    """评标报告: final ranking and totals, the caller's signature (同意 / 不同意 / 拒绝签字), who signed."""

    AGREE, DISAGREE, REFUSE = 1, 2, 3

    def __init__(
        self,
        record: Record,
        source: SummarySource,
        in_flight: InFlight | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(source, in_flight, parent)
        self._record = record
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.ranking_table = _ranking_table()
        self.totals_table = _read_only_table([_tr("投标人"), _tr("价格分"), _tr("总分")])
        self.agree_radio = QRadioButton(_tr("同意"))
        self.disagree_radio = QRadioButton(_tr("不同意 (须书面说明不同意见和理由)"))
        self.refuse_radio = QRadioButton(_tr("拒绝签字"))
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.agree_radio, self.AGREE)
        self.choice.addButton(self.disagree_radio, self.DISAGREE)
        self.choice.addButton(self.refuse_radio, self.REFUSE)
        self.dissent_edit = QPlainTextEdit()
        self.dissent_edit.setPlaceholderText(_tr("不同意见及理由"))
        self.dissent_edit.setMaximumHeight(90)
        # The law deems a refusal without reasons to be agreement (DOMAIN.md step 14); a refusal with
        # reasons is a dissent. So a refusal asks for that acknowledgement, not for a text the record drops.
        self.refuse_ack = QCheckBox(
            _tr("我知悉：拒绝签字且不说明理由的，视为同意评标结论。如有理由，请选择“不同意”。")
        )
        self.sign_button = QPushButton(_tr("提交"))
        self.signed_list = SigningPanel()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_tr("<h3>评标报告</h3>")))
        layout.addWidget(self.status_label)
        layout.addWidget(QLabel(_tr("<b>推荐中标候选人及排名</b>")))
        layout.addWidget(self.ranking_table)
        layout.addWidget(QLabel(_tr("<b>各投标人得分</b>")))
        layout.addWidget(self.totals_table)
        layout.addWidget(QLabel(_tr("<b>签署意见</b>")))
        for widget in (
            self.agree_radio,
            self.disagree_radio,
            self.dissent_edit,
            self.refuse_radio,
            self.refuse_ack,
        ):
            layout.addWidget(widget)
        layout.addWidget(self.sign_button)
        layout.addWidget(QLabel(_tr("签署情况:")))
        layout.addWidget(self.signed_list)
        self.choice.idToggled.connect(lambda *_: self.refresh_state())
        self.dissent_edit.textChanged.connect(self.refresh_state)
        self.refuse_ack.toggled.connect(self.refresh_state)
        self.sign_button.clicked.connect(self.sign)

    def show_summary(self, summary: session_pb2.GroupSummary) -> None:
        if self.view is None:
            return
        names = _names(self.view)
        _fill(self.ranking_table, ranking_rows(summary, names))
        _fill(self.totals_table, totals_rows(summary, names))

    def refresh_state(self) -> None:
        view = self.view
        if view is None:
            return
        me = next((m for m in view.members if m.person_id == view.caller_id), None)
        signed = me is not None and me.signed
        active = [m for m in view.members if m.status == "active"]
        self.signed_list.show_signing(view)
        waiting = [m.person_id for m in active if not m.signed]
        if signed:
            self.status_label.setText(
                _tr("您已签署评标报告。") + (_tr("等待: ") + ", ".join(waiting) if waiting else "")
            )
        else:
            self.status_label.setText(_tr("请审阅评标结果并签署评标报告。"))
        choice = self.choice.checkedId()
        self.dissent_edit.setEnabled(choice == self.DISAGREE and not signed)
        self.refuse_ack.setVisible(choice == self.REFUSE)
        for widget in (self.agree_radio, self.disagree_radio, self.refuse_radio):
            widget.setEnabled(not signed)
        reason = self._blocked("sign")
        if not reason and signed:
            reason = _tr("您已签署")
        if not reason and view.phase != common_pb2.PHASE_REPORT:
            reason = _tr("只能在评标报告阶段签署")
        if not reason and choice == -1:
            reason = _tr("请选择同意、不同意或拒绝签字")
        if not reason and choice == self.DISAGREE and not self.dissent_edit.toPlainText().strip():
            reason = _tr("不同意时须书面说明不同意见和理由")
        if not reason and choice == self.REFUSE and not self.refuse_ack.isChecked():
            reason = _tr("请确认已知悉拒绝签字的后果")
        _enable(self.sign_button, reason)

    def sign(self) -> None:
        choice = self.choice.checkedId()
        if not self.sign_button.isEnabled():
            return
        if choice == self.AGREE:
            fields: dict[str, object] = {"decision": evaluation_service_pb2.SIGN_DECISION_AGREE}
        elif choice == self.DISAGREE:
            fields = {
                "decision": evaluation_service_pb2.SIGN_DECISION_DISAGREE,
                "dissent": self.dissent_edit.toPlainText().strip(),
            }
        else:
            fields = {"decision": evaluation_service_pb2.SIGN_DECISION_REFUSE}
        self._record_action(self._record, "sign", "SignReport", **fields)


class EndedPage(_ResultPage):
    """评标结束: closed with the signed report, or failed tender (流标) with the reason."""

    def __init__(self, source: SummarySource, parent: QWidget | None = None) -> None:
        super().__init__(source, None, parent)
        self.title_label = QLabel()
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.ranking_caption = QLabel(_tr("<b>推荐中标候选人及排名</b>"))
        self.ranking_table = _ranking_table()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.ranking_caption)
        layout.addWidget(self.ranking_table)
        layout.addStretch()

    def show_summary(self, summary: session_pb2.GroupSummary) -> None:
        if self.view is not None:
            _fill(self.ranking_table, ranking_rows(summary, _names(self.view)))
        self.refresh_state()

    def refresh_state(self) -> None:
        view = self.view
        if view is None:
            return
        if view.phase == common_pb2.PHASE_FAILED_TENDER:
            self.title_label.setText(_tr("<h3>流标</h3>"))
            self.reason_label.setText(_tr("流标原因: ") + (view.failed_tender_reason or _tr("未说明")))
        else:
            self.title_label.setText(_tr("<h3>评标结束</h3>"))
            self.reason_label.setText(_tr("评标报告已由全体评委签署，评标结束。"))
        ranked = self.summary is not None and bool(self.summary.ranking)
        self.ranking_caption.setVisible(ranked)
        self.ranking_table.setVisible(ranked)


class ResultsOverview(_ResultPage):
    """汇总与排名 for the supervisor's console: what the committee produced, read only, updated live.

    The group points (each expert's value in the tooltip), every deviation flag with its explanation,
    inconsistent objective scores, the price-score computation, the ranking and candidates and, from the
    report on, who signed, dissented or refused. A supervisor watches and never changes a result
    (DOMAIN.md): nothing here records anything. Before the summary it says why it is empty.
    """

    def __init__(self, source: SummarySource, parent: QWidget | None = None) -> None:
        super().__init__(source, None, parent)
        self.notes = ResultNotes()
        self.status_label = QLabel(_tr("正在读取评标会话…"))
        self.status_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.summary_table = SummaryTable()
        self.price_panel = PricePanel()
        self.ranking_panel = RankingPanel()
        self.signing_box = QGroupBox(_tr("评标报告签署情况"))
        self.signing_panel = SigningPanel()
        signing_layout = QVBoxLayout(self.signing_box)
        signing_layout.addWidget(self.signing_panel)
        self.results = QWidget()  # everything that needs a summary: hidden until there is one
        results_layout = QVBoxLayout(self.results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.summary_table)
        results_layout.addWidget(self.price_panel)
        results_layout.addWidget(self.ranking_panel)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.signing_box)
        layout.addWidget(self.results)
        layout.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.results.hide()
        self.signing_box.hide()

    def set_notes(self, notes: ResultNotes) -> None:
        """The explanations' texts and signing decisions read from the events (the window keeps them)."""
        self.notes = notes
        if self.summary is not None:
            self.show_summary(self.summary)
        self.refresh_state()

    def _on_failed(self, message: str) -> None:
        self.error_label.setText(message)

    def show_summary(self, summary: session_pb2.GroupSummary) -> None:
        view = self.view
        if view is None:
            return
        self.error_label.setText("")
        self.summary_table.show_summary(summary, view, self.notes.explanations)
        self.price_panel.show_price(summary.price, _names(view))
        self.ranking_panel.show_ranking(summary, view)

    @property
    def shows_results(self) -> bool:
        """True while a computed summary of the current phase is on show."""
        view, summary = self.view, self.summary
        return view is not None and summary is not None and summary.available and _summary_due(view)

    def refresh_state(self) -> None:
        view, summary = self.view, self.summary
        if view is None:
            return
        shown = self.shows_results
        self.results.setVisible(shown)
        signing = view.phase in (common_pb2.PHASE_REPORT, common_pb2.PHASE_CLOSED)
        self.signing_box.setVisible(signing)
        if signing:
            self.signing_panel.show_signing(view, self.notes)
        self.status_label.setText(self._status(view, summary if shown else None))

    def _status(self, view: session_pb2.SessionView, summary: session_pb2.GroupSummary | None) -> str:
        """What the tab shows now, and, while there is nothing to show, why."""
        phase = view.phase
        if phase == common_pb2.PHASE_FAILED_TENDER:
            text = _tr("流标: ") + (view.failed_tender_reason or _tr("未说明"))
            return text if summary is not None else text + _tr("。没有汇总结果。")
        if summary is None:
            if phase == common_pb2.PHASE_DETAILED_REVIEW and all_detailed_submitted(view):
                text = _tr("所有专家已提交详细评审，等待组长 %1 运行汇总。")
                return text.replace("%1", view.leader_id) + _tr("汇总后在此显示得分、价格分计算和排名。")
            if _summary_due(view):
                return _tr("正在读取汇总结果…")
            return _tr("尚无汇总结果: 各专家提交详细评审、组长运行汇总后，在此显示得分、价格分计算和排名。")
        if phase == common_pb2.PHASE_SUMMARY:
            blockers = finalize_blockers(summary, view)
            if blockers:
                return _tr("汇总已完成。组长尚不能确定排名: ") + "；".join(blockers)
            return _tr("汇总已完成，等待组长确定排名。")
        if phase == common_pb2.PHASE_REPORT:
            active = [m for m in view.members if m.status == "active"]
            signed = sum(1 for m in active if m.signed)
            return (
                _tr("排名已确定，评标报告签署中: 已签署 %1 / %2。")
                .replace("%1", str(signed))
                .replace("%2", str(len(active)))
            )
        if phase == common_pb2.PHASE_CLOSED:
            return _tr("评标报告已由全体评委签署，评标结束。")
        return _tr("汇总已完成。")
