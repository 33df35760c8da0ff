"""Bad input over real gRPC + mTLS: every refusal has a precise status, a message naming the problem, and
changes nothing (the session view, its last event sequence and the caller's sheets stay as they were)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import grpc
import pytest

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from server.packages.manifest import LoadedPackage
from server.rpc import servicers
from server.storage.store import Store
from tests.conftest import running_server
from tests.support import Pki, RunningServer

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
LEADER = "E02"
ev = evaluation_service_pb2


def fresh(server: RunningServer, person: str, role: Role = Role.EXPERT) -> ApiClient:
    """A client on a device of its own, so that its sequence numbers start at 1."""
    return server.client(person, role, device=f"dev-{uuid.uuid4().hex[:12]}")


def driver_for(server: RunningServer) -> CommitteeDriver:
    experts = {person: fresh(server, person) for person in COMMITTEE}
    return CommitteeDriver(server.session_id, experts, fresh(server, "S01", Role.SUPERVISOR))


def to_preliminary(server: RunningServer) -> CommitteeDriver:
    driver = driver_for(server)
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect(LEADER)
    driver.start()
    assert driver.view().phase == common_pb2.PHASE_PRELIMINARY_REVIEW
    return driver


@pytest.fixture(scope="module")
def detailed(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki, demo_package: LoadedPackage
) -> Iterator[RunningServer]:
    """One server for the module, already in the detailed review (reaching it takes a few seconds)."""
    root = tmp_path_factory.mktemp("detailed")
    store = Store.open(f"sqlite:///{root / 'server.sqlite3'}", root / "blobs")
    try:
        with running_server(store, pki, demo_package) as running:
            driver = to_preliminary(running)
            driver.preliminary()
            assert driver.view().phase == common_pb2.PHASE_DETAILED_REVIEW
            yield running
    finally:
        store.close()


@pytest.fixture
def preliminary(server: RunningServer) -> RunningServer:
    to_preliminary(server)
    return server


def snapshot(
    server: RunningServer, client: ApiClient
) -> tuple[session_pb2.SessionView, ev.GetSheetsResponse]:
    view = client.evaluation.GetSession(ev.GetSessionRequest(session_id=server.session_id), timeout=10)
    sheets = client.evaluation.GetSheets(ev.GetSheetsRequest(session_id=server.session_id), timeout=10)
    return view.session, sheets


def refused(
    server: RunningServer,
    client: ApiClient,
    code: grpc.StatusCode,
    fragments: tuple[str, ...],
    call: Callable[[], Any],
) -> str:
    """Run ``call``, expect ``code`` with every fragment in the message, and nothing changed."""
    before = snapshot(server, client)
    with pytest.raises(grpc.RpcError) as info:
        drain(call())
    details = info.value.details() or ""
    assert info.value.code() is code, details
    for fragment in fragments:
        assert fragment in details
    after = snapshot(server, client)
    assert after[0].last_sequence == before[0].last_sequence
    assert after == before
    return details


def drain(result: Any) -> Any:
    """A stream's status arrives with its first read; a unary answer is returned as it is."""
    return list(result) if hasattr(result, "__next__") else result


def score(
    client: ApiClient, server: RunningServer, bidder_id: str = "B01", **entry: Any
) -> Callable[[], Any]:
    return lambda: client.command(
        "RecordScore", server.session_id, entry=session_pb2.ScoreEntry(bidder_id=bidder_id, **entry)
    )


# -- detailed review values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "fragments"),
    [
        ("7.3", ("7.3", "not on the step grid", "T1")),
        ("9", ("9", "outside the range", "0–8")),
        ("-1", ("-1", "outside the range")),
        ("8.5", ("outside the range",)),
        ("abc", ("points 'abc' is not a decimal number",)),
        ("", ("points '' is not a decimal number",)),
        ("NaN", ("points", "finite")),
        ("-Infinity", ("points", "finite")),
        ("1e999", ("points '1e999' is too large",)),
        ("1e-999999", ("points '1e-999999' has more than 6 decimal places",)),
        ("7.5000001", ("has more than 6 decimal places",)),
        # 29 significant digits: the decimal context (28) would round it onto the grid.
        ("7.0000000000000000000000000001", ("has more than 6 decimal places",)),
        ("6.5" + "0" * 40, ("points", "at most 32")),
    ],
)
def test_a_score_that_does_not_fit_the_criterion_is_refused(
    detailed: RunningServer, points: str, fragments: tuple[str, ...]
) -> None:
    client = fresh(detailed, "E01")
    request = client.build(
        "RecordScore",
        detailed.session_id,
        entry=session_pb2.ScoreEntry(bidder_id="B01", criterion_id="T1", points=points),
    )
    send = partial(client.send, "RecordScore", request)
    first = refused(detailed, client, grpc.StatusCode.INVALID_ARGUMENT, fragments, send)
    # Sent again unchanged (a retry), it is refused again with the very same message.
    assert refused(detailed, client, grpc.StatusCode.INVALID_ARGUMENT, fragments, send) == first


def test_valid_grid_values_are_accepted(detailed: RunningServer) -> None:
    client = fresh(detailed, "E03")
    for points in ("0", "0.5", "7.5", "8", "6.50"):
        client.command(
            "RecordScore",
            detailed.session_id,
            entry=session_pb2.ScoreEntry(bidder_id="B02", criterion_id="T1", points=points),
        )
    own = snapshot(detailed, client)[1].sheets[0]
    assert own.expert_id == "E03"
    assert [(s.criterion_id, s.points) for s in own.scores if s.bidder_id == "B02"] == [("T1", "6.50")]


@pytest.mark.parametrize(
    ("criterion", "entry", "fragments"),
    [
        ("M1", {"objective": "0.5"}, ("not on the step grid", "M1")),
        ("M1", {"objective": "zero"}, ("objective 'zero' is not a decimal number",)),
        ("T1", {"objective": "5"}, ("T1", "score item", "ScoreEntry", "ObjectiveEntry")),
        (
            "C1",
            {"deductions": {"deductions": [{"points": "0.5", "reason": "   "}]}},
            ("no reason", "扣分理由"),
        ),
        ("C1", {"deductions": {"deductions": [{"points": "0.3", "reason": "x"}]}}, ("step grid",)),
        ("C1", {"deductions": {"deductions": [{"points": "-0.5", "reason": "x"}]}}, ("must be positive",)),
        ("C1", {"deductions": {"deductions": [{"points": "5.5", "reason": "x"}]}}, ("below the minimum",)),
        # Unbounded, this one made the domain's grid check raise DivisionImpossible (status UNKNOWN).
        (
            "C1",
            {"deductions": {"deductions": [{"points": "1e999", "reason": "x"}]}},
            ("deductions[0].points '1e999' is too large",),
        ),
        # 29 significant digits: rounded by the decimal context, it looked as if it were on the grid.
        (
            "C1",
            {"deductions": {"deductions": [{"points": "0.50000000000000000000000000001", "reason": "x"}]}},
            ("deductions[0].points", "has more than 6 decimal places"),
        ),
        ("C1", {}, ("entry.value is required",)),
        ("P1", {"points": "10"}, ("P1", "price score", "never entered")),
    ],
)
def test_an_entry_that_does_not_fit_its_item_is_refused(
    detailed: RunningServer, criterion: str, entry: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    client = fresh(detailed, "E04")
    message = session_pb2.ScoreEntry(bidder_id="B01", criterion_id=criterion)
    if "objective" in entry:
        message.objective = entry["objective"]
    if "points" in entry:
        message.points = entry["points"]
    for item in entry.get("deductions", {}).get("deductions", []):
        message.deductions.deductions.add(**item)
    refused(
        detailed,
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        fragments,
        lambda: client.command("RecordScore", detailed.session_id, entry=message),
    )


@pytest.mark.parametrize(
    ("bidder", "criterion", "fragments"),
    [
        ("B99", "T1", ("Unknown bidder 'B99'",)),
        ("B01", "T99", ("Unknown criterion 'T99'",)),
    ],
)
def test_unknown_ids_are_not_found(
    detailed: RunningServer, bidder: str, criterion: str, fragments: tuple[str, ...]
) -> None:
    client = fresh(detailed, "E05")
    call = score(client, detailed, bidder_id=bidder, criterion_id=criterion, points="1")
    refused(detailed, client, grpc.StatusCode.NOT_FOUND, fragments, call)


@pytest.mark.parametrize(
    ("bidder", "fragment"), [("", "entry.bidder_id is required"), ("B" * 65, "at most 64 are allowed")]
)
def test_ids_that_are_empty_or_too_long_are_invalid(
    detailed: RunningServer, bidder: str, fragment: str
) -> None:
    client = fresh(detailed, "E05")
    call = score(client, detailed, bidder_id=bidder, criterion_id="T1", points="1")
    refused(detailed, client, grpc.StatusCode.INVALID_ARGUMENT, (fragment,), call)


# -- wrong step, wrong person, missing reasons ----------------------------------------------------------


def test_preliminary_verdicts_are_refused_in_the_detailed_review(detailed: RunningServer) -> None:
    client = fresh(detailed, "E01")
    refused(
        detailed,
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        ("Cannot record preliminary verdicts during the detailed review",),
        lambda: client.command(
            "RecordPreliminaryVerdict", detailed.session_id, bidder_id="B01", criterion_id="F1", passed=True
        ),
    )


def test_scoring_during_check_in_is_refused(server: RunningServer) -> None:
    client = fresh(server, "E01")
    refused(
        server,
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        ("E01 must first check in (签到)",),
        score(client, server, criterion_id="T1", points="5"),
    )


def test_only_the_leader_runs_the_summary(detailed: RunningServer) -> None:
    client = fresh(detailed, "E01")
    refused(
        detailed,
        client,
        grpc.StatusCode.PERMISSION_DENIED,
        (f"Only the committee leader (组长) {LEADER}",),
        lambda: client.command("RunSummary", detailed.session_id),
    )


def test_pausing_needs_a_reason(detailed: RunningServer) -> None:
    supervisor = fresh(detailed, "S01", Role.SUPERVISOR)
    for reason in ("", " \t\n "):
        request = supervisor.build("PauseSession", detailed.session_id, reason=reason)
        refused(
            detailed,
            supervisor,
            grpc.StatusCode.INVALID_ARGUMENT,
            ("reason for pausing", "mandatory"),
            partial(supervisor.send, "PauseSession", request),
        )


def test_a_rollback_needs_a_reason_and_a_target(detailed: RunningServer) -> None:
    leader = fresh(detailed, LEADER)
    refused(
        detailed,
        leader,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("reason for the roll-back", "mandatory"),
        lambda: leader.command(
            "RequestRollback",
            detailed.session_id,
            target_phase=common_pb2.PHASE_PRELIMINARY_REVIEW,
            reason="  ",
        ),
    )
    refused(
        detailed,
        leader,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("target_phase must name a phase",),
        lambda: leader.command("RequestRollback", detailed.session_id, reason="评分标准理解有误"),
    )


def test_a_preliminary_fail_needs_a_reason(preliminary: RunningServer) -> None:
    client = fresh(preliminary, "E03")
    refused(
        preliminary,
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("failed bidder B04 on item Q2", "reason (不合格理由) is mandatory"),
        lambda: client.command(
            "RecordPreliminaryVerdict",
            preliminary.session_id,
            bidder_id="B04",
            criterion_id="Q2",
            passed=False,
            reason=" ",
        ),
    )
    refused(
        preliminary,
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("T1", "belongs to the detailed review"),
        lambda: client.command(
            "RecordPreliminaryVerdict",
            preliminary.session_id,
            bidder_id="B04",
            criterion_id="T1",
            passed=True,
        ),
    )
    refused(
        preliminary,
        client,
        grpc.StatusCode.NOT_FOUND,
        ("Unknown bidder 'B08'",),
        lambda: client.command(
            "RecordPreliminaryVerdict",
            preliminary.session_id,
            bidder_id="B08",
            criterion_id="F1",
            passed=True,
        ),
    )


def test_check_in_only_at_the_assigned_venue(server: RunningServer) -> None:
    client = fresh(server, "E01")
    refused(
        server,
        client,
        grpc.StatusCode.PERMISSION_DENIED,
        ("E01 is assigned to venue V01", "from venue V02"),
        lambda: client.command("CheckIn", server.session_id, venue_id="V02"),
    )
    refused(
        server,
        client,
        grpc.StatusCode.NOT_FOUND,
        ("Unknown venue 'V99'",),
        lambda: client.command("CheckIn", server.session_id, venue_id="V99"),
    )
    refused(
        server,
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("venue_id is required",),
        lambda: client.command("CheckIn", server.session_id),
    )


# -- sizes and enums ------------------------------------------------------------------------------------


def test_an_oversized_request_is_refused_before_it_reaches_the_application(detailed: RunningServer) -> None:
    supervisor = fresh(detailed, "S01", Role.SUPERVISOR)
    refused(
        detailed,
        supervisor,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        ("larger than max",),
        lambda: supervisor.command("PauseSession", detailed.session_id, reason="断网" * (1 << 20)),
    )


def test_a_too_long_text_is_refused(detailed: RunningServer) -> None:
    supervisor = fresh(detailed, "S01", Role.SUPERVISOR)
    refused(
        detailed,
        supervisor,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("reason is 5000 characters long; at most 4000",),
        lambda: supervisor.command("PauseSession", detailed.session_id, reason="x" * 5000),
    )


def test_unknown_recusal_ground(detailed: RunningServer) -> None:
    client = fresh(detailed, "E01")
    refused(
        detailed,
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("unknown recusal ground", "bribery", "close_relative"),
        lambda: client.command("DeclareRecusal", detailed.session_id, grounds=["bribery"]),
    )


def test_unspecified_enums_are_refused(detailed: RunningServer) -> None:
    leader = fresh(detailed, LEADER)
    refused(
        detailed,
        leader,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("correction_case must be one of the four cases",),
        lambda: leader.command(
            "RequestCorrection", detailed.session_id, expert_id="E01", reason="分值汇总计算错误"
        ),
    )
    refused(
        detailed,
        leader,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("correction_case must be one of the four cases",),
        lambda: leader.command(
            "RequestCorrection", detailed.session_id, expert_id="E01", correction_case=42, reason="x"
        ),
    )
    refused(
        detailed,
        leader,
        grpc.StatusCode.INVALID_ARGUMENT,
        ("decision must be agree, disagree or refuse",),
        lambda: leader.command("SignReport", detailed.session_id),
    )


# -- documents and events -------------------------------------------------------------------------------


def download(client: ApiClient, session_id: str, document_id: str, offset: int = 0) -> list[Any]:
    request = ev.DownloadDocumentRequest(session_id=session_id, document_id=document_id, offset=offset)
    return list(client.evaluation.DownloadDocument(request, timeout=20))


def bid_document(server: RunningServer, client: ApiClient) -> session_pb2.Document:
    listed = client.evaluation.ListDocuments(ev.ListDocumentsRequest(session_id=server.session_id))
    document: session_pb2.Document = next(
        d for d in listed.documents if d.kind == "bid" and d.bidder_id == "B03"
    )
    return document


def test_a_bid_pdf_downloads_whole_and_resumes(
    detailed: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo PDFs are smaller than one 256 KiB chunk: smaller chunks make reassembly and resuming real.
    monkeypatch.setattr(servicers, "DOCUMENT_CHUNK_BYTES", 1000)
    client = fresh(detailed, "E02")
    document = bid_document(detailed, client)
    chunks = download(client, detailed.session_id, document.id)
    assert len(chunks) == -(-document.size // 1000) > 2
    data = b"".join(c.data for c in chunks)
    assert data.startswith(b"%PDF")
    assert len(data) == document.size
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert {(c.total_size, c.sha256) for c in chunks} == {(document.size, document.sha256)}
    assert [c.offset for c in chunks] == [sum(len(p.data) for p in chunks[:i]) for i in range(len(chunks))]
    # The view advertises the same hash for the bidder's bid file.
    view = snapshot(detailed, client)[0]
    assert next(b for b in view.bidders if b.id == "B03").bid_file_sha256 == document.sha256

    offset = document.size // 2 + 17  # mid-chunk, as after a broken connection
    rest = download(client, detailed.session_id, document.id, offset)
    assert [c.offset for c in rest] == list(range(offset, document.size, 1000))
    assert b"".join(c.data for c in rest) == data[offset:]
    assert download(client, detailed.session_id, document.id, document.size) == []


def test_document_errors(detailed: RunningServer) -> None:
    client = fresh(detailed, "E02")
    document = bid_document(detailed, client)
    refused(
        detailed,
        client,
        grpc.StatusCode.OUT_OF_RANGE,
        (f"offset {document.size + 1} beyond size {document.size}",),
        lambda: download(client, detailed.session_id, document.id, document.size + 1),
    )
    refused(
        detailed,
        client,
        grpc.StatusCode.NOT_FOUND,
        ("document no-such-document not found",),
        lambda: download(client, detailed.session_id, "no-such-document"),
    )


def test_subscribing_after_the_last_event_is_out_of_range(detailed: RunningServer) -> None:
    client = fresh(detailed, "S02", Role.SUPERVISOR)
    last = snapshot(detailed, client)[0].last_sequence
    refused(
        detailed,
        client,
        grpc.StatusCode.OUT_OF_RANGE,
        (f"after_sequence {last + 1} is beyond the session's last event {last}",),
        lambda: client.evaluation.SubscribeEvents(
            ev.SubscribeEventsRequest(session_id=detailed.session_id, after_sequence=last + 1), timeout=10
        ),
    )
