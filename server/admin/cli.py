"""bideval-admin: set up a server data directory, hand out credentials, import sessions, build the demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from getpass import getpass
from pathlib import Path

from bideval.domain.errors import DomainError
from bideval.identity.credential import write_credential
from bideval.identity.pki import CertificateError, Role
from server.datadir import DataDir, read_passphrase

PIN_ENV = "BIDEVAL_PIN"
DEFAULT_VALID_DAYS = 365


def _data_dir(args: argparse.Namespace) -> DataDir:
    return DataDir(args.data_dir)


def _read_pin(pin_file: Path | None) -> str:
    if pin_file is not None:
        return pin_file.read_text("utf-8").strip()
    from_env = os.environ.get(PIN_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise SystemExit(f"no PIN: set {PIN_ENV} or pass --pin-file")
    pin = getpass("PIN for the new credential (6-32 characters): ")
    if getpass("repeat: ") != pin:
        raise SystemExit("PINs differ")
    return pin


def cmd_pki_init(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    passphrase = read_passphrase(args.passphrase_file, confirm=True)
    try:
        data_dir.pki.init(args.ca_name, args.server_name, passphrase, args.valid_days)
    except FileExistsError as error:
        raise SystemExit(str(error)) from error
    print(f"platform CA and server certificate created in {data_dir.pki.root}")
    print(f"hand {data_dir.pki.ca_path} to the room PCs; keep the passphrase offline")
    return 0


def issue_credential(
    data_dir: DataDir,
    passphrase: bytes,
    person_id: str,
    name: str,
    role: Role,
    pin: str,
    out: Path,
    valid_days: int,
) -> int:
    cert, key = data_dir.pki.issue(person_id, name, role, passphrase, valid_days)
    write_credential(out, cert, key, data_dir.pki.ca_certificate(), pin)
    return int(cert.serial_number)


def cmd_credential_issue(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    passphrase = read_passphrase(args.passphrase_file)
    serial = issue_credential(
        data_dir,
        passphrase,
        args.person,
        args.name,
        Role(args.role),
        _read_pin(args.pin_file),
        args.out,
        args.valid_days,
    )
    print(f"issued {args.role} credential for {args.person} ({args.name}), serial {serial}: {args.out}")
    return 0


def cmd_credential_revoke(args: argparse.Namespace) -> int:
    from server.admin.offline import offline_app

    data_dir = _data_dir(args)
    try:
        data_dir.pki.issued_certificate(args.serial)
    except CertificateError as error:
        raise SystemExit(str(error)) from error
    if not args.reason.strip():
        raise SystemExit("--reason must not be empty")
    with offline_app(data_dir, read_passphrase(args.passphrase_file), args.database_url) as app:
        app.revoke(None, str(args.serial), args.reason)
    print(f"certificate {args.serial} revoked; a running server applies it at its next start")
    return 0


def cmd_session_import(args: argparse.Namespace) -> int:
    from server.admin.importer import import_package
    from server.packages.manifest import PackageError

    try:
        setups = import_package(
            _data_dir(args), args.path, read_passphrase(args.passphrase_file), args.database_url
        )
    except (PackageError, DomainError) as error:
        print(f"import refused, nothing was stored:\n{error}", file=sys.stderr)
        return 2
    for setup in setups:
        print(f"imported session {setup.session_id}: {setup.project.name} / {setup.project.lot_name}")
    return 0


def cmd_session_list(args: argparse.Namespace) -> int:
    store = _data_dir(args).open_store(args.database_url)
    try:
        for setup, created_at, events in store.load_sessions():
            print(
                f"{setup.session_id}\t{created_at:%Y-%m-%d %H:%M}\t{len(events)} events\t{setup.project.name}"
            )
    finally:
        store.close()
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from bideval.audit.bundle import VerificationError
    from server.admin.audit import verify_data_dir

    try:
        summary = verify_data_dir(_data_dir(args), args.database_url)
    except VerificationError as error:
        print(f"FAILED: {error}")
        return 1
    print(f"OK: {summary}")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    from bideval.audit.bundle import VerificationError
    from server.admin.audit import export_session

    try:
        parts = export_session(_data_dir(args), args.session, args.out, args.database_url)
    except VerificationError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(
        f"evidence bundle for {args.session}: {len(parts.entries)} entries, {len(parts.events)} events, "
        f"{len(parts.tree_heads)} tree heads -> {args.out} (check it anywhere: bideval-verify {args.out})"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from server.admin.demo import build_demo

    summary = build_demo(args.data_dir, args.pin, force=args.force)
    print(summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bideval-admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def with_data_dir(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--data-dir", type=Path, required=True, help="server data directory")
        return sub

    def with_database(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--database-url", help="SQLAlchemy URL; default: SQLite in the data directory")
        return sub

    pki = commands.add_parser("pki", help="the platform CA and the server certificate").add_subparsers(
        dest="pki_command", required=True
    )
    init = with_data_dir(pki.add_parser("init", help="create the platform CA and the server certificate"))
    init.add_argument("--ca-name", default="bideval platform CA")
    init.add_argument(
        "--server-name", action="append", default=None, help="DNS name or IP of the server (repeatable)"
    )
    init.add_argument("--valid-days", type=int, default=DEFAULT_VALID_DAYS * 5)
    init.add_argument("--passphrase-file", type=Path)
    init.set_defaults(func=cmd_pki_init)

    credential = commands.add_parser("credential", help="experts', supervisors' and operators' credentials")
    credentials = credential.add_subparsers(dest="credential_command", required=True)
    issue = with_data_dir(credentials.add_parser("issue", help="issue a credential file protected by a PIN"))
    issue.add_argument("--person", required=True, help="person id, e.g. E01")
    issue.add_argument("--name", required=True, help="display name")
    issue.add_argument("--role", required=True, choices=[role.value for role in Role])
    issue.add_argument("--out", type=Path, required=True, help="credential file to write (*.bidcred)")
    issue.add_argument("--pin-file", type=Path, help=f"file holding the PIN (else {PIN_ENV} or a prompt)")
    issue.add_argument("--valid-days", type=int, default=DEFAULT_VALID_DAYS)
    issue.add_argument("--passphrase-file", type=Path)
    issue.set_defaults(func=cmd_credential_issue)
    revoke = with_database(with_data_dir(credentials.add_parser("revoke", help="revoke a certificate")))
    revoke.add_argument("serial", type=int)
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--passphrase-file", type=Path)
    revoke.set_defaults(func=cmd_credential_revoke)

    session = commands.add_parser("session", help="evaluation sessions").add_subparsers(
        dest="session_command", required=True
    )
    do_import = with_database(with_data_dir(session.add_parser("import", help="import a session package")))
    do_import.add_argument("path", type=Path, help="package directory or .zip (see docs/session-package.md)")
    do_import.add_argument(
        "--passphrase-file", type=Path, help="PKI passphrase (the log key signs the import)"
    )
    do_import.set_defaults(func=cmd_session_import)
    do_list = with_database(with_data_dir(session.add_parser("list", help="list sessions")))
    do_list.set_defaults(func=cmd_session_list)

    audit = commands.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        dest="audit_command", required=True
    )
    verify = with_database(with_data_dir(audit.add_parser("verify", help="re-check the whole log and data")))
    verify.set_defaults(func=cmd_audit_verify)
    export = with_database(
        with_data_dir(audit.add_parser("export", help="write a session's evidence bundle"))
    )
    export.add_argument("session", help="session id")
    export.add_argument("--out", type=Path, required=True, help="bundle file to write (JSON)")
    export.set_defaults(func=cmd_audit_export)

    demo = with_data_dir(commands.add_parser("demo", help="build a complete demo data directory"))
    demo.add_argument("--pin", default="123456", help="PIN of every demo credential")
    demo.add_argument("--force", action="store_true", help="replace an existing demo data directory")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "server_name", "unset") is None:
        args.server_name = ["localhost", "127.0.0.1"]
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
