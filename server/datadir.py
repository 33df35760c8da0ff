"""The server data directory: where the PKI, the embedded database, blobs and logs live."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from getpass import getpass
from pathlib import Path

from bideval.identity.pki import PkiDirectory
from server.storage.database import sqlite_url
from server.storage.store import Store

PASSPHRASE_ENV = "BIDEVAL_PKI_PASSPHRASE"
DATABASE_URL_ENV = "BIDEVAL_DATABASE_URL"


@dataclass(frozen=True, slots=True)
class DataDir:
    root: Path

    @property
    def pki(self) -> PkiDirectory:
        return PkiDirectory(self.root / "pki")

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def database_url(self, override: str | None = None) -> str:
        """An explicit URL (flag or BIDEVAL_DATABASE_URL) selects PostgreSQL; default: embedded SQLite."""
        return override or os.environ.get(DATABASE_URL_ENV) or sqlite_url(self.root)

    def open_store(self, database_url: str | None = None) -> Store:
        self.root.mkdir(parents=True, exist_ok=True)
        return Store.open(self.database_url(database_url), self.blobs)


def read_passphrase(passphrase_file: Path | None, confirm: bool = False) -> bytes:
    """The PKI passphrase: from a file, from BIDEVAL_PKI_PASSPHRASE, or typed at a terminal."""
    if passphrase_file is not None:
        return passphrase_file.read_bytes().strip()
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env.encode()
    if not sys.stdin.isatty():
        raise SystemExit(f"no PKI passphrase: set {PASSPHRASE_ENV} or pass --passphrase-file")
    passphrase = getpass("PKI passphrase: ")
    if confirm and getpass("repeat: ") != passphrase:
        raise SystemExit("passphrases differ")
    return passphrase.encode()
