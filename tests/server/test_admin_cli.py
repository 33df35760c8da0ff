"""bideval-admin end to end: PKI, credentials, import (all or nothing), list, revoke, demo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography import x509

from bideval.audit.entries import Entry, EntryKind, verify_tree_head
from bideval.identity.credential import peek_credential, unlock_credential
from bideval.identity.pki import Role
from server.admin.cli import main
from server.datadir import DataDir
from server.packages.demo import build_demo_package


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDEVAL_PKI_PASSPHRASE", "cli-test-passphrase")
    monkeypatch.setenv("BIDEVAL_PIN", "135790")


@pytest.mark.usefixtures("env")
def test_pki_credentials_import_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert main(["pki", "init", "--data-dir", str(data), "--server-name", "localhost"]) == 0
    # A second init must not replace the CA (every credential handed out would die).
    with pytest.raises(SystemExit, match="already exists"):
        main(["pki", "init", "--data-dir", str(data)])

    out = tmp_path / "E01.bidcred"
    args = ["credential", "issue", "--data-dir", str(data), "--person", "E01", "--name", "刘建华"]
    assert main([*args, "--role", "expert", "--out", str(out)]) == 0
    info = peek_credential(out)
    assert info.identity.person_id == "E01"
    assert info.identity.role is Role.EXPERT
    assert info.identity.display_name == "刘建华"
    assert unlock_credential(out, "135790").identity == info.identity

    package = build_demo_package(tmp_path / "package")
    assert main(["session", "import", "--data-dir", str(data), str(package)]) == 0
    capsys.readouterr()
    assert main(["session", "list", "--data-dir", str(data)]) == 0
    assert "YX2025-GL017-L1" in capsys.readouterr().out

    # Importing the same session again is refused and leaves the store as it was.
    assert main(["session", "import", "--data-dir", str(data), str(package)]) == 2
    assert "already exists" in capsys.readouterr().err
    store = DataDir(data).open_store()
    try:
        assert [setup.session_id for setup, _at, _events in store.load_sessions()] == ["YX2025-GL017-L1"]
    finally:
        store.close()

    assert (
        main(["credential", "revoke", "--data-dir", str(data), str(info.identity.serial), "--reason", "遗失"])
        == 0
    )
    store = DataDir(data).open_store()
    try:
        assert store.revoked_serials() == frozenset({str(info.identity.serial)})
        # Both admin changes are in the audit log, signed by the log key like the server's own entries.
        entries = [Entry.from_bytes(leaf) for leaf in store.audit_leaves()]
        assert [e.kind for e in entries] == [EntryKind.IMPORT, EntryKind.REVOCATION]
        assert entries[0].session_id == "YX2025-GL017-L1"
        assert set(entries[0].detail) == {"setup_sha256"}
        assert entries[1].detail == {"serial": str(info.identity.serial), "reason": "遗失"}
        head = store.latest_tree_head()
        assert head is not None
        assert head.tree_size == 2
        verify_tree_head(head, _server_cert(data))
    finally:
        store.close()
    with pytest.raises(SystemExit, match="no certificate with serial 7"):
        main(["credential", "revoke", "--data-dir", str(data), "7", "--reason", "typo"])


def _server_cert(data: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(DataDir(data).pki.server_path.read_bytes())


@pytest.mark.usefixtures("env")
def test_malformed_package_is_refused_with_every_problem_and_nothing_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    main(["pki", "init", "--data-dir", str(data)])
    package = build_demo_package(tmp_path / "package")
    manifest = package / "manifest.json"
    document = json.loads(manifest.read_text("utf-8"))
    document["lots"][0]["bidders"][2]["price"] = "一千万"
    document["lots"][0]["bidders"][3]["bid_file"] = "../../etc/passwd"
    manifest.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    assert main(["session", "import", "--data-dir", str(data), str(package)]) == 2
    err = capsys.readouterr().err
    assert "nothing was stored" in err
    assert "bidders[2].price" in err
    assert "bidders[3].bid_file" in err
    store = DataDir(data).open_store()
    try:
        assert store.load_sessions() == []
    finally:
        store.close()


@pytest.mark.usefixtures("env")
def test_demo_builds_a_servable_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "demo"
    assert main(["demo", "--data-dir", str(data)]) == 0
    summary = capsys.readouterr().out
    assert "YX2025-GL017-L1" in summary
    credentials = sorted(p.stem for p in (data / "credentials").glob("*.bidcred"))
    assert credentials == ["E01", "E02", "E03", "E04", "E05", "E06", "E07", "OP01", "S01", "S02"]
    assert peek_credential(data / "credentials" / "S01.bidcred").identity.role is Role.SUPERVISOR
    assert DataDir(data).pki.load_server(b"cli-test-passphrase")[1].startswith(b"-----BEGIN PRIVATE KEY")
    # Without --force an existing demo is kept.
    assert main(["demo", "--data-dir", str(data)]) == 0
    assert "already exists" in capsys.readouterr().out
    shutil.rmtree(data)
