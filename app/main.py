"""bideval: the desktop client for evaluation experts and supervisors."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from bideval import __version__

if TYPE_CHECKING:
    from app.room_config import RoomConfig
    from app.ui.login import LoginResult

log = logging.getLogger(__name__)

# What a login and the session window need, loaded off the GUI thread while the person types the PIN: the
# login window painted without them (app/ui/login.py), and the session window must not then stall the GUI
# thread with its imports right after the login.
WARM_UP_MODULES = (
    "app.services.session_start",
    "bideval.identity.credential",
    "app.ui.session_window",
    "app.ui.supervisor_window",
)


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

    # Qt is imported only now so that --help and argument errors answer instantly. Everything imported
    # before the login window's first paint is light (tests/app/test_startup.py guards it).
    from PySide6.QtWidgets import QApplication

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
        from app.errors import describe

        show_message(title, describe(error))
        return 1
    try:
        return _run(args, is_installed())
    except RoomConfigError as error:
        from app.errors import describe

        show_message(title, describe(error) + "\n" + _tr("工作人员可运行 bideval --configure 重新配置。"))
        return 2
    finally:
        instance.release()


def _run(args: argparse.Namespace, installed: bool) -> int:
    """Room setup when needed, then the login window and, after login, the session window."""
    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from app.errors import describe
    from app.operations import run_in_background
    from app.room_config import RoomConfigError, apply_kiosk, load_room_config
    from app.ui.login import LoginWindow

    room: RoomConfig | None
    if args.configure:
        try:
            room = load_room_config()
        except RoomConfigError:
            room = None  # a broken configuration is what staff are here to replace
    else:
        # The CA file needs cryptography: the login window checks it right after its first paint.
        room = load_room_config(check_ca=False)
    if args.configure or (room is None and installed):
        # An installed client without room configuration must not guess a server: staff set it up first.
        from app.ui.room_setup import RoomSetupDialog

        dialog = RoomSetupDialog(current=room)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.saved is None:
            return 0
        room = dialog.saved

    window = LoginWindow(args.server, args.credential, room, paint_first=True)
    window.resize(560, 420)
    session_windows: list[QWidget] = []

    def logged_in(result: LoginResult) -> None:
        from app.ui.session_window import open_session_window

        session_window = open_session_window(window, result)
        if session_window is not None:
            session_windows.append(session_window)
            apply_kiosk(session_window, room)

    def ready() -> None:
        run_in_background(_warm_up, lambda _none: None, lambda error: log.warning("warm-up: %s", error))

    def room_failed(error: BaseException) -> None:
        # As when the configuration itself is broken (main): say so and end, nothing was trusted.
        window.hide()  # not close(): in kiosk mode that would ask for the staff PIN
        show_message(
            _tr("远程异地评标系统"),
            describe(error) + "\n" + _tr("工作人员可运行 bideval --configure 重新配置。"),
        )
        QApplication.exit(2)

    window.sig_logged_in.connect(logged_in)
    window.sig_ready.connect(ready)
    window.sig_room_failed.connect(room_failed)
    window.show()
    apply_kiosk(window, room)
    return QApplication.instance().exec()  # type: ignore[union-attr]


def _warm_up() -> None:
    """Imports :data:`WARM_UP_MODULES` (on a worker thread; Python's import locks keep it safe)."""
    import importlib

    for name in WARM_UP_MODULES:
        importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())
