"""bideval: the desktop client for evaluation experts and supervisors."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bideval", description=__doc__)
    parser.add_argument("--server", default="", help="server address HOST:PORT")
    parser.add_argument("--credential", default="", help="credential file (*.bidcred)")
    args = parser.parse_args(argv)

    # Qt is imported only now so that --help and argument errors answer instantly.
    from PySide6.QtWidgets import QApplication

    from app.ui.login import LoginWindow
    from app.ui.session_window import open_session_window

    application = QApplication(sys.argv[:1])
    application.setApplicationName("bideval")
    window = LoginWindow(args.server, args.credential)
    window.resize(560, 420)
    window.sig_logged_in.connect(lambda result: open_session_window(window, result))
    window.show()
    return application.exec()


if __name__ == "__main__":
    sys.exit(main())
