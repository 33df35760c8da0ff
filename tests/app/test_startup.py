"""The login window paints first: nothing heavy is loaded before its first paint, the rest follows it.

Fresh interpreters (subprocesses) show what a start really loads; ``sys.modules`` is read at the first paint
event of the window, as bench/client.py times it. The window's own deferred work (the holder read, the room's
CA check, the login held back until that check passed) is checked with pytest-qt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.room_config import CONFIG_ENV, CaFileError, RoomConfig, load_room_config, write_room_config
from app.ui.login import LoginWindow
from bideval.identity.credential import write_credential
from bideval.identity.pki import Role, cert_from_pem, key_from_pem
from tests.support import Pki

ROOT = Path(__file__).resolve().parents[2]
PIN = "246810"
WAIT = 30_000
HEAVY = (
    "grpc",
    "cryptography",
    "sqlcipher3",
    "google.protobuf",
    "app.ui.session_window",
    "app.services.cache",
)
"""What the first paint must not wait for (each a package: its submodules count too)."""

LIGHT_MODULES = "app.main, app.ui.login, app.i18n, app.room_config, app.single_instance, app.errors"
"""What app.main imports before the login window shows."""

LOADED = f"""
import json, sys
def heavy_loaded():
    return sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in {HEAVY!r}))
"""

# Runs app.main.main() unchanged; at the first paint of a top-level window it prints the window's class and
# the heavy modules loaded by then, and exits (the bench's harness, plus the sys.modules report).
PAINT_PROBE = (
    LOADED
    + """
import os
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget
class _Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.isWindow():
            print(json.dumps([type(obj).__name__, heavy_loaded()]), flush=True)
            os._exit(0)
        return False
_watch = _Watch()
_exec = QApplication.exec
def _watched_exec(*args):
    QApplication.instance().installEventFilter(_watch)
    return _exec()
QApplication.exec = _watched_exec
import app.main
sys.exit(app.main.main(sys.argv[1:]))
"""
)


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """stdout of ``code`` run in a fresh interpreter from the repository root."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def credential_file(pki: Pki, tmp_path: Path, person: str) -> Path:
    cert_pem, key_pem = pki.person(person, Role.EXPERT)
    path = tmp_path / f"{person}.bidcred"
    write_credential(
        path, cert_from_pem(cert_pem), key_from_pem(key_pem, None), pki.directory.ca_certificate(), PIN
    )
    return path


def room_file(pki: Pki, tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "room.toml"
    write_room_config("127.0.0.1:1", pki.directory.ca_path, "V01", False, "", path=path)
    return path


def test_the_login_modules_import_nothing_heavy() -> None:
    loaded = run_python(LOADED + f"import {LIGHT_MODULES}\nprint(json.dumps(heavy_loaded()))\n")
    assert json.loads(loaded) == []


@pytest.mark.parametrize("with_room", [False, True], ids=["no-room-config", "room-config"])
def test_the_login_window_paints_before_anything_heavy_is_loaded(
    pki: Pki, tmp_path: Path, with_room: bool
) -> None:
    room_config = room_file(pki, tmp_path) if with_room else tmp_path / "no-room.toml"
    credential = credential_file(pki, tmp_path, "E07")
    output = run_python(PAINT_PROBE, "--credential", str(credential), env={CONFIG_ENV: str(room_config)})
    window, loaded = json.loads(output)
    assert window == "LoginWindow"  # not a message box: the single instance lock was taken
    assert loaded == []


def test_after_the_first_paint_the_holder_is_read_and_the_login_waits_for_the_ca_check(
    qtbot: QtBot, pki: Pki, tmp_path: Path
) -> None:
    room = load_room_config(room_file(pki, tmp_path), check_ca=False)
    window = LoginWindow("", str(credential_file(pki, tmp_path, "E07")), room, paint_first=True)
    qtbot.addWidget(window)
    assert window.holder_label.text() == ""  # read after the paint, not in the constructor
    assert not window.login_button.isEnabled()  # nothing is trusted before the room's CA is checked
    window.pin_edit.setText("000000")
    window.submit()  # Enter in the PIN field, before the check: held back, not lost
    assert window.status_label.text() == "正在验证 PIN 码并连接服务器…"
    with qtbot.waitSignal(window.sig_ready, timeout=WAIT):
        window.show()
    qtbot.waitUntil(lambda: window.holder_label.text() == "E07（E07，专家）", timeout=WAIT)
    # The held-back login ran once the CA passed: the credential was accepted, the PIN was not.
    qtbot.waitUntil(lambda: window.status_label.text() == "PIN 码错误", timeout=WAIT)
    assert window.login_button.isEnabled()
    assert window.pin_edit.text() == ""


def test_a_broken_room_ca_found_after_the_paint_keeps_the_login_disabled(
    qtbot: QtBot, tmp_path: Path
) -> None:
    room = RoomConfig("127.0.0.1:1", tmp_path / "missing-ca.pem", "V01")
    window = LoginWindow("", "", room, paint_first=True)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sig_room_failed, timeout=WAIT) as failed:
        window.show()
    assert isinstance(failed.args[0], CaFileError)
    assert not window.login_button.isEnabled()
    assert window.status_label.text().startswith("平台根证书文件有误")
    window.submit()  # Enter in the PIN field: nothing happens, the reason stays shown
    assert not window.login_button.isEnabled()
    assert window.status_label.text().startswith("平台根证书文件有误")


def test_a_window_that_is_never_painted_still_runs_its_checks(qtbot: QtBot, tmp_path: Path) -> None:
    window = LoginWindow("127.0.0.1:1", "", paint_first=True)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sig_ready, timeout=WAIT):
        pass  # not shown: the fallback timer starts the checks
    assert window.login_button.isEnabled()
