"""The client's language: Chinese by default, English selectable (Qt ``.ts``/``.qm`` translations).

The source strings are Chinese, so Chinese needs no translation file of our own: only Qt's ``qtbase_zh_CN``
for the standard dialogs' buttons. English loads ``resources/i18n/bideval_en.qm`` (made by
``tools/translations.py`` from the committed ``bideval_en.ts``).

Which language (:func:`choose_language`): ``--lang`` on the command line, else ``BIDEVAL_LANG``, else the
person's stored choice (QSettings "bideval"/"client", key ``language``), else Chinese. A value that names
no known language is ignored with a warning, so a typo can never leave the room PC without a usable UI.

For window authors. Texts set with ``self.tr("…")`` in ``__init__`` keep the language they were made in.
To follow a switch at run time (:func:`switch_language`, e.g. from the :class:`LanguageSelector` on the
login window), put the texts into one method and register it::

    class MyPage(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.title = QLabel()
            self.retranslate()
            retranslate_on_change(self, self.retranslate)

        def retranslate(self) -> None:
            self.title.setText(self.tr("初步评审"))

Qt posts a ``LanguageChange`` event to every top-level widget when a translator is installed or removed,
and each widget passes it on to its children, so the callback runs for hidden pages too.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLibraryInfo,
    QObject,
    QSettings,
    QTranslator,
    Signal,
)
from PySide6.QtWidgets import QComboBox, QWidget

log = logging.getLogger(__name__)

SETTINGS_ORGANIZATION = "bideval"
SETTINGS_APPLICATION = "client"
SETTINGS_KEY = "language"
ENVIRONMENT_VARIABLE = "BIDEVAL_LANG"
CATALOG = "bideval"
"""Our translation files are ``resources/i18n/bideval_<language>.qm``."""


class Language(StrEnum):
    ZH_CN = "zh_CN"
    EN = "en"


DEFAULT_LANGUAGE = Language.ZH_CN

_LANGUAGE_NAMES = {Language.ZH_CN: "中文", Language.EN: "English"}
"""Each language named in itself: the selector must be readable whichever language is showing."""


def parse_language(value: str | None) -> Language | None:
    """``zh_CN``/``zh-CN``/``zh``/``en``/``en_US``… → the Language; None for empty or unknown values."""
    text = (value or "").strip().replace("-", "_").lower()
    if not text:
        return None
    primary = text.split("_", 1)[0].split(".", 1)[0]
    if primary == "zh":
        return Language.ZH_CN
    if primary == "en":
        return Language.EN
    return None


def user_settings() -> QSettings:
    return QSettings(SETTINGS_ORGANIZATION, SETTINGS_APPLICATION)


def stored_language(settings: QSettings | None = None) -> Language | None:
    """The person's stored choice, or None when there is none (or it is unreadable)."""
    value = (settings or user_settings()).value(SETTINGS_KEY)
    language = parse_language(value if isinstance(value, str) else None)
    if value and language is None:
        log.warning("ignoring the stored language %r: not one of %s", value, [x.value for x in Language])
    return language


def store_language(language: Language, settings: QSettings | None = None) -> None:
    # QSettings writes back on its own schedule (or at exit): nothing here waits for the disk.
    (settings or user_settings()).setValue(SETTINGS_KEY, language.value)


def choose_language(cli_value: str | None = None, settings: QSettings | None = None) -> Language:
    """The language to start in: ``--lang``, then ``BIDEVAL_LANG``, then the stored choice, then Chinese."""
    for origin, value in (
        ("--lang", cli_value),
        (ENVIRONMENT_VARIABLE, os.environ.get(ENVIRONMENT_VARIABLE)),
    ):
        if not value:
            continue
        language = parse_language(value)
        if language is not None:
            return language
        log.warning("ignoring %s=%r: not one of %s", origin, value, [x.value for x in Language])
    return stored_language(settings) or DEFAULT_LANGUAGE


def translations_dir() -> Path:
    """``resources/i18n``: in the frozen bundle (PyInstaller's ``sys._MEIPASS``), or in the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle is not None else Path(__file__).resolve().parent.parent
    return root / "resources" / "i18n"


# The translators in effect, so that switching can remove exactly them. Installation happens on the GUI
# thread only (QCoreApplication.installTranslator is not thread-safe), so no lock.
_installed: list[QTranslator] = []
_current = DEFAULT_LANGUAGE


def current_language() -> Language:
    """The language installed last (Chinese before any installation)."""
    return _current


def install_translator(app: QCoreApplication, language: Language | str | None) -> bool:
    """Shows ``app`` in ``language``, replacing translators installed here before.

    Returns False, with a warning, when the language could not be shown as asked: an unknown language or a
    missing/unreadable ``.qm`` falls back to Chinese (the source strings), never to a crash. Qt's own
    translations for the standard dialogs are a nicety: their absence only logs.

    The .qm files are tens of KB and QTranslator maps them: this runs on the GUI thread, where Qt requires
    translators to be installed.
    """
    global _current
    wanted = language if isinstance(language, Language) else parse_language(language)
    ok = wanted is not None
    if wanted is None:
        log.warning("unknown language %r: showing Chinese", language)
        wanted = DEFAULT_LANGUAGE
    remove_translators(app)
    shown = wanted
    if wanted is not DEFAULT_LANGUAGE:
        ours = QTranslator(app)
        folder = translations_dir()
        if ours.load(f"{CATALOG}_{wanted.value}.qm", str(folder)):
            app.installTranslator(ours)
            _installed.append(ours)
        else:
            log.warning("no translation %s_%s.qm in %s: showing Chinese", CATALOG, wanted.value, folder)
            ours.deleteLater()
            shown, ok = DEFAULT_LANGUAGE, False
    if shown is Language.ZH_CN:
        # Qt's buttons (OK/Cancel, file dialogs) in Chinese; English is Qt's own source language.
        qt = QTranslator(app)
        # Qt's own folder (a frozen PySide6 points it into the bundle), else a copy shipped beside ours.
        qt_folders = (QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath), str(translations_dir()))
        if any(qt.load("qtbase_zh_CN.qm", folder) for folder in qt_folders):
            app.installTranslator(qt)
            _installed.append(qt)
        else:
            log.info("Qt's qtbase_zh_CN.qm not found: standard dialogs stay in English")
            qt.deleteLater()
    _current = shown
    return ok


def remove_translators(app: QCoreApplication) -> None:
    """Removes what :func:`install_translator` installed: the source strings (Chinese) show again."""
    global _current
    for translator in _installed:
        app.removeTranslator(translator)
        translator.deleteLater()
    _installed.clear()
    _current = DEFAULT_LANGUAGE


def switch_language(app: QCoreApplication, language: Language | str) -> bool:
    """Replaces the installed translation at run time; widgets registered with
    :func:`retranslate_on_change` (or handling ``QEvent.LanguageChange`` themselves) update their texts."""
    return install_translator(app, language)


class _LanguageChangeFilter(QObject):
    def __init__(self, target: QObject, callback: Callable[[], None]) -> None:
        super().__init__(target)
        self._callback = callback
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LanguageChange:
            self._callback()
        return False  # the widget still gets the event: Qt's own widgets retranslate themselves


def retranslate_on_change(widget: QWidget, callback: Callable[[], None]) -> QObject:
    """Calls ``callback`` (which sets the widget's texts with ``tr``) whenever the language changes.

    The returned filter is a child of ``widget`` and goes with it; delete it to stop.
    """
    return _LanguageChangeFilter(widget, callback)


class LanguageSelector(QComboBox):
    """中文 / English: stores the person's choice and switches the running application to it."""

    sig_language_changed = Signal(object)
    """Emitted with the Language after switching to it."""

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        for language, name in _LANGUAGE_NAMES.items():
            self.addItem(name, language.value)
        self.setCurrentIndex(self.findData(current_language().value))
        self.currentIndexChanged.connect(self._chosen)
        self.retranslate()
        retranslate_on_change(self, self.retranslate)

    def retranslate(self) -> None:
        self.setToolTip(self.tr("界面语言"))

    def language(self) -> Language:
        return Language(self.currentData())

    def _chosen(self, _index: int) -> None:
        language = self.language()
        store_language(language, self._settings)
        app = QCoreApplication.instance()
        if app is not None:
            switch_language(app, language)
        self.sig_language_changed.emit(language)
