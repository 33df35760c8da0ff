"""Credential files (``*.bidcred``): what each expert or supervisor carries to the room PC on a USB stick.

One JSON document holding the person's certificate, the platform CA certificate and the private key,
encrypted with AES-256-GCM under a key derived from the person's PIN::

    {
      "format": "bideval-credential",
      "version": 1,
      "certificate": "-----BEGIN CERTIFICATE-----...",      # the person's certificate (PEM)
      "ca_certificate": "-----BEGIN CERTIFICATE-----...",   # the platform CA the client trusts (PEM)
      "key": {
        "kdf": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64, 16 bytes>",
        "cipher": "aes-256-gcm", "nonce": "<base64, 12 bytes>",
        "ciphertext": "<base64: PKCS#8 DER private key + 16-byte tag>"
      }
    }

Why scrypt: a lost USB stick gives the finder unlimited offline guesses, and a 6-digit PIN has only 10^6
values. scrypt with n=2^15, r=8 costs about 32 MiB of memory and ~0.1 s per guess, which makes
brute force slow on a PC and expensive on GPUs/ASICs (memory-hard), while one unlock at login stays quick.
It is still a PIN: the operator revokes the certificate when a stick is lost. Real deployments put the key
on a USB CA token (a smart card that enforces retry limits in hardware and never exports the key); this
file format gives the same login flow without the hardware.

The GCM additional data binds both certificates, so neither the key nor the CA can be swapped inside the
file: a file whose certificate or CA was replaced fails to unlock, exactly as a wrong PIN does.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bideval.identity.pki import (
    CertificateError,
    Identity,
    cert_from_pem,
    cert_to_pem,
    check_signed_by,
    identity_from_certificate,
    key_to_plain_pem,
    write_private_file,
)

FORMAT = "bideval-credential"
VERSION = 1
SUFFIX = ".bidcred"
PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 32

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
NONCE_BYTES = 12
# Parameters read from a file are bounded: a file saying n=2^30 would make login allocate gigabytes.
_MAX_SCRYPT_N = 2**20
_MAX_FILE_BYTES = 1024 * 1024
_AAD_LABEL = b"bideval-credential/v1"


class CredentialError(Exception):
    """A credential file that cannot be used; the message is shown at the login screen."""


class WrongPin(CredentialError):
    """The PIN did not unlock the key (or the encrypted part was altered: GCM cannot tell the two apart)."""


class CorruptCredential(CredentialError):
    """The file is not a readable credential: bad JSON, missing fields, bad base64, foreign certificates."""


class InvalidPin(CredentialError):
    """A PIN that breaks the PIN rules when a credential is written."""


@dataclass(frozen=True)
class CredentialInfo:
    """What can be read without the PIN: enough to show "who is this" at login."""

    identity: Identity
    ca_cert_pem: bytes
    cert_pem: bytes


@dataclass(frozen=True)
class UnlockedCredential:
    """A credential after the PIN was accepted. ``key_pem`` is unencrypted: keep it in memory only."""

    identity: Identity
    cert_pem: bytes
    key_pem: bytes = field(repr=False)
    ca_pem: bytes
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)


def _normalise_pin(pin: str) -> bytes:
    # NFC so that the same PIN typed through different input methods derives the same key.
    return unicodedata.normalize("NFC", pin).encode("utf-8")


def check_pin_rules(pin: str) -> None:
    """Raise InvalidPin unless ``pin`` has PIN_MIN_LENGTH..PIN_MAX_LENGTH characters."""
    length = len(unicodedata.normalize("NFC", pin))
    if length < PIN_MIN_LENGTH:
        raise InvalidPin(f"PIN 码至少 {PIN_MIN_LENGTH} 位 (the PIN needs {PIN_MIN_LENGTH}+ characters)")
    if length > PIN_MAX_LENGTH:
        raise InvalidPin(f"PIN 码最多 {PIN_MAX_LENGTH} 位 (the PIN has at most {PIN_MAX_LENGTH} characters)")


def _aad(cert_der: bytes, ca_der: bytes) -> bytes:
    # Length prefixes keep the concatenation unambiguous.
    return b"".join(
        (_AAD_LABEL, len(cert_der).to_bytes(4, "big"), cert_der, len(ca_der).to_bytes(4, "big"), ca_der)
    )


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_normalise_pin(pin))


def write_credential(
    path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, pin: str
) -> None:
    """Write a credential file (atomically, mode 0o600) protecting ``key`` with ``pin``."""
    check_pin_rules(pin)
    if cert.public_key() != key.public_key():
        raise ValueError("the private key does not belong to the certificate")
    check_signed_by(cert, ca_cert)
    identity_from_certificate(cert)  # only person certificates make sense on a USB stick
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    ca_der = ca_cert.public_bytes(serialization.Encoding.DER)
    ciphertext = AESGCM(_derive(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, der, _aad(cert_der, ca_der)
    )
    document = {
        "format": FORMAT,
        "version": VERSION,
        "certificate": cert_to_pem(cert).decode("ascii"),
        "ca_certificate": cert_to_pem(ca_cert).decode("ascii"),
        "key": {
            "kdf": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode("ascii"),
            "cipher": "aes-256-gcm",
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        },
    }
    write_private_file(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))


@dataclass(frozen=True)
class _Parsed:
    cert: x509.Certificate
    ca_cert: x509.Certificate
    identity: Identity
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    n: int
    r: int
    p: int


def _corrupt(path: Path, what: str) -> CorruptCredential:
    return CorruptCredential(f"凭证文件已损坏 (damaged credential file) {path.name}: {what}")


def _read(path: Path) -> _Parsed:
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise _corrupt(path, f"{size} bytes is far too large for a credential")
        data = path.read_bytes()
    except OSError as exc:
        message = f"无法读取凭证文件 (cannot read the credential file) {path}: {exc.strerror}"
        raise CredentialError(message) from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, f"not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _corrupt(path, "not a bideval credential")
    if document.get("version") != VERSION:
        raise _corrupt(path, f"unsupported version {document.get('version')!r}; update the client")

    def text(obj: dict[str, object], key: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str):
            raise _corrupt(path, f"field {key!r} missing or not a string")
        return value

    def number(obj: dict[str, object], key: str) -> int:
        value = obj.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _corrupt(path, f"field {key!r} missing or not an integer")
        return value

    def b64(obj: dict[str, object], key: str) -> bytes:
        try:
            return base64.b64decode(text(obj, key), validate=True)
        except binascii.Error:
            raise _corrupt(path, f"field {key!r} is not base64") from None

    key_obj = document.get("key")
    if not isinstance(key_obj, dict):
        raise _corrupt(path, "field 'key' missing")
    if key_obj.get("kdf") != "scrypt" or key_obj.get("cipher") != "aes-256-gcm":
        raise _corrupt(path, "unsupported key protection")
    n, r, p = number(key_obj, "n"), number(key_obj, "r"), number(key_obj, "p")
    if not (2 <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise _corrupt(path, f"scrypt parameters n={n} r={r} p={p} out of range")
    salt, nonce, ciphertext = b64(key_obj, "salt"), b64(key_obj, "nonce"), b64(key_obj, "ciphertext")
    if len(salt) < SALT_BYTES or len(nonce) != NONCE_BYTES or len(ciphertext) <= 16:
        raise _corrupt(path, "salt, nonce or ciphertext has the wrong length")
    try:
        cert = cert_from_pem(text(document, "certificate").encode("ascii"))
        ca_cert = cert_from_pem(text(document, "ca_certificate").encode("ascii"))
    except (CertificateError, UnicodeEncodeError) as exc:
        raise _corrupt(path, str(exc)) from None
    try:
        check_signed_by(cert, ca_cert)
        identity = identity_from_certificate(cert)
    except CertificateError as exc:
        raise _corrupt(path, str(exc)) from None
    return _Parsed(cert, ca_cert, identity, salt, nonce, ciphertext, n, r, p)


def peek_credential(path: Path) -> CredentialInfo:
    """Read who the credential belongs to, without the PIN. Raises CorruptCredential."""
    parsed = _read(path)
    return CredentialInfo(
        identity=parsed.identity, ca_cert_pem=cert_to_pem(parsed.ca_cert), cert_pem=cert_to_pem(parsed.cert)
    )


def unlock_credential(path: Path, pin: str) -> UnlockedCredential:
    """Decrypt the private key with ``pin``. Raises WrongPin or CorruptCredential.

    Slow on purpose (scrypt): call it off the GUI thread.
    """
    parsed = _read(path)
    length = len(unicodedata.normalize("NFC", pin))
    if not PIN_MIN_LENGTH <= length <= PIN_MAX_LENGTH:
        # write_credential never accepts such a PIN, so it cannot be the right one; skip the slow KDF.
        raise WrongPin("PIN 码错误 (wrong PIN)")
    aad = _aad(
        parsed.cert.public_bytes(serialization.Encoding.DER),
        parsed.ca_cert.public_bytes(serialization.Encoding.DER),
    )
    try:
        der = AESGCM(_derive(pin, parsed.salt, parsed.n, parsed.r, parsed.p)).decrypt(
            parsed.nonce, parsed.ciphertext, aad
        )
    except InvalidTag:
        raise WrongPin("PIN 码错误或凭证文件已损坏 (wrong PIN, or the credential file is damaged)") from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except ValueError:
        raise _corrupt(path, "the decrypted key is not a PKCS#8 key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != parsed.cert.public_key():
        raise _corrupt(path, "the decrypted key does not belong to the certificate")
    return UnlockedCredential(
        identity=parsed.identity,
        cert_pem=cert_to_pem(parsed.cert),
        key_pem=key_to_plain_pem(key),
        ca_pem=cert_to_pem(parsed.ca_cert),
        private_key=key,
    )
