"""Test helpers shared by several test modules (fixtures themselves live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from bideval.audit.signing import SoftwareSigner
from bideval.identity.pki import PkiDirectory, Role, cert_to_pem, key_to_plain_pem
from server.application import EvaluationApp
from server.rpc.server import TlsMaterial

PASSPHRASE = b"test-passphrase"


@dataclass
class Pki:
    directory: PkiDirectory
    _issued: dict[tuple[str, Role], tuple[bytes, bytes]] = field(default_factory=dict)

    def tls(self) -> TlsMaterial:
        return TlsMaterial(*self.directory.load_server(PASSPHRASE))

    def log_signer(self) -> SoftwareSigner:
        """The server key, which signs the audit log's tree heads."""
        tls = self.tls()
        return signer_from_pem(tls.certificate, tls.private_key)

    def person(self, person_id: str, role: Role) -> tuple[bytes, bytes]:
        """(certificate PEM, unencrypted key PEM) for a person, issued once per test run."""
        key = (person_id, role)
        if key not in self._issued:
            cert, private_key = self.directory.issue(person_id, person_id, role, PASSPHRASE, 30)
            self._issued[key] = (cert_to_pem(cert), key_to_plain_pem(private_key))
        return self._issued[key]


@dataclass
class RunningServer:
    address: str
    app: EvaluationApp
    pki: Pki
    session_id: str
    _clients: list[ApiClient] = field(default_factory=list)

    def client(self, person_id: str, role: Role = Role.EXPERT, device: str = "device-1") -> ApiClient:
        cert_pem, key_pem = self.pki.person(person_id, role)
        endpoint = Endpoint(self.address, self.pki.directory.ca_path.read_bytes(), cert_pem, key_pem)
        sequencer = Sequencer(f"{person_id}-{device}", signer_from_pem(cert_pem, key_pem))
        client = ApiClient(open_channel(endpoint), sequencer)
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
