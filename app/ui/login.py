"""The login window: server, credential file and PIN; unlocking and connecting run off the GUI thread.

Also what every window of the client names alike: the workflow's phases and the roles as users read them
(:func:`phase_text`, :func:`role_text`) and a session window's title (:func:`window_title`).

The window paints before anything heavy is loaded: this module imports only Qt and small modules of ours at
load time, and gRPC, cryptography, SQLCipher and the generated API inside the functions that need them
(``log_in`` on a worker thread, the credential peek after the first paint). tests/app/test_startup.py
guards it.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QSettings, QTimer, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.errors import describe
from app.i18n import LanguageSelector, retranslate_on_change
from app.operations import run_in_background
from app.room_config import RoomConfig, check_ca_file

if TYPE_CHECKING:
    from app.services.connection import ApiClient
    from app.services.session_start import OpenedSession
    from bideval.identity.credential import CredentialInfo
    from bideval.v1 import common_pb2

QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""

FINISHED = frozenset({"PHASE_CLOSED", "PHASE_FAILED_TENDER"})
"""The phases (``common_pb2.Phase`` names) of a session that is over: nothing to open at login."""

# The tables are keyed by the enum values' names (``common_pb2.Phase.Name``): building them needs no protobuf.
PHASE_TEXT = {
    "PHASE_CHECK_IN": QT_TRANSLATE_NOOP("Phase", "签到"),
    "PHASE_PLEDGE": QT_TRANSLATE_NOOP("Phase", "承诺书"),
    "PHASE_RECUSAL": QT_TRANSLATE_NOOP("Phase", "回避声明"),
    "PHASE_LEADER_ELECTION": QT_TRANSLATE_NOOP("Phase", "推选组长"),
    "PHASE_AWAITING_START": QT_TRANSLATE_NOOP("Phase", "等待开始"),
    "PHASE_PRELIMINARY_REVIEW": QT_TRANSLATE_NOOP("Phase", "初步评审"),
    "PHASE_DETAILED_REVIEW": QT_TRANSLATE_NOOP("Phase", "详细评审"),
    "PHASE_SUMMARY": QT_TRANSLATE_NOOP("Phase", "汇总"),
    "PHASE_REPORT": QT_TRANSLATE_NOOP("Phase", "评标报告签字"),
    "PHASE_CLOSED": QT_TRANSLATE_NOOP("Phase", "评标结束"),
    "PHASE_FAILED_TENDER": QT_TRANSLATE_NOOP("Phase", "流标"),
}
"""Each phase's name (source text): shown through :func:`phase_text`."""

ROLE_TEXT = {
    "ROLE_EXPERT": QT_TRANSLATE_NOOP("Role", "专家"),
    "ROLE_SUPERVISOR": QT_TRANSLATE_NOOP("Role", "监督人员"),
    "ROLE_OPERATOR": QT_TRANSLATE_NOOP("Role", "工作人员"),
}
"""Each role's name (source text): shown through :func:`role_text`."""


def phase_text(phase: common_pb2.Phase.ValueType) -> str:
    """The phase's name as the user reads it ("?" for a phase this client does not know)."""
    from bideval.v1 import common_pb2

    try:
        text = PHASE_TEXT.get(common_pb2.Phase.Name(phase))
    except ValueError:
        text = None
    return QCoreApplication.translate("Phase", text) if text is not None else "?"


def role_text(role: common_pb2.Role.ValueType | str) -> str:
    """The role's name as the user reads it: ``role`` a ``common_pb2.Role`` value, its name
    ("ROLE_EXPERT") or a credential's role ("expert")."""
    if isinstance(role, str):
        name = role if role.startswith("ROLE_") else "ROLE_" + role.upper()
    else:
        from bideval.v1 import common_pb2

        try:
            name = common_pb2.Role.Name(role)
        except ValueError:
            name = ""
    text = ROLE_TEXT.get(name)
    return QCoreApplication.translate("Role", text) if text is not None else "?"


def window_title(project: str, name: str, role: str) -> str:
    """A session window's title: the system, the project, who sits at it and in which role."""
    text = QCoreApplication.translate("WindowTitle", "远程异地评标系统 — %1 — %2 (%3)")
    return text.replace("%1", project).replace("%2", name).replace("%3", role)


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """One of the caller's sessions as the login window lists it."""

    project: str
    lot: str
    phase: common_pb2.Phase.ValueType
    paused: bool


def session_line(entry: SessionEntry) -> str:
    """The entry as the login window shows it, in the language in effect: made when shown (not on the
    worker thread that listed it) so that it follows a language switch."""
    paused = QCoreApplication.translate("LoginWindow", "（已暂停）") if entry.paused else ""
    return f"{entry.project} / {entry.lot} — {phase_text(entry.phase)}{paused}"


@dataclass(frozen=True, slots=True)
class LoginResult:
    client: ApiClient
    caller_name: str
    caller_role: str
    sessions: tuple[SessionEntry, ...]
    opened: OpenedSession | None = None  # the current session (expert, supervisor), syncing


# Below this a day of scoring plus the bid documents may not fit: refuse before work starts, not midway.
MIN_FREE_BYTES = 200 << 20


def check_data_folder(directory: Path, min_free: int = MIN_FREE_BYTES) -> None:
    """Raise OSError (ENOSPC, EACCES, ...) when the cache folder is unusable, before anything is written."""
    directory.mkdir(parents=True, exist_ok=True)
    if not os.access(directory, os.W_OK):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(directory))
    free = shutil.disk_usage(directory).free
    if free < min_free:
        raise OSError(
            errno.ENOSPC,
            f"{os.strerror(errno.ENOSPC)} ({free >> 20} MB free, {min_free >> 20} MB needed)",
            str(directory),
        )


def log_in(address: str, credential: Path, pin: str, room: RoomConfig | None = None) -> LoginResult:
    """Unlock the credential, ask the server who we are and, for an expert, open the current session's
    encrypted cache and start syncing it (runs on a worker thread: both key derivations are slow).

    With a room configuration the server is trusted only through the room's CA, and a credential issued
    under another CA is refused before the PIN is even tried."""
    # Imported here, on the worker thread: the window painted long before (see the module docstring).
    from app.room_config import check_credential_ca
    from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel
    from app.services.session_start import cache_directory, open_session
    from bideval.audit.signing import SoftwareSigner
    from bideval.identity.credential import peek_credential, unlock_credential
    from bideval.identity.pki import Role, cert_from_pem
    from bideval.v1 import common_pb2, diagnostics_service_pb2, evaluation_service_pb2

    ca_pem: bytes | None = None
    if room is not None:
        check_credential_ca(room, peek_credential(credential).ca_cert_pem)
        ca_pem = room.ca_pem()
    unlocked = unlock_credential(credential, pin)
    if unlocked.identity.role in (Role.EXPERT, Role.SUPERVISOR):  # they get a session cache
        check_data_folder(cache_directory())
    channel = open_channel(Endpoint(address, ca_pem or unlocked.ca_pem, unlocked.cert_pem, unlocked.key_pem))
    signer = SoftwareSigner(cert_from_pem(unlocked.cert_pem), unlocked.private_key)
    client = ApiClient(channel, Sequencer(f"{unlocked.identity.person_id}-desktop", signer))
    try:
        info = client.diagnostics.GetServerInfo(diagnostics_service_pb2.GetServerInfoRequest(), timeout=10)
        listed = client.evaluation.ListMySessions(evaluation_service_pb2.ListMySessionsRequest(), timeout=10)
    except Exception:
        client.close()
        raise
    entries = tuple(SessionEntry(s.project_name, s.lot_name, s.phase, s.paused) for s in listed.sessions)
    opened = None
    finished = {common_pb2.Phase.Value(name) for name in FINISHED}
    open_sessions = [s for s in listed.sessions if s.phase not in finished]
    # Supervisors too: their decisions are signed and queued like changes, and their witness co-signs.
    if unlocked.identity.role in (Role.EXPERT, Role.SUPERVISOR) and open_sessions:
        try:
            opened = open_session(client, unlocked, pin, open_sessions[0].session_id)
        except Exception:
            client.close()
            raise
    return LoginResult(client, info.caller_name, common_pb2.Role.Name(info.caller_role), entries, opened)


PAINT_FALLBACK_MS = 1000
"""A ``paint_first`` window that is not painted within this time (hidden, minimised) starts its checks
anyway: they must not wait for the screen forever."""


def read_holder(text: str, room: RoomConfig | None) -> CredentialInfo | None:
    """Who the credential file ``text`` belongs to, read without the PIN (None: no file there). With a room
    configuration a credential issued under another CA is refused here already (CredentialCaMismatch), as
    soon as the file is chosen, not only after the PIN (the login refuses it too)."""
    path = Path(text)
    if not text or not path.is_file():
        return None
    from app.room_config import check_credential_ca
    from bideval.identity.credential import peek_credential

    info = peek_credential(path)
    if room is not None:
        check_credential_ca(room, info.ca_cert_pem)
    return info


class LoginWindow(QWidget):
    """Server, credential file and PIN, with the language selector (中文 / English) at the top right.

    Choosing a language switches the whole client (:func:`app.i18n.switch_language`) and stores the choice:
    this window retranslates itself at once, and the windows opened after login are made in it.

    ``paint_first`` (the program's start, app/main.py): the window paints before anything slow happens.
    The credential's holder is read and the room's CA file checked (both load cryptography) right after the
    first paint, off the GUI thread; until the CA check passed the login cannot be submitted (a PIN entered
    meanwhile is submitted once it passed). Without it (tests, tools) the holder is read in the constructor
    and ``room``, if any, was loaded with its CA checked (``load_room_config()``)."""

    sig_logged_in = Signal(object)
    """Emitted with a LoginResult once the server accepted the credential."""
    sig_ready = Signal()
    """``paint_first``: emitted after the first paint once the room's CA file passed its check (at once
    without a room configuration): from then on the login can be submitted."""
    sig_room_failed = Signal(object)
    """``paint_first``: emitted with the CaFileError when the room's CA file, checked after the first
    paint, is unusable; the login stays disabled."""

    def __init__(
        self,
        server: str = "",
        credential: str = "",
        room: RoomConfig | None = None,
        settings: QSettings | None = None,
        *,
        paint_first: bool = False,
    ) -> None:
        """With a room configuration the server address is the room's and cannot be edited. ``settings``
        is where the language choice is stored (default: the person's client settings). ``paint_first``:
        ``room`` comes from ``load_room_config(check_ca=False)``, its CA file is checked after the first
        paint (see the class)."""
        super().__init__()
        self.room = room
        # The status line as a function of the language: re-run when it changes (None: nothing to say).
        self._status: Callable[[], str] | None = None
        self._sessions: tuple[SessionEntry, ...] = ()
        # What reading the credential file found (None: no file), shown in the language in effect.
        self._holder: CredentialInfo | BaseException | None = None
        self._before_first_paint = paint_first
        self._room_unchecked = paint_first and room is not None
        self._submit_waiting = False  # submitted while the room's CA was being checked
        self._room_error: BaseException | None = None  # the room's CA failed its check: no login at all
        self.language_selector = LanguageSelector(self, settings)
        self.server_edit = QLineEdit(room.server if room else (server or "127.0.0.1:50051"))
        self.server_edit.setReadOnly(room is not None)
        self.venue_label = QLabel(room.venue_id if room else "")
        self.credential_edit = QLineEdit(credential)
        self.credential_edit.textChanged.connect(self._show_holder)
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self._browse)
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.returnPressed.connect(self.submit)
        self.holder_label = QLabel()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.login_button = QPushButton()
        self.login_button.clicked.connect(self.submit)
        self.login_button.setEnabled(not self._room_unchecked)
        self.sessions_list = QListWidget()

        self.server_caption = QLabel()
        self.venue_caption = QLabel()
        self.credential_caption = QLabel()
        self.holder_caption = QLabel()
        self.pin_caption = QLabel()
        credential_row = QHBoxLayout()
        credential_row.addWidget(self.credential_edit)
        credential_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(self.server_caption, self.server_edit)
        if room is not None:
            form.addRow(self.venue_caption, self.venue_label)
        form.addRow(self.credential_caption, credential_row)
        form.addRow(self.holder_caption, self.holder_label)
        form.addRow(self.pin_caption, self.pin_edit)
        # Pushed to the right by a stretch rather than Qt.AlignmentFlag: Qt's namespace costs ~20 ms to load,
        # which the first paint would wait for.
        language_row = QHBoxLayout()
        language_row.addStretch()
        language_row.addWidget(self.language_selector)
        layout = QVBoxLayout(self)
        layout.addLayout(language_row)
        layout.addLayout(form)
        layout.addWidget(self.login_button)
        layout.addWidget(self.status_label)
        layout.addWidget(self.sessions_list)
        self._show_holder(credential)
        if credential:
            self.pin_edit.setFocus()  # the credential is preset (demo, room shortcut): type the PIN at once
        self.retranslate()
        retranslate_on_change(self, self.retranslate)
        if paint_first:
            QTimer.singleShot(PAINT_FALLBACK_MS, self, self._after_first_paint)

    def retranslate(self) -> None:
        """Every text of the window in the language in effect (also called on each language switch)."""
        self.setWindowTitle(self.tr("远程异地评标系统 — 登录"))
        self.server_caption.setText(self.tr("服务器地址"))
        self.venue_caption.setText(self.tr("评标场地"))
        self.credential_caption.setText(self.tr("数字证书文件"))
        self.holder_caption.setText(self.tr("持有人"))
        self.pin_caption.setText(self.tr("PIN 码"))
        self.browse_button.setText(self.tr("选择…"))
        self.login_button.setText(self.tr("登录"))
        self._render_holder()
        self.status_label.setText(self._status() if self._status is not None else "")
        self.sessions_list.clear()
        self.sessions_list.addItems([session_line(entry) for entry in self._sessions])

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._before_first_paint:
            # Queued: runs after this paint has been flushed, so nothing below can delay it.
            QTimer.singleShot(0, self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if not self._before_first_paint:
            return  # the paint and the fallback timer both ask; the first one does it
        self._before_first_paint = False
        room = self.room
        if self._room_unchecked and room is not None:
            run_in_background(lambda: check_ca_file(room.ca_file), self._room_checked, self._room_failed)
        else:
            self.sig_ready.emit()
        text = self.credential_edit.text()
        if text:
            # The first read loads cryptography: off the GUI thread, so that typing the PIN is not held up.
            run_in_background(
                lambda: read_holder(text, room),
                lambda info: self._holder_read(text, info),
                lambda error: self._holder_read(text, error),
            )

    def _room_checked(self, _result: object) -> None:
        if not isValid(self):
            return  # closed meanwhile
        self._room_unchecked = False
        self.login_button.setEnabled(True)
        self.sig_ready.emit()
        if self._submit_waiting:
            self._submit_waiting = False
            self.submit()

    def _room_failed(self, error: BaseException) -> None:
        if not isValid(self):
            return
        self._submit_waiting = False
        self._room_error = error
        self._set_status(lambda: describe(error))
        self.sig_room_failed.emit(error)

    def _set_status(self, status: Callable[[], str]) -> None:
        self._status = status
        self.status_label.setText(status())

    def _browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # a big class: loaded when asked for, not before the paint

        path, _filter = QFileDialog.getOpenFileName(self, self.tr("选择数字证书"), "", "bideval (*.bidcred)")
        if path:
            self.credential_edit.setText(path)

    def _show_holder(self, text: str) -> None:
        if self._before_first_paint:
            return  # read after the first paint (_after_first_paint), whatever the field holds then
        # Reading the certificate (no PIN, no key derivation) is fast enough for the GUI thread.
        try:
            self._holder = read_holder(text, self.room)
        except Exception as error:  # noqa: BLE001 - shown to the user, not hidden
            self._holder = error
        self._render_holder()

    def _holder_read(self, text: str, holder: CredentialInfo | BaseException | None) -> None:
        if not isValid(self) or self.credential_edit.text() != text:
            return  # closed, or another file was chosen and shown meanwhile
        self._holder = holder
        self._render_holder()

    def _render_holder(self) -> None:
        holder = self._holder
        if holder is None:
            self.holder_label.setText("")
        elif isinstance(holder, BaseException):
            self.holder_label.setText(describe(holder))
        else:
            identity = holder.identity
            self.holder_label.setText(
                self.tr("%1（%2，%3）")
                .replace("%1", identity.display_name)
                .replace("%2", identity.person_id)
                .replace("%3", role_text(identity.role.value))
            )

    def submit(self) -> None:
        if self._room_unchecked:
            # Nothing is trusted before the room's CA passed its check (a fraction of a second after the
            # first paint): submitted once it did; never when it failed, the status then says why.
            if self._room_error is None:
                self._submit_waiting = True
                self._set_status(self._working_status)
            return
        self.login_button.setEnabled(False)
        self._set_status(self._working_status)
        address, credential, pin, room = (
            self.server_edit.text(),
            Path(self.credential_edit.text()),
            self.pin_edit.text(),
            self.room,
        )
        if room is not None:
            address = room.server  # the field is read-only; the configuration is what counts
        self.pin_edit.clear()
        run_in_background(lambda: log_in(address, credential, pin, room), self._logged_in, self._failed)

    def _working_status(self) -> str:
        return self.tr("正在验证 PIN 码并连接服务器…")

    def _logged_in(self, result: LoginResult) -> None:
        self.login_button.setEnabled(True)
        # The names only: the window outlives the login and must not keep its client alive.
        name, role = result.caller_name, result.caller_role
        self._set_status(
            lambda: self.tr("已登录：%1（%2）").replace("%1", name).replace("%2", role_text(role))
        )
        self._sessions = result.sessions
        self.sessions_list.clear()
        self.sessions_list.addItems([session_line(entry) for entry in self._sessions])
        self.sig_logged_in.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.login_button.setEnabled(True)
        self._set_status(lambda: describe(error))
