"""bideval: the desktop client for evaluation experts and supervisors."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bideval import __version__

if TYPE_CHECKING:
    from app.room_config import RoomConfig


def show_message(title: str, text: str) -> None:
    """A blocking message box before (or instead of) the main window; a function so tests can replace it."""
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.warning(None, title, text)


def _tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("main", text)


def _self_test(server: str, ca: str) -> int:
    """``--self-test``: the installer's and staff's check, falling back to the room's server and CA."""
    from app.room_config import RoomConfigError, load_room_config

    try:
        room = load_room_config()
    except RoomConfigError as error:
        print(f"room configuration: {error}", file=sys.stderr)
        room = None
    from app.self_test import run_self_test

    return run_self_test(
        server or (room.server if room else ""), ca or (str(room.ca_file) if room else None) or None
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bideval", description=__doc__)
    parser.add_argument("--server", default="", help="server address HOST:PORT")
    parser.add_argument("--credential", default="", help="credential file (*.bidcred)")
    parser.add_argument("--configure", action="store_true", help="room setup (staff, as administrator)")
    parser.add_argument("--self-test", action="store_true", help="check this installation and the server")
    parser.add_argument("--ca", default="", help="platform CA certificate for --self-test")
    parser.add_argument("--lang", default="", help="user interface language: zh_CN (default) or en")
    parser.add_argument("--version", action="version", version=f"bideval {__version__}")
    args = parser.parse_args(argv)
    if args.self_test:
        return _self_test(args.server, args.ca)

    # Qt is imported only now so that --help and argument errors answer instantly.
    from PySide6.QtWidgets import QApplication

    from app.errors import describe
    from app.i18n import choose_language, install_translator
    from app.room_config import RoomConfigError, is_installed
    from app.single_instance import AlreadyRunning, SingleInstance

    application = QApplication.instance() or QApplication(sys.argv[:1])
    application.setApplicationName("bideval")
    install_translator(application, choose_language(args.lang or None))
    title = _tr("远程异地评标系统")

    # First of all: a second client must not touch the running one's session cache.
    instance = SingleInstance()
    try:
        instance.acquire()
    except AlreadyRunning:
        show_message(title, _tr("评标客户端已在运行，请切换到已打开的窗口。"))
        return 0
    except OSError as error:
        show_message(title, describe(error))
        return 1
    try:
        return _run(args, is_installed())
    except RoomConfigError as error:
        show_message(title, describe(error) + "\n" + _tr("工作人员可运行 bideval --configure 重新配置。"))
        return 2
    finally:
        instance.release()


def _run(args: argparse.Namespace, installed: bool) -> int:
    """Room setup when needed, then the login window and, after login, the session window."""
    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from app.room_config import RoomConfigError, apply_kiosk, load_room_config
    from app.ui.login import LoginResult, LoginWindow
    from app.ui.room_setup import RoomSetupDialog
    from app.ui.session_window import open_session_window

    room: RoomConfig | None
    if args.configure:
        try:
            room = load_room_config()
        except RoomConfigError:
            room = None  # a broken configuration is what staff are here to replace
    else:
        room = load_room_config()
    if args.configure or (room is None and installed):
        # An installed client without room configuration must not guess a server: staff set it up first.
        dialog = RoomSetupDialog(current=room)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.saved is None:
            return 0
        room = dialog.saved

    window = LoginWindow(args.server, args.credential, room)
    window.resize(560, 420)
    session_windows: list[QWidget] = []

    def logged_in(result: LoginResult) -> None:
        session_window = open_session_window(window, result)
        if session_window is not None:
            session_windows.append(session_window)
            apply_kiosk(session_window, room)

    window.sig_logged_in.connect(logged_in)
    window.show()
    apply_kiosk(window, room)
    return QApplication.instance().exec()  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())
