"""Signers and signature checks behind one interface.

Callers see only :class:`Signer`: a software key unlocked by the PIN today; a PKCS#11 USB token or an SM2
(GM/T 0003) key tomorrow, without touching any caller. The private key never leaves the signer object.
Verification picks the algorithm from the certificate's public key, so a verifier needs nothing but the
certificate.
"""

from __future__ import annotations

from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding

ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ED25519 = "ed25519"


class SignatureError(ValueError):
    """A signature that does not verify, or a key/algorithm this verifier does not know."""


class Signer(Protocol):
    """Signs bytes with a person's (or the server's) private key."""

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate whose public key verifies this signer's signatures."""

    @property
    def algorithm(self) -> str:
        """The algorithm name recorded next to each signature."""

    def sign(self, data: bytes) -> bytes: ...


class SoftwareSigner:
    """A key held in memory after the credential file was unlocked with the PIN."""

    def __init__(self, certificate: x509.Certificate, private_key: ec.EllipticCurvePrivateKey) -> None:
        if certificate.public_key() != private_key.public_key():
            raise SignatureError("the private key does not belong to the certificate")
        self._certificate = certificate
        self._key = private_key

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def algorithm(self) -> str:
        return ECDSA_P256_SHA256

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def __repr__(self) -> str:  # never show key material
        return f"SoftwareSigner(serial={self._certificate.serial_number})"


def algorithm_for(certificate: x509.Certificate) -> str:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ED25519
    raise SignatureError(
        f"unsupported public key {type(key).__name__} in certificate {certificate.serial_number}"
    )


def verify_signature(certificate: x509.Certificate, algorithm: str, data: bytes, signature: bytes) -> None:
    """Raise SignatureError unless ``signature`` over ``data`` verifies with the certificate's key."""
    expected = algorithm_for(certificate)
    if algorithm != expected:
        raise SignatureError(f"signature algorithm {algorithm!r} does not match the certificate ({expected})")
    key = certificate.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
    except InvalidSignature:
        raise SignatureError(
            f"signature does not verify with certificate {certificate.serial_number}"
        ) from None


def certificate_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)
