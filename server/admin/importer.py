"""Import a session package into a data directory: validate everything first, then store all or nothing."""

from __future__ import annotations

from pathlib import Path

from bideval.domain.setup import SessionSetup
from server.admin.offline import offline_app
from server.datadir import DataDir
from server.packages.manifest import load_package


def import_package(
    data_dir: DataDir, package: Path, passphrase: bytes, database_url: str | None = None
) -> tuple[SessionSetup, ...]:
    loaded = load_package(package)  # raises PackageError naming every problem; nothing stored yet
    with offline_app(data_dir, passphrase, database_url) as app:
        app.import_sessions(
            [
                (setup, {doc.id: loaded.files[(setup.session_id, doc.id)] for doc in setup.documents})
                for setup in loaded.setups
            ]
        )
    return loaded.setups
