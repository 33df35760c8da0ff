"""Retry semantics over real gRPC + mTLS: one answer per operation id, device order, concurrent writers."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient
from bideval.audit.envelope import seal
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2
from tests.support import RunningServer

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
PRELIMINARY_ITEMS = ("F1", "F2", "F3", "Q1", "Q2", "Q3", "Q4", "Q5", "R1", "R2", "R3", "R4", "R5")
BIDDERS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07")
ev = evaluation_service_pb2


def fresh(server: RunningServer, person: str, role: Role = Role.EXPERT) -> ApiClient:
    """A client on a device of its own, so that its sequence numbers start at 1."""
    return server.client(person, role, device=f"dev-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def preliminary(server: RunningServer) -> RunningServer:
    """The demo session in the preliminary review (each expert may record verdicts)."""
    experts = {person: fresh(server, person) for person in COMMITTEE}
    driver = CommitteeDriver(server.session_id, experts, fresh(server, "S01", Role.SUPERVISOR))
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E01")
    driver.start()
    assert driver.view().phase == common_pb2.PHASE_PRELIMINARY_REVIEW
    return server


def state(server: RunningServer, client: ApiClient) -> tuple[int, ev.GetSheetsResponse]:
    view = client.evaluation.GetSession(ev.GetSessionRequest(session_id=server.session_id), timeout=10)
    sheets = client.evaluation.GetSheets(ev.GetSheetsRequest(session_id=server.session_id), timeout=10)
    return view.session.last_sequence, sheets


def verdict(
    client: ApiClient, server: RunningServer, bidder: str, item: str, passed: bool = True, reason: str = ""
) -> ev.RecordPreliminaryVerdictRequest:
    return client.build(  # type: ignore[return-value]
        "RecordPreliminaryVerdict",
        server.session_id,
        bidder_id=bidder,
        criterion_id=item,
        passed=passed,
        reason=reason,
    )


def resign(client: ApiClient, request: Message, previous: bytes | None = None) -> None:
    """Sign a request again after the test changed it, as a (buggy) client would have sent it.

    Without this the server would refuse the change as tampered before looking at what the test is about.
    """
    header = common_pb2.EnvelopeHeader.FromString(request.meta.envelope.header)  # type: ignore[attr-defined]
    request.meta.ClearField("envelope")  # type: ignore[attr-defined]
    chain = header.previous_envelope_sha256 if previous is None else previous
    seal(request, client.sequencer.signer, chain)


def send_refused(client: ApiClient, request: Message, rpc: str = "RecordPreliminaryVerdict") -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        client.send(rpc, request)
    return info.value


def read_events(client: ApiClient, session_id: str, count: int) -> list[Any]:
    """The first ``count`` events of the session, read with SubscribeEvents from the start."""
    events: list[Any] = []
    if count == 0:
        return events
    stream = client.evaluation.SubscribeEvents(
        ev.SubscribeEventsRequest(session_id=session_id, after_sequence=0), timeout=30
    )
    for response in stream:
        events.append(response.event)
        if len(events) == count:
            stream.cancel()
            break
    return events


def test_the_same_request_twice_gets_the_same_answer_and_no_new_events(preliminary: RunningServer) -> None:
    server = preliminary
    client = fresh(server, "E02")
    request = verdict(client, server, "B01", "F1", passed=False, reason="投标函未盖章")
    first = client.send("RecordPreliminaryVerdict", request)
    assert first.outcome.first_sequence == first.outcome.last_sequence > 0
    before = state(server, client)
    assert before[0] == first.outcome.last_sequence

    again = client.send("RecordPreliminaryVerdict", request)
    assert again == first
    assert state(server, client) == before

    # Later changes on the device do not stop the old operation from answering as the first time ...
    client.command(
        "RecordPreliminaryVerdict", server.session_id, bidder_id="B01", criterion_id="F2", passed=True
    )
    later = state(server, client)
    assert client.send("RecordPreliminaryVerdict", request) == first
    # ... nor does a restart (the first answer is stored with the events).
    server.app.reload()
    assert client.send("RecordPreliminaryVerdict", request) == first
    assert state(server, client) == later
    own = later[1].sheets[0]
    assert own.expert_id == "E02"
    assert {(v.criterion_id, v.passed, v.reason) for v in own.verdicts} == {
        ("F1", False, "投标函未盖章"),
        ("F2", True, ""),
    }


def test_the_same_operation_id_with_other_content_is_refused(preliminary: RunningServer) -> None:
    server = preliminary
    client = fresh(server, "E03")
    request = verdict(client, server, "B02", "Q1")
    client.send("RecordPreliminaryVerdict", request)
    before = state(server, client)

    # A retry position (the same sequence number) with a changed value.
    changed = ev.RecordPreliminaryVerdictRequest()
    changed.CopyFrom(request)
    changed.passed = False
    changed.reason = "营业执照过期"
    resign(client, changed)
    error = send_refused(client, changed)
    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    assert f"operation id {request.meta.operation_id} was already used for a different request" in (
        error.details() or ""
    )
    assert state(server, client) == before

    # The next sequence number, but an operation id that is taken.
    reused = verdict(client, server, "B02", "Q2", passed=False, reason="资质不足")
    reused.meta.operation_id = request.meta.operation_id
    resign(client, reused)
    error = send_refused(client, reused)
    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    assert "already used for a different request" in (error.details() or "")
    assert state(server, client) == before

    # The refused reuse did not take the sequence number: a new operation id may use it.
    reused.meta.operation_id = str(uuid.uuid4())
    resign(client, reused)
    answer = client.send("RecordPreliminaryVerdict", reused)
    assert answer.outcome.last_sequence == before[0] + 1
    assert client.send("RecordPreliminaryVerdict", request).outcome.last_sequence == before[0]


def test_a_sequence_gap_is_refused_and_the_expected_number_named(preliminary: RunningServer) -> None:
    server = preliminary
    client = fresh(server, "E04")
    client.send("RecordPreliminaryVerdict", verdict(client, server, "B03", "F1"))
    client.send("RecordPreliminaryVerdict", verdict(client, server, "B03", "F2"))
    before = state(server, client)
    skipped = verdict(client, server, "B03", "F3")  # sequence 3, never sent
    ahead = verdict(client, server, "B03", "Q1")  # sequence 4
    assert (skipped.meta.client_sequence, ahead.meta.client_sequence) == (3, 4)

    error = send_refused(client, ahead)
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    details = error.details() or ""
    assert "client_sequence 4 out of order" in details
    assert "expected 3" in details
    assert state(server, client) == before
    # Refused for ordering, it is not remembered: once the gap is filled the same request goes through.
    client.send("RecordPreliminaryVerdict", skipped)
    assert client.send("RecordPreliminaryVerdict", ahead).outcome.last_sequence == before[0] + 2
    # An old number with a new operation id is out of order too.
    stale = verdict(client, server, "B03", "Q2")
    stale.meta.client_sequence = 2
    resign(client, stale)
    error = send_refused(client, stale)
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "expected 5" in (error.details() or "")


def test_a_refused_change_uses_up_its_number_and_is_refused_again_on_retry(
    preliminary: RunningServer,
) -> None:
    server = preliminary
    client = fresh(server, "E05")
    client.send("RecordPreliminaryVerdict", verdict(client, server, "B04", "F1"))
    before = state(server, client)
    bad = verdict(client, server, "B04", "F2", passed=False, reason="  ")  # sequence 2: a fail needs a reason
    first = send_refused(client, bad)
    assert first.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "reason (不合格理由) is mandatory" in (first.details() or "")
    assert state(server, client) == before

    again = send_refused(client, bad)
    assert (again.code(), again.details()) == (first.code(), first.details())
    server.app.reload()
    after_restart = send_refused(client, bad)
    assert (after_restart.code(), after_restart.details()) == (first.code(), first.details())
    assert state(server, client) == before

    # Sequence 2 is used up: a corrected change with a new operation id must take number 3.
    corrected = verdict(client, server, "B04", "F2", passed=False, reason="格式不符")
    corrected.meta.client_sequence = 2
    resign(client, corrected)
    error = send_refused(client, corrected)
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "expected 3" in (error.details() or "")
    corrected.meta.client_sequence = 3
    resign(client, corrected)
    assert client.send("RecordPreliminaryVerdict", corrected).outcome.last_sequence == before[0] + 1


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("operation_id", "", "meta.operation_id must be 1-64 characters"),
        ("operation_id", "o" * 65, "meta.operation_id must be 1-64 characters"),
        ("device_id", "", "meta.device_id must be 1-64 characters"),
        ("device_id", "d" * 65, "meta.device_id must be 1-64 characters"),
        ("client_sequence", 0, "meta.client_sequence starts at 1"),
    ],
)
def test_retry_metadata_must_be_complete(
    preliminary: RunningServer, field: str, value: object, fragment: str
) -> None:
    server = preliminary
    client = fresh(server, "E01")
    before = state(server, client)
    request = verdict(client, server, "B07", "F1")
    setattr(request.meta, field, value)
    resign(client, request)
    error = send_refused(client, request)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in (error.details() or "")
    assert state(server, client) == before
    # Nothing was recorded for the device: its first change is still number 1.
    first = verdict(client, server, "B07", "F1")
    first.meta.client_sequence = 1
    resign(client, first, previous=b"")
    assert client.send("RecordPreliminaryVerdict", first).outcome.last_sequence == before[0] + 1


def test_a_change_refused_by_wire_validation_also_uses_up_its_number(preliminary: RunningServer) -> None:
    server = preliminary
    client = fresh(server, "E05")
    too_long = verdict(client, server, "B05", "F1", passed=False, reason="x" * 5000)  # sequence 1
    error = send_refused(client, too_long)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 4000" in (error.details() or "")
    # Like a refusal by the rules, the queue moves on to the next number.
    client.send("RecordPreliminaryVerdict", verdict(client, server, "B05", "F1"))


def test_two_devices_of_one_person_count_separately(preliminary: RunningServer) -> None:
    server = preliminary
    laptop = fresh(server, "E01")
    room_pc = fresh(server, "E01")
    answers = []
    for index, item in enumerate(PRELIMINARY_ITEMS[:6]):
        client = laptop if index % 2 == 0 else room_pc
        request = verdict(client, server, "B06", item)
        assert request.meta.client_sequence == index // 2 + 1
        answers.append(client.send("RecordPreliminaryVerdict", request).outcome.last_sequence)
    assert answers == list(range(answers[0], answers[0] + 6))
    # A gap on one device says nothing about the other.
    laptop.sequencer.stamp(evaluation_service_pb2.RecordPreliminaryVerdictRequest(), server.session_id)
    error = send_refused(laptop, verdict(laptop, server, "B06", "Q4"))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "expected 4" in (error.details() or "")
    room_pc.send("RecordPreliminaryVerdict", verdict(room_pc, server, "B06", "Q4"))
    own = state(server, room_pc)[1].sheets[0]
    assert own.expert_id == "E01"
    assert {v.criterion_id for v in own.verdicts if v.bidder_id == "B06"} == {*PRELIMINARY_ITEMS[:6], "Q4"}


def test_one_request_sent_by_many_threads_at_once_executes_once(preliminary: RunningServer) -> None:
    server = preliminary
    client = fresh(server, "E02")
    request = verdict(client, server, "B07", "R1", passed=False, reason="报价超过最高投标限价")
    before = state(server, client)[0]
    start = threading.Barrier(6)
    answers: list[Any] = []
    failures: list[BaseException] = []

    def send() -> None:
        start.wait()
        try:
            answers.append(client.send("RecordPreliminaryVerdict", request))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(answers) == 6
    assert all(answer == answers[0] for answer in answers)
    assert answers[0].outcome.last_sequence == before + 1
    assert state(server, client)[0] == before + 1


def test_parallel_experts_all_acknowledged_and_events_gapless(preliminary: RunningServer) -> None:
    server = preliminary
    first_event = state(server, fresh(server, "S01", Role.SUPERVISOR))[0]
    cells = [(bidder, item) for bidder in BIDDERS[:4] for item in PRELIMINARY_ITEMS]
    start = threading.Barrier(len(COMMITTEE))
    outcomes: dict[str, list[Any]] = {person: [] for person in COMMITTEE}
    failures: list[BaseException] = []
    clients = {person: fresh(server, person) for person in COMMITTEE}

    def write(person: str) -> None:
        client = clients[person]
        start.wait()
        try:
            for number, (bidder, item) in enumerate(cells):
                passed = number % 3 != 0
                reason = "" if passed else f"{person} 第{number}项不合格"
                request = verdict(client, server, bidder, item, passed=passed, reason=reason)
                outcomes[person].append(client.send("RecordPreliminaryVerdict", request).outcome)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(person,)) for person in COMMITTEE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert all(len(outcomes[person]) == len(cells) for person in COMMITTEE)

    supervisor = fresh(server, "S02", Role.SUPERVISOR)
    last = state(server, supervisor)[0]
    assert last == first_event + len(COMMITTEE) * len(cells)
    events = read_events(supervisor, server.session_id, last)
    assert [e.sequence for e in events] == list(range(1, last + 1))
    # Each acknowledgement names its own event, and each expert's events are theirs and in their order.
    acknowledged = [o.last_sequence for person in COMMITTEE for o in outcomes[person]]
    assert all(o.first_sequence == o.last_sequence for person in COMMITTEE for o in outcomes[person])
    assert len(set(acknowledged)) == len(acknowledged)
    written = events[first_event:]
    assert Counter(e.actor_id for e in written) == {person: len(cells) for person in COMMITTEE}
    assert {e.kind for e in written} == {"PreliminaryVerdictRecorded"}
    for person in COMMITTEE:
        assert [e.sequence for e in written if e.actor_id == person] == [
            o.last_sequence for o in outcomes[person]
        ]
    # The sheets hold every value: each expert sees their own, complete.
    for person in COMMITTEE:
        own = state(server, clients[person])[1].sheets[0]
        assert own.expert_id == person
        assert len(own.verdicts) == len(cells)
        assert sum(not v.passed for v in own.verdicts) == len([n for n in range(len(cells)) if n % 3 == 0])


def test_a_late_subscriber_gets_the_events_a_live_one_got(server: RunningServer) -> None:
    """Reading the stream again from 0 (a reconnecting client) yields the very events seen live, each with
    the phase the session had right after it (SessionEvent.phase), not the phase at the time of reading."""
    live: list[Any] = []
    arrived = threading.Condition()
    watcher = fresh(server, "S02", Role.SUPERVISOR)
    stream = watcher.evaluation.SubscribeEvents(
        ev.SubscribeEventsRequest(session_id=server.session_id, after_sequence=0), timeout=60
    )

    ended: list[grpc.StatusCode] = []

    def follow() -> None:
        try:
            for response in stream:
                with arrived:
                    live.append(response.event)
                    arrived.notify_all()
        except grpc.RpcError as error:
            ended.append(error.code())

    follower = threading.Thread(target=follow)
    follower.start()
    experts = {person: fresh(server, person) for person in COMMITTEE}
    driver = CommitteeDriver(server.session_id, experts, fresh(server, "S01", Role.SUPERVISOR))
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E04")
    driver.start()
    last = driver.view().last_sequence
    with arrived:
        assert arrived.wait_for(lambda: len(live) >= last, timeout=30)
    stream.cancel()
    follower.join(timeout=10)
    assert ended == [grpc.StatusCode.CANCELLED]

    late = read_events(fresh(server, "E01"), server.session_id, last)
    assert [e.sequence for e in late] == list(range(1, last + 1))
    phase = common_pb2.PHASE_CHECK_IN
    for event in late:
        if event.kind == "PhaseChanged":
            phase = common_pb2.Phase.Value(f"PHASE_{event.details.fields['to'].string_value.upper()}")
        assert event.phase == phase, (event.sequence, event.kind)
    assert phase == common_pb2.PHASE_PRELIMINARY_REVIEW
    assert [e.kind for e in late].count("PhaseChanged") >= 4
    # The supervisor and an expert see the same non-sealed events.
    assert live == late
