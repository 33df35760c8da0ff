"""The login window: server, credential file and PIN; unlocking and connecting run off the GUI thread.

Also what every window of the client names alike: the workflow's phases and the roles as users read them
(:func:`phase_text`, :func:`role_text`) and a session window's title (:func:`window_title`).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe
from app.i18n import LanguageSelector, retranslate_on_change
from app.operations import run_in_background
from app.room_config import RoomConfig, check_credential_ca
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel
from app.services.session_start import OpenedSession, cache_directory, open_session
from bideval.audit.signing import SoftwareSigner
from bideval.identity.credential import peek_credential, unlock_credential
from bideval.identity.pki import Role, cert_from_pem
from bideval.v1 import common_pb2, diagnostics_service_pb2, evaluation_service_pb2

QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""

FINISHED = frozenset({common_pb2.PHASE_CLOSED, common_pb2.PHASE_FAILED_TENDER})
PHASE_TEXT = {
    common_pb2.PHASE_CHECK_IN: QT_TRANSLATE_NOOP("Phase", "签到"),
    common_pb2.PHASE_PLEDGE: QT_TRANSLATE_NOOP("Phase", "承诺书"),
    common_pb2.PHASE_RECUSAL: QT_TRANSLATE_NOOP("Phase", "回避声明"),
    common_pb2.PHASE_LEADER_ELECTION: QT_TRANSLATE_NOOP("Phase", "推选组长"),
    common_pb2.PHASE_AWAITING_START: QT_TRANSLATE_NOOP("Phase", "等待开始"),
    common_pb2.PHASE_PRELIMINARY_REVIEW: QT_TRANSLATE_NOOP("Phase", "初步评审"),
    common_pb2.PHASE_DETAILED_REVIEW: QT_TRANSLATE_NOOP("Phase", "详细评审"),
    common_pb2.PHASE_SUMMARY: QT_TRANSLATE_NOOP("Phase", "汇总"),
    common_pb2.PHASE_REPORT: QT_TRANSLATE_NOOP("Phase", "评标报告签字"),
    common_pb2.PHASE_CLOSED: QT_TRANSLATE_NOOP("Phase", "评标结束"),
    common_pb2.PHASE_FAILED_TENDER: QT_TRANSLATE_NOOP("Phase", "流标"),
}
"""Each phase's name (source text): shown through :func:`phase_text`."""

ROLE_TEXT = {
    common_pb2.ROLE_EXPERT: QT_TRANSLATE_NOOP("Role", "专家"),
    common_pb2.ROLE_SUPERVISOR: QT_TRANSLATE_NOOP("Role", "监督人员"),
    common_pb2.ROLE_OPERATOR: QT_TRANSLATE_NOOP("Role", "工作人员"),
}
"""Each role's name (source text): shown through :func:`role_text`."""


def phase_text(phase: common_pb2.Phase.ValueType) -> str:
    """The phase's name as the user reads it ("?" for a phase this client does not know)."""
    text = PHASE_TEXT.get(phase)
    return QCoreApplication.translate("Phase", text) if text is not None else "?"


def role_text(role: common_pb2.Role.ValueType | str) -> str:
    """The role's name as the user reads it: ``role`` a ``common_pb2.Role`` value, its name
    ("ROLE_EXPERT") or a credential's role ("expert")."""
    if isinstance(role, str):
        name = role if role.startswith("ROLE_") else "ROLE_" + role.upper()
        text = {common_pb2.Role.Name(value): text for value, text in ROLE_TEXT.items()}.get(name)
    else:
        text = ROLE_TEXT.get(role)
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
    open_sessions = [s for s in listed.sessions if s.phase not in FINISHED]
    # Supervisors too: their decisions are signed and queued like changes, and their witness co-signs.
    if unlocked.identity.role in (Role.EXPERT, Role.SUPERVISOR) and open_sessions:
        try:
            opened = open_session(client, unlocked, pin, open_sessions[0].session_id)
        except Exception:
            client.close()
            raise
    return LoginResult(client, info.caller_name, common_pb2.Role.Name(info.caller_role), entries, opened)


class LoginWindow(QWidget):
    """Server, credential file and PIN, with the language selector (中文 / English) at the top right.

    Choosing a language switches the whole client (:func:`app.i18n.switch_language`) and stores the choice:
    this window retranslates itself at once, and the windows opened after login are made in it."""

    sig_logged_in = Signal(object)
    """Emitted with a LoginResult once the server accepted the credential."""

    def __init__(
        self,
        server: str = "",
        credential: str = "",
        room: RoomConfig | None = None,
        settings: QSettings | None = None,
    ) -> None:
        """With a room configuration the server address is the room's and cannot be edited. ``settings``
        is where the language choice is stored (default: the person's client settings)."""
        super().__init__()
        self.room = room
        # The status line as a function of the language: re-run when it changes (None: nothing to say).
        self._status: Callable[[], str] | None = None
        self._sessions: tuple[SessionEntry, ...] = ()
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.language_selector, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addLayout(form)
        layout.addWidget(self.login_button)
        layout.addWidget(self.status_label)
        layout.addWidget(self.sessions_list)
        self.retranslate()
        retranslate_on_change(self, self.retranslate)

    def retranslate(self) -> None:
        """Every text of the window in the language in effect (also called on each language switch)."""
        self.setWindowTitle(self.tr("远程异地评标系统 — 专家登录"))
        self.server_caption.setText(self.tr("服务器地址"))
        self.venue_caption.setText(self.tr("评标场地"))
        self.credential_caption.setText(self.tr("数字证书文件"))
        self.holder_caption.setText(self.tr("持有人"))
        self.pin_caption.setText(self.tr("PIN 码"))
        self.browse_button.setText(self.tr("选择…"))
        self.login_button.setText(self.tr("登录"))
        self._show_holder(self.credential_edit.text())
        self.status_label.setText(self._status() if self._status is not None else "")
        self.sessions_list.clear()
        self.sessions_list.addItems([session_line(entry) for entry in self._sessions])

    def _set_status(self, status: Callable[[], str]) -> None:
        self._status = status
        self.status_label.setText(status())

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("选择数字证书"), "", "bideval (*.bidcred)")
        if path:
            self.credential_edit.setText(path)

    def _show_holder(self, text: str) -> None:
        # Reading the certificate (no PIN, no key derivation) is fast enough for the GUI thread.
        path = Path(text)
        if not text or not path.is_file():
            self.holder_label.setText("")
            return
        try:
            info = peek_credential(path)
            if self.room is not None:
                # Said as soon as the file is chosen, not only after the PIN (the login refuses it too).
                check_credential_ca(self.room, info.ca_cert_pem)
        except Exception as error:  # noqa: BLE001 - shown to the user, not hidden
            self.holder_label.setText(describe(error))
            return
        identity = info.identity
        self.holder_label.setText(
            self.tr("%1（%2，%3）")
            .replace("%1", identity.display_name)
            .replace("%2", identity.person_id)
            .replace("%3", role_text(identity.role.value))
        )

    def submit(self) -> None:
        self.login_button.setEnabled(False)
        self._set_status(lambda: self.tr("正在验证 PIN 码并连接服务器…"))
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
