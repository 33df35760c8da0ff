"""A whole evaluation session, check-in to signed report, driven only through the public RPCs."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest

from app.services.committee import CommitteeDriver
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2
from tests.support import RunningServer

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")


def driver_for(server: RunningServer) -> CommitteeDriver:
    experts = {person: server.client(person) for person in COMMITTEE}
    return CommitteeDriver(server.session_id, experts, server.client("S01", Role.SUPERVISOR))


def read_events(server: RunningServer, after: int, count: int) -> list[int]:
    client = server.client("S02", Role.SUPERVISOR, device="stream")
    stream = client.evaluation.SubscribeEvents(
        evaluation_service_pb2.SubscribeEventsRequest(session_id=server.session_id, after_sequence=after),
        timeout=20,
    )
    sequences = []
    for response in stream:
        sequences.append(response.event.sequence)
        if len(sequences) == count:
            stream.cancel()
            break
    return sequences


def test_a_whole_session_through_the_api(server_on_each_database: RunningServer) -> None:
    server = server_on_each_database
    driver = driver_for(server)
    summary = driver.run_to_ranking(leader_id="E02")
    view = driver.view()
    assert view.phase == common_pb2.PHASE_REPORT
    assert view.leader_id == "E02"

    # Price scores come with every intermediate value: 7 bids, trimmed mean drops the highest and lowest.
    assert summary.price.formula_version == "deviation/v1"
    assert len(summary.price.trimmed_out) == 2
    assert summary.price.float_point_percent == "0.75"
    assert len(summary.price.scores) == 7
    assert summary.price.steps
    # Ranking: every valid bid ranked by total, at most three recommended candidates.
    totals = [Decimal(r.total) for r in summary.ranking]
    assert totals == sorted(totals, reverse=True)
    assert [r.rank for r in summary.ranking][:3] == [1, 2, 3]
    assert sum(r.candidate for r in summary.ranking) == 3
    by_bidder = {t.bidder_id: Decimal(t.total) for t in summary.totals}
    assert {r.bidder_id: Decimal(r.total) for r in summary.ranking} == by_bidder

    driver.sign()
    assert driver.view().phase == common_pb2.PHASE_CLOSED

    # The event stream: 1..n without gaps, and a resumed subscriber gets exactly the rest.
    last = driver.view().last_sequence
    assert read_events(server, 0, last) == list(range(1, last + 1))
    assert read_events(server, last - 5, 5) == list(range(last - 4, last + 1))


def test_restart_rebuilds_the_same_state(server: RunningServer) -> None:
    driver = driver_for(server)
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E01")
    before = driver.view()
    server.app.reload()  # what a restart does: replay every stored event
    after = driver.view()
    assert after == before


def test_sealed_scores_are_hidden_until_everyone_submitted(server: RunningServer) -> None:
    driver = driver_for(server)
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E01")
    driver.start()
    driver.preliminary()
    view = driver.view()
    item = next(c for c in view.method.criteria if c.kind == "score")
    e1 = driver.experts["E01"]
    e1.send("RecordScore", driver.score_request(e1, "E01", "B01", item, 0.0))
    sheets = driver.experts["E02"].evaluation.GetSheets(
        evaluation_service_pb2.GetSheetsRequest(session_id=server.session_id)
    )
    others = [s for s in sheets.sheets if s.expert_id == "E01"]
    assert others
    assert list(others[0].scores) == []
    assert not sheets.all_submitted
    own = e1.evaluation.GetSheets(evaluation_service_pb2.GetSheetsRequest(session_id=server.session_id))
    assert own.sheets[0].expert_id == "E01"
    assert len(own.sheets[0].scores) == 1
    # The event stream tells E02 that E01 scored, but not the value.
    stream = driver.experts["E02"].evaluation.SubscribeEvents(
        evaluation_service_pb2.SubscribeEventsRequest(session_id=server.session_id, after_sequence=0),
        timeout=10,
    )
    for response in stream:
        if response.event.kind == "ScoreRecorded":
            assert "value" not in response.event.details.fields
            assert response.event.details.fields["bidder_id"].string_value == "B01"
            stream.cancel()
            break


def test_supervisor_pause_blocks_experts_with_the_reason(server: RunningServer) -> None:
    driver = driver_for(server)
    driver.supervisor.command("PauseSession", server.session_id, reason="副场网络中断, 等待恢复")
    with pytest.raises(grpc.RpcError) as paused:
        driver.check_in()
    assert paused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "副场网络中断" in (paused.value.details() or "")
    with pytest.raises(grpc.RpcError) as no_reason:
        driver.supervisor.command("ResumeSession", server.session_id, reason="  ")
    assert no_reason.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    driver.supervisor.command("ResumeSession", server.session_id, reason="网络已恢复")
    driver.check_in()
    assert driver.view().phase == common_pb2.PHASE_PLEDGE
