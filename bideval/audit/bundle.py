"""The evidence bundle: one JSON file with everything needed to re-check a session offline.

A bundle holds the platform CA, the log certificate, every signer's certificate, signed tree heads with the
consistency proofs between them, the session's audit entries (and every entry of the devices that signed
them) with inclusion proofs against the final head, supervisors' co-signatures, the session's setup and its
stored events. :func:`verify_bundle` re-checks all of it with nothing but the file: no database, no server,
no network. The format and every check are documented in ``docs/audit-log.md`` ("Evidence bundle").

Reading is strict (:class:`BundleError` names the JSON path of the first problem): unknown or duplicate
keys, non-canonical hex, base64, PEM or timestamps are refused, so that no byte of the file can change
without the change either making the file unreadable or failing verification. Verification stops at the
first bad item and raises :class:`VerificationError` naming it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple, NoReturn, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from bideval.audit.entries import (
    Entry,
    EntryKind,
    TreeHead,
    event_digest,
    tree_head_bytes,
    verify_tree_head,
)
from bideval.audit.merkle import (
    HASH_SIZE,
    MerkleTree,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from bideval.audit.signing import SignatureError, Signer, verify_signature
from bideval.domain import commands as cmd
from bideval.domain.errors import DomainError
from bideval.domain.events import PreliminaryVerdictRecorded, ScoreRecorded, event_from_dict
from bideval.identity import pki

# Imported for their descriptors: every signed request type must be known by name to the verifier.
from bideval.v1 import (  # noqa: F401
    admin_service_pb2,
    common_pb2,
    evaluation_service_pb2,
    session_pb2,
    supervision_service_pb2,
)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "SETUP_SHA256_KEY",
    "BundleEntry",
    "BundleError",
    "BundleEvent",
    "BundleParts",
    "ConsistencyProof",
    "Cosignature",
    "DeviceChain",
    "VerificationError",
    "VerificationReport",
    "assemble_bundle",
    "bundle_from_json",
    "bundle_to_json",
    "certificate_sha256",
    "cosign_tree_head",
    "entries_for_session",
    "read_bundle",
    "verify_bundle",
    "write_bundle",
]

BUNDLE_FORMAT = "bideval-evidence-bundle"
BUNDLE_VERSION = 1
SETUP_SHA256_KEY = "setup_sha256"
"""The key in an ``import`` entry's ``detail`` holding the hex SHA-256 of the session's setup JSON (UTF-8)."""

_CHAINED = (EntryKind.CHANGE, EntryKind.REFUSAL)  # entries that carry a signed envelope and use a sequence
_SCORE_REQUEST = "bideval.v1.RecordScoreRequest"
_VERDICT_REQUEST = "bideval.v1.RecordPreliminaryVerdictRequest"


class BundleError(ValueError):
    """The file is not a readable evidence bundle; the message names the JSON path of the problem."""


class VerificationError(ValueError):
    """The bundle does not verify; the message names the first bad item and what is wrong with it."""


# --- the parts -----------------------------------------------------------------------------------------


class BundleEntry(NamedTuple):
    """One audit entry: its canonical bytes (the Merkle leaf) and its inclusion proof in the final head."""

    leaf: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""

    old_size: int
    new_size: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A person's (a supervisor's) signature over a tree head's signed bytes: a witness of that head."""

    tree_size: int
    root_hash: bytes
    timestamp: datetime
    certificate_sha256: str  # hex SHA-256 of the DER of the cosigner's certificate
    signature: bytes
    algorithm: str

    def signed_bytes(self) -> bytes:
        return tree_head_bytes(self.tree_size, self.root_hash, self.timestamp)


@dataclass(frozen=True, slots=True)
class BundleEvent:
    """A session event exactly as stored (the columns :func:`event_digest` covers)."""

    sequence: int
    kind: str
    actor_id: str
    at: datetime
    payload_json: str

    def digest(self, session_id: str) -> str:
        return event_digest(session_id, self.sequence, self.kind, self.actor_id, self.at, self.payload_json)


@dataclass(frozen=True, slots=True)
class BundleParts:
    """Everything a bundle holds, typed. ``certificates`` maps hex SHA-256 of DER to the certificate."""

    session_id: str
    exported_at: datetime
    ca_certificate: x509.Certificate
    log_certificate: x509.Certificate
    certificates: Mapping[str, x509.Certificate]
    tree_heads: tuple[TreeHead, ...]  # ascending; the last is the final head
    consistency_proofs: tuple[ConsistencyProof, ...]  # between each two successive heads
    entries: tuple[BundleEntry, ...]  # in log order; proofs against the final head
    cosignatures: tuple[Cosignature, ...]
    setup_json: str
    events: tuple[BundleEvent, ...]  # sequence 1 … n


def certificate_sha256(certificate: x509.Certificate) -> str:
    """Hex SHA-256 of the certificate's DER: how entries, envelopes and bundles name a certificate."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def cosign_tree_head(signer: Signer, head: TreeHead) -> Cosignature:
    """Co-sign ``head`` (after checking it): the signer signs the same bytes as the log key."""
    return Cosignature(
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        timestamp=head.timestamp,
        certificate_sha256=certificate_sha256(signer.certificate),
        signature=signer.sign(head.signed_bytes()),
        algorithm=signer.algorithm,
    )


def entries_for_session(entries: Iterable[Entry], session_id: str) -> list[Entry]:
    """The entries a bundle for ``session_id`` includes, in log order.

    Every entry of the session, plus every change and refusal of each device (person + device id) that
    signed a change or refusal in the session, in any session: that device's signature chain is then
    complete from its first change.
    """
    all_entries = list(entries)
    devices = {
        (entry.actor_id, entry.device_id)
        for entry in all_entries
        if entry.session_id == session_id and entry.kind in _CHAINED
    }
    return [
        entry
        for entry in all_entries
        if entry.session_id == session_id
        or (entry.kind in _CHAINED and (entry.actor_id, entry.device_id) in devices)
    ]


def assemble_bundle(
    *,
    session_id: str,
    exported_at: datetime,
    ca_certificate: x509.Certificate,
    log_certificate: x509.Certificate,
    signer_certificates: Iterable[x509.Certificate],
    tree: MerkleTree,
    tree_heads: Sequence[TreeHead],
    leaves: Iterable[bytes],
    cosignatures: Sequence[Cosignature],
    setup_json: str,
    events: Sequence[BundleEvent],
) -> BundleParts:
    """Build the parts from the log: inclusion proofs against the last head, consistency proofs between heads.

    ``leaves`` are the canonical bytes of the included entries (see :func:`entries_for_session`); their
    order does not matter. Raises ``ValueError`` if a head's root is not the tree's root at that size (the
    caller handed over the wrong tree).
    """
    if not tree_heads:
        raise ValueError("a bundle needs at least one tree head")
    for head in tree_heads:
        if tree.root(head.tree_size) != head.root_hash:
            raise ValueError(f"the tree head of size {head.tree_size} does not match the tree")
    final = tree_heads[-1]
    indexed = sorted((Entry.from_bytes(leaf).index, leaf) for leaf in leaves)
    return BundleParts(
        session_id=session_id,
        exported_at=exported_at,
        ca_certificate=ca_certificate,
        log_certificate=log_certificate,
        certificates={certificate_sha256(cert): cert for cert in signer_certificates},
        tree_heads=tuple(tree_heads),
        consistency_proofs=tuple(
            ConsistencyProof(
                old.tree_size, new.tree_size, tuple(tree.consistency_proof(old.tree_size, new.tree_size))
            )
            for old, new in itertools.pairwise(tree_heads)
        ),
        entries=tuple(
            BundleEntry(leaf, tuple(tree.inclusion_proof(index, final.tree_size))) for index, leaf in indexed
        ),
        cosignatures=tuple(cosignatures),
        setup_json=setup_json,
        events=tuple(events),
    )


# --- JSON form -----------------------------------------------------------------------------------------

_TOP_KEYS = (
    "format",
    "version",
    "session_id",
    "exported_at",
    "ca_certificate",
    "log_certificate",
    "certificates",
    "tree_heads",
    "consistency_proofs",
    "entries",
    "cosignatures",
    "setup_json",
    "events",
)
_HEAD_KEYS = ("tree_size", "root_hash", "timestamp", "signature", "algorithm")
_CONSISTENCY_KEYS = ("from", "to", "proof")
_ENTRY_KEYS = ("leaf", "proof")
_COSIGNATURE_KEYS = ("tree_size", "root_hash", "timestamp", "certificate_sha256", "signature", "algorithm")
_EVENT_KEYS = ("sequence", "kind", "actor_id", "at", "payload_json")
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _pem(certificate: x509.Certificate) -> str:
    return pki.cert_to_pem(certificate).decode("ascii")


def bundle_to_json(parts: BundleParts) -> str:
    """The bundle file's text (UTF-8, keys in the documented order, one trailing newline)."""
    document = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "session_id": parts.session_id,
        "exported_at": parts.exported_at.isoformat(),
        "ca_certificate": _pem(parts.ca_certificate),
        "log_certificate": _pem(parts.log_certificate),
        "certificates": {key: _pem(cert) for key, cert in sorted(parts.certificates.items())},
        "tree_heads": [
            {
                "tree_size": head.tree_size,
                "root_hash": head.root_hash.hex(),
                "timestamp": head.timestamp.isoformat(),
                "signature": _b64(head.signature),
                "algorithm": head.algorithm,
            }
            for head in parts.tree_heads
        ],
        "consistency_proofs": [
            {"from": proof.old_size, "to": proof.new_size, "proof": [h.hex() for h in proof.proof]}
            for proof in parts.consistency_proofs
        ],
        "entries": [
            {"leaf": _b64(entry.leaf), "proof": [h.hex() for h in entry.proof]} for entry in parts.entries
        ],
        "cosignatures": [
            {
                "tree_size": c.tree_size,
                "root_hash": c.root_hash.hex(),
                "timestamp": c.timestamp.isoformat(),
                "certificate_sha256": c.certificate_sha256,
                "signature": _b64(c.signature),
                "algorithm": c.algorithm,
            }
            for c in parts.cosignatures
        ],
        "setup_json": parts.setup_json,
        "events": [
            {
                "sequence": event.sequence,
                "kind": event.kind,
                "actor_id": event.actor_id,
                "at": event.at.isoformat(),
                "payload_json": event.payload_json,
            }
            for event in parts.events
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def write_bundle(parts: BundleParts, path: str | os.PathLike[str]) -> None:
    """Write the bundle atomically (a temporary file in the same directory, then a rename).

    The file gets mode 0o600: it holds every expert's scores. Copy it on deliberately.
    """
    target = Path(path)
    data = bundle_to_json(parts).encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def read_bundle(path: str | os.PathLike[str]) -> BundleParts:
    """Read and parse a bundle file; :class:`BundleError` if it cannot be read or is malformed."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BundleError(f"cannot read {os.fspath(path)}: {error.strerror or error}") from None
    return bundle_from_json(data)


def bundle_from_json(text: str | bytes) -> BundleParts:
    """Parse a bundle's text strictly; :class:`BundleError` names the JSON path of the first problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BundleError(f"not UTF-8 text (byte {error.start}): not an evidence bundle") from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except ValueError as error:  # JSONDecodeError and the hooks' errors
        raise BundleError(f"not JSON: {error}") from None
    except RecursionError:
        raise BundleError("not JSON: nested too deeply") from None
    top = _object(document, "$", _TOP_KEYS, check_keys=False)
    if top.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"$.format: expected {BUNDLE_FORMAT!r}, got {top.get('format')!r}")
    version = top.get("version")
    if type(version) is not int or version != BUNDLE_VERSION:
        raise BundleError(f"$.version: this verifier reads version {BUNDLE_VERSION}, got {version!r}")
    top = _object(document, "$", _TOP_KEYS)
    certificates_raw = top["certificates"]
    if not isinstance(certificates_raw, dict):
        raise BundleError(f"$.certificates: expected an object, got {_json_type(certificates_raw)}")
    certificates: dict[str, x509.Certificate] = {}
    for key, value in certificates_raw.items():
        if not _SHA256_HEX.fullmatch(key):
            raise BundleError(f"$.certificates: key {key!r} is not a lowercase hex SHA-256")
        certificates[key] = _certificate(value, f"$.certificates[{key!r}]")
    return BundleParts(
        session_id=_string(top["session_id"], "$.session_id"),
        exported_at=_time(top["exported_at"], "$.exported_at"),
        ca_certificate=_certificate(top["ca_certificate"], "$.ca_certificate"),
        log_certificate=_certificate(top["log_certificate"], "$.log_certificate"),
        certificates=certificates,
        tree_heads=tuple(_items(top["tree_heads"], "$.tree_heads", _HEAD_KEYS, _tree_head)),
        consistency_proofs=tuple(
            _items(top["consistency_proofs"], "$.consistency_proofs", _CONSISTENCY_KEYS, _consistency)
        ),
        entries=tuple(_items(top["entries"], "$.entries", _ENTRY_KEYS, _entry)),
        cosignatures=tuple(_items(top["cosignatures"], "$.cosignatures", _COSIGNATURE_KEYS, _cosignature)),
        setup_json=_string(top["setup_json"], "$.setup_json"),
        events=tuple(_items(top["events"], "$.events", _EVENT_KEYS, _event)),
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in an object")
        result[key] = value
    return result


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )


def _object(value: Any, path: str, keys: Sequence[str], *, check_keys: bool = True) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{path}: expected an object, got {_json_type(value)}")
    if check_keys:
        missing = [key for key in keys if key not in value]
        if missing:
            raise BundleError(f"{path}: missing key {missing[0]!r}")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise BundleError(f"{path}: unknown key {unknown[0]!r}")
    return value


def _items(
    value: Any, path: str, keys: Sequence[str], parse: Callable[[dict[str, Any], str], Any]
) -> list[Any]:
    if not isinstance(value, list):
        raise BundleError(f"{path}: expected an array, got {_json_type(value)}")
    result = []
    for position, item in enumerate(value):
        item_path = f"{path}[{position}]"
        result.append(parse(_object(item, item_path, keys), item_path))
    return result


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise BundleError(f"{path}: expected a string, got {_json_type(value)}")
    return value


def _count(value: Any, path: str) -> int:
    if type(value) is not int:
        raise BundleError(f"{path}: expected an integer, got {_json_type(value)}")
    if value < 0:
        raise BundleError(f"{path}: must not be negative, got {value}")
    return value


def _hex(value: Any, path: str, size: int | None = None) -> bytes:
    text = _string(value, path)
    if not _LOWER_HEX.fullmatch(text):
        raise BundleError(f"{path}: not lowercase hex with an even number of digits")
    data = bytes.fromhex(text)
    if size is not None and len(data) != size:
        raise BundleError(f"{path}: expected {size} bytes, got {len(data)}")
    return data


def _hash_list(value: Any, path: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise BundleError(f"{path}: expected an array, got {_json_type(value)}")
    return tuple(_hex(item, f"{path}[{position}]", HASH_SIZE) for position, item in enumerate(value))


def _base64(value: Any, path: str) -> bytes:
    text = _string(value, path)
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise BundleError(f"{path}: not base64") from None
    if _b64(data) != text:
        raise BundleError(f"{path}: not canonical base64 (padding or unused bits)")
    return data


def _time(value: Any, path: str) -> datetime:
    text = _string(value, path)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BundleError(f"{path}: not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise BundleError(f"{path}: the timestamp has no UTC offset")
    if parsed.isoformat() != text:
        raise BundleError(f"{path}: not in canonical form (expected {parsed.isoformat()!r})")
    return parsed


def _certificate(value: Any, path: str) -> x509.Certificate:
    text = _string(value, path)
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        raise BundleError(f"{path}: not a PEM certificate") from None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            certificate = x509.load_pem_x509_certificate(data)
        except Exception:  # noqa: BLE001 - a damaged certificate fails in many ways inside the parser
            raise BundleError(f"{path}: not a PEM certificate") from None
    problem = _certificate_problem(certificate)
    if problem:
        raise BundleError(f"{path}: not a usable certificate ({problem})")
    if _pem(certificate) != text:
        raise BundleError(f"{path}: not in canonical PEM form")
    return certificate


def _certificate_problem(certificate: x509.Certificate) -> str:
    """Why the certificate cannot be used as evidence, or "" if it can.

    ``cryptography`` parses lazily (a damaged subject or extension only fails when first read), so every
    field the verifier uses is read here, with parser warnings as errors. And the parts outside the signed
    ``tbsCertificate`` must be in DER form: the outer length, the signature algorithm (the same bytes as
    the one inside, RFC 5280 §4.1.1.2) and the signature BIT STRING with no unused bits. Otherwise a byte
    of the file could change without changing anything a signature covers.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            certificate.subject.rfc4514_string()
            certificate.issuer.rfc4514_string()
            for _extension in certificate.extensions:
                pass
            certificate.public_key()
            certificate.signature_hash_algorithm  # noqa: B018 - read for its parse errors
            certificate.not_valid_before_utc  # noqa: B018
            certificate.not_valid_after_utc  # noqa: B018
            der = certificate.public_bytes(Encoding.DER)
            tbs = certificate.tbs_certificate_bytes
            signature = certificate.signature
        except Exception as error:  # noqa: BLE001 - as above
            return str(error) or type(error).__name__
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    start = der.find(tbs)
    algorithm = der[start + len(tbs) : len(der) - len(bit_string)] if start > 0 else b""
    header = b"\x30" + _der_length(len(tbs) + len(algorithm) + len(bit_string))
    if (
        start <= 0
        or not der.endswith(bit_string)
        or der[:start] != header
        or not algorithm
        or algorithm not in tbs
    ):
        return "not in DER form outside the signed part"
    return ""


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _tree_head(raw: dict[str, Any], path: str) -> TreeHead:
    return TreeHead(
        tree_size=_count(raw["tree_size"], f"{path}.tree_size"),
        root_hash=_hex(raw["root_hash"], f"{path}.root_hash", HASH_SIZE),
        timestamp=_time(raw["timestamp"], f"{path}.timestamp"),
        signature=_base64(raw["signature"], f"{path}.signature"),
        algorithm=_string(raw["algorithm"], f"{path}.algorithm"),
    )


def _consistency(raw: dict[str, Any], path: str) -> ConsistencyProof:
    return ConsistencyProof(
        old_size=_count(raw["from"], f"{path}.from"),
        new_size=_count(raw["to"], f"{path}.to"),
        proof=_hash_list(raw["proof"], f"{path}.proof"),
    )


def _entry(raw: dict[str, Any], path: str) -> BundleEntry:
    return BundleEntry(_base64(raw["leaf"], f"{path}.leaf"), _hash_list(raw["proof"], f"{path}.proof"))


def _cosignature(raw: dict[str, Any], path: str) -> Cosignature:
    key = _string(raw["certificate_sha256"], f"{path}.certificate_sha256")
    if not _SHA256_HEX.fullmatch(key):
        raise BundleError(f"{path}.certificate_sha256: not a lowercase hex SHA-256")
    return Cosignature(
        tree_size=_count(raw["tree_size"], f"{path}.tree_size"),
        root_hash=_hex(raw["root_hash"], f"{path}.root_hash", HASH_SIZE),
        timestamp=_time(raw["timestamp"], f"{path}.timestamp"),
        certificate_sha256=key,
        signature=_base64(raw["signature"], f"{path}.signature"),
        algorithm=_string(raw["algorithm"], f"{path}.algorithm"),
    )


def _event(raw: dict[str, Any], path: str) -> BundleEvent:
    return BundleEvent(
        sequence=_count(raw["sequence"], f"{path}.sequence"),
        kind=_string(raw["kind"], f"{path}.kind"),
        actor_id=_string(raw["actor_id"], f"{path}.actor_id"),
        at=_time(raw["at"], f"{path}.at"),
        payload_json=_string(raw["payload_json"], f"{path}.payload_json"),
    )


# --- verification --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceChain:
    """One device's chain of signed changes as the bundle holds it (complete from change 1)."""

    actor_id: str
    device_id: str
    changes: int  # = the last sequence number
    last_entry: int  # leaf index of the last change
    last_envelope_sha256: str  # hex: compare with the device's own record (its receipts)


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """What a successful verification covered."""

    session_id: str
    entries: int  # all entries in the bundle
    session_entries: int  # those of the session
    events: int
    tree_heads: int
    cosignatures: int
    final_head: TreeHead
    devices: tuple[DeviceChain, ...]
    cosigners: tuple[str, ...]  # person ids, in bundle order
    verified_at: datetime

    def summary(self) -> str:
        final = self.final_head
        return (
            f"session {self.session_id}: {self.entries} entries ({self.session_entries} of the session), "
            f"{self.events} events, {self.tree_heads} tree heads, {len(self.devices)} devices, "
            f"{self.cosignatures} cosignatures; final tree head: size {final.tree_size}, "
            f"root {final.root_hash.hex()}, signed {final.timestamp.isoformat()}"
        )


def verify_bundle(parts: BundleParts, now: datetime | None = None) -> VerificationReport:
    """Check everything in the bundle (docs/audit-log.md, "Evidence bundle"), in the documented order.

    Certificates are checked at the time of each use (an entry's time, a head's timestamp), not at ``now``;
    ``now`` (default: the current time) only bounds how far in the future a tree head may be.
    Returns the report; raises :class:`VerificationError` naming the first bad item.
    """
    verified_at = datetime.now(UTC) if now is None else now
    if verified_at.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _Verifier(parts, verified_at).run()


def _fail(message: str) -> NoReturn:
    raise VerificationError(message)


def _short(hex_digest: str) -> str:
    return hex_digest[:16]


@dataclass(slots=True)
class _Change:
    """A change or refusal whose envelope verified (step 4), for the chain and value checks."""

    entry: Entry
    header: common_pb2.EnvelopeHeader
    envelope_sha256: bytes


_DATA_ERRORS = (ValueError, KeyError, TypeError, AttributeError, RecursionError, ArithmeticError, DomainError)


class _Verifier:
    def __init__(self, parts: BundleParts, now: datetime) -> None:
        self.parts = parts
        self.now = now
        self.identities: dict[str, pki.Identity] = {}
        self.entries: list[Entry] = []
        self.changes: dict[int, _Change] = {}
        self.devices: list[DeviceChain] = []
        self.event_owner: dict[int, Entry] = {}  # event sequence -> the change entry that lists it

    def run(self) -> VerificationReport:
        self.check_certificates()
        self.check_tree_heads()
        self.check_consistency()
        self.check_entries()
        self.check_chains()
        self.check_setup_and_events()
        self.check_signed_values()
        cosigners = self.check_cosignatures()
        parts = self.parts
        return VerificationReport(
            session_id=parts.session_id,
            entries=len(self.entries),
            session_entries=sum(1 for e in self.entries if e.session_id == parts.session_id),
            events=len(parts.events),
            tree_heads=len(parts.tree_heads),
            cosignatures=len(parts.cosignatures),
            final_head=parts.tree_heads[-1],
            devices=tuple(self.devices),
            cosigners=cosigners,
            verified_at=self.now,
        )

    # (1) -------------------------------------------------------------------------------------------------

    def check_certificates(self) -> None:
        ca = self.parts.ca_certificate
        for label, certificate in (
            ("CA certificate", ca),
            ("log certificate", self.parts.log_certificate),
            *((f"certificate {_short(key)}", cert) for key, cert in sorted(self.parts.certificates.items())),
        ):
            problem = _certificate_problem(certificate)
            if problem:
                _fail(f"{label}: cannot be read ({problem})")
        try:
            pki.check_signed_by(ca, ca)
        except pki.CertificateError:
            _fail(f"CA certificate ({ca.subject.rfc4514_string()}): not self-signed")
        try:
            constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            _fail(f"CA certificate ({ca.subject.rfc4514_string()}): not a CA certificate (basic constraints)")
        try:
            pki.check_signed_by(self.parts.log_certificate, ca)
        except pki.CertificateError as error:
            _fail(f"log certificate: {error}")
        for key, certificate in sorted(self.parts.certificates.items()):
            actual = certificate_sha256(certificate)
            if actual != key:
                _fail(f"certificate {_short(key)}: listed under the wrong hash; its SHA-256 is {actual}")
            try:
                pki.check_signed_by(certificate, ca)
            except pki.CertificateError as error:
                _fail(f"certificate {_short(key)}: {error}")
            try:
                self.identities[key] = pki.identity_from_certificate(certificate)
            except pki.CertificateError as error:
                _fail(f"certificate {_short(key)}: not a person certificate: {error}")

    def _valid_at(self, certificate: x509.Certificate, at: datetime, label: str, what: str) -> None:
        for cert, name in ((self.parts.ca_certificate, "the CA certificate"), (certificate, what)):
            if at < cert.not_valid_before_utc:
                _fail(
                    f"{label}: {name} ({cert.subject.rfc4514_string()}) was not yet valid at "
                    f"{at.isoformat()} (valid from {cert.not_valid_before_utc.isoformat()})"
                )
            if at > cert.not_valid_after_utc:
                _fail(
                    f"{label}: {name} ({cert.subject.rfc4514_string()}) had expired at {at.isoformat()} "
                    f"(valid until {cert.not_valid_after_utc.isoformat()})"
                )

    # (2) -------------------------------------------------------------------------------------------------

    def check_tree_heads(self) -> None:
        heads = self.parts.tree_heads
        if not heads:
            _fail("tree heads: the bundle has none; at least the final head is needed")
        previous: TreeHead | None = None
        for position, head in enumerate(heads):
            label = f"tree head {position} (size {head.tree_size})"
            if head.timestamp.tzinfo is None:
                _fail(f"{label}: the timestamp has no UTC offset")
            self._valid_at(self.parts.log_certificate, head.timestamp, label, "the log certificate")
            try:
                verify_tree_head(head, self.parts.log_certificate)
            except SignatureError as error:
                _fail(f"{label}: signature does not verify with the log certificate ({error})")
            if previous is not None:
                if head.tree_size < previous.tree_size:
                    _fail(
                        f"{label}: smaller than the previous head (size {previous.tree_size}): "
                        "a log only grows"
                    )
                if head.timestamp < previous.timestamp:
                    _fail(f"{label}: signed at {head.timestamp.isoformat()}, before the previous head")
            if head.timestamp > self.now + pki.CLOCK_SKEW:
                _fail(
                    f"{label}: signed at {head.timestamp.isoformat()}, in the future "
                    f"(now {self.now.isoformat()})"
                )
            previous = head
        final = heads[-1]
        if self.parts.exported_at.tzinfo is None:
            _fail("exported_at: the timestamp has no UTC offset")
        if self.parts.exported_at < final.timestamp:
            _fail(
                f"exported_at {self.parts.exported_at.isoformat()} is before the final tree head "
                f"({final.timestamp.isoformat()})"
            )

    # (3) -------------------------------------------------------------------------------------------------

    def check_consistency(self) -> None:
        heads = self.parts.tree_heads
        proofs = self.parts.consistency_proofs
        if len(proofs) != len(heads) - 1:
            _fail(
                f"consistency proofs: {len(proofs)} for {len(heads)} tree heads; exactly one is needed "
                f"between each two successive heads ({len(heads) - 1})"
            )
        for position, proof in enumerate(proofs):
            old, new = heads[position], heads[position + 1]
            label = f"consistency proof {position} (size {old.tree_size} → {new.tree_size})"
            if (proof.old_size, proof.new_size) != (old.tree_size, new.tree_size):
                _fail(f"{label}: is for sizes {proof.old_size} → {proof.new_size}")
            try:
                verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof.proof)
            except ProofError as error:
                _fail(f"{label}: {error}")

    # (4) -------------------------------------------------------------------------------------------------

    def check_entries(self) -> None:
        final = self.parts.tree_heads[-1]
        previous = -1
        for position, (leaf, proof) in enumerate(self.parts.entries):
            try:
                entry = Entry.from_bytes(leaf)
            except _DATA_ERRORS as error:
                _fail(f"entry #{position} of the bundle: not a canonical audit entry ({error})")
            label = f"entry {entry.index}"
            if entry.index <= previous:
                _fail(f"{label}: listed after entry {previous}; entries must be in log order, each once")
            previous = entry.index
            try:
                verify_inclusion(leaf_hash(leaf), entry.index, final.tree_size, proof, final.root_hash)
            except ProofError as error:
                _fail(f"{label}: not included in the final tree head (size {final.tree_size}): {error}")
            if entry.at.tzinfo is None:
                _fail(f"{label}: its time has no UTC offset")
            if entry.kind in _CHAINED:
                self.changes[entry.index] = self._check_envelope(entry, label)
            self.entries.append(entry)
        if not any(entry.session_id == self.parts.session_id for entry in self.entries):
            _fail(f"entries: none belongs to session {self.parts.session_id}")

    def _check_envelope(self, entry: Entry, label: str) -> _Change:
        envelope = common_pb2.SignedEnvelope()
        header = common_pb2.EnvelopeHeader()
        try:
            envelope.ParseFromString(entry.envelope)
        except DecodeError:
            _fail(f"{label}: the envelope is not a SignedEnvelope")
        if not envelope.header:
            _fail(f"{label}: the envelope has no signed header")
        try:
            header.ParseFromString(envelope.header)
        except DecodeError:
            _fail(f"{label}: the envelope's header is not an EnvelopeHeader")
        signer = header.signer_certificate_sha256.hex()
        if signer != entry.signer_certificate_sha256:
            _fail(
                f"{label}: the envelope names signer certificate {_short(signer)}, the entry "
                f"{_short(entry.signer_certificate_sha256)}"
            )
        certificate = self.parts.certificates.get(signer)
        if certificate is None:
            _fail(f"{label}: the signer's certificate {_short(signer)} is not in the bundle")
        identity = self.identities[signer]
        if identity.person_id != entry.actor_id:
            _fail(f"{label}: signed by {identity.person_id}, but the entry's actor is {entry.actor_id}")
        self._valid_at(certificate, entry.at, label, f"the signer certificate of {identity.person_id}")
        try:
            verify_signature(certificate, header.signature_algorithm, envelope.header, envelope.signature)
        except SignatureError as error:
            _fail(f"{label}: envelope signature does not verify ({error})")
        if hashlib.sha256(entry.payload).digest() != header.payload_sha256:
            _fail(f"{label}: the payload does not match the signed payload hash")
        try:
            signed_time = (
                header.client_time.ToDatetime(tzinfo=UTC) if header.HasField("client_time") else None
            )
        except (ValueError, OverflowError):
            _fail(f"{label}: the signed header's client time is out of range")
        for name, signed, logged in (
            ("session", header.session_id, entry.session_id),
            ("device", header.device_id, entry.device_id),
            ("sequence", header.client_sequence, entry.client_sequence),
        ):
            if signed != logged:
                _fail(f"{label}: the signed header says {name} {signed!r}, the entry {logged!r}")
        if entry.client_time is not None and signed_time != entry.client_time:
            _fail(f"{label}: the signed header says client time {signed_time}, the entry {entry.client_time}")
        self._check_payload_meta(entry, header, label)
        return _Change(entry, header, hashlib.sha256(entry.envelope).digest())

    def _check_payload_meta(self, entry: Entry, header: common_pb2.EnvelopeHeader, label: str) -> None:
        request = _parse_request(header.payload_type, entry.payload, label)
        meta = request.meta
        for name, in_payload, signed in (
            ("session_id", meta.session_id, header.session_id),
            ("device_id", meta.device_id, header.device_id),
            ("client_sequence", meta.client_sequence, header.client_sequence),
        ):
            if in_payload != signed:
                _fail(f"{label}: the payload's meta.{name} {in_payload!r} differs from the signed header")
        if meta.HasField("client_time") != header.HasField("client_time") or (
            meta.client_time != header.client_time
        ):
            _fail(f"{label}: the payload's meta.client_time differs from the signed header")
        if meta.HasField("envelope"):
            _fail(f"{label}: the signed payload must not contain an envelope")

    # (5) -------------------------------------------------------------------------------------------------

    def check_chains(self) -> None:
        last: dict[tuple[str, str], _Change] = {}
        for change in self.changes.values():  # in log order (insertion order of check_entries)
            entry = change.entry
            key = (entry.actor_id, entry.device_id)
            label = f"entry {entry.index}"
            device = f"device {entry.device_id!r} of {entry.actor_id}"
            sequence = change.header.client_sequence
            before = last.get(key)
            if sequence == 0:
                _fail(f"{label}: change 0 of {device}: sequence numbers start at 1")
            if before is None:
                if sequence != 1:
                    missing = "1" if sequence == 2 else f"1 to {sequence - 1}"
                    _fail(
                        f"{label}: change {sequence} is the first of {device} in the bundle: "
                        f"change {missing} missing"
                    )
                if change.header.previous_envelope_sha256:
                    _fail(f"{label}: change 1 of {device} must not name a previous envelope")
            else:
                expected = before.header.client_sequence + 1
                if sequence < expected:
                    _fail(
                        f"{label}: change {sequence} of {device} comes after change {expected - 1} "
                        f"(entry {before.entry.index}): changes reordered or repeated"
                    )
                if sequence > expected:
                    missing = f"{expected}" if sequence == expected + 1 else f"{expected} to {sequence - 1}"
                    _fail(
                        f"{label}: change {sequence} of {device} follows change {expected - 1} "
                        f"(entry {before.entry.index}): change {missing} missing"
                    )
                if change.header.previous_envelope_sha256 != before.envelope_sha256:
                    _fail(
                        f"{label}: change {sequence} of {device} does not link to change {expected - 1} "
                        f"(entry {before.entry.index}): the previous envelope hash differs"
                    )
            last[key] = change
        self.devices = [
            DeviceChain(
                actor_id=actor,
                device_id=device_id,
                changes=change.header.client_sequence,
                last_entry=change.entry.index,
                last_envelope_sha256=change.envelope_sha256.hex(),
            )
            for (actor, device_id), change in sorted(last.items())
        ]

    # (6) -------------------------------------------------------------------------------------------------

    def check_setup_and_events(self) -> None:
        session = self.parts.session_id
        imports = [e for e in self.entries if e.session_id == session and e.kind is EntryKind.IMPORT]
        if not imports:
            _fail(
                f"setup: the bundle has no import entry of session {session}, so the setup cannot be checked"
            )
        setup_hash = hashlib.sha256(self.parts.setup_json.encode("utf-8")).hexdigest()
        latest = imports[-1]
        if latest.detail.get(SETUP_SHA256_KEY) != setup_hash:
            _fail(f"setup: its SHA-256 {_short(setup_hash)} does not match the import entry {latest.index}")

        listed: dict[int, list[tuple[Entry, str]]] = {}
        for entry in self.entries:
            if entry.session_id != session or not entry.events:
                continue
            if entry.kind is not EntryKind.CHANGE:
                _fail(f"entry {entry.index}: a {entry.kind.value} entry cannot list events")
            for sequence, digest in entry.events:
                listed.setdefault(sequence, []).append((entry, digest))
        for position, event in enumerate(self.parts.events):
            label = f"event {event.sequence}"
            expected = position + 1
            if event.sequence > expected:
                missing = (
                    f"event {expected}"
                    if event.sequence == expected + 1
                    else f"events {expected} to {event.sequence - 1}"
                )
                _fail(f"event {expected}: missing from the bundle ({missing} before event {event.sequence})")
            if event.sequence < expected:
                _fail(f"{label}: out of order or repeated (event {expected} expected at this position)")
            owners = listed.get(event.sequence, [])
            if not owners:
                _fail(f"{label}: its digest is in no change entry of the session")
            if len(owners) > 1:
                indices = " and ".join(str(owner.index) for owner, _ in owners)
                _fail(f"{label}: listed by more than one change entry ({indices})")
            owner, digest = owners[0]
            if event.digest(session) != digest:
                _fail(f"{label}: does not match the digest in entry {owner.index}")
            self.event_owner[event.sequence] = owner
        for sequence, owners in sorted(listed.items()):
            if sequence not in self.event_owner:
                _fail(f"entry {owners[0][0].index}: lists event {sequence}, which is missing from the bundle")

    # (7) -------------------------------------------------------------------------------------------------

    def check_signed_values(self) -> None:
        for event in self.parts.events:
            label = f"event {event.sequence}"
            try:
                data = json.loads(event.payload_json)
            except _DATA_ERRORS as error:
                _fail(f"{label}: payload_json is not JSON ({error})")
            if not isinstance(data, dict) or data.get("type") != event.kind:
                _fail(f"{label}: payload_json is not a {event.kind} event")
            if event.kind not in (ScoreRecorded.__name__, PreliminaryVerdictRecorded.__name__):
                continue
            try:
                recorded = event_from_dict(data)
            except _DATA_ERRORS as error:
                _fail(f"{label}: payload_json is not a valid {event.kind} event ({error})")
            owner = self.event_owner[event.sequence]
            change = self.changes[owner.index]
            signer = owner.actor_id  # = the signer certificate's person (step 4)
            if event.actor_id != signer:
                _fail(f"{label}: actor {event.actor_id}, but entry {owner.index} was signed by {signer}")
            if recorded.actor_id != signer:
                _fail(
                    f"{label}: payload_json names actor {recorded.actor_id}, but entry {owner.index} "
                    f"was signed by {signer}"
                )
            expected_type = _SCORE_REQUEST if isinstance(recorded, ScoreRecorded) else _VERDICT_REQUEST
            if change.header.payload_type != expected_type:
                _fail(
                    f"{label}: a {event.kind} event from a {change.header.payload_type} change "
                    f"(entry {owner.index}); only a {expected_type} records it"
                )
            request = _parse_request(change.header.payload_type, owner.payload, f"entry {owner.index}")
            try:
                if isinstance(recorded, ScoreRecorded):
                    differences = _score_differences(recorded, request)
                else:
                    differences = _verdict_differences(cast(PreliminaryVerdictRecorded, recorded), request)
            except _DATA_ERRORS as error:
                _fail(
                    f"{label}: the signed {expected_type} in entry {owner.index} is not a valid value "
                    f"({error})"
                )
            if differences:
                name, in_event, signed = differences[0]
                _fail(
                    f"{label}: {name} is {in_event} in the event but {signed} in the signed "
                    f"{expected_type.rsplit('.', 1)[-1]} of entry {owner.index}"
                )

    # (8) -------------------------------------------------------------------------------------------------

    def check_cosignatures(self) -> tuple[str, ...]:
        heads = {(h.tree_size, h.root_hash, h.timestamp) for h in self.parts.tree_heads}
        cosigners: list[str] = []
        for position, cosignature in enumerate(self.parts.cosignatures):
            label = f"cosignature {position} (tree size {cosignature.tree_size})"
            certificate = self.parts.certificates.get(cosignature.certificate_sha256)
            if certificate is None:
                _fail(f"{label}: certificate {_short(cosignature.certificate_sha256)} is not in the bundle")
            identity = self.identities[cosignature.certificate_sha256]
            if cosignature.timestamp.tzinfo is None:
                _fail(f"{label}: the timestamp has no UTC offset")
            self._valid_at(
                certificate, cosignature.timestamp, label, f"the certificate of {identity.person_id}"
            )
            try:
                verify_signature(
                    certificate, cosignature.algorithm, cosignature.signed_bytes(), cosignature.signature
                )
            except SignatureError as error:
                _fail(f"{label}: signature of {identity.person_id} does not verify ({error})")
            if (cosignature.tree_size, cosignature.root_hash, cosignature.timestamp) not in heads:
                _fail(f"{label}: refers to no tree head in the bundle")
            cosigners.append(identity.person_id)
        return tuple(cosigners)


def _parse_request(payload_type: str, payload: bytes, label: str) -> Any:
    """The signed request, parsed as the type its header names (any type the verifier's protos know)."""
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(payload_type)
    except KeyError:
        _fail(f"{label}: unknown signed payload type {payload_type!r}")
    meta = descriptor.fields_by_name.get("meta")
    if meta is None or meta.message_type is not common_pb2.CommandMeta.DESCRIPTOR:
        _fail(f"{label}: {payload_type} is not a state-changing request")
    request: Message = message_factory.GetMessageClass(descriptor)()
    try:
        request.ParseFromString(payload)
    except DecodeError:
        _fail(f"{label}: the payload is not a {payload_type}")
    return request


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation(f"{text!r} is not a finite number")
    return value


def _score_differences(event: ScoreRecorded, request: Any) -> list[tuple[str, object, object]]:
    signed = request.entry
    differences: list[tuple[str, object, object]] = []
    if event.bidder_id != signed.bidder_id:
        differences.append(("the bidder", event.bidder_id, signed.bidder_id))
    if event.criterion_id != signed.criterion_id:
        differences.append(("the criterion", event.criterion_id, signed.criterion_id))
    kind = signed.WhichOneof("value")
    value = event.value
    if isinstance(value, cmd.ScoreEntry) and kind == "points":
        if value.points != _decimal(signed.points):
            differences.append(("points", value.points, signed.points))
    elif isinstance(value, cmd.ObjectiveEntry) and kind == "objective":
        if value.points != _decimal(signed.objective):
            differences.append(("the objective value", value.points, signed.objective))
    elif isinstance(value, cmd.VoteEntry) and kind == "vote":
        if value.yes != signed.vote:
            differences.append(("the vote", value.yes, signed.vote))
    elif isinstance(value, cmd.PassFailEntry) and kind == "pass_fail":
        if value.passed != signed.pass_fail.passed:
            differences.append(("pass/fail", value.passed, signed.pass_fail.passed))
        if value.reason != signed.pass_fail.reason:
            differences.append(("the reason", repr(value.reason), repr(signed.pass_fail.reason)))
    elif isinstance(value, cmd.DeductEntry) and kind == "deductions":
        items = list(signed.deductions.deductions)
        if len(value.deductions) != len(items):
            differences.append(("the number of deductions", len(value.deductions), len(items)))
        for number, (deduction, item) in enumerate(zip(value.deductions, items, strict=False), start=1):
            if deduction.points != _decimal(item.points):
                differences.append((f"deduction {number}", deduction.points, item.points))
            if deduction.reason != item.reason:
                differences.append(
                    (f"the reason of deduction {number}", repr(deduction.reason), repr(item.reason))
                )
    else:
        differences.append(("the kind of value", type(value).__name__, kind))
    return differences


def _verdict_differences(event: PreliminaryVerdictRecorded, request: Any) -> list[tuple[str, object, object]]:
    differences: list[tuple[str, object, object]] = []
    if event.bidder_id != request.bidder_id:
        differences.append(("the bidder", event.bidder_id, request.bidder_id))
    if event.criterion_id != request.criterion_id:
        differences.append(("the criterion", event.criterion_id, request.criterion_id))
    if event.passed != request.passed:
        differences.append(("the verdict (passed)", event.passed, request.passed))
    if event.reason != request.reason.strip():  # the rules store the reason trimmed
        differences.append(("the reason", repr(event.reason), repr(request.reason.strip())))
    return differences
