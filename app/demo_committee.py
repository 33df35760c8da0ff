"""The demo's reactive committee: the other experts and a supervisor act while one person uses the client.

``make demo`` opens the desktop client as one expert (``--me``, E01 by default). This process logs in every
other committee member and the supervisor through the same client library (``ApiClient``), polls the
session and acts the way people would, *following* the real user: they check in a few seconds apart once
the user has checked in, accept the pledge after the countdown, declare no conflict, elect the user leader
(so the user sees the leader's pages), the supervisor approves the start a little after the user asked for
it, they fail one bid by majority in the preliminary review, score with some spread, explain their
flagged deviations and sign the report. No phase can advance without the user's own action: each group
step needs every member, and the leader's steps are the user's.

Run: ``python -m app.demo_committee --address HOST:PORT --credentials DIR --me E01 [--pin 123456]``.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import cast

import grpc
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.errors import describe, is_transient
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient
from app.walkthrough import connect  # the same credential unlocking and clients as the walkthrough
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

Say = Callable[[str], None]

# The demo's preliminary-review finding: most simulated members fail this bid on this item with this reason
# (the demo package's B04 names a project manager; its safety certificate is the plausible gap).
FAILED_BIDDER = "B04"
FAILED_ITEM = "Q4"
FAILED_REASON = cast(
    str,
    QT_TRANSLATE_NOOP("DemoCommittee", "项目经理未提供有效的安全生产考核合格证书（B证），不满足资格评审标准"),
)
# How many simulated members fail it: with 4 simulated members, 3 make a majority of 5 on their own.
FAILING_VOTERS = 3

EXPLANATION = cast(
    str,
    QT_TRANSLATE_NOOP("DemoCommittee", "该投标文件施工方案针对性强，本人按评分标准逐项给分，评分有据可查"),
)
APPROVAL_NOTE = cast(str, QT_TRANSLATE_NOOP("DemoCommittee", "同意开始评标"))


def _tr(text: str) -> str:
    return QCoreApplication.translate("DemoCommittee", text)


def _print(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


class ReactiveCommittee:
    """Polls the session and lets each simulated person act when a person in their place would.

    ``pace`` scales every human delay (1.0: a few seconds between people; 0: as fast as possible, for
    tests). Each person acts at most once per step: an action is scheduled when its trigger is first seen
    (the user's check-in, the end of the countdown, a new phase, the user's start request) and runs when
    its time comes, so the user sees the waiting list shrink one name at a time.
    """

    def __init__(
        self,
        driver: CommitteeDriver,
        me: str,
        *,
        pace: float = 1.0,
        say: Say = _print,
        seed: int = 2024,
    ) -> None:
        self.driver = driver
        self.me = me
        self.pace = pace
        self.say = say
        self.rng = random.Random(seed)
        self._due: dict[tuple[object, ...], float] = {}  # (step key, person) -> monotonic time to act
        self._done: set[tuple[object, ...]] = set()
        self._failures: dict[tuple[object, ...], int] = {}
        self._agreed_objective: dict[tuple[str, str], str] = {}  # values to adopt after a correction
        self._sealed: set[tuple[int, str]] = set()  # (archive count, person) whose detailed sheet we sealed
        self._reopened: dict[str, int] = {}  # person -> how often the leader reopened their sheet (修正)
        self._last_phase = common_pb2.PHASE_UNSPECIFIED
        self._summaries = 0
        self._names: dict[str, str] = {}
        self.finished = threading.Event()

    # -- the loop ------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event, interval: float = 0.7) -> None:
        """Poll until the session ends or ``stop`` is set; transient network failures are waited out."""
        while not stop.is_set():
            try:
                if not self.poll():
                    break
            except grpc.RpcError as error:
                if not is_transient(error):
                    raise
                self.say(_tr("连接中断，稍后重试: ") + describe(error))
            stop.wait(interval)
        self.finished.set()

    def poll(self) -> bool:
        """One look at the session and the actions now due; False once the session has ended."""
        view = self.driver.view()
        self._names = {m.person_id: m.name for m in view.members}
        if view.phase != self._last_phase:
            self._last_phase = view.phase
            if view.phase == common_pb2.PHASE_SUMMARY:
                self._summaries += 1  # a summary re-run after a correction may flag the same cell again
            self.say(_tr("当前阶段: ") + PHASE_TEXT.get(view.phase, str(view.phase)))
        if view.phase in (common_pb2.PHASE_CLOSED, common_pb2.PHASE_FAILED_TENDER):
            self._report_end(view)
            return False
        if view.paused:
            return True  # a paused session accepts nothing; people wait for the supervisor
        handler = self._handlers().get(view.phase)
        if handler is not None:
            handler(view)
        return True

    def _handlers(self) -> Mapping[int, Callable[[session_pb2.SessionView], None]]:
        return {
            common_pb2.PHASE_CHECK_IN: self._check_in,
            common_pb2.PHASE_PLEDGE: self._pledge,
            common_pb2.PHASE_RECUSAL: self._recusal,
            common_pb2.PHASE_LEADER_ELECTION: self._election,
            common_pb2.PHASE_AWAITING_START: self._awaiting_start,
            common_pb2.PHASE_PRELIMINARY_REVIEW: self._preliminary,
            common_pb2.PHASE_DETAILED_REVIEW: self._detailed,
            common_pb2.PHASE_SUMMARY: self._summary,
            common_pb2.PHASE_REPORT: self._report,
        }

    # -- scheduling ----------------------------------------------------------------------------------------

    def _others(self, view: session_pb2.SessionView) -> list[session_pb2.Member]:
        """The active members this process acts for, in committee order."""
        return [
            m
            for m in view.members
            if m.status == "active" and m.person_id != self.me and m.person_id in self.driver.experts
        ]

    def _me(self, view: session_pb2.SessionView) -> session_pb2.Member | None:
        return next((m for m in view.members if m.person_id == self.me), None)

    def _delay(self, order: int, first: float = 1.5, gap: float = 2.5) -> float:
        """Seconds until the ``order``-th person acts: a first reaction, then a gap per person."""
        return self.pace * (first + gap * order + self.rng.uniform(0.0, 1.0))

    def _act(self, key: tuple[object, ...], delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` once, ``delay`` seconds after the first call with this key."""
        if key in self._done:
            return
        now = time.monotonic()
        due = self._due.setdefault(key, now + delay)
        if now < due:
            return
        try:
            action()
        except grpc.RpcError as error:
            if is_transient(error):
                raise
            # A refusal (e.g. the step moved on meanwhile) is shown; after a few tries the person gives up.
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            self.say(f"{self._who(key)}: " + _tr("操作未被接受: ") + describe(error))
            self._due[key] = now + max(self.pace, 0.5) * 2
            if failures >= 3:
                self._done.add(key)
            return
        self._done.add(key)

    def _who(self, key: tuple[object, ...]) -> str:
        person = str(key[-1])
        name = self._names.get(person, "")
        return f"{person} {name}".strip()

    def _each(
        self,
        view: session_pb2.SessionView,
        step: object,
        pending: Callable[[session_pb2.Member], bool],
        action: Callable[[session_pb2.Member], None],
        start_after: float = 0.0,
    ) -> None:
        """``action`` for every simulated member still ``pending``, staggered in committee order."""
        for order, member in enumerate(self._others(view)):
            if pending(member):
                key = (step, member.person_id)
                self._act(key, start_after + self._delay(order), partial(action, member))

    def _client(self, person_id: str) -> ApiClient:
        return self.driver.experts[person_id]

    def _name(self, person_id: str) -> str:
        return f"{person_id} {self._names.get(person_id, '')}".strip()

    # -- the steps -----------------------------------------------------------------------------------------

    def _check_in(self, view: session_pb2.SessionView) -> None:
        me = self._me(view)
        if me is None or not me.checked_in:
            return  # they follow the user, so the user sees the waiting list shrink one by one

        def check_in(member: session_pb2.Member) -> None:
            self._client(member.person_id).command(
                "CheckIn", self.driver.session_id, venue_id=member.venue_id
            )
            self.say(self._name(member.person_id) + _tr(" 已签到"))

        self._each(view, "check_in", lambda m: not m.checked_in, check_in)

    def _pledge(self, view: session_pb2.SessionView) -> None:
        countdown = int(view.method.rules.fields["pledge_countdown_seconds"].number_value)
        started = view.phase_started_at.ToDatetime(tzinfo=UTC)
        remaining = max(0.0, (started - datetime.now(UTC)).total_seconds() + countdown)

        def accept(member: session_pb2.Member) -> None:
            self._client(member.person_id).command("AcceptPledge", self.driver.session_id)
            self.say(self._name(member.person_id) + _tr(" 已阅读并确认承诺书"))

        self._each(view, "pledge", lambda m: not m.pledged, accept, start_after=remaining)

    def _recusal(self, view: session_pb2.SessionView) -> None:
        def declare(member: session_pb2.Member) -> None:
            self._client(member.person_id).command("DeclareRecusal", self.driver.session_id)
            self.say(self._name(member.person_id) + _tr(" 声明与投标人无利害关系"))

        self._each(view, "recusal", lambda m: not m.declared, declare)

    def _election(self, view: session_pb2.SessionView) -> None:
        candidates = list(view.election.candidates)
        # They want the user as leader (so the user sees the leader's pages); in a run-off without the user
        # they vote for the first tied candidate.
        choice = self.me if not candidates or self.me in candidates else candidates[0]

        def vote(member: session_pb2.Member) -> None:
            self._client(member.person_id).command(
                "CastLeaderVote", self.driver.session_id, candidate_id=choice
            )
            self.say(self._name(member.person_id) + _tr(" 投票推选 ") + self._name(choice) + _tr(" 为组长"))

        self._each(view, ("vote", view.election.round), lambda m: not m.voted, vote)

    def _awaiting_start(self, view: session_pb2.SessionView) -> None:
        if view.leader_id != self.me and view.leader_id in self.driver.experts and not view.start_requested:

            def request() -> None:
                self._client(view.leader_id).command("RequestStart", self.driver.session_id)
                self.say(self._name(view.leader_id) + _tr(" (组长) 申请开始评标"))

            self._act(("request_start", view.leader_id), self._delay(0), request)
        if view.start_requested:

            def approve() -> None:
                self.driver.supervisor.command(
                    "ApproveStart", self.driver.session_id, approved=True, note=_tr(APPROVAL_NOTE)
                )
                self.say(_tr("监督人员已批准开始评标"))

            self._act(("approve_start", view.archive_count, "supervisor"), self._delay(0, first=3.0), approve)

    def _preliminary(self, view: session_pb2.SessionView) -> None:
        others = [m.person_id for m in self._others(view)]
        failing = set(others[-FAILING_VOTERS:]) if len(others) >= FAILING_VOTERS else set()
        bidders = {b.id for b in view.bidders}
        names = {b.id: b.name for b in view.bidders}

        def review(member: session_pb2.Member) -> None:
            fails = {}
            if member.person_id in failing and FAILED_BIDDER in bidders:
                fails[(FAILED_BIDDER, FAILED_ITEM)] = _tr(FAILED_REASON)
            self.driver.preliminary_sheet(member.person_id, fails, view)
            verdict = (
                _tr("，认为 ") + names[FAILED_BIDDER] + _tr(" 资格审查不合格: ") + _tr(FAILED_REASON)
                if fails
                else _tr("，全部合格")
            )
            self.say(self._name(member.person_id) + _tr(" 提交初步评审") + verdict)

        self._each(view, ("preliminary", view.archive_count), lambda m: not m.preliminary_submitted, review)
        self._approve_requests(view)

    def _detailed(self, view: session_pb2.SessionView) -> None:
        archive = view.archive_count
        for member in self._others(view):
            if not member.detailed_submitted and (archive, member.person_id) in self._sealed:
                # Sealed before and open again: the leader requested a correction (修正) of this sheet.
                self._sealed.discard((archive, member.person_id))
                self._reopened[member.person_id] = self._reopened.get(member.person_id, 0) + 1

        def score(member: session_pb2.Member) -> None:
            reopened = self._reopened.get(member.person_id, 0) > 0
            # A reopened sheet is rescored close to the committee's view, adopting agreed objective values.
            spread = 0.03 if reopened else 0.15
            self.driver.detailed_sheet(member.person_id, spread, self._agreed_objective, view)
            self._sealed.add((archive, member.person_id))
            text = _tr(" 修正后重新提交详细评审") if reopened else _tr(" 提交详细评审 (评分已密封)")
            self.say(self._name(member.person_id) + text)

        for order, member in enumerate(self._others(view)):
            if not member.detailed_submitted:
                key = ("detailed", archive, self._reopened.get(member.person_id, 0), member.person_id)
                self._act(key, self._delay(order), partial(score, member))
        self._approve_requests(view)

    def _summary(self, view: session_pb2.SessionView) -> None:
        summary = self.driver.summary()
        if not summary.available:
            return
        self._learn_agreed_values(summary)
        flags = [f for f in summary.deviation_flags if not f.explained and f.expert_id != self.me]
        bidders = {b.id: b.name for b in view.bidders}
        titles = {c.id: c.title for c in view.method.criteria}
        for order, flag in enumerate(flags):
            if flag.expert_id not in self.driver.experts:
                continue

            def explain(flag: session_pb2.DeviationFlag = flag) -> None:
                self._client(flag.expert_id).command(
                    "ExplainDeviation",
                    self.driver.session_id,
                    bidder_id=flag.bidder_id,
                    criterion_id=flag.criterion_id,
                    text=_tr(EXPLANATION),
                )
                self.say(
                    self._name(flag.expert_id)
                    + _tr(" 对评分偏离作出书面说明: ")
                    + f"{bidders.get(flag.bidder_id, flag.bidder_id)}「{titles.get(flag.criterion_id, '')}」"
                    + f" {flag.points} ("
                    + _tr("平均 ")
                    + f"{flag.mean})"
                )

            key = ("explain", self._summaries, flag.bidder_id, flag.criterion_id, flag.expert_id)
            self._act(key, self._delay(order, gap=1.0), explain)
        self._approve_requests(view)

    @property
    def agreed_objective(self) -> Mapping[tuple[str, str], str]:
        """(bidder id, criterion id) -> the objective value a reopened sheet adopts (read-only view)."""
        return dict(self._agreed_objective)

    def _learn_agreed_values(self, summary: session_pb2.GroupSummary) -> None:
        """What the committee agrees on for inconsistent objective items: the leader's (the user's) value,
        adopted by anyone whose sheet the leader reopens (修正, 87号令 Art. 64)."""
        for inconsistency in summary.objective_inconsistencies:
            agreed = inconsistency.expert_points.get(self.me)
            if agreed:
                self._agreed_objective[(inconsistency.bidder_id, inconsistency.criterion_id)] = agreed

    def _report(self, view: session_pb2.SessionView) -> None:
        def sign(member: session_pb2.Member) -> None:
            self._client(member.person_id).command(
                "SignReport", self.driver.session_id, decision=evaluation_service_pb2.SIGN_DECISION_AGREE
            )
            self.say(self._name(member.person_id) + _tr(" 已签署评标报告 (同意)"))

        self._each(view, ("sign", view.archive_count), lambda m: not m.signed, sign, start_after=self.pace)

    def _approve_requests(self, view: session_pb2.SessionView) -> None:
        """The supervisor answers the user's clarification and roll-back requests after a short look."""
        for clarification in view.clarifications:
            if clarification.status != "pending_approval":
                continue

            def approve_question(clarification_id: str = clarification.id) -> None:
                self.driver.supervisor.command(
                    "ApproveClarification",
                    self.driver.session_id,
                    clarification_id=clarification_id,
                    approved=True,
                    note=_tr("问题表述客观，同意发出"),
                )
                self.say(_tr("监督人员已同意发出澄清问题 ") + clarification_id)

            self._act(
                ("clarification", clarification.id, "supervisor"), self._delay(0, first=3.0), approve_question
            )
        if view.HasField("pending_rollback") and view.pending_rollback.reason:

            def approve_rollback() -> None:
                self.driver.supervisor.command(
                    "ApproveRollback", self.driver.session_id, approved=True, note=_tr("同意回退")
                )
                self.say(_tr("监督人员已同意评审回退"))

            self._act(
                ("rollback", view.archive_count, "supervisor"), self._delay(0, first=3.0), approve_rollback
            )

    def _report_end(self, view: session_pb2.SessionView) -> None:
        if view.phase == common_pb2.PHASE_FAILED_TENDER:
            self.say(_tr("流标: ") + view.failed_tender_reason)
            return
        summary = self.driver.summary()
        names = {b.id: b.name for b in view.bidders}
        self.say(_tr("评标结束，评标报告已全部签署。排名:"))
        for ranked in summary.ranking:
            candidate = _tr(" (中标候选人)") if ranked.candidate else ""
            self.say(
                f"  {ranked.rank}. {names.get(ranked.bidder_id, ranked.bidder_id)} {ranked.total}{candidate}"
            )


PHASE_TEXT = {
    common_pb2.PHASE_CHECK_IN: "签到",
    common_pb2.PHASE_PLEDGE: "承诺书",
    common_pb2.PHASE_RECUSAL: "回避声明",
    common_pb2.PHASE_LEADER_ELECTION: "推选组长",
    common_pb2.PHASE_AWAITING_START: "等待开始",
    common_pb2.PHASE_PRELIMINARY_REVIEW: "初步评审",
    common_pb2.PHASE_DETAILED_REVIEW: "详细评审",
    common_pb2.PHASE_SUMMARY: "汇总",
    common_pb2.PHASE_REPORT: "评标报告",
    common_pb2.PHASE_CLOSED: "评标结束",
    common_pb2.PHASE_FAILED_TENDER: "流标",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.demo_committee", description=__doc__)
    parser.add_argument("--address", required=True, help="HOST:PORT of the server")
    parser.add_argument("--credentials", type=Path, required=True, help="directory of the demo credentials")
    parser.add_argument("--me", default="E01", help="the expert the real user plays (not simulated)")
    parser.add_argument("--pin", default="123456", help="the PIN of every demo credential")
    parser.add_argument("--supervisor", default="S01")
    parser.add_argument("--pace", type=float, default=1.0, help="scales every delay (0: no delays)")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def terminate(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)

    supervisor = connect(
        args.address, args.credentials / f"{args.supervisor}.bidcred", args.pin, f"demo-{args.supervisor}"
    )
    listed = supervisor.evaluation.ListMySessions(evaluation_service_pb2.ListMySessionsRequest())
    if not listed.sessions:
        print(_tr("服务器上没有评标会话"), file=sys.stderr)
        return 1
    session_id = listed.sessions[0].session_id
    view = supervisor.evaluation.GetSession(evaluation_service_pb2.GetSessionRequest(session_id=session_id))
    # Reserves stay out: nobody is recused in the demo, so no replacement is drawn.
    others = [m.person_id for m in view.session.members if m.person_id != args.me and m.status != "reserve"]
    experts = {}
    for person in others:
        credential = args.credentials / f"{person}.bidcred"
        if credential.exists():
            experts[person] = connect(args.address, credential, args.pin, f"demo-{person}")
    driver = CommitteeDriver(session_id, experts, supervisor)
    committee = ReactiveCommittee(driver, args.me, pace=args.pace)
    _print(
        _tr("模拟评标委员会已就绪: ")
        + ", ".join(sorted(experts))
        + _tr(" 与监督人员 ")
        + args.supervisor
        + _tr("；等待 ")
        + args.me
        + _tr(" 签到")
    )
    try:
        committee.run(stop)
    finally:
        for client in (*experts.values(), supervisor):
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
