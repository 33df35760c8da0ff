"""A simulated committee: drives a session through the public API the way real experts would.

Used by the demo (the other committee members and a supervisor act while one person uses the client), by
the benchmark, and by the end-to-end tests. Everything goes through ``ApiClient``: the same RPCs, mTLS and
retry metadata as the desktop client.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf.message import Message

from app.services.connection import ApiClient
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def grid_value(low: Decimal, high: Decimal, step: Decimal, fraction: float) -> Decimal:
    """The grid point nearest to ``low + fraction × (high − low)``."""
    steps = int((high - low) / step)
    index = max(0, min(steps, round(fraction * steps)))
    return low + step * index


@dataclass
class CommitteeDriver:
    session_id: str
    experts: dict[str, ApiClient]  # person id -> client, one per committee member
    supervisor: ApiClient
    seed: int = 7
    progress: Progress = _quiet

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # Each bidder's "true quality" so that experts agree roughly, with individual spread.
        self._quality: dict[str, float] = {}

    # -- reading ---------------------------------------------------------------------------------------

    def view(self, person_id: str | None = None) -> session_pb2.SessionView:
        client = self.experts[person_id] if person_id else self.supervisor
        response: evaluation_service_pb2.GetSessionResponse = client.evaluation.GetSession(
            evaluation_service_pb2.GetSessionRequest(session_id=self.session_id), timeout=client.timeout
        )
        return response.session

    def active_members(self) -> list[session_pb2.Member]:
        return [m for m in self.view().members if m.status == "active"]

    def _each_active(self, rpc: str, **fields: object) -> None:
        for member in self.active_members():
            if member.person_id in self.experts:
                self.experts[member.person_id].command(rpc, self.session_id, **fields)

    # -- steps -----------------------------------------------------------------------------------------

    def check_in(self, members: Iterable[str] | None = None) -> None:
        view = self.view()
        wanted = set(members) if members is not None else set(self.experts)
        for member in view.members:
            if member.person_id in wanted and member.status == "active" and not member.checked_in:
                self.experts[member.person_id].command("CheckIn", self.session_id, venue_id=member.venue_id)
        self.progress("签到完成 (checked in)")

    def accept_pledge(self) -> None:
        view = self.view()
        countdown = int(view.method.rules.fields["pledge_countdown_seconds"].number_value)
        started = view.phase_started_at.ToDatetime(tzinfo=UTC)
        remaining = (started - datetime.now(UTC)).total_seconds() + countdown
        if remaining > 0:
            self.progress(f"承诺书强制阅读 {remaining:.0f} 秒 (pledge countdown)")
            time.sleep(remaining + 0.1)
        for member in view.members:
            if member.person_id in self.experts and member.status == "active" and not member.pledged:
                self.experts[member.person_id].command("AcceptPledge", self.session_id)
        self.progress("承诺书已确认 (pledge accepted)")

    def declare_no_conflict(self) -> None:
        for member in self.view().members:
            if member.person_id in self.experts and member.status == "active" and not member.declared:
                self.experts[member.person_id].command("DeclareRecusal", self.session_id)
        self.progress("回避声明完成 (recusal declared)")

    def elect(self, leader_id: str) -> None:
        while self.view().phase == common_pb2.PHASE_LEADER_ELECTION:
            self._each_active("CastLeaderVote", candidate_id=leader_id)
        self.progress(f"组长: {leader_id} (leader elected)")

    def start(self) -> None:
        view = self.view()
        self.experts[view.leader_id].command("RequestStart", self.session_id)
        self.supervisor.command("ApproveStart", self.session_id, approved=True, note="同意开始评标")
        self.progress("监督人员已批准开始评标 (start approved)")

    def preliminary(self, failing: dict[str, str] | None = None) -> None:
        """Every expert passes every item, except ``failing``: bidder id -> reason for the first item."""
        failing = failing or {}
        view = self.view()
        items = [c for c in view.method.criteria if c.stage == "preliminary"]
        fails = {(bidder_id, items[0].id): reason for bidder_id, reason in failing.items()} if items else {}
        for member in self.active_members():
            self.preliminary_sheet(member.person_id, fails, view)
        self.progress("初步评审完成 (preliminary review concluded)")

    def preliminary_sheet(
        self,
        person_id: str,
        fails: Mapping[tuple[str, str], str] | None = None,
        view: session_pb2.SessionView | None = None,
    ) -> None:
        """One member records a verdict on every item for every bidder and submits the sheet.

        ``fails``: (bidder id, criterion id) -> the reason this member fails it; everything else passes.
        """
        fails = fails or {}
        view = view or self.view()
        client = self.experts[person_id]
        for bidder in view.bidders:
            for item in view.method.criteria:
                if item.stage != "preliminary":
                    continue
                reason = fails.get((bidder.id, item.id))
                client.command(
                    "RecordPreliminaryVerdict",
                    self.session_id,
                    bidder_id=bidder.id,
                    criterion_id=item.id,
                    passed=reason is None,
                    reason=reason or "",
                )
        client.command("SubmitPreliminary", self.session_id)

    def detailed(self, spread: float = 0.12) -> None:
        view = self.view()
        for member in self.active_members():
            self.detailed_sheet(member.person_id, spread, view=view)
        self.progress("详细评审已提交 (detailed review submitted)")

    def detailed_sheet(
        self,
        person_id: str,
        spread: float = 0.12,
        overrides: Mapping[tuple[str, str], str] | None = None,
        view: session_pb2.SessionView | None = None,
    ) -> None:
        """One member scores every valid bid on every item (with ``spread``) and submits the sheet.

        ``overrides``: (bidder id, criterion id) -> objective value to enter instead of the member's own,
        e.g. the value the committee agreed on after an objective inconsistency.
        """
        overrides = overrides or {}
        view = view or self.view()
        valid = list(view.preliminary.valid_bidder_ids)
        items = [c for c in view.method.criteria if c.stage == "detailed" and c.kind != "price"]
        for bidder_id in valid:
            self._quality.setdefault(bidder_id, self.rng.uniform(0.55, 0.95))
        client = self.experts[person_id]
        for bidder_id in valid:
            for item in items:
                entry = self.score_entry(person_id, bidder_id, item, spread)
                agreed = overrides.get((bidder_id, item.id))
                if agreed is not None and item.kind == "objective":
                    entry.objective = agreed
                client.command("RecordScore", self.session_id, entry=entry)
        client.command("SubmitDetailed", self.session_id)

    def score_request(
        self, client: ApiClient, expert_id: str, bidder_id: str, item: session_pb2.Criterion, spread: float
    ) -> Message:
        entry = self.score_entry(expert_id, bidder_id, item, spread)
        return client.build("RecordScore", self.session_id, entry=entry)

    def score_entry(
        self, expert_id: str, bidder_id: str, item: session_pb2.Criterion, spread: float
    ) -> session_pb2.ScoreEntry:
        """A plausible value: the bidder's quality, ± ``spread`` on judged items (objective items agree)."""
        low, high, step = Decimal(item.min_points), Decimal(item.max_points), Decimal(item.step)
        quality = self._quality.get(bidder_id, 0.8)
        entry = session_pb2.ScoreEntry(bidder_id=bidder_id, criterion_id=item.id)
        if item.kind == "score":
            entry.points = str(grid_value(low, high, step, quality + self.rng.uniform(-spread, spread)))
        elif item.kind == "objective":
            entry.objective = str(grid_value(low, high, step, quality))  # one true value: everyone agrees
        elif item.kind == "deduct":
            if quality < 0.7:
                entry.deductions.deductions.add(
                    points=str(step), reason="业绩证明材料不完整 (incomplete evidence)"
                )
            else:
                entry.deductions.SetInParent()
        elif item.kind == "vote":
            entry.vote = True
        elif item.kind == "pass_fail":
            entry.pass_fail.passed = True
        return entry

    def summarize(self) -> session_pb2.GroupSummary:
        leader = self.view().leader_id
        self.experts[leader].command("RunSummary", self.session_id)
        summary = self.summary()
        for flag in summary.deviation_flags:
            if not flag.explained:
                self.experts[flag.expert_id].command(
                    "ExplainDeviation",
                    self.session_id,
                    bidder_id=flag.bidder_id,
                    criterion_id=flag.criterion_id,
                    text="该投标文件施工方案针对性强, 本人按评分标准给分 (scored per the standard)",
                )
        self.progress(f"汇总完成, 偏离说明 {len(summary.deviation_flags)} 条 (summary run)")
        return self.summary()

    def summary(self) -> session_pb2.GroupSummary:
        response: evaluation_service_pb2.GetSummaryResponse = self.supervisor.evaluation.GetSummary(
            evaluation_service_pb2.GetSummaryRequest(session_id=self.session_id),
            timeout=self.supervisor.timeout,
        )
        return response.summary

    def finalize(self) -> session_pb2.GroupSummary:
        leader = self.view().leader_id
        self.experts[leader].command("FinalizeRanking", self.session_id)
        self.progress("排名已确定 (ranking finalized)")
        return self.summary()

    def sign(self) -> None:
        self._each_active("SignReport", decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
        self.progress("评标报告已签署 (report signed)")

    def run_to_ranking(self, leader_id: str) -> session_pb2.GroupSummary:
        self.check_in()
        self.accept_pledge()
        self.declare_no_conflict()
        self.elect(leader_id)
        self.start()
        self.preliminary()
        self.detailed()
        self.summarize()
        return self.finalize()
