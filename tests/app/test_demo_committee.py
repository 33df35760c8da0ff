"""The demo's reactive committee against a real server: E01 acts step by step through a plain ApiClient, the
simulated committee (in a thread) follows each step, and no phase advances before E01's own action."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.demo_committee import FAILED_BIDDER, FAILED_REASON, ReactiveCommittee
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient
from bideval.identity.credential import write_credential
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from tests.support import PASSPHRASE, RunningServer

ME = "E01"
PIN = "123456"
OTHERS = ("E02", "E03", "E04", "E05")
TIMEOUT = 30.0  # seconds; generous for a loaded machine


@dataclass
class Demo:
    me: ApiClient
    my_driver: CommitteeDriver  # E01's own scoring helper (only ever used for E01)
    committee: ReactiveCommittee
    thread: threading.Thread
    said: list[str]
    session_id: str

    def view(self) -> session_pb2.SessionView:
        response: evaluation_service_pb2.GetSessionResponse = self.me.evaluation.GetSession(
            evaluation_service_pb2.GetSessionRequest(session_id=self.session_id), timeout=10
        )
        return response.session

    def others(self) -> list[session_pb2.Member]:
        return [m for m in self.view().members if m.person_id in OTHERS]

    def command(self, rpc: str, **fields: object) -> None:
        self.me.command(rpc, self.session_id, **fields)

    def follow(self, done: Callable[[session_pb2.Member], bool], phase: int) -> None:
        """The committee completes its part of ``phase`` but the phase waits for E01."""
        wait_until(lambda: all(done(m) for m in self.others()))
        time.sleep(0.3)  # a few more polls: nothing moves without E01
        assert self.view().phase == phase

    def reach(self, phase: int) -> session_pb2.SessionView:
        wait_until(lambda: self.view().phase == phase)
        return self.view()


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def demo(server: RunningServer) -> Iterator[Demo]:
    experts = {person: server.client(person, device="demo") for person in OTHERS}
    supervisor = server.client("S01", Role.SUPERVISOR, device="demo")
    driver = CommitteeDriver(server.session_id, experts, supervisor)
    said: list[str] = []
    committee = ReactiveCommittee(driver, ME, pace=0.02, say=said.append)
    stop = threading.Event()
    thread = threading.Thread(target=committee.run, args=(stop, 0.05), daemon=True)
    me = server.client(ME, device="desktop")
    my_driver = CommitteeDriver(server.session_id, {ME: me}, supervisor, seed=3)
    thread.start()
    try:
        yield Demo(me, my_driver, committee, thread, said, server.session_id)
    finally:
        stop.set()
        thread.join(timeout=TIMEOUT)


def test_the_committee_follows_the_user_to_the_ranking_and_the_signed_report(demo: Demo) -> None:
    # Check-in: nobody checks in before the user does.
    time.sleep(0.5)
    assert not any(m.checked_in for m in demo.others())
    demo.command("CheckIn", venue_id="V01")
    demo.reach(common_pb2.PHASE_PLEDGE)

    demo.follow(lambda m: m.pledged, common_pb2.PHASE_PLEDGE)
    demo.command("AcceptPledge")
    demo.reach(common_pb2.PHASE_RECUSAL)

    demo.follow(lambda m: m.declared, common_pb2.PHASE_RECUSAL)
    demo.command("DeclareRecusal")
    demo.reach(common_pb2.PHASE_LEADER_ELECTION)

    # The others vote for the user; even the user's modest vote for E02 cannot stop the 4:1 majority.
    demo.follow(lambda m: m.voted, common_pb2.PHASE_LEADER_ELECTION)
    demo.command("CastLeaderVote", candidate_id="E02")
    view = demo.reach(common_pb2.PHASE_AWAITING_START)
    assert view.leader_id == ME

    # The supervisor approves only what the leader (the user) asked for.
    time.sleep(0.5)
    assert demo.view().phase == common_pb2.PHASE_AWAITING_START
    demo.command("RequestStart")
    view = demo.reach(common_pb2.PHASE_PRELIMINARY_REVIEW)

    demo.follow(lambda m: m.preliminary_submitted, common_pb2.PHASE_PRELIMINARY_REVIEW)
    demo.my_driver.preliminary_sheet(ME)  # the user passes everything: the majority still fails B04
    view = demo.reach(common_pb2.PHASE_DETAILED_REVIEW)
    rejected = {r.bidder_id: list(r.reasons) for r in view.preliminary.rejections}
    assert FAILED_BIDDER in rejected
    assert any(FAILED_REASON in reason for reason in rejected[FAILED_BIDDER])
    assert FAILED_BIDDER not in view.preliminary.valid_bidder_ids

    # Detailed review: the sealed sheets are in, but only the leader runs the summary.
    demo.follow(lambda m: m.detailed_submitted, common_pb2.PHASE_DETAILED_REVIEW)
    demo.my_driver.detailed_sheet(ME, spread=0.05)
    time.sleep(0.3)
    assert demo.view().phase == common_pb2.PHASE_DETAILED_REVIEW
    demo.command("RunSummary")
    demo.reach(common_pb2.PHASE_SUMMARY)

    # Objective items must agree: the leader reopens the others' sheets (修正), they adopt the leader's value.
    inconsistent = demo.my_driver.summary().objective_inconsistencies
    if inconsistent:
        # People read the summary before the leader reopens their sheets (a correction clears it).
        wanted = {(i.bidder_id, i.criterion_id) for i in inconsistent}
        wait_until(lambda: wanted <= set(demo.committee.agreed_objective))
        for person in OTHERS:
            demo.command(
                "RequestCorrection",
                expert_id=person,
                correction_case=evaluation_service_pb2.CORRECTION_CASE_INCONSISTENT_OBJECTIVE,
                reason="客观分不一致",
            )
        demo.follow(lambda m: m.detailed_submitted, common_pb2.PHASE_DETAILED_REVIEW)
        demo.command("RunSummary")
        demo.reach(common_pb2.PHASE_SUMMARY)
        assert not demo.my_driver.summary().objective_inconsistencies
        assert "修正后重新提交详细评审" in "\n".join(demo.said)

    # The flagged members explain their deviations; the user explains their own, then finalizes.
    def explained() -> bool:
        flags = demo.my_driver.summary().deviation_flags
        return all(f.explained for f in flags if f.expert_id != ME)

    wait_until(explained)
    for flag in demo.my_driver.summary().deviation_flags:
        if flag.expert_id == ME and not flag.explained:
            demo.command(
                "ExplainDeviation",
                bidder_id=flag.bidder_id,
                criterion_id=flag.criterion_id,
                text="按标准评分",
            )
    assert demo.view().phase == common_pb2.PHASE_SUMMARY
    demo.command("FinalizeRanking")
    demo.reach(common_pb2.PHASE_REPORT)
    ranking = demo.my_driver.summary().ranking
    assert ranking
    assert FAILED_BIDDER not in {r.bidder_id for r in ranking}

    demo.follow(lambda m: m.signed, common_pb2.PHASE_REPORT)
    demo.command("SignReport", decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
    demo.reach(common_pb2.PHASE_CLOSED)

    # The committee notices the end by itself and stops.
    demo.thread.join(timeout=TIMEOUT)
    assert not demo.thread.is_alive()
    assert demo.committee.finished.is_set()
    text = "\n".join(demo.said)
    assert "已签到" in text
    assert "监督人员已批准开始评标" in text
    assert "评标结束" in text


def test_the_committee_stops_when_asked(server: RunningServer) -> None:
    experts = {person: server.client(person, device="demo") for person in OTHERS}
    driver = CommitteeDriver(server.session_id, experts, server.client("S01", Role.SUPERVISOR, device="demo"))
    committee = ReactiveCommittee(driver, ME, pace=0.02, say=lambda _m: None)
    stop = threading.Event()
    thread = threading.Thread(target=committee.run, args=(stop, 0.05), daemon=True)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # waiting for E01 to check in
    stop.set()
    thread.join(timeout=TIMEOUT)
    assert not thread.is_alive()


def test_the_command_line_committee_logs_in_follows_and_stops_on_sigterm(
    server: RunningServer, tmp_path: Path
) -> None:
    """``python -m app.demo_committee`` as ``make demo`` starts it: PIN-protected credential files, the
    first session on the server, Chinese progress lines, a clean exit on SIGTERM."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    directory = server.pki.directory
    for person, role in [*((e, Role.EXPERT) for e in (ME, *OTHERS)), ("S01", Role.SUPERVISOR)]:
        cert, key = directory.issue(person, person, role, PASSPHRASE, 30)
        write_credential(credentials / f"{person}.bidcred", cert, key, directory.ca_certificate(), PIN)
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "app.demo_committee",
            *("--address", server.address, "--credentials", str(credentials)),
            *("--me", ME, "--pin", PIN, "--pace", "0"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        me = server.client(ME, device="desktop")
        me.command("CheckIn", server.session_id, venue_id="V01")

        def phase() -> int:
            response = me.evaluation.GetSession(
                evaluation_service_pb2.GetSessionRequest(session_id=server.session_id), timeout=10
            )
            return int(response.session.phase)

        wait_until(lambda: phase() == common_pb2.PHASE_PLEDGE)  # the others followed the check-in
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "模拟评标委员会已就绪" in output
    assert "E02 陈志强 已签到" in output
