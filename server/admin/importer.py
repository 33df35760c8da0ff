"""Import a session package into a data directory: validate everything first, then store all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bideval.domain.setup import SessionSetup
from server.datadir import DataDir
from server.packages.manifest import load_package


def import_package(
    data_dir: DataDir, package: Path, database_url: str | None = None
) -> tuple[SessionSetup, ...]:
    loaded = load_package(package)  # raises PackageError naming every problem; nothing stored yet
    store = data_dir.open_store(database_url)
    try:
        store.import_sessions(
            [
                (setup, {doc.id: loaded.files[(setup.session_id, doc.id)] for doc in setup.documents})
                for setup in loaded.setups
            ],
            now=datetime.now(UTC),
        )
    finally:
        store.close()
    return loaded.setups
