"""Evidence bundles: a realistic session log with real keys, offline verification, tampering of every kind.

The log is built the way the server builds it: requests signed with ``envelope.seal`` on real protos with
each device's envelope hashes chained, events stored as ``event_to_dict`` JSON with their digests in the
change entry that produced them, a Merkle tree with signed heads, and a supervisor's co-signature.

Two kinds of attacker are covered:

- someone who edits the bundle file (a party to a complaint): every change must break a signature, a proof
  or a digest;
- the log operator itself, who holds the log key and can rebuild the tree and re-sign heads
  (``Log.bundle(rewrite=...)``, or forged changes logged as if accepted): then the experts' own signatures,
  the device chains and the comparison of events with the signed requests must catch it.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from bideval.audit import bundle as bundle_module
from bideval.audit.bundle import (
    SETUP_SHA256_KEY,
    BundleError,
    BundleEvent,
    BundleParts,
    VerificationError,
    assemble_bundle,
    bundle_from_json,
    bundle_to_json,
    certificate_sha256,
    cosign_tree_head,
    entries_for_session,
    read_bundle,
    verify_bundle,
    write_bundle,
)
from bideval.audit.entries import Entry, EntryKind, b64, sign_tree_head
from bideval.audit.envelope import envelope_bytes, payload_bytes, seal
from bideval.audit.merkle import MerkleTree
from bideval.audit.signing import SoftwareSigner
from bideval.audit.verify_cli import main
from bideval.domain import commands as cmd
from bideval.domain.commands import Phase
from bideval.domain.events import (
    Event,
    MemberCheckedIn,
    PhaseChanged,
    PledgeAccepted,
    PreliminaryVerdictRecorded,
    ScoreRecorded,
    SessionPaused,
    SessionResumed,
    event_to_dict,
)
from bideval.identity.pki import (
    Role,
    cert_to_pem,
    create_ca,
    identity_from_certificate,
    issue_person_certificate,
)
from bideval.identity.pki import issue_server_certificate as issue_server
from bideval.v1 import common_pb2, session_pb2
from bideval.v1 import evaluation_service_pb2 as ev
from bideval.v1 import supervision_service_pb2 as sv

T0 = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)  # the session's day
ISSUED = T0 - timedelta(days=30)
NOW = T0 + timedelta(days=400)  # verification happens much later: certificates have expired by then
SESSION = "S-2024-017"
OTHER = "S-2024-009"  # an earlier session evaluated on expert-a's room PC
EXPERTS = ("expert-a", "expert-b", "expert-c")
SETUP = {
    "session_id": SESSION,
    "project": "城南污水处理厂二期工程 设备采购",
    "bidders": ["B1", "B2"],
    "criteria": ["P1", "D1", "D2", "D3", "D4", "D5"],
}


def dumps(value: Any) -> str:
    """JSON as the store writes it."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- keys -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    ca: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey
    log: SoftwareSigner
    people: dict[str, SoftwareSigner]
    foreign: SoftwareSigner  # "expert-a" certified by another CA
    expired: SoftwareSigner  # "expert-a" with a certificate that expired before the session
    foreign_ca: x509.Certificate

    def signer(self, person_id: str) -> SoftwareSigner:
        return self.people[person_id]

    def certificates(self) -> dict[str, x509.Certificate]:
        signers = [*self.people.values(), self.foreign, self.expired]
        return {certificate_sha256(s.certificate): s.certificate for s in signers}


def _person(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    person_id: str,
    name: str,
    role: Role,
    days: int = 365,
    now: datetime = ISSUED,
) -> SoftwareSigner:
    cert, key = issue_person_certificate(ca, ca_key, person_id, name, role, days, now)
    return SoftwareSigner(cert, key)


@pytest.fixture(scope="module")
def keys() -> Keys:
    ca, ca_key = create_ca("省公共资源交易平台 CA", 3650, ISSUED)
    log_cert, log_key = issue_server(ca, ca_key, ["log.bideval.test"], 3650, ISSUED)
    people = {
        "expert-a": _person(ca, ca_key, "expert-a", "张三", Role.EXPERT),
        "expert-b": _person(ca, ca_key, "expert-b", "李四", Role.EXPERT),
        "expert-c": _person(ca, ca_key, "expert-c", "王五", Role.EXPERT),
        "sup-1": _person(ca, ca_key, "sup-1", "赵监督", Role.SUPERVISOR),
    }
    foreign_ca, foreign_key = create_ca("another CA", 3650, ISSUED)
    return Keys(
        ca=ca,
        ca_key=ca_key,
        log=SoftwareSigner(log_cert, log_key),
        people=people,
        foreign=_person(foreign_ca, foreign_key, "expert-a", "张三", Role.EXPERT),
        expired=_person(ca, ca_key, "expert-a", "张三", Role.EXPERT, days=1, now=T0 - timedelta(days=3)),
        foreign_ca=foreign_ca,
    )


# --- the log, built as the server builds it -------------------------------------------------------------


def score_proto(bidder: str, criterion: str, value: cmd.Entry) -> session_pb2.ScoreEntry:
    entry = session_pb2.ScoreEntry(bidder_id=bidder, criterion_id=criterion)
    if isinstance(value, cmd.ScoreEntry):
        entry.points = str(value.points)
    elif isinstance(value, cmd.DeductEntry):
        entry.deductions.SetInParent()
        for deduction in value.deductions:
            entry.deductions.deductions.add(points=str(deduction.points), reason=deduction.reason)
    elif isinstance(value, cmd.PassFailEntry):
        entry.pass_fail.SetInParent()
        entry.pass_fail.passed = value.passed
        entry.pass_fail.reason = value.reason
    elif isinstance(value, cmd.VoteEntry):
        entry.vote = value.yes
    else:
        entry.objective = str(value.points)
    return entry


MakeEvents = Callable[[datetime, str], list[Event]]


@dataclass
class Log:
    keys: Keys
    entries: list[Entry] = field(default_factory=list)
    events: dict[str, list[BundleEvent]] = field(default_factory=dict)
    chains: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    setups: dict[str, str] = field(default_factory=dict)
    checkpoints: list[tuple[int, datetime]] = field(default_factory=list)
    clock: datetime = T0

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=37)
        return self.clock

    def append(self, **fields: Any) -> Entry:
        entry = Entry(index=len(self.entries), at=self.tick(), **fields)
        self.entries.append(entry)
        return entry

    def import_setup(self, session_id: str, setup: dict[str, Any]) -> None:
        text = dumps(setup)
        self.setups[session_id] = text
        self.append(
            kind=EntryKind.IMPORT,
            actor_id="op-1",
            role="operator",
            session_id=session_id,
            method="/bideval.v1.AdminService/ImportSession",
            detail={SETUP_SHA256_KEY: hashlib.sha256(text.encode()).hexdigest()},
        )

    def login(self, person_id: str, role: str = "expert") -> None:
        self.append(kind=EntryKind.LOGIN, actor_id=person_id, role=role, method="/bideval.v1.Auth/Login")

    def denied(self, person_id: str, session_id: str) -> None:
        self.append(
            kind=EntryKind.DENIED,
            actor_id=person_id,
            role="expert",
            session_id=session_id,
            method="/bideval.v1.SupervisionService/PauseSession",
            error={"kind": "PermissionDenied", "message": "only a supervisor may pause the session"},
        )

    def change(
        self,
        signer: SoftwareSigner,
        device: str,
        session_id: str,
        request: Message,
        make_events: MakeEvents,
        *,
        refused: str = "",
        actor: str | None = None,
    ) -> Entry:
        """Sign ``request`` on ``device`` (chained to the device's previous change) and log it."""
        identity = identity_from_certificate(signer.certificate)
        person_id = actor or identity.person_id
        sequence, previous = self.chains.get((identity.person_id, device), (0, b""))
        meta: common_pb2.CommandMeta = request.meta  # type: ignore[attr-defined]
        meta.session_id = session_id
        meta.operation_id = str(uuid.uuid4())
        meta.device_id = device
        meta.client_sequence = sequence + 1
        meta.client_time.FromDatetime(self.clock + timedelta(seconds=5))
        link = seal(request, signer, previous)
        self.chains[identity.person_id, device] = (sequence + 1, link)
        at = self.tick()
        stored = self.events.setdefault(session_id, [])
        listed = []
        for event in [] if refused else make_events(at, person_id):
            row = BundleEvent(
                len(stored) + 1, type(event).__name__, person_id, at, dumps(event_to_dict(event))
            )
            stored.append(row)
            listed.append((row.sequence, row.digest(session_id)))
        service = "SupervisionService" if identity.role is Role.SUPERVISOR else "EvaluationService"
        name = request.DESCRIPTOR.name.removesuffix("Request")
        entry = Entry(
            index=len(self.entries),
            kind=EntryKind.REFUSAL if refused else EntryKind.CHANGE,
            at=at,
            actor_id=person_id,
            role=identity.role.value,
            session_id=session_id,
            method=f"/bideval.v1.{service}/{name}",
            device_id=device,
            client_sequence=sequence + 1,
            client_time=meta.client_time.ToDatetime(tzinfo=UTC),
            envelope=envelope_bytes(meta.envelope),
            payload=payload_bytes(request),
            signer_certificate_sha256=certificate_sha256(signer.certificate),
            events=tuple(listed),
            error={"kind": "InvalidArgument", "message": refused} if refused else {},
        )
        self.entries.append(entry)
        return entry

    def score(
        self,
        person_id: str,
        bidder: str,
        criterion: str,
        value: cmd.Entry,
        *,
        logged_value: cmd.Entry | None = None,
        refused: str = "",
        signer: SoftwareSigner | None = None,
    ) -> Entry:
        request = ev.RecordScoreRequest(entry=score_proto(bidder, criterion, value))

        def events(at: datetime, actor: str) -> list[Event]:
            recorded = logged_value if logged_value is not None else value
            return [
                ScoreRecorded(at=at, actor_id=actor, bidder_id=bidder, criterion_id=criterion, value=recorded)
            ]

        signer = signer or self.keys.signer(person_id)
        return self.change(
            signer, f"pc-{person_id}", SESSION, request, events, refused=refused, actor=person_id
        )

    def verdict(self, person_id: str, bidder: str, criterion: str, passed: bool, reason: str = "") -> Entry:
        request = ev.RecordPreliminaryVerdictRequest(
            bidder_id=bidder, criterion_id=criterion, passed=passed, reason=reason
        )

        def events(at: datetime, actor: str) -> list[Event]:
            return [
                PreliminaryVerdictRecorded(
                    at=at,
                    actor_id=actor,
                    bidder_id=bidder,
                    criterion_id=criterion,
                    passed=passed,
                    reason=reason.strip(),  # as the rules store it
                )
            ]

        return self.change(self.keys.signer(person_id), f"pc-{person_id}", SESSION, request, events)

    def checkpoint(self) -> None:
        self.checkpoints.append((len(self.entries), self.tick()))

    def bundle(
        self,
        session_id: str = SESSION,
        *,
        rewrite: Callable[[list[Entry]], list[Entry]] | None = None,
        cosign_head: int = -2,
    ) -> BundleParts:
        """Export as the server does; ``rewrite`` is the log operator rebuilding the log before signing."""
        entries = list(self.entries)
        if rewrite is not None:
            entries = [dataclasses.replace(e, index=i) for i, e in enumerate(rewrite(entries))]
        tree = MerkleTree()
        for entry in entries:
            tree.append(entry.to_bytes())
        sizes = [min(size, tree.size) for size, _ in self.checkpoints[:-1]] + [tree.size]
        heads = [
            sign_tree_head(self.keys.log, size, tree.root(size), timestamp)
            for size, (_, timestamp) in zip(sizes, self.checkpoints, strict=True)
        ]
        selected = entries_for_session(entries, session_id)
        known = self.keys.certificates()
        supervisor = self.keys.signer("sup-1")
        used = {e.signer_certificate_sha256 for e in selected if e.signer_certificate_sha256}
        return assemble_bundle(
            session_id=session_id,
            exported_at=heads[-1].timestamp + timedelta(minutes=5),
            ca_certificate=self.keys.ca,
            log_certificate=self.keys.log.certificate,
            signer_certificates=[*(known[h] for h in sorted(used)), supervisor.certificate],
            tree=tree,
            tree_heads=heads,
            leaves=[e.to_bytes() for e in selected],
            cosignatures=[cosign_tree_head(supervisor, heads[cosign_head])],
            setup_json=self.setups[session_id],
            events=self.events[session_id],
        )


def forge_event(
    log: Log, sequence: int, edit_payload: Callable[[dict[str, Any]], None] | None = None, **row: Any
) -> Entry:
    """The log operator rewrites stored event ``sequence`` and the digest its change entry lists."""
    rows = log.events[SESSION]
    payload = json.loads(rows[sequence - 1].payload_json)
    if edit_payload is not None:
        edit_payload(payload)
    rows[sequence - 1] = dataclasses.replace(rows[sequence - 1], payload_json=dumps(payload), **row)
    digest = rows[sequence - 1].digest(SESSION)
    owner = next(
        e for e in log.entries if e.session_id == SESSION and any(s == sequence for s, _ in e.events)
    )
    forged = dataclasses.replace(
        owner, events=tuple((s, digest if s == sequence else d) for s, d in owner.events)
    )
    log.entries[owner.index] = forged
    return forged


def check_in(venue: str, *, last: bool = False) -> tuple[Message, MakeEvents]:
    def events(at: datetime, actor: str) -> list[Event]:
        produced: list[Event] = [MemberCheckedIn(at=at, actor_id=actor, venue_id=venue)]
        if last:  # the step is complete: the same command moves the session on
            produced.append(
                PhaseChanged(
                    at=at, actor_id=actor, from_phase=Phase.CHECK_IN, to=Phase.PLEDGE, reason="all checked in"
                )
            )
        return produced

    return ev.CheckInRequest(venue_id=venue), events


SCORES: dict[str, list[tuple[str, str, cmd.Entry]]] = {
    "expert-a": [
        ("B1", "D1", cmd.ScoreEntry(Decimal("8.5"))),
        ("B1", "D2", cmd.DeductEntry((cmd.Deduction(Decimal("1.5"), "工期偏长"),))),
        ("B1", "D3", cmd.ObjectiveEntry(Decimal("4"))),
        ("B1", "D4", cmd.VoteEntry(yes=True)),
        ("B1", "D5", cmd.PassFailEntry(passed=True)),
    ],
    "expert-b": [
        ("B1", "D1", cmd.ScoreEntry(Decimal("7.0"))),
        ("B2", "D1", cmd.ScoreEntry(Decimal("9"))),
        ("B2", "D2", cmd.DeductEntry()),
        ("B2", "D5", cmd.PassFailEntry(passed=False, reason="售后承诺不满足招标文件要求")),
    ],
    "expert-c": [
        ("B1", "D1", cmd.ScoreEntry(Decimal("8.00"))),
        ("B2", "D4", cmd.VoteEntry(yes=False)),
        ("B2", "D3", cmd.ObjectiveEntry(Decimal("4.0"))),
        (
            "B2",
            "D2",
            cmd.DeductEntry(
                (cmd.Deduction(Decimal("0.5"), "偏离一项"), cmd.Deduction(Decimal("1"), "偏离两项"))
            ),
        ),
    ],
}


def standard_log(keys: Keys) -> Log:
    log = Log(keys)
    a = keys.signer("expert-a")
    # An earlier session: expert-a's room PC starts its chain there; expert-b's home PC is not in this bundle.
    log.import_setup(OTHER, {"session_id": OTHER, "project": "earlier"})
    log.login("expert-a")
    request, make = check_in("V2")
    log.change(a, "pc-expert-a", OTHER, request, make)
    log.change(
        a,
        "pc-expert-a",
        OTHER,
        ev.AcceptPledgeRequest(),
        lambda at, who: [PledgeAccepted(at=at, actor_id=who)],
    )
    request, make = check_in("V1")
    log.change(keys.signer("expert-b"), "pc-home-b", OTHER, request, make)
    log.checkpoint()  # head 0

    log.import_setup(SESSION, SETUP)
    for number, expert in enumerate(EXPERTS):
        log.login(expert)
        request, make = check_in("V1", last=number == len(EXPERTS) - 1)
        log.change(keys.signer(expert), f"pc-{expert}", SESSION, request, make)
    log.checkpoint()  # head 1
    log.denied("expert-b", SESSION)
    for expert in EXPERTS:
        log.verdict(expert, "B1", "P1", True)
        log.verdict(
            expert, "B2", "P1", expert != "expert-c", "" if expert != "expert-c" else "  投标保证金不足 "
        )
    supervisor = keys.signer("sup-1")
    log.login("sup-1", "supervisor")
    log.change(
        supervisor,
        "pc-sup",
        SESSION,
        sv.PauseSessionRequest(reason="专家电脑故障"),
        lambda at, who: [SessionPaused(at=at, actor_id=who, reason="专家电脑故障")],
    )
    log.change(
        supervisor,
        "pc-sup",
        SESSION,
        sv.ResumeSessionRequest(reason="已修复"),
        lambda at, who: [SessionResumed(at=at, actor_id=who, reason="已修复")],
    )
    log.checkpoint()  # head 2, co-signed by the supervisor
    for number in range(5):
        for expert in EXPERTS:
            if number < len(SCORES[expert]):
                bidder, criterion, value = SCORES[expert][number]
                log.score(expert, bidder, criterion, value)
        if number == 1:  # a refused change still uses up its sequence number
            log.score(
                "expert-b", "B2", "D3", cmd.ObjectiveEntry(Decimal("40")), refused="40 is above the maximum 5"
            )
    log.checkpoint()  # head 3: the final head
    return log


@pytest.fixture(scope="module")
def good_json(keys: Keys) -> str:
    return bundle_to_json(standard_log(keys).bundle())


@pytest.fixture
def doc(good_json: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(good_json)
    return document


def verify_doc(document: dict[str, Any]) -> bundle_module.VerificationReport:
    return verify_bundle(bundle_from_json(json.dumps(document, ensure_ascii=False)), now=NOW)


def rejects(document: dict[str, Any], pattern: str) -> str:
    with pytest.raises(VerificationError, match=pattern) as caught:
        verify_doc(document)
    return str(caught.value)


def leaves(document: dict[str, Any]) -> list[Entry]:
    return [Entry.from_bytes(base64.b64decode(item["leaf"])) for item in document["entries"]]


def position_of(document: dict[str, Any], predicate: Callable[[Entry], bool], nth: int = 0) -> int:
    return [i for i, entry in enumerate(leaves(document)) if predicate(entry)][nth]


def set_leaf(document: dict[str, Any], position: int, entry: Entry) -> None:
    document["entries"][position]["leaf"] = b64(entry.to_bytes())


def flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def flip_b64(text: str, position: int) -> str:
    return b64(flip(base64.b64decode(text), position))


def flip_hex(text: str, position: int) -> str:
    return flip(bytes.fromhex(text), position).hex()


def scores_of(entries: Iterable[Entry], person: str) -> list[Entry]:
    """The accepted RecordScore changes of ``person``, in log order."""
    return [
        e
        for e in entries
        if e.kind is EntryKind.CHANGE and e.actor_id == person and e.method.endswith("/RecordScore")
    ]


def score_position(document: dict[str, Any], person: str, number: int = 0) -> tuple[int, Entry]:
    """Position in ``entries`` and the entry of the ``number``-th accepted score of ``person``."""
    all_entries = leaves(document)
    entry = scores_of(all_entries, person)[number]
    return all_entries.index(entry), entry


def event_of(document: dict[str, Any], entry: Entry) -> int:
    """The position in ``events`` of the first event the entry lists."""
    return entry.events[0][0] - 1


# --- a valid bundle -------------------------------------------------------------------------------------


def test_valid_bundle_verifies_with_its_counts(keys: Keys) -> None:
    log = standard_log(keys)
    parts = log.bundle()
    report = verify_bundle(parts, now=NOW)
    session_entries = [e for e in log.entries if e.session_id == SESSION]
    earlier_on_pc_a = [e for e in log.entries if e.session_id == OTHER and e.device_id == "pc-expert-a"]
    assert report.session_entries == len(session_entries)
    assert report.entries == len(session_entries) + len(earlier_on_pc_a) == len(parts.entries)
    assert report.events == len(log.events[SESSION]) == 3 + 1 + 6 + 2 + 13
    assert report.tree_heads == 4
    assert report.cosignatures == 1
    assert report.cosigners == ("sup-1",)
    assert report.final_head == parts.tree_heads[-1]
    assert report.final_head.tree_size == len(log.entries)
    chains = {(d.actor_id, d.device_id): d.changes for d in report.devices}
    # expert-a's chain starts in the earlier session; expert-b's refusal used up a sequence number
    assert chains == {
        ("expert-a", "pc-expert-a"): 2 + 1 + 2 + 5,
        ("expert-b", "pc-expert-b"): 1 + 2 + 4 + 1,
        ("expert-c", "pc-expert-c"): 1 + 2 + 4,
        ("sup-1", "pc-sup"): 2,
    }
    assert "pc-home-b" not in {e.device_id for e in (Entry.from_bytes(x.leaf) for x in parts.entries)}
    assert verify_bundle(parts).final_head == report.final_head  # now = the current time


def test_json_and_file_round_trip(keys: Keys, good_json: str, tmp_path: Path) -> None:
    parts = bundle_from_json(good_json)
    assert bundle_to_json(parts) == good_json
    path = tmp_path / "bundle.json"
    write_bundle(parts, path)
    text = path.read_text(encoding="utf-8")
    assert text == good_json
    assert "城南污水处理厂" in text  # UTF-8, not \u escapes
    assert read_bundle(path) == parts
    assert json.loads(text)["format"] == "bideval-evidence-bundle"


def test_cli_ok(good_json: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(good_json, encoding="utf-8")
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK: session {SESSION}: ")
    assert "4 tree heads, 4 devices, 1 cosignatures" in out
    assert "device 'pc-expert-b' of expert-b: changes 1 to 8" in out


def test_cli_failed_and_malformed(
    doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc["tree_heads"][0]["signature"] = flip_b64(doc["tree_heads"][0]["signature"], 20)
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    assert main([str(tampered)]) == 1
    assert capsys.readouterr().out.startswith("FAILED: tree head 0 (size ")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert main([str(broken)]) == 2
    assert capsys.readouterr().out.startswith("FAILED: malformed bundle: not JSON")
    assert main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_the_verifier_needs_no_server_app_or_database() -> None:
    code = (
        "import sys, bideval.audit.verify_cli\n"
        "roots = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(roots & {'server', 'app', 'sqlalchemy', 'grpc', 'PySide6'}))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, cwd=root
    )
    assert result.stdout.strip() == "[]"


# --- the bundle file edited ------------------------------------------------------------------------------


def test_flipped_byte_in_a_leaf(doc: dict[str, Any]) -> None:
    position, entry = score_position(doc, "expert-b")
    forged = entry.to_bytes().replace(b'"actor":"expert-b"', b'"actor":"expert-c"')
    doc["entries"][position]["leaf"] = b64(forged)
    rejects(doc, rf"^entry {entry.index}: not included in the final tree head \(size \d+\)")
    doc["entries"][position]["leaf"] = flip_b64(doc["entries"][position]["leaf"], 0)  # '{' -> 'z'
    rejects(doc, rf"^entry #{position} of the bundle: not a canonical audit entry")


def test_flipped_byte_in_an_envelope_signature_inside_the_leaf(doc: dict[str, Any]) -> None:
    position, entry = score_position(doc, "expert-a", 1)
    envelope = common_pb2.SignedEnvelope.FromString(entry.envelope)
    envelope.signature = flip(envelope.signature, 10)
    set_leaf(doc, position, dataclasses.replace(entry, envelope=envelope_bytes(envelope)))
    rejects(doc, rf"^entry {entry.index}: not included in the final tree head")


def test_flipped_byte_in_a_payload_inside_the_leaf(doc: dict[str, Any]) -> None:
    position, entry = score_position(doc, "expert-a")
    set_leaf(doc, position, dataclasses.replace(entry, payload=entry.payload.replace(b"8.5", b"9.5")))
    rejects(doc, rf"^entry {entry.index}: not included in the final tree head")


def test_flipped_byte_in_an_event(doc: dict[str, Any]) -> None:
    _, entry = score_position(doc, "expert-a")
    event = doc["events"][event_of(doc, entry)]
    assert '"points":"8.5"' in event["payload_json"]
    event["payload_json"] = event["payload_json"].replace('"points":"8.5"', '"points":"9.5"')
    rejects(doc, rf"^event {event['sequence']}: does not match the digest in entry {entry.index}$")


def test_event_reattributed_to_another_expert(doc: dict[str, Any]) -> None:
    _, entry = score_position(doc, "expert-c")
    event = doc["events"][event_of(doc, entry)]
    event["actor_id"] = "expert-a"
    rejects(doc, rf"^event {event['sequence']}: does not match the digest in entry {entry.index}$")


@pytest.mark.parametrize("part", ["root_hash", "signature"])
def test_flipped_byte_in_a_tree_head(doc: dict[str, Any], part: str) -> None:
    head = doc["tree_heads"][2]
    head[part] = flip_hex(head[part], 31) if part == "root_hash" else flip_b64(head[part], 30)
    rejects(
        doc, rf"^tree head 2 \(size {head['tree_size']}\): signature does not verify with the log certificate"
    )


def test_removed_entry_breaks_the_device_chain(doc: dict[str, Any]) -> None:
    position, removed = score_position(doc, "expert-b", 1)
    del doc["entries"][position]
    message = rejects(
        doc,
        rf"^entry \d+: change {removed.client_sequence + 1} of device 'pc-expert-b' of expert-b follows "
        rf"change {removed.client_sequence - 1} \(entry \d+\): change {removed.client_sequence} missing$",
    )
    assert "expert-b" in message


def test_removed_first_change_of_a_device(doc: dict[str, Any]) -> None:
    del doc["entries"][position_of(doc, lambda e: e.device_id == "pc-expert-a")]
    rejects(
        doc, r"^entry \d+: change 2 is the first of device 'pc-expert-a' of expert-a in the bundle: change 1"
    )


def test_entry_not_in_the_log(doc: dict[str, Any]) -> None:
    """A fabricated entry with the proof of a real one: inclusion fails."""
    position = position_of(doc, lambda e: e.kind is EntryKind.DENIED)
    entry = leaves(doc)[position]
    set_leaf(doc, position, dataclasses.replace(entry, actor_id="expert-c"))
    rejects(doc, rf"^entry {entry.index}: not included in the final tree head .* leads to root")


def test_swapped_entries_in_the_bundle(doc: dict[str, Any]) -> None:
    doc["entries"][10], doc["entries"][11] = doc["entries"][11], doc["entries"][10]
    first, second = leaves(doc)[10:12]
    rejects(doc, rf"^entry {second.index}: listed after entry {first.index}; entries must be in log order")


def test_swapped_leaves_keeping_the_proofs(doc: dict[str, Any]) -> None:
    doc["entries"][10]["leaf"], doc["entries"][11]["leaf"] = (
        doc["entries"][11]["leaf"],
        doc["entries"][10]["leaf"],
    )
    doc["entries"][10]["proof"], doc["entries"][11]["proof"] = (
        doc["entries"][11]["proof"],
        doc["entries"][10]["proof"],
    )
    rejects(doc, r"listed after entry")
    doc["entries"][10]["proof"], doc["entries"][11]["proof"] = (
        doc["entries"][11]["proof"],
        doc["entries"][10]["proof"],
    )
    # each leaf carries its own index: a leaf with another leaf's proof is not included
    rejects(doc, r"^entry \d+: not included in the final tree head")


def test_duplicated_entry(doc: dict[str, Any]) -> None:
    doc["entries"].insert(5, copy.deepcopy(doc["entries"][5]))
    rejects(doc, r"^entry \d+: listed after entry \d+; entries must be in log order, each once$")


def test_duplicated_event(doc: dict[str, Any]) -> None:
    doc["events"].insert(7, copy.deepcopy(doc["events"][6]))
    rejects(doc, r"^event 7: out of order or repeated \(event 8 expected at this position\)$")


def test_removed_event(doc: dict[str, Any]) -> None:
    del doc["events"][4]
    rejects(doc, r"^event 5: missing from the bundle \(event 5 before event 6\)$")


def test_removed_last_event(doc: dict[str, Any]) -> None:
    last = doc["events"].pop()
    owner = next(e for e in leaves(doc) if any(seq == last["sequence"] for seq, _ in e.events))
    rejects(doc, rf"^entry {owner.index}: lists event {last['sequence']}, which is missing from the bundle$")


def test_extra_event(doc: dict[str, Any]) -> None:
    extra = copy.deepcopy(doc["events"][-1])
    extra["sequence"] += 1
    doc["events"].append(extra)
    rejects(doc, rf"^event {extra['sequence']}: its digest is in no change entry of the session$")


def test_events_out_of_order(doc: dict[str, Any]) -> None:
    doc["events"][3], doc["events"][4] = doc["events"][4], doc["events"][3]
    rejects(doc, r"^event 4: missing from the bundle \(event 4 before event 5\)$")


def test_changed_setup(doc: dict[str, Any]) -> None:
    doc["setup_json"] = doc["setup_json"].replace('"B2"', '"B3"')
    rejects(doc, r"^setup: its SHA-256 [0-9a-f]{16} does not match the import entry \d+$")


def test_foreign_ca(doc: dict[str, Any], keys: Keys) -> None:
    doc["ca_certificate"] = cert_to_pem(keys.foreign_ca).decode()
    rejects(doc, r"^log certificate: certificate .*CN=log\.bideval\.test.* is not issued by this platform CA")


def test_certificate_under_a_wrong_hash(doc: dict[str, Any]) -> None:
    key = sorted(doc["certificates"])[0]
    doc["certificates"]["0" * 64] = doc["certificates"].pop(key)
    rejects(doc, r"^certificate 0000000000000000: listed under the wrong hash")


def test_missing_signer_certificate(doc: dict[str, Any], keys: Keys) -> None:
    del doc["certificates"][certificate_sha256(keys.signer("expert-c").certificate)]
    entry = leaves(doc)[position_of(doc, lambda e: e.actor_id == "expert-c" and e.kind is EntryKind.CHANGE)]
    rejects(doc, rf"^entry {entry.index}: the signer's certificate [0-9a-f]{{16}} is not in the bundle$")


def test_wrong_consistency_proof(doc: dict[str, Any]) -> None:
    proof = doc["consistency_proofs"][1]
    proof["proof"][0] = flip_hex(proof["proof"][0], 3)
    rejects(
        doc, rf"^consistency proof 1 \(size {proof['from']} → {proof['to']}\): consistency proof from size"
    )


def test_missing_consistency_proof(doc: dict[str, Any]) -> None:
    del doc["consistency_proofs"][2]
    rejects(doc, r"^consistency proofs: 2 for 4 tree heads")


def test_dropped_tree_head_leaves_a_proof_for_other_sizes(doc: dict[str, Any]) -> None:
    del doc["tree_heads"][1]
    del doc["consistency_proofs"][1]
    rejects(doc, r"^consistency proof 0 \(size \d+ → \d+\): is for sizes")


def test_forged_cosignature(doc: dict[str, Any], keys: Keys) -> None:
    cosignature = doc["cosignatures"][0]
    forger = keys.signer("expert-a")  # signs, but claims to be the supervisor
    head = bundle_from_json(json.dumps(doc)).tree_heads[2]
    cosignature["signature"] = b64(forger.sign(head.signed_bytes()))
    rejects(doc, r"^cosignature 0 \(tree size \d+\): signature of sup-1 does not verify")


def test_cosignature_of_a_head_not_in_the_bundle(doc: dict[str, Any], keys: Keys) -> None:
    parts = bundle_from_json(json.dumps(doc))
    other = sign_tree_head(keys.log, 3, b"\x11" * 32, parts.tree_heads[0].timestamp)
    doc["cosignatures"][0] = json.loads(
        bundle_to_json(
            dataclasses.replace(parts, cosignatures=(cosign_tree_head(keys.signer("sup-1"), other),))
        )
    )["cosignatures"][0]
    rejects(doc, r"^cosignature 0 \(tree size 3\): refers to no tree head in the bundle$")


def test_tree_heads_out_of_order(doc: dict[str, Any]) -> None:
    doc["tree_heads"][1], doc["tree_heads"][2] = doc["tree_heads"][2], doc["tree_heads"][1]
    rejects(doc, r"^tree head 2 \(size \d+\): smaller than the previous head")


def test_exported_before_the_final_head(doc: dict[str, Any]) -> None:
    doc["exported_at"] = doc["tree_heads"][0]["timestamp"]
    rejects(doc, r"^exported_at .* is before the final tree head")


def test_tree_head_from_the_future(keys: Keys) -> None:
    parts = standard_log(keys).bundle()
    with pytest.raises(VerificationError, match=r"^tree head 0 \(size \d+\): signed at .*, in the future"):
        verify_bundle(parts, now=T0 - timedelta(days=1))


# --- the log operator rebuilding the log -----------------------------------------------------------------


def test_operator_flips_an_envelope_signature(keys: Keys) -> None:
    log = standard_log(keys)
    target = scores_of(log.entries, "expert-b")[2]

    def rewrite(entries: list[Entry]) -> list[Entry]:
        envelope = common_pb2.SignedEnvelope.FromString(target.envelope)
        envelope.signature = flip(envelope.signature, 12)
        forged = dataclasses.replace(target, envelope=envelope_bytes(envelope))
        return [forged if e is target else e for e in entries]

    with pytest.raises(
        VerificationError, match=rf"^entry {target.index}: envelope signature does not verify"
    ):
        verify_bundle(log.bundle(rewrite=rewrite), now=NOW)


def test_operator_changes_a_signed_payload(keys: Keys) -> None:
    log = standard_log(keys)
    target = scores_of(log.entries, "expert-a")[0]
    forged = dataclasses.replace(target, payload=target.payload.replace(b"8.5", b"9.5"))
    parts = log.bundle(rewrite=lambda entries: [forged if e is target else e for e in entries])
    with pytest.raises(
        VerificationError,
        match=rf"^entry {target.index}: the payload does not match the signed payload hash$",
    ):
        verify_bundle(parts, now=NOW)


def test_operator_removes_a_change(keys: Keys) -> None:
    log = standard_log(keys)
    target = scores_of(log.entries, "expert-c")[1]
    parts = log.bundle(rewrite=lambda entries: [e for e in entries if e is not target])
    with pytest.raises(
        VerificationError, match=r"of device 'pc-expert-c' of expert-c follows change \d+ .* missing"
    ):
        verify_bundle(parts, now=NOW)


def test_operator_swaps_two_changes_of_a_device(keys: Keys) -> None:
    log = standard_log(keys)
    first = scores_of(log.entries, "expert-a")[2]
    second = scores_of(log.entries, "expert-a")[3]

    def rewrite(entries: list[Entry]) -> list[Entry]:
        swapped = {id(first): second, id(second): first}
        return [swapped.get(id(e), e) for e in entries]

    with pytest.raises(
        VerificationError,
        match=rf"change {second.client_sequence} of device 'pc-expert-a' of expert-a follows change "
        rf"{first.client_sequence - 1} .*: change {first.client_sequence} missing$",
    ):
        verify_bundle(log.bundle(rewrite=rewrite), now=NOW)


def test_operator_replays_a_change(keys: Keys) -> None:
    log = standard_log(keys)
    target = scores_of(log.entries, "expert-b")[1]
    parts = log.bundle(rewrite=lambda entries: [*entries, dataclasses.replace(target, events=())])
    with pytest.raises(
        VerificationError, match=r"comes after change \d+ \(entry \d+\): changes reordered or repeated$"
    ):
        verify_bundle(parts, now=NOW)


def test_operator_logs_a_score_the_expert_did_not_sign(keys: Keys) -> None:
    log = standard_log(keys)
    entry = log.score(
        "expert-b",
        "B1",
        "D3",
        cmd.ObjectiveEntry(Decimal("3")),
        logged_value=cmd.ObjectiveEntry(Decimal("5")),
    )
    log.score(
        "expert-c", "B1", "D1", cmd.ScoreEntry(Decimal("8.5")), logged_value=cmd.ScoreEntry(Decimal("7.5"))
    )
    log.checkpoint()
    sequence = entry.events[0][0]
    with pytest.raises(
        VerificationError,
        match=rf"^event {sequence}: the objective value is 5 in the event but 3 in the signed "
        rf"RecordScoreRequest of entry {entry.index}$",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_equal_decimals_are_equal(keys: Keys) -> None:
    log = standard_log(keys)
    log.score(
        "expert-c", "B1", "D1", cmd.ScoreEntry(Decimal("8.50")), logged_value=cmd.ScoreEntry(Decimal("8.5"))
    )
    log.checkpoint()
    verify_bundle(log.bundle(), now=NOW)


def test_operator_changes_a_deduction_reason(keys: Keys) -> None:
    log = standard_log(keys)
    signed = cmd.DeductEntry((cmd.Deduction(Decimal("1"), "无业绩证明"),))
    logged = cmd.DeductEntry((cmd.Deduction(Decimal("1"), "业绩证明不全"),))
    entry = log.score("expert-a", "B2", "D2", signed, logged_value=logged)
    log.checkpoint()
    with pytest.raises(
        VerificationError, match=rf"^event \d+: the reason of deduction 1 is .* of entry {entry.index}$"
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_operator_changes_a_preliminary_verdict(keys: Keys) -> None:
    log = standard_log(keys)
    sequence = log.verdict("expert-a", "B2", "P1", False, "资质证书过期").events[0][0]
    entry = forge_event(log, sequence, lambda payload: payload.update(passed=True, reason=""))
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^event {sequence}: the verdict \(passed\) is True in the event but False in the signed "
        rf"RecordPreliminaryVerdictRequest of entry {entry.index}$",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_operator_records_a_score_for_another_expert(keys: Keys) -> None:
    log = standard_log(keys)
    sequence = scores_of(log.entries, "expert-b")[0].events[0][0]
    entry = forge_event(log, sequence, actor_id="expert-c")
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^event {sequence}: actor expert-c, but entry {entry.index} was signed by expert-b$",
    ):
        verify_bundle(log.bundle(), now=NOW)
    log = standard_log(keys)
    entry = forge_event(log, sequence, lambda payload: payload.update(actor_id="expert-c"))
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^event {sequence}: payload_json names actor expert-c, but entry {entry.index} was signed by",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_event_kind_that_differs_from_its_payload(keys: Keys) -> None:
    log = standard_log(keys)
    forge_event(log, 1, kind="ScoreRecorded")  # a MemberCheckedIn stored under another kind
    log.checkpoint()
    with pytest.raises(VerificationError, match=r"^event 1: payload_json is not a ScoreRecorded event$"):
        verify_bundle(log.bundle(), now=NOW)


def test_score_event_from_a_change_that_is_not_a_score(keys: Keys) -> None:
    log = standard_log(keys)
    request = ev.RecordPreliminaryVerdictRequest(bidder_id="B1", criterion_id="P1", passed=True)
    entry = log.change(
        keys.signer("expert-a"),
        "pc-expert-a",
        SESSION,
        request,
        lambda at, who: [
            ScoreRecorded(
                at=at, actor_id=who, bidder_id="B1", criterion_id="D1", value=cmd.ScoreEntry(Decimal(10))
            )
        ],
    )
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^event {entry.events[0][0]}: a ScoreRecorded event from a "
        rf"bideval.v1.RecordPreliminaryVerdictRequest change \(entry {entry.index}\)",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_event_listed_by_two_changes(keys: Keys) -> None:
    log = standard_log(keys)
    first = scores_of(log.entries, "expert-a")[0]
    second = scores_of(log.entries, "expert-c")[1]
    forged = dataclasses.replace(second, events=(*second.events, *first.events))
    parts = log.bundle(rewrite=lambda entries: [forged if e is second else e for e in entries])
    sequence = first.events[0][0]
    with pytest.raises(
        VerificationError,
        match=rf"^event {sequence}: listed by more than one change entry "
        rf"\({first.index} and {second.index}\)$",
    ):
        verify_bundle(parts, now=NOW)


def test_entry_naming_another_signer_than_its_envelope(keys: Keys) -> None:
    log = standard_log(keys)
    target = scores_of(log.entries, "expert-b")[1]
    other = certificate_sha256(keys.signer("expert-c").certificate)
    forged = dataclasses.replace(target, signer_certificate_sha256=other)
    parts = log.bundle(rewrite=lambda entries: [forged if e is target else e for e in entries])
    with pytest.raises(
        VerificationError,
        match=rf"^entry {target.index}: the envelope names signer certificate [0-9a-f]{{16}}, "
        rf"the entry {other[:16]}$",
    ):
        verify_bundle(parts, now=NOW)


def test_tree_head_timestamps_going_backwards(keys: Keys) -> None:
    log = standard_log(keys)
    size, _ = log.checkpoints[2]
    log.checkpoints[2] = (size, log.checkpoints[1][1] - timedelta(seconds=1))
    with pytest.raises(
        VerificationError, match=rf"^tree head 2 \(size {size}\): signed at .*, before the previous"
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_operator_attributes_a_change_to_someone_else(keys: Keys) -> None:
    log = standard_log(keys)
    entry = log.score("expert-a", "B2", "D1", cmd.ScoreEntry(Decimal("6")), signer=keys.signer("expert-b"))
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^entry {entry.index}: signed by expert-b, but the entry's actor is expert-a$",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_change_signed_with_a_certificate_of_a_foreign_ca(keys: Keys) -> None:
    log = standard_log(keys)
    log.score("expert-a", "B2", "D1", cmd.ScoreEntry(Decimal("6")), signer=keys.foreign)
    log.checkpoint()
    key = certificate_sha256(keys.foreign.certificate)
    with pytest.raises(
        VerificationError,
        match=rf"^certificate {key[:16]}: certificate .*CN=expert-a.* is not issued by this platform CA",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_change_signed_with_an_expired_certificate(keys: Keys) -> None:
    log = standard_log(keys)
    entry = log.score("expert-a", "B2", "D1", cmd.ScoreEntry(Decimal("6")), signer=keys.expired)
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^entry {entry.index}: the signer certificate of expert-a \(.*CN=expert-a.*\) had expired ",
    ):
        verify_bundle(log.bundle(), now=NOW)


@pytest.mark.parametrize(
    ("field_name", "value", "shown"),
    [
        ("session_id", OTHER, "session 'S-2024-017', the entry 'S-2024-009'"),
        ("device_id", "pc-expert-c", "device 'pc-expert-b', the entry 'pc-expert-c'"),
        ("client_sequence", 99, "sequence 5, the entry 99"),
    ],
)
def test_operator_logs_a_change_under_other_metadata(
    keys: Keys, field_name: str, value: Any, shown: str
) -> None:
    log = standard_log(keys)
    target = scores_of(log.entries, "expert-b")[1]
    forged = dataclasses.replace(target, **{field_name: value})
    parts = log.bundle(rewrite=lambda entries: [forged if e is target else e for e in entries])
    with pytest.raises(VerificationError, match=rf"^entry {target.index}: the signed header says {shown}$"):
        verify_bundle(parts, now=NOW)


def test_change_that_does_not_link_to_the_previous_one(keys: Keys) -> None:
    """A validly signed change 9 whose envelope names another change 8 (a forked chain)."""
    log = standard_log(keys)
    sequence, _ = log.chains["expert-b", "pc-expert-b"]
    log.chains["expert-b", "pc-expert-b"] = (sequence, hashlib.sha256(b"another change 8").digest())
    entry = log.score("expert-b", "B1", "D3", cmd.ObjectiveEntry(Decimal("4")))
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^entry {entry.index}: change 9 of device 'pc-expert-b' of expert-b does not link to "
        rf"change 8 \(entry \d+\): the previous envelope hash differs$",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_signed_header_that_disagrees_with_the_payload(keys: Keys) -> None:
    """A client that signs a header for one device over a request naming another."""
    log = standard_log(keys)
    signer = keys.signer("expert-c")
    sequence, previous = log.chains["expert-c", "pc-expert-c"]
    request = ev.RecordScoreRequest(entry=score_proto("B1", "D3", cmd.ObjectiveEntry(Decimal("4"))))
    request.meta.session_id = SESSION
    request.meta.device_id = "pc-somewhere-else"
    request.meta.client_sequence = sequence + 1
    payload = payload_bytes(request)
    header = common_pb2.EnvelopeHeader(
        payload_type=request.DESCRIPTOR.full_name,
        payload_sha256=hashlib.sha256(payload).digest(),
        session_id=SESSION,
        signer_certificate_sha256=bytes.fromhex(certificate_sha256(signer.certificate)),
        device_id="pc-expert-c",
        client_sequence=sequence + 1,
        previous_envelope_sha256=previous,
        signature_algorithm=signer.algorithm,
    )
    header_bytes = header.SerializeToString(deterministic=True)
    envelope = common_pb2.SignedEnvelope(header=header_bytes, signature=signer.sign(header_bytes))
    entry = log.append(
        kind=EntryKind.CHANGE,
        actor_id="expert-c",
        role="expert",
        session_id=SESSION,
        method="/bideval.v1.EvaluationService/RecordScore",
        device_id="pc-expert-c",
        client_sequence=sequence + 1,
        envelope=envelope_bytes(envelope),
        payload=payload,
        signer_certificate_sha256=certificate_sha256(signer.certificate),
    )
    log.checkpoint()
    with pytest.raises(
        VerificationError,
        match=rf"^entry {entry.index}: the payload's meta.device_id 'pc-somewhere-else' differs",
    ):
        verify_bundle(log.bundle(), now=NOW)


def test_certificate_with_a_non_der_signature_encoding(doc: dict[str, Any], keys: Keys) -> None:
    """One bit outside the signed part of a certificate (the BIT STRING's unused-bits count)."""
    certificate = keys.log.certificate
    while certificate.signature[-1] & 1:  # a set last bit cannot be "unused": take a signature that ends in 0
        certificate, _ = issue_server(keys.ca, keys.ca_key, ["log.bideval.test"], 3650, ISSUED)
    der = certificate.public_bytes(Encoding.DER)
    position = len(der) - len(certificate.signature) - 1
    assert der[position] == 0
    forged = x509.load_der_x509_certificate(der[:position] + b"\x01" + der[position + 1 :])
    assert forged.signature == certificate.signature
    assert forged.tbs_certificate_bytes == certificate.tbs_certificate_bytes
    doc["log_certificate"] = cert_to_pem(forged).decode()
    with pytest.raises(
        BundleError, match=r"^\$\.log_certificate: not a usable certificate \(not in DER form"
    ):
        bundle_from_json(json.dumps(doc))


def test_certificate_whose_subject_cannot_be_parsed(doc: dict[str, Any], keys: Keys) -> None:
    """cryptography loads a certificate lazily: a damaged subject must be refused when read, not crash."""
    der = keys.log.certificate.public_bytes(Encoding.DER)
    name = keys.log.certificate.subject.public_bytes()
    start = der.index(name)  # the subject (the issuer is the CA, another name)
    damaged = None
    for position in range(start, start + len(name)):
        for mask in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80):
            candidate = der[:position] + bytes([der[position] ^ mask]) + der[position + 1 :]
            try:
                certificate = x509.load_der_x509_certificate(candidate)
            except ValueError:
                continue
            try:
                certificate.subject  # noqa: B018
            except ValueError:
                damaged = certificate
                break
        if damaged is not None:
            break
    assert damaged is not None
    doc["log_certificate"] = cert_to_pem(damaged).decode()
    with pytest.raises(BundleError, match=r"^\$\.log_certificate: not a usable certificate \(.*subject"):
        bundle_from_json(json.dumps(doc))


def test_entries_for_session_selects_the_session_and_its_device_chains(keys: Keys) -> None:
    log = standard_log(keys)
    selected = entries_for_session(log.entries, SESSION)
    assert {e.session_id for e in selected} == {SESSION, OTHER}
    assert {e.device_id for e in selected if e.session_id == OTHER} == {"pc-expert-a"}
    assert [e.index for e in selected] == sorted(e.index for e in selected)


# --- reading --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="something-else"), r"^\$\.format: expected 'bideval-evidence-bundle'"),
        (lambda d: d.update(version=2), r"^\$\.version: this verifier reads version 1, got 2$"),
        (lambda d: d.update(version=True), r"^\$\.version: this verifier reads version 1, got True$"),
        (lambda d: d.update(extra=1), r"^\$: unknown key 'extra'$"),
        (lambda d: d.pop("events"), r"^\$: missing key 'events'$"),
        (
            lambda d: d["tree_heads"][1].update(tree_size=True),
            r"^\$\.tree_heads\[1\]\.tree_size: expected an integer",
        ),
        (
            lambda d: d["tree_heads"][1].update(tree_size=-1),
            r"^\$\.tree_heads\[1\]\.tree_size: must not be negative",
        ),
        (
            lambda d: d["entries"][3]["proof"].__setitem__(0, d["entries"][3]["proof"][0].upper()),
            r"^\$\.entries\[3\]\.proof\[0\]: not lowercase hex",
        ),
        (
            lambda d: d["entries"][3]["proof"].__setitem__(0, "00"),
            r"^\$\.entries\[3\]\.proof\[0\]: expected 32 bytes, got 1$",
        ),
        (lambda d: d["entries"][0].update(leaf="AB=="), r"^\$\.entries\[0\]\.leaf: not canonical base64"),
        (lambda d: d["entries"][0].update(leaf="A B="), r"^\$\.entries\[0\]\.leaf: not base64$"),
        (
            lambda d: d.update(exported_at=d["exported_at"].replace("T", " ")),
            r"^\$\.exported_at: not in canonical form",
        ),
        (
            lambda d: d.update(exported_at="2024-05-20T08:00:00"),
            r"^\$\.exported_at: the timestamp has no UTC offset$",
        ),
        (
            lambda d: d["events"][2].update(at="yesterday"),
            r"^\$\.events\[2\]\.at: not an ISO 8601 timestamp$",
        ),
        (lambda d: d.update(ca_certificate="-----BEGIN CERTIFICATE-----"), r"^\$\.ca_certificate: not a PEM"),
        (
            lambda d: d.update(ca_certificate=d["ca_certificate"].replace("\n", "\r\n")),
            r"^\$\.ca_certificate: not in canonical PEM form$",
        ),
        (
            lambda d: d["certificates"].update(ABC="x"),
            r"^\$\.certificates: key 'ABC' is not a lowercase hex SHA-256$",
        ),
        (lambda d: d.update(entries={}), r"^\$\.entries: expected an array, got an object$"),
        (
            lambda d: d["cosignatures"][0].pop("algorithm"),
            r"^\$\.cosignatures\[0\]: missing key 'algorithm'$",
        ),
        (lambda d: d["events"].__setitem__(0, []), r"^\$\.events\[0\]: expected an object, got an array$"),
    ],
)
def test_malformed_bundles_name_the_json_path(
    doc: dict[str, Any], edit: Callable[[dict[str, Any]], Any], message: str
) -> None:
    edit(doc)
    with pytest.raises(BundleError, match=message):
        bundle_from_json(json.dumps(doc, ensure_ascii=False))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff\xfe{}", r"^not UTF-8 text"),
        (b"PK\x03\x04", r"^not JSON"),
        (b"[1, 2]", r"^\$: expected an object, got an array$"),
        (b'{"format": "bideval-evidence-bundle", "format": "x"}', r"^not JSON: duplicate key 'format'"),
        (b'{"version": NaN}', r"^not JSON: NaN is not a JSON number"),
        (b"[" * 100_000, r"^not JSON"),
    ],
)
def test_not_a_bundle(text: bytes, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        bundle_from_json(text)


# --- random flips ---------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]
B64_KEYS = {"leaf", "signature"}
HEX_KEYS = {"root_hash", "certificate_sha256"}


def value_paths(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every value of the bundle with how it is encoded; ``exported_at`` is the one unsigned value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if path == ("certificates",):
                yield (*path, key), "key"
            if (*path, key) != ("exported_at",):
                yield from value_paths(value, (*path, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from value_paths(value, (*path, position))
    elif isinstance(node, bool):
        raise AssertionError(f"no booleans in a bundle, found one at {path}")
    elif isinstance(node, int):
        yield path, "int"
    elif path[-1] in B64_KEYS:
        yield path, "b64"
    elif path[-1] in HEX_KEYS or (len(path) > 1 and path[-2] == "proof"):
        yield path, "hex"
    else:
        yield path, "text"


@pytest.fixture(scope="module")
def paths_by_section(good_json: str) -> dict[str, list[tuple[Path_, str]]]:
    sections: dict[str, list[tuple[Path_, str]]] = {}
    for path, kind in value_paths(json.loads(good_json)):
        sections.setdefault(str(path[0]), []).append((path, kind))
    return sections


def mutate(value: Any, kind: str, position: int, bit: int) -> Any:
    if kind == "int":
        return value ^ (1 << (bit % 9))
    if kind == "b64":
        data = base64.b64decode(value)
        return b64(flip(data, position % len(data), 1 << (bit % 8)))
    if kind == "hex":
        data = bytes.fromhex(value)
        return flip(data, position % len(data), 1 << (bit % 8)).hex()
    if kind == "key":
        index = position % len(value)
        digits = "0123456789abcdef"
        return value[:index] + digits[(digits.index(value[index]) + 1 + bit % 15) % 16] + value[index + 1 :]
    if not value:
        return "x"
    index = position % len(value)
    new = chr(ord(value[index]) ^ (1 << (bit % 7)))
    if 0xD800 <= ord(new) <= 0xDFFF:
        new = "?" if value[index] != "?" else "!"
    return value[:index] + new + value[index + 1 :]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_flipped_value_is_caught(
    good_json: str, paths_by_section: dict[str, list[tuple[Path_, str]]], data: st.DataObject
) -> None:
    section = data.draw(st.sampled_from(sorted(paths_by_section)), label="section")
    path, kind = data.draw(st.sampled_from(paths_by_section[section]), label="value")
    position = data.draw(st.integers(0, 10_000), label="position")
    bit = data.draw(st.integers(0, 63), label="bit")
    document = json.loads(good_json)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if kind == "key":
        assert isinstance(last, str)
        parent[mutate(last, kind, position, bit)] = parent.pop(last)
    else:
        parent[last] = mutate(parent[last], kind, position, bit)
    try:
        parts = bundle_from_json(json.dumps(document, ensure_ascii=False))
    except BundleError:
        return
    try:
        verify_bundle(parts, now=NOW)
    except VerificationError:
        return
    # (not pytest.raises: its failure is a BaseException, which hypothesis does not shrink as a failure)
    raise AssertionError(f"a {kind} value at {path} was changed and the bundle still verifies")
