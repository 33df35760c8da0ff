"""Chinese by default, English selectable: the committed translation, loading it, falling back, switching."""

from __future__ import annotations

import importlib.util
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app import i18n
from app.i18n import Language, LanguageSelector
from app.models.score_grid import ScoreGridModel
from app.services.sync import SyncStatus
from app.ui.login import LoginWindow
from app.ui.score_grid import ScoreGridView
from app.ui.session_window import SessionWindow, open_session_window
from app.ui.status_bar import connection_text
from bideval.identity.credential import write_credential
from bideval.identity.pki import Role, cert_from_pem, key_from_pem
from tests.support import Pki, RunningServer

ROOT = Path(__file__).resolve().parents[2]
PIN = "246810"
CONNECTED = SyncStatus(connected=True, offline_since=None, unsynced=0, last_sync_at=None, last_error="")


@pytest.fixture(autouse=True)
def chinese_afterwards(qapp: QApplication) -> Iterator[None]:
    """Every test leaves the application as it found it: no translator of ours, source strings (Chinese)."""
    yield
    i18n.remove_translators(qapp)


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path: Path) -> None:
    """QSettings made without a file (``i18n.user_settings()``) go to the test's folder: no test writes
    the real user's client settings, even through a selector made without ``settings``."""
    folder = str(tmp_path / "user-settings")
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """A settings file of the test's own, never the person's real client settings."""
    return QSettings(str(tmp_path / "client.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def grid_view(qtbot: QtBot) -> ScoreGridView:
    view = ScoreGridView(ScoreGridModel([], []))
    qtbot.addWidget(view)
    return view


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("translations_tool", ROOT / "tools" / "translations.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before running it: its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_committed_translation_is_complete_and_current() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "translations.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_check_reports_missing_unfinished_and_broken_messages() -> None:
    tool = load_tool()
    message = tool.Message
    sources = {
        m.key: m
        for m in (
            message("Ctx", "已连接"),
            message("Ctx", "离线自 %1"),
            message("Ctx", "第 %n 轮", numerus=True),
        )
    }
    committed = [
        message("Ctx", "已连接", forms=()),  # unfinished
        message("Ctx", "离线自 %1", forms=("Offline since",)),  # lost its placeholder
        message("Ctx", "已删除", forms=("Deleted",)),  # gone from the sources
    ]
    problems = "\n".join(tool.problems_with(sources, committed))
    assert "not in bideval_en.ts: [Ctx] '第 %n 轮'" in problems
    assert "no longer in the sources: [Ctx] '已删除'" in problems
    assert "no English: [Ctx] '已连接'" in problems
    assert "placeholders differ: [Ctx] '离线自 %1'" in problems


def test_english_installed_shows_english(qapp: QApplication, qtbot: QtBot) -> None:
    assert i18n.install_translator(qapp, Language.EN)
    assert i18n.current_language() is Language.EN
    assert connection_text(CONNECTED) == "Connected"
    # A widget made after the switch: self.tr() in a QObject subclass.
    view = ScoreGridView(ScoreGridModel([], []))
    qtbot.addWidget(view)
    assert view.show_pages_action.text() == "Show related pages"
    # A count picks the English singular or plural.
    pledge = "请阅读承诺书，剩余 %n 秒"
    assert QCoreApplication.translate("PledgePage", pledge, "", 1) == "Please read the pledge, 1 second left"
    assert QCoreApplication.translate("PledgePage", pledge, "", 5) == "Please read the pledge, 5 seconds left"


def test_chinese_shows_the_source_strings(qapp: QApplication, qtbot: QtBot, grid_view: ScoreGridView) -> None:
    assert i18n.install_translator(qapp, Language.ZH_CN)
    assert i18n.current_language() is Language.ZH_CN
    assert connection_text(CONNECTED) == "已连接"
    assert grid_view.show_pages_action.text() == "查看相关页"
    # Qt's standard buttons come from Qt's own Chinese translation.
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel is not None
    assert cancel.text() == "取消"


@pytest.mark.parametrize("language", ["fr", "", None, "klingon"])
def test_unknown_language_falls_back_to_chinese(
    qapp: QApplication, language: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    i18n.install_translator(qapp, Language.EN)
    with caplog.at_level(logging.WARNING, logger="app.i18n"):
        assert not i18n.install_translator(qapp, language)
    assert i18n.current_language() is Language.ZH_CN
    assert connection_text(CONNECTED) == "已连接"
    assert "showing Chinese" in caplog.text


def test_missing_qm_falls_back_to_chinese_with_a_warning(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(i18n, "translations_dir", lambda: tmp_path / "nowhere")
    with caplog.at_level(logging.WARNING, logger="app.i18n"):
        assert not i18n.install_translator(qapp, "en")
    assert i18n.current_language() is Language.ZH_CN
    assert connection_text(CONNECTED) == "已连接"
    assert "bideval_en.qm" in caplog.text


def test_damaged_qm_falls_back_to_chinese(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bideval_en.qm").write_bytes(b"not a translation file")
    monkeypatch.setattr(i18n, "translations_dir", lambda: tmp_path)
    assert not i18n.install_translator(qapp, Language.EN)
    assert connection_text(CONNECTED) == "已连接"


def test_frozen_bundle_loads_from_meipass(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "bundle" / "resources" / "i18n"
    bundled.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "i18n" / "bideval_en.qm", bundled)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert i18n.translations_dir() == bundled
    assert i18n.install_translator(qapp, Language.EN)
    assert connection_text(CONNECTED) == "Connected"


def test_switching_at_run_time_retranslates_registered_widgets(qapp: QApplication, qtbot: QtBot) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    label = QLabel(page)
    calls: list[str] = []

    def retranslate() -> None:
        calls.append(i18n.current_language().value)
        label.setText(connection_text(CONNECTED))

    retranslate()
    i18n.retranslate_on_change(page, retranslate)
    page.show()
    assert label.text() == "已连接"

    assert i18n.switch_language(qapp, Language.EN)
    qtbot.waitUntil(lambda: label.text() == "Connected")
    assert i18n.switch_language(qapp, Language.ZH_CN)
    qtbot.waitUntil(lambda: label.text() == "已连接")
    assert calls[0] == "zh_CN"
    assert "en" in calls


def test_choose_language_order(settings: QSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.ENVIRONMENT_VARIABLE, raising=False)
    assert i18n.choose_language(None, settings) is Language.ZH_CN  # nothing chosen: Chinese

    i18n.store_language(Language.EN, settings)
    assert i18n.choose_language(None, settings) is Language.EN  # the stored choice

    monkeypatch.setenv(i18n.ENVIRONMENT_VARIABLE, "zh-CN")
    assert i18n.choose_language(None, settings) is Language.ZH_CN  # the environment beats it

    assert i18n.choose_language("en_US", settings) is Language.EN  # --lang beats both
    assert i18n.choose_language("fr", settings) is Language.ZH_CN  # an unknown --lang is skipped

    monkeypatch.setenv(i18n.ENVIRONMENT_VARIABLE, "xx")
    settings.setValue(i18n.SETTINGS_KEY, "tlh")
    assert i18n.choose_language("", settings) is Language.ZH_CN  # nothing usable anywhere: Chinese


def test_language_selector_stores_and_switches(qapp: QApplication, qtbot: QtBot, settings: QSettings) -> None:
    selector = LanguageSelector(settings=settings)
    qtbot.addWidget(selector)
    assert [selector.itemText(i) for i in range(selector.count())] == ["中文", "English"]
    assert selector.language() is Language.ZH_CN
    assert selector.toolTip() == "界面语言"

    with qtbot.waitSignal(selector.sig_language_changed) as changed:
        selector.setCurrentIndex(selector.findData("en"))
    assert changed.args == [Language.EN]
    assert i18n.current_language() is Language.EN
    assert settings.value(i18n.SETTINGS_KEY) == "en"
    assert i18n.stored_language(settings) is Language.EN
    qtbot.waitUntil(lambda: selector.toolTip() == "Display language")
    assert connection_text(CONNECTED) == "Connected"

    selector.setCurrentIndex(selector.findData("zh_CN"))
    assert settings.value(i18n.SETTINGS_KEY) == "zh_CN"
    qtbot.waitUntil(lambda: selector.toolTip() == "界面语言")
    # A selector made later starts at the language in effect.
    later = LanguageSelector(settings=settings)
    qtbot.addWidget(later)
    assert later.language() is Language.ZH_CN


def credential_file(pki: Pki, tmp_path: Path, person: str) -> Path:
    cert_pem, key_pem = pki.person(person, Role.EXPERT)
    path = tmp_path / f"{person}.bidcred"
    write_credential(
        path, cert_from_pem(cert_pem), key_from_pem(key_pem, None), pki.directory.ca_certificate(), PIN
    )
    return path


def login_texts(window: LoginWindow) -> list[str]:
    return [
        window.windowTitle(),
        window.server_caption.text(),
        window.credential_caption.text(),
        window.holder_caption.text(),
        window.pin_caption.text(),
        window.browse_button.text(),
        window.login_button.text(),
        window.holder_label.text(),
        window.status_label.text(),
    ]


def test_login_window_follows_the_language_selector(
    qapp: QApplication, qtbot: QtBot, settings: QSettings, pki: Pki, tmp_path: Path
) -> None:
    window = LoginWindow("127.0.0.1:1", str(credential_file(pki, tmp_path, "E07")), settings=settings)
    qtbot.addWidget(window)
    selector = window.language_selector
    assert selector.language() is Language.ZH_CN
    # A status that depends on the language: the wrong PIN's message (unlocking fails before connecting).
    window.pin_edit.setText("000000")
    window.submit()
    qtbot.waitUntil(lambda: window.status_label.text() == "PIN 码错误", timeout=30_000)
    chinese = login_texts(window)
    assert chinese == [
        "远程异地评标系统 — 登录",
        "服务器地址",
        "数字证书文件",
        "持有人",
        "PIN 码",
        "选择…",
        "登录",
        "E07（E07，专家）",
        "PIN 码错误",
    ]

    selector.setCurrentIndex(selector.findData(Language.EN.value))
    qtbot.waitUntil(lambda: window.login_button.text() == "Sign in")
    assert login_texts(window) == [
        "Remote Off-site Bid Evaluation — sign in",
        "Server address",
        "Digital certificate file",
        "Holder",
        "PIN",
        "Choose…",
        "Sign in",
        "E07 (E07, Expert)",
        "Wrong PIN",
    ]
    assert settings.value(i18n.SETTINGS_KEY) == "en"  # the choice is stored…
    assert i18n.choose_language(None, settings) is Language.EN  # …and the next start uses it

    selector.setCurrentIndex(selector.findData(Language.ZH_CN.value))
    qtbot.waitUntil(lambda: window.login_button.text() == "登录")
    assert login_texts(window) == chinese
    assert settings.value(i18n.SETTINGS_KEY) == "zh_CN"


def test_windows_opened_after_login_are_in_the_chosen_language(
    qapp: QApplication, qtbot: QtBot, settings: QSettings, server: RunningServer, tmp_path: Path
) -> None:
    window = LoginWindow(server.address, str(credential_file(server.pki, tmp_path, "E01")), settings=settings)
    qtbot.addWidget(window)
    window.language_selector.setCurrentIndex(window.language_selector.findData(Language.EN.value))
    qtbot.waitUntil(lambda: window.login_button.text() == "Sign in")
    window.pin_edit.setText(PIN)
    with qtbot.waitSignal(window.sig_logged_in, timeout=30_000) as logged_in:
        window.submit()
    result = logged_in.args[0]
    assert window.status_label.text() == "Signed in: E01 (Expert)"
    assert window.sessions_list.item(0).text().endswith("— Check in")
    assert result.opened is not None
    session_window = open_session_window(window, result)
    assert isinstance(session_window, SessionWindow)
    qtbot.waitUntil(lambda: session_window.view is not None, timeout=30_000)
    assert session_window.windowTitle().startswith("Remote Off-site Bid Evaluation — ")
    first_step = session_window.steps_list.item(0)
    assert first_step is not None
    assert "Check in" in first_step.text()
    session_window.close()
    qtbot.waitUntil(lambda: not session_window.busy, timeout=30_000)
    result.opened.close()
