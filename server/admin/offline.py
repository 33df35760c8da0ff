"""The application opened by the admin tool on a data directory (the server need not run).

Admin changes (imports, revocations) go through the same application layer as the server's, so they land
in the audit log signed by the same log key. A running server notices them at its next start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bideval.audit.signing import SoftwareSigner
from bideval.identity.pki import cert_from_pem, key_from_pem
from server.application import EvaluationApp
from server.datadir import DataDir


@contextmanager
def offline_app(
    data_dir: DataDir, passphrase: bytes, database_url: str | None = None
) -> Iterator[EvaluationApp]:
    certificate, private_key, _ca = data_dir.pki.load_server(passphrase)
    store = data_dir.open_store(database_url)
    try:
        yield EvaluationApp(
            store, SoftwareSigner(cert_from_pem(certificate), key_from_pem(private_key, None))
        )
    finally:
        store.close()
