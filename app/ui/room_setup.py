"""Staff-only room setup (首次配置 / 考场配置) and the kiosk guard that keeps experts inside the client.

The dialog writes the system-wide room configuration (``app.room_config``); every check that touches the
disk or the network, and the slow staff-PIN hashing, runs through ``run_in_background``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe
from app.operations import run_in_background
from app.room_config import (
    RoomConfig,
    RoomConfigError,
    ca_summary,
    check_address,
    check_connection,
    check_staff_pin,
    check_venue,
    default_config_path,
    hash_staff_pin,
    verify_staff_pin,
    write_room_config,
)


def _may_write(path: Path) -> bool:
    """Whether the nearest existing folder of ``path`` is writable: warns staff before they type it all."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK)


def ask_staff_pin(parent: QWidget) -> str | None:
    """The modal PIN prompt, a module function so tests can replace it."""
    pin, accepted = QInputDialog.getText(
        parent,
        QCoreApplication.translate("KioskGuard", "考场工作人员"),
        QCoreApplication.translate("KioskGuard", "请输入考场工作人员 PIN 码以退出评标客户端"),
        QLineEdit.EchoMode.Password,
    )
    return pin if accepted else None


class KioskGuard(QObject):
    """Event filter on a top-level window: full screen, no close or minimise without the staff PIN.

    A close (button, Alt+F4, ``close()``) is refused at once; the PIN is checked off the GUI thread (scrypt)
    and, when right, the window is closed again, this time let through.
    """

    sig_unlocked = Signal()
    """Emitted once the right staff PIN was entered (the window is being closed)."""
    sig_refused = Signal(str)
    """Emitted with the reason when a PIN was wrong or the prompt was cancelled."""

    def __init__(self, window: QWidget, pin_hash: str) -> None:
        super().__init__(window)
        self._window = window
        self._pin_hash = pin_hash
        self._checking = False
        self.unlocked = False

    @classmethod
    def install(cls, window: QWidget, pin_hash: str) -> KioskGuard:
        guard = cls(window, pin_hash)
        window.installEventFilter(guard)
        window.setWindowFlag(Qt.WindowType.WindowMinimizeButtonHint, False)
        window.showFullScreen()
        return guard

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._window or self.unlocked:
            return False
        if event.type() == QEvent.Type.Close:
            event.ignore()
            if not self._checking:
                # Asked after the close event returns: a modal prompt inside the event would nest loops.
                QTimer.singleShot(0, self, self._ask)  # dropped if the window is gone by then
            return True
        if event.type() == QEvent.Type.WindowStateChange and (
            self._window.windowState() & Qt.WindowState.WindowMinimized
        ):
            QTimer.singleShot(0, self, self._window.showFullScreen)
        return False

    def _ask(self) -> None:
        pin = ask_staff_pin(self._window)
        if not pin:
            self.sig_refused.emit(self.tr("未输入考场工作人员 PIN 码"))
            return
        self._checking = True
        pin_hash = self._pin_hash
        run_in_background(lambda: verify_staff_pin(pin_hash, pin), self._checked, self._failed)

    def _checked(self, right: bool) -> None:
        self._checking = False
        if not right:
            self.sig_refused.emit(self.tr("考场工作人员 PIN 码错误"))
            return
        self.unlocked = True
        self.sig_unlocked.emit()
        self._window.close()

    def _failed(self, error: BaseException) -> None:
        self._checking = False
        self.sig_refused.emit(describe(error))


class RoomSetupDialog(QDialog):
    """Server address, platform CA (with fingerprint to compare), venue, kiosk, staff PIN; test and save."""

    sig_saved = Signal(object)
    """Emitted with the written RoomConfig."""
    sig_checked = Signal(bool, str)
    """Emitted when the connection test ends: success and the message shown."""

    def __init__(
        self,
        config_path: Path | None = None,
        current: RoomConfig | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.config_path = config_path or default_config_path()
        self.saved: RoomConfig | None = None
        self.setWindowTitle(self.tr("考场配置") if current else self.tr("首次配置"))
        self.server_edit = QLineEdit(current.server if current else "")
        self.server_edit.setPlaceholderText("10.1.2.3:50051")
        self.ca_edit = QLineEdit(str(current.ca_file) if current else "")
        self.ca_edit.textChanged.connect(self._show_ca)
        browse = QPushButton(self.tr("选择…"))
        browse.clicked.connect(self._browse)
        self.ca_label = QLabel()
        self.ca_label.setWordWrap(True)
        self.ca_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.venue_edit = QLineEdit(current.venue_id if current else "")
        self.kiosk_check = QCheckBox(self.tr("全屏锁定（退出需考场工作人员 PIN 码）"))
        self.kiosk_check.setChecked(bool(current and current.kiosk))
        self.pin_edit = QLineEdit()
        self.pin_again_edit = QLineEdit()
        for edit in (self.pin_edit, self.pin_again_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = QPushButton(self.tr("测试连接"))
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(self.tr("保存"))
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton(self.tr("取消"))
        cancel.clicked.connect(self.reject)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit)
        ca_row.addWidget(browse)
        form = QFormLayout()
        form.addRow(self.tr("服务器地址"), self.server_edit)
        form.addRow(self.tr("平台根证书"), ca_row)
        form.addRow(self.tr("证书信息"), self.ca_label)
        form.addRow(self.tr("评标场地编号"), self.venue_edit)
        form.addRow(self.tr("全屏锁定"), self.kiosk_check)
        form.addRow(self.tr("工作人员 PIN 码"), self.pin_edit)
        form.addRow(self.tr("再次输入 PIN 码"), self.pin_again_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch()
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("配置文件：") + str(self.config_path)))
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        self._show_ca(self.ca_edit.text())
        if not _may_write(self.config_path):
            self.status_label.setText(
                self.tr("没有写入考场配置的权限：请以管理员身份运行 bideval --configure")
            )

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("选择平台根证书"), "", self.tr("证书 (*.pem *.crt *.cer)")
        )
        if path:
            self.ca_edit.setText(path)

    def _show_ca(self, text: str) -> None:
        # A CA certificate is a few KB on a local or USB disk: parsing it is instant, unlike a connection.
        if not text:
            self.ca_label.setText("")
            return
        try:
            summary = ca_summary(Path(text))
        except RoomConfigError as error:
            self.ca_label.setText(describe(error))
            return
        self.ca_label.setText(
            self.tr("颁发对象：") + summary.subject + "\n" + self.tr("SHA-256 指纹：") + summary.sha256
        )

    def test_connection(self) -> None:
        address, ca_file = self.server_edit.text().strip(), Path(self.ca_edit.text())
        self.test_button.setEnabled(False)
        self.status_label.setText(self.tr("正在连接服务器…"))
        run_in_background(lambda: check_connection(address, ca_file), self._tested, self._test_failed)

    def _tested(self, subject: str) -> None:
        self.test_button.setEnabled(True)
        message = self.tr("连接成功，服务器证书由此平台根证书签发：") + subject
        self.status_label.setText(message)
        self.sig_checked.emit(True, message)

    def _test_failed(self, error: BaseException) -> None:
        self.test_button.setEnabled(True)
        message = describe(error)
        self.status_label.setText(message)
        self.sig_checked.emit(False, message)

    def save(self) -> None:
        pin, again = self.pin_edit.text(), self.pin_again_edit.text()
        if pin != again:
            self.status_label.setText(self.tr("两次输入的 PIN 码不一致"))
            return
        try:
            server = check_address(self.server_edit.text())
            venue = check_venue(self.venue_edit.text())
            check_staff_pin(pin)
        except RoomConfigError as error:
            self.status_label.setText(describe(error))
            return
        ca_source, kiosk, path = Path(self.ca_edit.text()), self.kiosk_check.isChecked(), self.config_path
        self.pin_edit.clear()
        self.pin_again_edit.clear()
        self.save_button.setEnabled(False)
        self.status_label.setText(self.tr("正在保存…"))
        run_in_background(
            lambda: write_room_config(server, ca_source, venue, kiosk, hash_staff_pin(pin), path),
            self._saved,
            self._save_failed,
        )

    def _saved(self, config: RoomConfig) -> None:
        self.save_button.setEnabled(True)
        self.saved = config
        self.status_label.setText(self.tr("已保存：") + str(self.config_path))
        self.sig_saved.emit(config)
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.status_label.setText(describe(error))
