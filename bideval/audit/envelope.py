"""The signing envelope every state-changing request carries (``CommandMeta.envelope``).

The client signs an :class:`EnvelopeHeader` that binds the request bytes (serialized deterministically with
the envelope left empty) to the payload type, session, signer certificate, device, sequence number, client
time and the SHA-256 of the device's previous envelope. The server checks all of it before it stores
anything, and stores the envelope and the payload so that anyone can re-check them later, offline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from google.protobuf.message import DecodeError, Message

from bideval.audit.signing import SignatureError, Signer, certificate_der, verify_signature
from bideval.domain.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from bideval.v1 import common_pb2


class EnvelopeError(InvalidArgument):
    """A missing, malformed or tampered envelope."""


class SignerMismatch(PermissionDenied):
    """The envelope was signed by someone other than the authenticated caller, or with another key."""


class ChainBroken(FailedPrecondition):
    """The envelope does not follow the device's previous signed change: a change is missing or reordered."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def payload_bytes(request: Message) -> bytes:
    """The request as signed: deterministic serialization with ``meta.envelope`` left empty."""
    unsigned = type(request)()
    unsigned.CopyFrom(request)
    unsigned.meta.ClearField("envelope")  # type: ignore[attr-defined]
    return unsigned.SerializeToString(deterministic=True)


def envelope_bytes(envelope: common_pb2.SignedEnvelope) -> bytes:
    return envelope.SerializeToString(deterministic=True)


def seal(request: Message, signer: Signer, previous_envelope_sha256: bytes) -> bytes:
    """Sign ``request`` in place and return the SHA-256 of its envelope (the next change's link)."""
    meta = request.meta  # type: ignore[attr-defined]
    header = common_pb2.EnvelopeHeader(
        payload_type=request.DESCRIPTOR.full_name,
        payload_sha256=sha256(payload_bytes(request)),
        session_id=meta.session_id,
        signer_certificate_sha256=sha256(certificate_der(signer.certificate)),
        device_id=meta.device_id,
        client_sequence=meta.client_sequence,
        previous_envelope_sha256=previous_envelope_sha256,
        client_time=meta.client_time,
        signature_algorithm=signer.algorithm,
    )
    header_bytes = header.SerializeToString(deterministic=True)
    meta.envelope.CopyFrom(
        common_pb2.SignedEnvelope(header=header_bytes, signature=signer.sign(header_bytes))
    )
    return sha256(envelope_bytes(meta.envelope))


@dataclass(frozen=True, slots=True)
class SignedChange:
    """A change whose envelope verified, in plain values: what the server checks and stores."""

    envelope: bytes  # the SignedEnvelope bytes, stored in the audit log as received
    envelope_sha256: bytes  # the next change of the device must name this
    previous_envelope_sha256: bytes  # what this change names as the device's previous one
    payload: bytes  # the signed request bytes
    signer_certificate_sha256: bytes


def open_envelope(request: Message, certificate: x509.Certificate) -> SignedChange:
    """Check the envelope of ``request`` against the request itself and the caller's certificate."""
    meta = request.meta  # type: ignore[attr-defined]
    if not meta.HasField("envelope") or not meta.envelope.header:
        raise EnvelopeError("the request is not signed: meta.envelope is required for every change")
    header = common_pb2.EnvelopeHeader()
    try:
        header.ParseFromString(meta.envelope.header)
    except DecodeError:
        raise EnvelopeError("meta.envelope.header is not an EnvelopeHeader") from None
    certificate_sha256 = sha256(certificate_der(certificate))
    if header.signer_certificate_sha256 != certificate_sha256:
        raise SignerMismatch("the change was signed with another certificate than the caller's")
    try:
        verify_signature(
            certificate, header.signature_algorithm, meta.envelope.header, meta.envelope.signature
        )
    except SignatureError as error:
        raise SignerMismatch(f"signature rejected: {error}") from None
    payload = payload_bytes(request)
    mismatches = [
        name
        for name, signed, sent in (
            ("payload_type", header.payload_type, request.DESCRIPTOR.full_name),
            ("payload", header.payload_sha256, sha256(payload)),
            ("session_id", header.session_id, meta.session_id),
            ("device_id", header.device_id, meta.device_id),
            ("client_sequence", header.client_sequence, meta.client_sequence),
            ("client_time", header.client_time, meta.client_time),
        )
        if signed != sent
    ]
    if mismatches:
        raise EnvelopeError(f"the request does not match what was signed: {', '.join(mismatches)} differ")
    stored = envelope_bytes(meta.envelope)
    return SignedChange(
        envelope=stored,
        envelope_sha256=sha256(stored),
        previous_envelope_sha256=header.previous_envelope_sha256,
        payload=payload,
        signer_certificate_sha256=certificate_sha256,
    )
