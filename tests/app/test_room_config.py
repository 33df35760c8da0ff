"""Room configuration, the staff setup dialog, the kiosk guard and install-time faults, with real files, a
real server over mTLS and a second, foreign platform CA."""

from __future__ import annotations

import os
import shutil
from collections import namedtuple
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

import app
import app.main
from app.errors import describe
from app.room_config import (
    CONFIG_ENV,
    CaFileError,
    ConnectionCheckError,
    RoomConfig,
    RoomConfigError,
    RoomConfigNotWritable,
    apply_kiosk,
    ca_summary,
    check_connection,
    default_config_path,
    hash_staff_pin,
    load_room_config,
    verify_staff_pin,
    write_room_config,
)
from app.ui import room_setup
from app.ui.login import LoginWindow
from app.ui.room_setup import KioskGuard, RoomSetupDialog
from bideval.identity.credential import write_credential
from bideval.identity.pki import PkiDirectory, Role, cert_from_pem, key_from_pem
from tests.support import PASSPHRASE, RunningServer

PIN = "246810"
STAFF_PIN = "97531086"


@pytest.fixture(autouse=True)
def room_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The room configuration goes to the test's folder, never to /etc."""
    path = tmp_path / "etc" / "room.toml"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


@pytest.fixture(scope="module")
def foreign_pki(tmp_path_factory: pytest.TempPathFactory) -> PkiDirectory:
    """Another platform's CA: its certificates must not be accepted in this room."""
    directory = PkiDirectory(tmp_path_factory.mktemp("foreign-pki"))
    directory.init("foreign platform CA", ["localhost", "127.0.0.1"], PASSPHRASE, 30)
    return directory


def credential_file(server: RunningServer, tmp_path: Path, person: str) -> Path:
    cert_pem, key_pem = server.pki.person(person, Role.EXPERT)
    path = tmp_path / f"{person}.bidcred"
    ca = server.pki.directory.ca_certificate()
    write_credential(path, cert_from_pem(cert_pem), key_from_pem(key_pem, None), ca, PIN)
    return path


def foreign_credential(foreign: PkiDirectory, tmp_path: Path, person: str) -> Path:
    cert, key = foreign.issue(person, person, Role.EXPERT, PASSPHRASE, 30)
    path = tmp_path / f"{person}-foreign.bidcred"
    write_credential(path, cert, key, foreign.ca_certificate(), PIN)
    return path


def room_for(server: RunningServer, kiosk: bool = False) -> RoomConfig:
    return write_room_config(
        server.address, server.pki.directory.ca_path, "V01", kiosk, hash_staff_pin(STAFF_PIN) if kiosk else ""
    )


# -- the file ------------------------------------------------------------------------------------------


def test_written_configuration_reads_back_with_the_ca_copied_and_the_pin_hashed(
    server: RunningServer, room_config_path: Path
) -> None:
    written = room_for(server, kiosk=True)
    assert default_config_path() == room_config_path
    loaded = load_room_config()
    assert loaded == written
    assert loaded.server == server.address
    assert loaded.venue_id == "V01"
    assert loaded.kiosk
    # The CA lives next to the configuration (protected), not wherever staff picked it from.
    assert loaded.ca_file.parent == room_config_path.parent
    assert loaded.ca_pem() == server.pki.directory.ca_path.read_bytes()
    text = room_config_path.read_text()
    assert STAFF_PIN not in text
    assert verify_staff_pin(loaded.staff_pin_hash, STAFF_PIN)
    assert not verify_staff_pin(loaded.staff_pin_hash, "000000")


def test_no_configuration_is_not_an_error(room_config_path: Path) -> None:
    assert not room_config_path.exists()
    assert load_room_config() is None


def write_toml(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


GOOD = 'server = "127.0.0.1:50051"\nca_file = "{ca}"\nvenue_id = "V01"\n'


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (GOOD + 'colour = "red"\n', "unknown keys colour"),
        ('server = "127.0.0.1"\nca_file = "{ca}"\nvenue_id = "V01"\n', "HOST:PORT"),
        ('server = "127.0.0.1:99999"\nca_file = "{ca}"\nvenue_id = "V01"\n', "port must be"),
        ('server = "bad host:1"\nca_file = "{ca}"\nvenue_id = "V01"\n', "not a host name"),
        ('server = "127.0.0.1:50051"\nca_file = "{ca}"\nvenue_id = "V 01"\n', "venue id"),
        (GOOD + "kiosk = true\n", "staff PIN"),
        (GOOD + 'kiosk = "yes"\n', "true or false"),
        ('server = "127.0.0.1:50051"\nvenue_id = "V01"\n', "ca_file is missing"),
        ("server = [", "not valid TOML"),
    ],
)
def test_a_wrong_configuration_says_what_is_wrong(
    server: RunningServer, room_config_path: Path, body: str, fragment: str
) -> None:
    write_toml(room_config_path, body.format(ca=server.pki.directory.ca_path))
    with pytest.raises(RoomConfigError, match=fragment):
        load_room_config()


@pytest.mark.parametrize("fault", ["missing", "not-pem", "garbage-pem", "not-a-ca"])
def test_a_wrong_ca_file_is_named(
    server: RunningServer, room_config_path: Path, tmp_path: Path, fault: str
) -> None:
    ca = tmp_path / "ca.pem"
    if fault == "not-pem":
        ca.write_bytes(b"\x30\x82\x01\x0a not a PEM file")
    elif fault == "garbage-pem":
        ca.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    elif fault == "not-a-ca":
        ca.write_bytes(server.pki.person("E01", Role.EXPERT)[0])  # a person's certificate, not the CA
    write_toml(room_config_path, f'server = "127.0.0.1:50051"\nca_file = "{ca}"\nvenue_id = "V01"\n')
    with pytest.raises(CaFileError) as error:
        load_room_config()
    assert str(ca) in str(error.value)
    shown = describe(error.value)
    assert shown.startswith("平台根证书文件有误")
    if fault == "not-a-ca":
        assert "not a CA certificate" in shown


def test_a_relative_ca_path_is_next_to_the_configuration(
    server: RunningServer, room_config_path: Path
) -> None:
    room_config_path.parent.mkdir(parents=True)
    shutil.copy(server.pki.directory.ca_path, room_config_path.parent / "ca.pem")
    write_toml(room_config_path, f'server = "{server.address}"\nca_file = "ca.pem"\nvenue_id = "V01"\n')
    loaded = load_room_config()
    assert loaded is not None
    assert loaded.ca_file == room_config_path.parent / "ca.pem"


def test_an_unwritable_target_is_refused_clearly(server: RunningServer, tmp_path: Path) -> None:
    # A file where the folder should be fails for root too (a read-only mode bit would not stop root).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(RoomConfigNotWritable) as error:
        write_room_config(
            server.address, server.pki.directory.ca_path, "V01", False, "", blocker / "bideval" / "room.toml"
        )
    assert "管理员" in describe(error.value)
    assert blocker.read_text() == ""


def test_the_ca_summary_shows_subject_and_fingerprint(server: RunningServer) -> None:
    summary = ca_summary(server.pki.directory.ca_path)
    assert "test platform CA" in summary.subject
    assert len(summary.sha256.split(":")) == 32


# -- the connection test -------------------------------------------------------------------------------


def test_connection_check_accepts_the_servers_ca(server: RunningServer) -> None:
    assert check_connection(server.address, server.pki.directory.ca_path, timeout=10)


def test_connection_check_refuses_a_foreign_ca(server: RunningServer, foreign_pki: PkiDirectory) -> None:
    with pytest.raises(ConnectionCheckError) as error:
        check_connection(server.address, foreign_pki.ca_path, timeout=10)
    assert not error.value.unreachable
    assert "服务器证书与平台根证书不符" in describe(error.value)


def test_connection_check_reports_an_unreachable_server(server: RunningServer) -> None:
    with pytest.raises(ConnectionCheckError) as error:
        check_connection("127.0.0.1:1", server.pki.directory.ca_path, timeout=10)
    assert error.value.unreachable
    assert "无法连接评标服务器" in describe(error.value)


# -- the login window with a room configuration --------------------------------------------------------


def test_login_uses_the_rooms_server_and_ca(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> None:
    room = room_for(server)
    window = LoginWindow("10.9.9.9:1", str(credential_file(server, tmp_path, "E05")), room)
    qtbot.addWidget(window)
    assert window.server_edit.isReadOnly()
    assert window.server_edit.text() == server.address  # the command line cannot override the room
    assert window.venue_label.text() == "V01"
    window.pin_edit.setText(PIN)
    with qtbot.waitSignal(window.sig_logged_in, timeout=30_000) as logged_in:
        window.submit()
    result = logged_in.args[0]
    assert result.caller_role == "ROLE_EXPERT"
    if result.opened is not None:
        result.opened.close()
    else:
        result.client.close()


def test_a_credential_of_another_ca_is_refused_before_connecting(
    qtbot: QtBot, server: RunningServer, foreign_pki: PkiDirectory, tmp_path: Path
) -> None:
    room = room_for(server)
    window = LoginWindow("", str(foreign_credential(foreign_pki, tmp_path, "E06")), room)
    qtbot.addWidget(window)
    assert "凭证与本考场配置的平台证书不一致" in window.holder_label.text()  # before any PIN
    window.pin_edit.setText(PIN)
    window.submit()
    qtbot.waitUntil(lambda: window.login_button.isEnabled(), timeout=20_000)
    assert "凭证与本考场配置的平台证书不一致" in window.status_label.text()


def test_an_unreachable_server_is_reported(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> None:
    window = LoginWindow("127.0.0.1:1", str(credential_file(server, tmp_path, "E07")))
    qtbot.addWidget(window)
    window.pin_edit.setText(PIN)
    window.submit()
    qtbot.waitUntil(lambda: window.login_button.isEnabled(), timeout=30_000)
    assert "无法连接评标服务器" in window.status_label.text()


DiskUsage = namedtuple("DiskUsage", "total used free")


def test_a_full_data_disk_is_reported_before_anything_is_written(
    qtbot: QtBot,
    server: RunningServer,
    tmp_path: Path,
    client_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A real full disk needs a tiny filesystem (root only); the check reads the free space, so fake that.
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: DiskUsage(10 << 30, (10 << 30) - 4096, 4096))
    window = LoginWindow(server.address, str(credential_file(server, tmp_path, "E08")))
    qtbot.addWidget(window)
    window.pin_edit.setText(PIN)
    window.submit()
    qtbot.waitUntil(lambda: window.login_button.isEnabled(), timeout=30_000)
    assert "磁盘空间不足" in window.status_label.text()
    sessions = client_data_dir / "sessions"
    assert not any(sessions.iterdir())  # no half-created cache


def test_an_unusable_data_folder_is_reported(
    qtbot: QtBot, server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file where the data folder should be: fails for root too, unlike a read-only mode bit.
    blocker = tmp_path / "data-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("BIDEVAL_CLIENT_DATA", str(blocker))
    window = LoginWindow(server.address, str(credential_file(server, tmp_path, "E09")))
    qtbot.addWidget(window)
    window.pin_edit.setText(PIN)
    window.submit()
    qtbot.waitUntil(lambda: window.login_button.isEnabled(), timeout=30_000)
    assert "本地文件" in window.status_label.text() or "不可写" in window.status_label.text()


def test_sqlite_disk_full_and_read_only_errors_are_explained() -> None:
    from app.services.cache import CacheError

    assert "磁盘空间不足" in describe(
        CacheError("本地缓存读写失败 (local cache error) x.db: database or disk is full")
    )
    assert "不可写" in describe(CacheError("本地缓存读写失败: attempt to write a readonly database"))
    assert "磁盘空间不足" in describe(OSError(28, "No space left on device"))


# -- the setup dialog ----------------------------------------------------------------------------------


def test_setup_dialog_tests_the_connection_and_saves(
    qtbot: QtBot, server: RunningServer, room_config_path: Path
) -> None:
    dialog = RoomSetupDialog(room_config_path)
    qtbot.addWidget(dialog)
    dialog.server_edit.setText(server.address)
    dialog.ca_edit.setText(str(server.pki.directory.ca_path))
    assert "SHA-256" in dialog.ca_label.text()
    assert ca_summary(server.pki.directory.ca_path).sha256 in dialog.ca_label.text()
    dialog.venue_edit.setText("V02")
    dialog.kiosk_check.setChecked(True)
    with qtbot.waitSignal(dialog.sig_checked, timeout=20_000) as checked:
        dialog.test_connection()
    assert checked.args[0] is True, checked.args[1]
    dialog.pin_edit.setText(STAFF_PIN)
    dialog.pin_again_edit.setText("00000000")
    dialog.save()
    assert "不一致" in dialog.status_label.text()
    dialog.pin_edit.setText("1234")
    dialog.pin_again_edit.setText("1234")
    dialog.save()
    assert "at least 8" in dialog.status_label.text()
    assert not room_config_path.exists()
    dialog.pin_edit.setText(STAFF_PIN)
    dialog.pin_again_edit.setText(STAFF_PIN)
    with qtbot.waitSignal(dialog.sig_saved, timeout=20_000):
        dialog.save()
    saved = load_room_config()
    assert saved is not None
    assert (saved.server, saved.venue_id, saved.kiosk) == (server.address, "V02", True)
    assert dialog.pin_edit.text() == ""  # the PIN does not linger in the widget


def test_setup_dialog_shows_a_wrong_ca_file(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = RoomSetupDialog(tmp_path / "room.toml")
    qtbot.addWidget(dialog)
    dialog.ca_edit.setText(str(tmp_path / "missing.pem"))
    assert "平台根证书文件有误" in dialog.ca_label.text()


def test_setup_dialog_refuses_an_unwritable_target(
    qtbot: QtBot, server: RunningServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    dialog = RoomSetupDialog(blocker / "room.toml")
    qtbot.addWidget(dialog)
    assert "管理员" in dialog.status_label.text()  # said at once, before the staff type anything
    dialog.server_edit.setText(server.address)
    dialog.ca_edit.setText(str(server.pki.directory.ca_path))
    dialog.venue_edit.setText("V01")
    dialog.pin_edit.setText(STAFF_PIN)
    dialog.pin_again_edit.setText(STAFF_PIN)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=20_000)
    assert "管理员" in dialog.status_label.text()
    assert dialog.saved is None


# -- kiosk mode ----------------------------------------------------------------------------------------


def test_kiosk_window_closes_only_with_the_staff_pin(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = tmp_path / "unused.pem"
    config = RoomConfig("127.0.0.1:50051", ca, "V01", True, hash_staff_pin(STAFF_PIN))
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    apply_kiosk(window, config)
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    guard = window.findChild(KioskGuard)
    assert guard is not None
    answers = iter([None, "000000", STAFF_PIN])
    monkeypatch.setattr(room_setup, "ask_staff_pin", lambda _parent: next(answers))

    with qtbot.waitSignal(guard.sig_refused, timeout=20_000) as cancelled:
        assert not window.close()  # Alt+F4 and the close button arrive as the same close event
    assert "未输入" in cancelled.args[0]
    assert window.isVisible()
    with qtbot.waitSignal(guard.sig_refused, timeout=20_000) as wrong:
        window.close()
    assert "错误" in wrong.args[0]
    assert window.isVisible()
    with qtbot.waitSignal(guard.sig_unlocked, timeout=20_000):
        window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)


def test_kiosk_window_does_not_stay_minimised(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(room_setup, "ask_staff_pin", lambda _parent: None)
    config = RoomConfig("127.0.0.1:50051", tmp_path / "unused.pem", "V01", True, hash_staff_pin(STAFF_PIN))
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    apply_kiosk(window, config)
    window.showMinimized()
    qtbot.waitUntil(lambda: not window.windowState() & Qt.WindowState.WindowMinimized, timeout=10_000)
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    guard = window.findChild(KioskGuard)
    assert guard is not None
    guard.unlocked = True  # let the test's teardown close it


def test_without_kiosk_nothing_changes(qtbot: QtBot, tmp_path: Path) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    apply_kiosk(window, RoomConfig("127.0.0.1:50051", tmp_path / "ca.pem", "V01"))
    apply_kiosk(window, None)
    assert window.findChild(KioskGuard) is None
    assert window.close()


# -- the program -----------------------------------------------------------------------------------------


def test_a_broken_room_configuration_is_a_message_not_a_crash(
    qtbot: QtBot, room_config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(
        room_config_path, 'server = "127.0.0.1:50051"\nca_file = "/nowhere/ca.pem"\nvenue_id = "V01"\n'
    )
    shown: list[str] = []
    monkeypatch.setattr(app.main, "show_message", lambda _title, text: shown.append(text))
    assert app.main.main([]) == 2
    assert len(shown) == 1
    assert "/nowhere/ca.pem" in shown[0]
    assert "--configure" in shown[0]


def test_configure_opens_the_setup_even_over_a_broken_configuration(
    qtbot: QtBot, room_config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(room_config_path, GOOD.format(ca="/nowhere/ca.pem"))
    opened: list[RoomSetupDialog] = []

    def cancel(dialog: RoomSetupDialog) -> int:
        opened.append(dialog)
        return 0

    monkeypatch.setattr(RoomSetupDialog, "exec", cancel)
    assert app.main.main(["--configure"]) == 0
    assert len(opened) == 1
    assert opened[0].windowTitle() == "首次配置"


def test_an_installed_client_without_configuration_opens_the_setup(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[RoomSetupDialog] = []

    def cancel(dialog: RoomSetupDialog) -> int:
        opened.append(dialog)
        return 0  # the staff cancelled: nothing else opens

    monkeypatch.setattr("app.room_config.is_installed", lambda: True)
    monkeypatch.setattr(RoomSetupDialog, "exec", cancel)
    assert app.main.main([]) == 0
    assert len(opened) == 1
    assert opened[0].windowTitle() == "首次配置"


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from bideval import __version__

    with pytest.raises(SystemExit) as exited:
        app.main.main(["--version"])
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out


WRITES = ("write", "mkdir", "touch", "unlink", "open(", "replace(", "rename(", "copy")
OWN_LOCATION = ("__file__", "sys.executable", "_MEIPASS")


def test_the_client_never_writes_next_to_its_own_code() -> None:
    """A read-only install folder (Program Files, /opt) must work: no client code writes to a path derived
    from its own location (reading bundled resources is fine). Root ignores mode bits, so this is checked
    on the source rather than by chmod; the data it writes goes to BIDEVAL_CLIENT_DATA / the user folder."""
    package = Path(app.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(mark in line for mark in OWN_LOCATION) and any(write in line for write in WRITES)
    ]
    assert offenders == []
    assert os.environ["BIDEVAL_CLIENT_DATA"]  # tests never write to the user's folder either
