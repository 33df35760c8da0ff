"""``app.self_test`` from source against the real mTLS server, and the failures staff will meet."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from app.self_test import CheckResult, Outcome, minimal_pdf, parse_address, run_checks, run_self_test
from bideval.identity.pki import PkiDirectory
from tests.support import RunningServer


def _by_label(results: list[CheckResult], word: str) -> Outcome:
    return next(result.outcome for result in results if word in result.label)


def test_passes_against_the_live_server(server: RunningServer) -> None:
    out = io.StringIO()
    code = run_self_test(server.address, str(server.pki.directory.ca_path), out)
    report = out.getvalue()
    assert code == 0, report
    lines = report.splitlines()
    assert len(lines) == 6  # five checks and the summary
    server_line = next(line for line in lines if "server TLS" in line)
    assert server_line.startswith("OK")
    assert "commonName=localhost" in server_line  # the subject of the server's certificate is reported
    assert all(line.split()[0] in {"OK", "SKIP"} for line in lines[:-1]), report


def test_wrong_ca_fails(server: RunningServer, tmp_path: Path) -> None:
    other = PkiDirectory(tmp_path / "other-pki")
    other.init("some other CA", ["localhost", "127.0.0.1"], b"other-passphrase", 30)
    out = io.StringIO()
    assert run_self_test(server.address, str(other.ca_path), out) == 1
    server_line = next(line for line in out.getvalue().splitlines() if "server TLS" in line)
    assert server_line.startswith("FAIL")
    assert "certificate not trusted" in server_line


def test_unreachable_port_fails() -> None:
    # A port that was free a moment ago: nothing listens on it, so the connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = io.StringIO()
    assert run_self_test(f"127.0.0.1:{port}", None, out) == 1
    assert "connection refused" in out.getvalue()


def test_missing_ca_file_fails(server: RunningServer, tmp_path: Path) -> None:
    results = run_checks(server.address, str(tmp_path / "absent.pem"))
    assert _by_label(results, "server TLS") is Outcome.FAIL


def test_without_a_server_the_local_checks_still_pass() -> None:
    results = run_checks("", None)
    assert _by_label(results, "server TLS") is Outcome.SKIP
    assert _by_label(results, "Qt") is Outcome.OK
    assert _by_label(results, "PDF") is Outcome.OK
    assert _by_label(results, "SQLCipher") is Outcome.OK
    assert run_self_test("", None, io.StringIO()) == 0


def test_translations_are_loaded_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A .qm that Qt cannot load is a failure; the packaged folder layout is what resources_dir() points at.
    (tmp_path / "resources" / "i18n").mkdir(parents=True)
    (tmp_path / "resources" / "i18n" / "bideval_zh_CN.qm").write_bytes(b"not a qm file")
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    results = run_checks("", None)
    assert _by_label(results, "translations") is Outcome.FAIL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:50051", ("127.0.0.1", 50051)),
        ("pingbiao.example.cn", ("pingbiao.example.cn", 443)),
        ("[::1]:8443", ("::1", 8443)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["", ":50051", "host:notaport", "host:70000"])
def test_parse_address_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_address(text)


def test_minimal_pdf_has_a_consistent_cross_reference() -> None:
    pdf = minimal_pdf()
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[start:].startswith(b"xref")
