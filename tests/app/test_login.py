"""The login window against a real server: PIN unlock off the GUI thread, clear messages on failure."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.ui.login import LoginWindow
from app.ui.session_window import open_session_window
from bideval.identity.credential import write_credential
from bideval.identity.pki import Role, cert_from_pem, key_from_pem
from tests.support import RunningServer

PIN = "246810"


def credential_file(server: RunningServer, tmp_path: Path, person: str, role: Role = Role.EXPERT) -> Path:
    cert_pem, key_pem = server.pki.person(person, role)
    path = tmp_path / f"{person}.bidcred"
    write_credential(
        path, cert_from_pem(cert_pem), key_from_pem(key_pem, None), server.pki.directory.ca_certificate(), PIN
    )
    return path


def test_login_lists_the_experts_sessions(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> None:
    window = LoginWindow(server.address, str(credential_file(server, tmp_path, "E01")))
    qtbot.addWidget(window)
    assert "E01" in window.holder_label.text()
    window.pin_edit.setText(PIN)
    with qtbot.waitSignal(window.sig_logged_in, timeout=20_000) as logged_in:
        window.submit()
    result = logged_in.args[0]
    assert result.caller_role == "ROLE_EXPERT"
    assert window.sessions_list.count() == 1
    assert "签到" in window.sessions_list.item(0).text()
    assert window.pin_edit.text() == ""  # the PIN does not linger in the widget
    # The expert's session is open: its encrypted cache exists and the session window replaces the login.
    assert result.opened is not None
    assert result.opened.cache.paths.database.exists()
    session_window = open_session_window(window, result)
    assert session_window is not None
    assert not window.isVisible()
    qtbot.waitUntil(lambda: session_window.view is not None, timeout=20_000)
    assert "E01" in session_window.windowTitle() or session_window.windowTitle().startswith(
        "远程异地评标系统"
    )
    session_window.close()
    qtbot.waitUntil(lambda: not session_window.busy, timeout=20_000)
    result.opened.close()


def test_wrong_pin_is_reported_and_nothing_is_sent(
    qtbot: QtBot, server: RunningServer, tmp_path: Path
) -> None:
    window = LoginWindow(server.address, str(credential_file(server, tmp_path, "E02")))
    qtbot.addWidget(window)
    window.pin_edit.setText("000000")
    window.submit()
    qtbot.waitUntil(lambda: "PIN 码错误" in window.status_label.text(), timeout=20_000)
    assert window.login_button.isEnabled()
    assert window.sessions_list.count() == 0


def test_damaged_credential_file_is_named(qtbot: QtBot, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bidcred"
    broken.write_text("{not json")
    window = LoginWindow("127.0.0.1:1", str(broken))
    qtbot.addWidget(window)
    assert "损坏" in window.holder_label.text() or "凭证" in window.holder_label.text()


def test_the_pin_field_has_the_focus_when_the_credential_is_preset(qtbot: QtBot, tmp_path: Path) -> None:
    window = LoginWindow("127.0.0.1:1", str(tmp_path / "E01.bidcred"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.focusWidget() is window.pin_edit
