"""The platform's own small PKI: one CA, one TLS server certificate, one certificate per person.

Every expert, supervisor and operator logs in with a client certificate issued by the platform CA (mutual
TLS); the certificate subject says who the person is and in which role (``OU``). Real deployments use CA
keys on USB tokens issued by a provincial CA; this module gives the same shape with software keys so that
the whole system runs, and is tested, end to end.

Keys are ECDSA P-256: small, fast to sign with on old room PCs, and supported by gRPC's TLS stack.
Private keys only ever reach the disk encrypted (PKCS#8 with the best available encryption); the
unencrypted PEM that gRPC wants is produced in memory.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bideval.domain import commands

# Certificates start a little in the past: room PCs and the server are not perfectly synchronised, and a
# certificate issued at the server's "now" must already be valid on a PC whose clock is a minute behind.
CLOCK_SKEW = timedelta(minutes=5)

ORGANIZATION = "bideval"


# What a certificate holder may do, stored in the subject's ``OU``: the same roles the domain knows.
Role = commands.Role


class CertificateError(ValueError):
    """A certificate or key that cannot be used: wrong issuer, expired, malformed, wrong passphrase."""


@dataclass(frozen=True)
class Identity:
    """Who a certificate belongs to, as the server and the client see it."""

    person_id: str
    display_name: str
    role: Role
    serial: int
    not_after: datetime


# --- issuing -------------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (naive datetimes are ambiguous across room PCs)")
    return now


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _validity(
    now: datetime | None, valid_days: int, ca_cert: x509.Certificate | None
) -> tuple[datetime, datetime]:
    if valid_days <= 0:
        raise ValueError(f"valid_days must be positive, got {valid_days}")
    start = _now(now) - CLOCK_SKEW
    end = start + CLOCK_SKEW + timedelta(days=valid_days)
    if ca_cert is not None:
        # A certificate that outlives its CA fails chain validation anyway; clamp so that the date the admin
        # tool prints is the date the certificate really stops working.
        end = min(end, ca_cert.not_valid_after_utc)
    return start, end


def create_ca(
    common_name: str, valid_days: int, now: datetime | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Create the self-signed platform CA. ``path_length=0``: it issues end-entity certificates only."""
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    start, end = _validity(now, valid_days, None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _end_entity_builder(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    valid_days: int,
    now: datetime | None,
    *,
    signing: bool,
) -> x509.CertificateBuilder:
    if ca_cert.public_key() != ca_key.public_key():
        raise CertificateError("the CA key does not belong to the CA certificate")
    start, end = _validity(now, valid_days, ca_cert)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                # Persons sign their score sheets and the report: that is a commitment, not just TLS.
                content_commitment=signing,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue_server_certificate(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    hostnames: Sequence[str],
    valid_days: int,
    now: datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Issue the TLS server certificate; each hostname becomes a DNS or IP subject alternative name."""
    if not hostnames:
        raise ValueError("a server certificate needs at least one hostname or IP address")
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    cert = (
        _end_entity_builder(ca_cert, ca_key, subject, key, valid_days, now, signing=False)
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hostnames]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def issue_person_certificate(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    person_id: str,
    display_name: str,
    role: Role,
    valid_days: int,
    now: datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Issue a client certificate: CN=person id, OU=role, O=bideval, PSEUDONYM=display name."""
    if not person_id:
        raise ValueError("person_id must not be empty")
    key = _new_key()
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, person_id),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, Role(role).value),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
    ]
    if display_name:
        # PSEUDONYM is a UTF8String, so Chinese names survive; CN stays the stable ASCII id.
        attributes.append(x509.NameAttribute(NameOID.PSEUDONYM, display_name))
    cert = (
        _end_entity_builder(ca_cert, ca_key, x509.Name(attributes), key, valid_days, now, signing=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


# --- reading and checking ------------------------------------------------------------------------------


def _single_attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier, label: str) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    if len(values) > 1:
        # Two CNs would let different components read different identities from one certificate.
        raise CertificateError(f"certificate subject has {len(values)} {label} attributes, expected one")
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def identity_from_certificate(cert: x509.Certificate) -> Identity:
    """Read who a person certificate belongs to. The display name falls back to the id if absent."""
    person_id = _single_attribute(cert, NameOID.COMMON_NAME, "CN")
    role_text = _single_attribute(cert, NameOID.ORGANIZATIONAL_UNIT_NAME, "OU")
    if not person_id:
        raise CertificateError(f"certificate subject {cert.subject.rfc4514_string()} has no CN (person id)")
    if role_text is None:
        raise CertificateError(
            f"certificate subject {cert.subject.rfc4514_string()} has no OU (role); "
            "it is not a person certificate"
        )
    try:
        role = Role(role_text)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise CertificateError(f"certificate role OU={role_text!r} is not one of: {known}") from None
    display_name = _single_attribute(cert, NameOID.PSEUDONYM, "PSEUDONYM") or person_id
    return Identity(
        person_id=person_id,
        display_name=display_name,
        role=role,
        serial=cert.serial_number,
        not_after=cert.not_valid_after_utc,
    )


def check_signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> None:
    """Check only the issuer name and signature (no dates): "do these two certificates belong together"."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        raise CertificateError(
            f"certificate {cert.subject.rfc4514_string()} is not issued by this platform CA "
            f"({ca_cert.subject.rfc4514_string()})"
        ) from None


def verify_issued_by(cert: x509.Certificate, ca_cert: x509.Certificate, now: datetime | None = None) -> None:
    """Check that ``ca_cert`` signed ``cert`` and that ``cert`` is valid at ``now``.

    Revocation is not checked here: the server keeps the revoked serials in its database.
    """
    check_signed_by(cert, ca_cert)
    at = _now(now)
    if at < cert.not_valid_before_utc:
        raise CertificateError(
            f"certificate {cert.subject.rfc4514_string()} is not yet valid "
            f"(valid from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; check the PC clock)"
        )
    if at > cert.not_valid_after_utc:
        raise CertificateError(
            f"certificate {cert.subject.rfc4514_string()} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; ask the operator for a new one"
        )


# --- PEM -----------------------------------------------------------------------------------------------


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_from_pem(data: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError(f"not a PEM certificate: {exc}") from None


def key_to_encrypted_pem(key: ec.EllipticCurvePrivateKey, passphrase: bytes) -> bytes:
    """PKCS#8 PEM encrypted under ``passphrase``; the only form in which a key may be written to disk."""
    if not passphrase:
        raise ValueError("passphrase must not be empty: private keys never reach the disk unencrypted")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def key_to_plain_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, for gRPC's TLS credentials. Keep it in memory; never write it to disk."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def key_from_pem(data: bytes, passphrase: bytes | None) -> ec.EllipticCurvePrivateKey:
    """Load a private key, telling a wrong passphrase apart from a damaged file."""
    encrypted = b"ENCRYPTED PRIVATE KEY" in data
    if encrypted and not passphrase:
        raise CertificateError("the private key is encrypted: a passphrase is needed")
    try:
        key = serialization.load_pem_private_key(data, passphrase if encrypted else None)
    except ValueError:
        if encrypted:
            raise CertificateError("wrong passphrase for the private key (or a damaged key file)") from None
        raise CertificateError("not a PEM private key") from None
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise CertificateError(f"cannot load the private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateError(f"expected an EC private key, got {type(key).__name__}")
    return key


# --- files ---------------------------------------------------------------------------------------------


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` atomically with mode 0o600: a temp file in the same directory, fsync, rename.

    A crash leaves either the old file or the new one, never half a key. ``mkstemp`` creates the file with
    mode 0o600 before any byte is written, so no other user can open it in between.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    if os.name == "posix":
        # The rename itself is durable only once the directory entry is flushed.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class PkiDirectory:
    """The server's PKI files under one directory.

    ``ca.pem``, ``ca-key.pem`` (encrypted), ``server.pem``, ``server-key.pem`` (encrypted under the same
    passphrase) and ``issued/SERIAL.pem`` (every person certificate issued, serial in decimal).
    Revocations live in the server database, the one list every server process reads.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def ca_path(self) -> Path:
        return self.root / "ca.pem"

    @property
    def ca_key_path(self) -> Path:
        return self.root / "ca-key.pem"

    @property
    def server_path(self) -> Path:
        return self.root / "server.pem"

    @property
    def server_key_path(self) -> Path:
        return self.root / "server-key.pem"

    @property
    def issued_dir(self) -> Path:
        return self.root / "issued"

    def exists(self) -> bool:
        return self.ca_path.exists() or self.ca_key_path.exists()

    def init(
        self,
        ca_name: str,
        server_hostnames: Sequence[str],
        passphrase: bytes,
        valid_days: int,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """Create the CA and the server certificate. Refuses to replace an existing CA.

        Replacing the CA would silently invalidate every credential already handed out on USB sticks.
        """
        if self.exists():
            raise FileExistsError(f"a platform CA already exists in {self.root}; refusing to overwrite it")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.issued_dir.mkdir(mode=0o700, exist_ok=True)
        ca_cert, ca_key = create_ca(ca_name, valid_days, now)
        server_cert, server_key = issue_server_certificate(ca_cert, ca_key, server_hostnames, valid_days, now)
        # Keys first: if we crash in between, exists() still sees a CA and nobody overwrites the key.
        write_private_file(self.ca_key_path, key_to_encrypted_pem(ca_key, passphrase))
        write_private_file(self.ca_path, cert_to_pem(ca_cert))
        write_private_file(self.server_key_path, key_to_encrypted_pem(server_key, passphrase))
        write_private_file(self.server_path, cert_to_pem(server_cert))
        return ca_cert

    def ca_certificate(self) -> x509.Certificate:
        """The CA certificate alone (no passphrase): what the server checks client certificates against."""
        return cert_from_pem(self._read(self.ca_path))

    def load_ca(self, passphrase: bytes) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        cert = self.ca_certificate()
        key = key_from_pem(self._read(self.ca_key_path), passphrase)
        if cert.public_key() != key.public_key():
            raise CertificateError(f"{self.ca_key_path} does not belong to {self.ca_path}")
        return cert, key

    def load_server(self, passphrase: bytes) -> tuple[bytes, bytes, bytes]:
        """``(server cert PEM, unencrypted server key PEM, CA PEM)`` for ``grpc.ssl_server_credentials``."""
        cert_pem = self._read(self.server_path)
        cert = cert_from_pem(cert_pem)
        key = key_from_pem(self._read(self.server_key_path), passphrase)
        if cert.public_key() != key.public_key():
            raise CertificateError(f"{self.server_key_path} does not belong to {self.server_path}")
        return cert_pem, key_to_plain_pem(key), self._read(self.ca_path)

    def issue(
        self,
        person_id: str,
        display_name: str,
        role: Role,
        passphrase: bytes,
        valid_days: int,
        now: datetime | None = None,
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """Issue a person certificate and record it under ``issued/`` (the key is returned, not stored)."""
        ca_cert, ca_key = self.load_ca(passphrase)
        cert, key = issue_person_certificate(ca_cert, ca_key, person_id, display_name, role, valid_days, now)
        self.issued_dir.mkdir(mode=0o700, exist_ok=True)
        write_private_file(self.issued_dir / f"{cert.serial_number}.pem", cert_to_pem(cert))
        return cert, key

    def issued_certificate(self, serial: int) -> x509.Certificate:
        path = self.issued_dir / f"{serial}.pem"
        if not path.exists():
            raise CertificateError(f"no certificate with serial {serial} was issued by this platform")
        return cert_from_pem(path.read_bytes())

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise CertificateError(f"{path} is missing; run the PKI init step first") from None
