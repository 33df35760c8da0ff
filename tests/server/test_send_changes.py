"""SyncService.SendChanges over real mTLS: a batch of changes is run change by change through the unary
path (policy, envelope, idempotent execute), answered in order, refused and audited like unary calls."""

from __future__ import annotations

import logging
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, full_method
from bideval.audit.entries import Entry, EntryKind
from bideval.identity.pki import Role
from bideval.v1 import evaluation_service_pb2, sync_service_pb2
from server.rpc.servicers import MAX_BATCH_CHANGES
from tests.support import RunningServer

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
VERDICT = "RecordPreliminaryVerdict"


@pytest.fixture
def review(server: RunningServer) -> list[tuple[str, str]]:
    """The demo session in the preliminary review; yields its (bidder, item) cells."""
    experts = {person: server.client(person, device="driver") for person in COMMITTEE}
    driver = CommitteeDriver(server.session_id, experts, server.client("S01", Role.SUPERVISOR, "driver"))
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E01")
    driver.start()
    view = driver.view()
    items = [c.id for c in view.method.criteria if c.stage == "preliminary"]
    return [(bidder.id, item) for bidder in view.bidders for item in items]


def verdict(client: ApiClient, server: RunningServer, cell: tuple[str, str], passed: bool) -> Message:
    bidder_id, criterion_id = cell
    reason = "" if passed else "资格证明文件缺失"
    return client.build(
        VERDICT,
        server.session_id,
        bidder_id=bidder_id,
        criterion_id=criterion_id,
        passed=passed,
        reason=reason,
    )


def batch(*changes: tuple[str, Message]) -> sync_service_pb2.SendChangesRequest:
    return sync_service_pb2.SendChangesRequest(
        changes=[
            sync_service_pb2.QueuedChange(method=full_method(rpc), request=request.SerializeToString())
            for rpc, request in changes
        ]
    )


def unary_answer(client: ApiClient, rpc: str, request: Message) -> tuple[str, Any]:
    """(code name, response bytes or refusal message) of the unary RPC, for comparison with a batch."""
    try:
        response = client.send(rpc, request)
    except grpc.RpcError as error:
        return error.code().name, error.details()
    return "OK", response.SerializeToString(deterministic=True)


def batch_answer(answer: sync_service_pb2.ChangeAnswer) -> tuple[str, Any]:
    if answer.HasField("refusal"):
        return answer.refusal.code, answer.refusal.message
    return "OK", answer.response


def last_audit_entries(server: RunningServer, count: int) -> list[Entry]:
    head = server.app.tree_head()
    assert head is not None
    return [
        Entry.from_bytes(server.app.store.audit_leaf(index))
        for index in range(head.tree_size - count, head.tree_size)
    ]


def test_a_mixed_batch_is_answered_in_order_as_unary_calls_would_be(
    server: RunningServer, review: list[tuple[str, str]]
) -> None:
    client = server.client("E01", device="batch")
    changes = [
        (VERDICT, verdict(client, server, review[0], False)),
        (VERDICT, verdict(client, server, review[1], True)),
        ("RequestStart", client.build("RequestStart", server.session_id)),  # wrong phase: refused
        ("RunSummary", client.build("RunSummary", server.session_id)),  # wrong phase too
        (VERDICT, verdict(client, server, review[0], True)),
    ]
    before_events = server.app.runtime(server.session_id).last_sequence
    response = client.sync.SendChanges(batch(*changes), timeout=10)
    answers = [batch_answer(answer) for answer in response.answers]
    assert [code for code, _ in answers] == ["OK", "OK", "FAILED_PRECONDITION", "FAILED_PRECONDITION", "OK"]
    # In order: the events are the verdicts as listed, and each receipt names its own change.
    events = server.app.read(server.session_id, lambda runtime: list(runtime.events))[before_events:]
    assert [(e.payload["bidder_id"], e.payload["criterion_id"], e.payload["passed"]) for e in events] == [
        (*review[0], False),
        (*review[1], True),
        (*review[0], True),
    ]
    for (rpc, request), (code, answer) in zip(changes, answers, strict=True):
        if code == "OK":
            parsed = evaluation_service_pb2.RecordPreliminaryVerdictResponse.FromString(answer)
            client.check_receipt(request, parsed)  # no witness here: decode the leaf ourselves
            entry = Entry.from_bytes(parsed.outcome.receipt.leaf)
            assert entry.client_sequence == request.meta.client_sequence  # type: ignore[attr-defined]
        # The same change as a unary call (same operation id) gets exactly the batch's answer.
        assert unary_answer(client, rpc, request) == (code, answer)


def test_a_retried_batch_gets_the_same_answers_and_stores_nothing_twice(
    server: RunningServer, review: list[tuple[str, str]]
) -> None:
    client = server.client("E01", device="retry")
    request = batch(
        *[(VERDICT, verdict(client, server, cell, index % 2 == 0)) for index, cell in enumerate(review[:6])],
        ("SubmitDetailed", client.build("SubmitDetailed", server.session_id)),  # refused: wrong phase
    )
    first = client.sync.SendChanges(request, timeout=10)
    operations = server.app.store.count_operations()
    events = server.app.runtime(server.session_id).last_sequence
    again = client.sync.SendChanges(request, timeout=10)
    assert again == first
    assert server.app.store.count_operations() == operations
    assert server.app.runtime(server.session_id).last_sequence == events


def test_a_tampered_change_in_the_middle_is_refused_and_audited_the_others_go_through(
    server: RunningServer, review: list[tuple[str, str]]
) -> None:
    honest = server.client("E01", device="honest")
    other = server.client("E01", device="other")  # another device of E01: its own numbering
    tampered = verdict(other, server, review[2], False)
    tampered.reason = "改过的理由"  # type: ignore[attr-defined]  # after signing
    changes = [
        (VERDICT, verdict(honest, server, review[0], False)),
        (VERDICT, tampered),
        (VERDICT, verdict(honest, server, review[1], False)),
    ]
    before_log = server.app.tree_head()
    assert before_log is not None
    response = honest.sync.SendChanges(batch(*changes), timeout=10)
    answers = [batch_answer(answer) for answer in response.answers]
    assert [code for code, _ in answers] == ["OK", "INVALID_ARGUMENT", "OK"]
    assert "payload differ" in answers[1][1]
    # On the record in order: the first change, the denial of the forged one, the third change.
    head = server.app.tree_head()
    assert head is not None
    entries = last_audit_entries(server, head.tree_size - before_log.tree_size)
    assert [entry.kind for entry in entries] == [EntryKind.CHANGE, EntryKind.DENIED, EntryKind.CHANGE]
    assert entries[1].method == full_method(VERDICT)
    assert "payload differ" in entries[1].error["message"]
    # Exactly what the unary call with the same bytes gives.
    assert unary_answer(other, VERDICT, tampered) == answers[1]


def test_a_change_the_callers_role_may_not_make_is_denied_and_audited(
    server: RunningServer, review: list[tuple[str, str]]
) -> None:
    client = server.client("E01", device="roles")
    first = verdict(client, server, review[0], False)
    pause = client.build("PauseSession", server.session_id, reason="专家自己暂停")  # number 2
    changes = [
        (VERDICT, first),
        ("PauseSession", pause),
        (VERDICT, verdict(client, server, review[1], False)),
    ]
    response = client.sync.SendChanges(batch(*changes), timeout=10)
    answers = [batch_answer(answer) for answer in response.answers]
    assert [code for code, _ in answers] == ["OK", "PERMISSION_DENIED", "FAILED_PRECONDITION"]
    assert "role expert may not call /bideval.v1.SupervisionService/PauseSession" in answers[1][1]
    # The denial never reached execute, so the device's number 2 is still expected: the third change is
    # out of order, exactly as after a unary call refused by the interceptor.
    assert "expected 2" in answers[2][1]
    denied = [e for e in last_audit_entries(server, 3) if e.kind is EntryKind.DENIED]
    assert [e.method for e in denied] == ["/bideval.v1.SupervisionService/PauseSession"]
    assert unary_answer(client, "PauseSession", pause) == answers[1]


def test_an_outsider_is_denied_per_change(server: RunningServer, review: list[tuple[str, str]]) -> None:
    outsider = server.client("E99", device="outsider")
    response = outsider.sync.SendChanges(
        batch((VERDICT, verdict(outsider, server, review[0], False))), timeout=10
    )
    code, message = batch_answer(response.answers[0])
    assert code == "PERMISSION_DENIED"
    assert last_audit_entries(server, 1)[0].kind is EntryKind.DENIED
    assert unary_answer(outsider, VERDICT, verdict(outsider, server, review[0], False))[0] == code
    assert message


def test_too_many_changes_are_refused_as_a_whole(server: RunningServer) -> None:
    client = server.client("E01")
    check_in = client.build("CheckIn", server.session_id, venue_id="V01")
    request = batch(*[("CheckIn", check_in)] * (MAX_BATCH_CHANGES + 1))
    with pytest.raises(grpc.RpcError) as refused:
        client.sync.SendChanges(request, timeout=10)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert str(MAX_BATCH_CHANGES) in (refused.value.details() or "")
    assert server.app.store.count_operations() == 0


def test_only_state_changing_rpcs_can_be_batched(server: RunningServer) -> None:
    client = server.client("E01")
    check_in = client.build("CheckIn", server.session_id, venue_id="V01")
    query = evaluation_service_pb2.GetSessionRequest(session_id=server.session_id)
    request = sync_service_pb2.SendChangesRequest(
        changes=[
            sync_service_pb2.QueuedChange(
                method="/bideval.v1.EvaluationService/GetSession", request=query.SerializeToString()
            ),
            sync_service_pb2.QueuedChange(method="/bideval.v1.DiagnosticsService/Ping", request=b""),
            sync_service_pb2.QueuedChange(
                method=full_method("CheckIn"), request=b"\xff\xff"
            ),  # not a message
            sync_service_pb2.QueuedChange(
                method=full_method("CheckIn"), request=check_in.SerializeToString()
            ),
        ]
    )
    answers = [batch_answer(a) for a in client.sync.SendChanges(request, timeout=10).answers]
    assert [code for code, _ in answers] == ["INVALID_ARGUMENT"] * 3 + ["OK"]
    assert "not a state-changing RPC" in answers[0][1]
    assert "not a state-changing RPC" in answers[1][1]
    assert server.app.store.count_operations() == 1


def test_an_empty_batch_is_answered_with_nothing(server: RunningServer) -> None:
    response = server.client("S01", Role.SUPERVISOR).sync.SendChanges(
        sync_service_pb2.SendChangesRequest(), timeout=10
    )
    assert list(response.answers) == []


def test_an_unexpected_error_fails_the_whole_call_as_internal(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(server.app, "execute", broken)
    client = server.client("E01")
    check_in = client.build("CheckIn", server.session_id, venue_id="V01")
    with caplog.at_level(logging.ERROR), pytest.raises(grpc.RpcError) as failed:
        client.sync.SendChanges(batch(("CheckIn", check_in)), timeout=10)
    assert failed.value.code() is grpc.StatusCode.INTERNAL
    assert "secret" not in (failed.value.details() or "")
