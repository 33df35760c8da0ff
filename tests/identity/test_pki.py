"""The platform PKI: certificates, identities, PEM round trips and the on-disk layout."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bideval.identity.pki import (
    CertificateError,
    PkiDirectory,
    Role,
    cert_from_pem,
    cert_to_pem,
    create_ca,
    identity_from_certificate,
    issue_person_certificate,
    issue_server_certificate,
    key_from_pem,
    key_to_encrypted_pem,
    key_to_plain_pem,
    verify_issued_by,
)

NOW = datetime(2025, 3, 18, 9, 30, tzinfo=UTC)
PASS = b"correct horse battery staple"


@pytest.fixture(scope="module")
def ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    return create_ca("吉安市公共资源交易中心 评标 CA", 3650, NOW)


def test_ca_is_a_ca(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    cert, key = ca
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key() == key.public_key()
    verify_issued_by(cert, cert, NOW)  # self-signed


def test_server_certificate_has_dns_and_ip_names(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
) -> None:
    cert, _key = issue_server_certificate(*ca, ["localhost", "127.0.0.1", "::1"], 365, NOW)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    verify_issued_by(cert, ca[0], NOW)


def test_server_certificate_needs_a_hostname(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    with pytest.raises(ValueError, match="at least one hostname"):
        issue_server_certificate(*ca, [], 365, NOW)


def test_person_certificate_round_trips_identity(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
) -> None:
    cert, key = issue_person_certificate(*ca, "E01", "刘建华", Role.EXPERT, 30, NOW)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "bideval"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca[0].extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest

    identity = identity_from_certificate(cert)
    assert identity.person_id == "E01"
    assert identity.display_name == "刘建华"
    assert identity.role is Role.EXPERT
    assert identity.serial == cert.serial_number
    assert identity.not_after == cert.not_valid_after_utc
    assert identity.not_after - NOW <= timedelta(days=30)
    assert cert.public_key() == key.public_key()


def test_issued_certificate_never_outlives_the_ca() -> None:
    ca_cert, ca_key = create_ca("short CA", 10, NOW)
    cert, _ = issue_person_certificate(ca_cert, ca_key, "S01", "李明", Role.SUPERVISOR, 365, NOW)
    assert cert.not_valid_after_utc == ca_cert.not_valid_after_utc


def _certificate_with_subject(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], name: x509.Name
) -> x509.Certificate:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "expert")], "no CN"),
        ([x509.NameAttribute(NameOID.COMMON_NAME, "E01")], "no OU"),
        (
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "E01"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "bidder"),
            ],
            "not one of",
        ),
        (
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "E01"),
                x509.NameAttribute(NameOID.COMMON_NAME, "S01"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "expert"),
            ],
            "2 CN attributes",
        ),
    ],
)
def test_identity_refuses_incomplete_subjects(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    attributes: list[x509.NameAttribute[str]],
    message: str,
) -> None:
    cert = _certificate_with_subject(ca, x509.Name(attributes))
    with pytest.raises(CertificateError, match=message):
        identity_from_certificate(cert)


def test_display_name_falls_back_to_person_id(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
) -> None:
    cert, _ = issue_person_certificate(*ca, "OP1", "", Role.OPERATOR, 30, NOW)
    assert identity_from_certificate(cert).display_name == "OP1"


def test_server_certificate_is_not_a_person(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    cert, _ = issue_server_certificate(*ca, ["localhost"], 30, NOW)
    with pytest.raises(CertificateError, match="not a person certificate"):
        identity_from_certificate(cert)


def test_verify_checks_issuer_and_dates(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    cert, _ = issue_person_certificate(*ca, "E02", "陈志强", Role.EXPERT, 30, NOW)
    verify_issued_by(cert, ca[0], NOW + timedelta(days=29))
    with pytest.raises(CertificateError, match="expired"):
        verify_issued_by(cert, ca[0], NOW + timedelta(days=31))
    with pytest.raises(CertificateError, match="not yet valid"):
        verify_issued_by(cert, ca[0], NOW - timedelta(days=1))
    other_ca = create_ca("another CA", 365, NOW)
    with pytest.raises(CertificateError, match="not issued by this platform CA"):
        verify_issued_by(cert, other_ca[0], NOW)
    # Same subject name, different key: the signature check, not the name, must catch it.
    impostor = create_ca("吉安市公共资源交易中心 评标 CA", 3650, NOW)
    with pytest.raises(CertificateError, match="not issued by this platform CA"):
        verify_issued_by(cert, impostor[0], NOW)


def test_certificates_tolerate_small_clock_skew(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
) -> None:
    cert, _ = issue_person_certificate(*ca, "E03", "王海燕", Role.EXPERT, 30, NOW)
    verify_issued_by(cert, ca[0], NOW - timedelta(minutes=2))


def test_naive_now_is_refused(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue_person_certificate(*ca, "E01", "x", Role.EXPERT, 30, datetime(2025, 1, 1))


def test_pem_round_trips(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    cert, key = ca
    assert cert_from_pem(cert_to_pem(cert)) == cert
    encrypted = key_to_encrypted_pem(key, PASS)
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert key_from_pem(encrypted, PASS).public_key() == key.public_key()
    assert key_from_pem(key_to_plain_pem(key), None).public_key() == key.public_key()


def test_pem_errors_are_clear(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    encrypted = key_to_encrypted_pem(ca[1], PASS)
    with pytest.raises(CertificateError, match="wrong passphrase"):
        key_from_pem(encrypted, b"guess")
    with pytest.raises(CertificateError, match="passphrase is needed"):
        key_from_pem(encrypted, None)
    with pytest.raises(CertificateError, match="not a PEM private key"):
        key_from_pem(b"garbage", None)
    with pytest.raises(CertificateError, match="not a PEM certificate"):
        cert_from_pem(b"garbage")
    with pytest.raises(ValueError, match="must not be empty"):
        key_to_encrypted_pem(ca[1], b"")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_pki_directory_lifecycle(tmp_path: Path) -> None:
    pki = PkiDirectory(tmp_path / "pki")
    ca_cert = pki.init("bideval test CA", ["localhost", "127.0.0.1"], PASS, 365, NOW)
    for name in ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem"):
        assert _mode(pki.root / name) == 0o600, name
    assert b"ENCRYPTED PRIVATE KEY" in pki.ca_key_path.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pki.server_key_path.read_bytes()
    # No plaintext key and no leftover temp file anywhere under the directory.
    for path in pki.root.rglob("*"):
        if path.is_file():
            assert b"BEGIN PRIVATE KEY" not in path.read_bytes(), path
            assert not path.name.endswith(".tmp"), path

    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        pki.init("second CA", ["localhost"], PASS, 365, NOW)

    loaded_cert, _ = pki.load_ca(PASS)
    assert loaded_cert == ca_cert == pki.ca_certificate()
    with pytest.raises(CertificateError, match="wrong passphrase"):
        pki.load_ca(b"wrong")

    cert_pem, key_pem, ca_pem = pki.load_server(PASS)
    assert b"BEGIN PRIVATE KEY" in key_pem
    assert cert_from_pem(ca_pem) == ca_cert
    verify_issued_by(cert_from_pem(cert_pem), ca_cert, NOW)

    cert, key = pki.issue("E01", "刘建华", Role.EXPERT, PASS, 30, NOW)
    recorded = pki.issued_dir / f"{cert.serial_number}.pem"
    assert cert_from_pem(recorded.read_bytes()) == cert
    assert _mode(recorded) == 0o600
    assert cert.public_key() == key.public_key()
    with pytest.raises(CertificateError, match="no certificate with serial 42"):
        pki.issued_certificate(42)


def test_pki_directory_reports_missing_files(tmp_path: Path) -> None:
    pki = PkiDirectory(tmp_path)
    with pytest.raises(CertificateError, match="missing"):
        pki.load_ca(PASS)
