"""``bideval --self-test``: the room staff's check that an installed client works on this PC.

Run after installing (or by the package test, offscreen) it checks, one printed line each, what a room PC
most often gets wrong: Qt and its platform plugin, the PDF viewer (QtPdf), the encrypted cache
(SQLCipher), the translations shipped with the client, and the server: a TLS connection verifying the
server's certificate against the platform CA file.

The server asks every client for a certificate (mutual TLS) and the self-test has none, so it cannot call
the gRPC health service. It checks what it can without a credential: the TCP connection and the server's
certificate (chain to the CA, host name or IP address). With TLS 1.3 the server's refusal of the missing
client certificate arrives after the client's handshake has finished, so the server's certificate is
verified and reported before that refusal. Exit code 0 only when every check passes; a check that
cannot apply (no server given, no translations built yet) is reported, not failed.

Lines are meant for people: ``OK``/``FAIL``/``SKIP``, a Chinese label with an English one (staff may
read either, and support reads the English), and the reason.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_PORT = 443
# The cache check's PIN only keys a throw-away database in a temporary folder.
_SELF_TEST_PIN = "self-test-pin"
_LOG_NAME = "bideval-self-test.log"


class Outcome(StrEnum):
    OK = "OK"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class CheckResult:
    label: str
    outcome: Outcome
    detail: str

    def line(self) -> str:
        return f"{self.outcome.value:<4} {self.label}: {self.detail}"


class Skipped(Exception):
    """Raised by a check that does not apply here; reported as SKIP, does not fail the self-test."""


def resources_dir() -> Path:
    """The client's ``resources/`` folder: inside the frozen bundle, or at the top of the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def parse_address(server: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``HOST`` (port 443) → (host, port); raises ValueError."""
    text = server.strip()
    if not text:
        raise ValueError("empty server address")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ValueError(f"no host in {server!r}")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in {server!r}")
    return host, int(port_text)


# --- the checks: each returns its detail text, raises Skipped, or raises any error for FAIL ---


def _application() -> Any:
    from PySide6.QtWidgets import QApplication

    application = QApplication.instance()
    if application is None:
        # Kept on the module so that it outlives the check (Qt objects need it until the process ends).
        application = QApplication(sys.argv[:1])
        globals()["_APPLICATION"] = application
    return application


def check_qt() -> str:
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QLabel

    application = _application()
    label = QLabel("远程异地评标 self-test")
    label.resize(240, 60)
    label.setAutoFillBackground(True)
    palette = label.palette()
    palette.setColor(label.backgroundRole(), QColor("white"))
    label.setPalette(palette)
    label.show()
    application.processEvents()
    image = label.grab().toImage()
    label.close()
    label.deleteLater()
    if image.isNull() or image.width() < 1:
        raise RuntimeError("the window rendered nothing")
    if not _has_dark_pixel(image):
        raise RuntimeError("the window rendered blank (no text drawn; fonts missing?)")
    platform = application.platformName()
    return f"Qt {qVersion()}, platform {platform}, window rendered {image.width()}x{image.height()}"


def _has_dark_pixel(image: Any) -> bool:
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            if image.pixelColor(x, y).lightness() < 128:
                return True
    return False


def minimal_pdf() -> bytes:
    """A one-page PDF (200x200 pt) with a black square in the middle, built by hand so that the client
    needs no PDF writer; the cross-reference offsets are computed, as a strict reader expects."""
    content = b"0 0 0 rg 50 50 100 100 re f"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def check_pdf() -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtPdf import QPdfDocument  # type: ignore[import-not-found, unused-ignore]

    # The viewer module itself: a bundle missing QtPdfWidgets fails here, as the client would.
    import app.ui.document_viewer  # noqa: F401

    _application()
    buffer = QBuffer()
    buffer.setData(QByteArray(minimal_pdf()))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
    while document.status() == QPdfDocument.Status.Loading and time.monotonic() < deadline:
        _application().processEvents()
    if document.status() != QPdfDocument.Status.Ready:
        raise RuntimeError(f"the test PDF did not load: {document.error()}")
    image = document.render(0, QSize(100, 100))
    if image.isNull():
        raise RuntimeError("the page rendered nothing")
    centre = image.pixelColor(50, 50)
    corner = image.pixelColor(5, 5)
    pages = document.pageCount()
    document.close()
    # The square must be drawn opaque and dark; the page around it is left transparent or painted white.
    centre_drawn = centre.alpha() > 192 and centre.lightness() < 64
    corner_blank = corner.alpha() < 64 or corner.lightness() > 192
    if not (centre_drawn and corner_blank):
        raise RuntimeError(f"the page rendered wrong (centre {centre.name()}, corner {corner.name()})")
    return f"{pages} page rendered {image.width()}x{image.height()}"


def check_cache() -> str:
    import sqlcipher3

    from app.services.cache import CacheLocked, SessionCache

    with tempfile.TemporaryDirectory(prefix="bideval-self-test-") as folder:
        directory = Path(folder)
        cache = SessionCache.create(directory, "self-test", "self-test", "self-test-device", _SELF_TEST_PIN)
        cache.set_meta("self-test", "写入 ok")
        cache.close()
        database = next(directory.glob("*.db"))
        if database.read_bytes()[:16] == b"SQLite format 3\x00":
            raise RuntimeError("the database file is not encrypted")
        reopened = SessionCache.open(directory, "self-test", _SELF_TEST_PIN)
        try:
            value = reopened.get_meta("self-test")
        finally:
            reopened.close()
        if value != "写入 ok":
            raise RuntimeError(f"read back {value!r} after reopening")
        try:
            SessionCache.open(directory, "self-test", _SELF_TEST_PIN + "-wrong").close()
        except CacheLocked:
            pass
        else:
            raise RuntimeError("a wrong key opened the cache")
        version = sqlcipher3.connect(":memory:").execute("PRAGMA cipher_version").fetchone()
    return f"SQLCipher {version[0] if version else '?'}: created, reopened, wrong key refused"


def check_translations() -> str:
    from PySide6.QtCore import QTranslator

    folder = resources_dir() / "i18n"
    files = sorted(folder.glob("*.qm")) if folder.is_dir() else []
    if not files:
        raise Skipped(f"none (no *.qm in {folder})")
    broken = [path.name for path in files if not QTranslator().load(str(path))]
    if broken:
        raise RuntimeError(f"cannot load {', '.join(broken)}")
    return ", ".join(path.name for path in files)


def check_server(server: str, ca_file: str | None) -> str:
    if not server.strip():
        raise Skipped("no server given (use --server HOST:PORT --ca CA.pem)")
    host, port = parse_address(server)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file:
        # Only the platform CA: a certificate some public CA issued for the same name must not pass.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=ca_file)
    context.set_alpn_protocols(["h2"])  # what gRPC speaks; some servers refuse a TLS client without it
    with (
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        certificate = tls.getpeercert()
        version = tls.version()
    subject = _name(certificate.get("subject", ()) if certificate else ())
    issuer = _name(certificate.get("issuer", ()) if certificate else ())
    expires = certificate.get("notAfter", "?") if certificate else "?"
    return f"{host}:{port} {version}, certificate {subject} issued by {issuer}, valid until {expires}"


def _name(rdns: Any) -> str:
    parts = [f"{key}={value}" for rdn in rdns for key, value in rdn]
    return ", ".join(parts) or "?"


def _server_reason(error: BaseException, server: str, ca_file: str | None) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        trusted = ca_file or "the system CAs"
        return f"服务器证书未通过验证 / certificate not trusted by {trusted}: {error.verify_message}"
    if isinstance(error, ConnectionRefusedError):
        return f"连接被拒绝 / connection refused by {server} (server not running, or wrong port)"
    if isinstance(error, TimeoutError | socket.timeout):
        seconds = f"{CONNECT_TIMEOUT_SECONDS:.0f} s"
        return f"连接超时 / no answer from {server} within {seconds} (network, firewall)"
    if isinstance(error, socket.gaierror):
        return f"无法解析地址 / cannot resolve {server}: {error}"
    if isinstance(error, FileNotFoundError):
        return f"找不到 CA 文件 / CA file not found: {ca_file}"
    if isinstance(error, ssl.SSLError):
        return f"TLS 握手失败 / TLS handshake failed: {error}"
    return f"{type(error).__name__}: {error}"


def _run(label: str, check: Callable[[], str], explain: Callable[[BaseException], str] | None) -> CheckResult:
    try:
        return CheckResult(label, Outcome.OK, check())
    except Skipped as skipped:
        return CheckResult(label, Outcome.SKIP, str(skipped))
    except Exception as error:  # noqa: BLE001 - every failure is reported as a line, never a crash
        if os.environ.get("BIDEVAL_SELF_TEST_TRACE"):
            traceback.print_exc()
        detail = explain(error) if explain else f"{type(error).__name__}: {error}"
        return CheckResult(label, Outcome.FAIL, detail)


def run_checks(server: str, ca_file: str | None) -> list[CheckResult]:
    return [
        _run("Qt 界面 / Qt widgets", check_qt, None),
        _run("PDF 阅读 / PDF viewer (QtPdf)", check_pdf, None),
        _run("本地加密缓存 / encrypted cache (SQLCipher)", check_cache, None),
        _run("界面翻译 / translations", check_translations, None),
        _run(
            "服务器连接 / server TLS",
            lambda: check_server(server, ca_file),
            lambda error: _server_reason(error, server, ca_file),
        ),
    ]


def run_self_test(server: str, ca_file: str | None, out: TextIO | None = None) -> int:
    """Run every check, print one line each to ``out`` (stdout), return the exit code (0: all passed).

    A windowed Windows build has no stdout (``sys.stdout is None``): the report then goes to
    ``%TEMP%\\bideval-self-test.log``, and its path is the last thing the self-test can tell.
    """
    log_file: TextIO | None = None
    if out is None:
        if sys.stdout is not None:
            out = sys.stdout
        else:
            log_file = open(Path(tempfile.gettempdir()) / _LOG_NAME, "w", encoding="utf-8")  # noqa: SIM115
            out = log_file
    try:
        results = run_checks(server, ca_file)
        for result in results:
            print(result.line(), file=out, flush=True)
        failed = [result for result in results if result.outcome is Outcome.FAIL]
        summary = "自检通过 / self-test passed"
        if failed:
            summary = f"自检失败 / self-test FAILED ({len(failed)})"
        print(summary, file=out, flush=True)
        return 0 if not failed else 1
    finally:
        if log_file is not None:
            log_file.close()
