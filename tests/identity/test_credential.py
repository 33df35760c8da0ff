"""Credential files: PIN protection, tamper evidence, and what can be read without the PIN."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from bideval.identity.credential import (
    CorruptCredential,
    CredentialError,
    InvalidPin,
    WrongPin,
    peek_credential,
    unlock_credential,
    write_credential,
)
from bideval.identity.pki import (
    CertificateError,
    Role,
    cert_from_pem,
    cert_to_pem,
    create_ca,
    issue_person_certificate,
    issue_server_certificate,
    key_from_pem,
)

NOW = datetime(2025, 3, 18, 9, 30, tzinfo=UTC)
PIN = "246810"

Issued = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]


@pytest.fixture(scope="module")
def ca() -> Issued:
    return create_ca("bideval test CA", 3650, NOW)


@pytest.fixture(scope="module")
def person(ca: Issued) -> Issued:
    return issue_person_certificate(*ca, "E04", "黄国平", Role.EXPERT, 365, NOW)


@pytest.fixture
def cred(tmp_path: Path, ca: Issued, person: Issued) -> Path:
    path = tmp_path / "E04.bidcred"
    write_credential(path, person[0], person[1], ca[0], PIN)
    return path


def _edit(path: Path, change: dict[str, object]) -> None:
    document = json.loads(path.read_text("utf-8"))
    for dotted, value in change.items():
        target = document
        *parents, last = dotted.split(".")
        for part in parents:
            target = target[part]
        target[last] = value
    path.write_text(json.dumps(document), "utf-8")


def test_round_trip(cred: Path, ca: Issued, person: Issued) -> None:
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    text = cred.read_text("utf-8")
    assert "PRIVATE KEY" not in text  # the key is only in the encrypted blob

    info = peek_credential(cred)
    assert info.identity.person_id == "E04"
    assert info.identity.display_name == "黄国平"
    assert info.identity.role is Role.EXPERT
    assert cert_from_pem(info.ca_cert_pem) == ca[0]
    assert cert_from_pem(info.cert_pem) == person[0]

    unlocked = unlock_credential(cred, PIN)
    assert unlocked.identity == info.identity
    assert unlocked.private_key.public_key() == person[1].public_key()
    assert key_from_pem(unlocked.key_pem, None).public_key() == person[1].public_key()
    assert unlocked.cert_pem == cert_to_pem(person[0])
    assert unlocked.ca_pem == cert_to_pem(ca[0])
    assert "PRIVATE KEY" not in repr(unlocked)


def test_each_write_uses_fresh_salt_and_nonce(tmp_path: Path, ca: Issued, person: Issued) -> None:
    first, second = tmp_path / "a.bidcred", tmp_path / "b.bidcred"
    write_credential(first, person[0], person[1], ca[0], PIN)
    write_credential(second, person[0], person[1], ca[0], PIN)
    a, b = (json.loads(p.read_text("utf-8"))["key"] for p in (first, second))
    assert a["salt"] != b["salt"]
    assert a["nonce"] != b["nonce"]
    assert a["ciphertext"] != b["ciphertext"]
    assert a["n"] == 2**15


def test_unicode_pin_is_normalised(tmp_path: Path, ca: Issued, person: Issued) -> None:
    path = tmp_path / "u.bidcred"
    write_credential(path, person[0], person[1], ca[0], "口令\u00e9123")  # precomposed é
    assert unlock_credential(path, "口令e\u0301123").identity.person_id == "E04"  # e + combining accent


def test_wrong_pin(cred: Path) -> None:
    with pytest.raises(WrongPin, match="PIN 码错误") as excinfo:
        unlock_credential(cred, "135790")
    assert "wrong PIN" in str(excinfo.value)
    with pytest.raises(WrongPin, match="PIN 码错误"):
        unlock_credential(cred, "1")  # too short to ever be right: refused without the slow KDF


@pytest.mark.parametrize("pin", ["", "12345", "x" * 33])
def test_pin_rules(tmp_path: Path, ca: Issued, person: Issued, pin: str) -> None:
    path = tmp_path / "p.bidcred"
    with pytest.raises(InvalidPin):
        write_credential(path, person[0], person[1], ca[0], pin)
    assert not path.exists()


def test_key_must_match_certificate_and_ca(tmp_path: Path, ca: Issued, person: Issued) -> None:
    other = issue_person_certificate(*ca, "E05", "周晓梅", Role.EXPERT, 365, NOW)
    with pytest.raises(ValueError, match="does not belong"):
        write_credential(tmp_path / "x.bidcred", person[0], other[1], ca[0], PIN)
    foreign_ca = create_ca("foreign", 365, NOW)
    with pytest.raises(CertificateError, match="not issued by"):
        write_credential(tmp_path / "x.bidcred", person[0], person[1], foreign_ca[0], PIN)
    server = issue_server_certificate(*ca, ["localhost"], 365, NOW)
    with pytest.raises(CertificateError, match="not a person certificate"):
        write_credential(tmp_path / "x.bidcred", server[0], server[1], ca[0], PIN)


def test_swapped_certificate_does_not_unlock(tmp_path: Path, cred: Path, ca: Issued) -> None:
    # Another valid certificate from the same CA put into the file: the AAD no longer matches.
    other = issue_person_certificate(*ca, "E05", "周晓梅", Role.EXPERT, 365, NOW)
    _edit(cred, {"certificate": cert_to_pem(other[0]).decode("ascii")})
    assert peek_credential(cred).identity.person_id == "E05"
    with pytest.raises(WrongPin):
        unlock_credential(cred, PIN)


def test_swapped_ca_is_detected(cred: Path) -> None:
    rogue_ca, _ = create_ca("rogue", 365, NOW)
    _edit(cred, {"ca_certificate": cert_to_pem(rogue_ca).decode("ascii")})
    with pytest.raises(CorruptCredential, match="not issued by"):
        peek_credential(cred)


def test_tampered_ciphertext_reads_as_wrong_pin_or_damage(cred: Path) -> None:
    document = json.loads(cred.read_text("utf-8"))
    blob = bytearray(base64.b64decode(document["key"]["ciphertext"]))
    blob[10] ^= 0x01
    _edit(cred, {"key.ciphertext": base64.b64encode(bytes(blob)).decode("ascii")})
    with pytest.raises(WrongPin, match="凭证文件已损坏"):
        unlock_credential(cred, PIN)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "something-else"}, "not a bideval credential"),
        ({"version": 99}, "unsupported version 99"),
        ({"key.salt": "!!not base64!!"}, "not base64"),
        ({"key.nonce": base64.b64encode(b"short").decode("ascii")}, "wrong length"),
        ({"key.n": 2**30}, "out of range"),
        ({"key.n": "32768"}, "not an integer"),
        ({"key.kdf": "pbkdf2"}, "unsupported key protection"),
        ({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "not a PEM"),
        ({"key": None}, "field 'key' missing"),
    ],
)
def test_structurally_broken_files(cred: Path, change: dict[str, object], message: str) -> None:
    _edit(cred, change)
    with pytest.raises(CorruptCredential, match=message):
        peek_credential(cred)
    with pytest.raises(CorruptCredential, match=message):
        unlock_credential(cred, PIN)


def test_not_json(cred: Path) -> None:
    cred.write_bytes(b"{ this is not json")
    with pytest.raises(CorruptCredential, match="not JSON"):
        peek_credential(cred)
    cred.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CorruptCredential, match="not JSON"):
        peek_credential(cred)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="cannot read"):
        peek_credential(tmp_path / "absent.bidcred")
