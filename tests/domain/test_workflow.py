"""The evaluation workflow (DOMAIN.md steps 1-14) driven through ``decide``/``apply`` like the server does.

One harness (``Session``) runs commands with a fake clock that advances one second per command; every
refusal is checked to leave the state untouched. Expected numbers are written out literally and worked
by hand in the comments, never recomputed with the code under test.

The standard session: 5 experts E1-E5 (E5 is the tenderer's representative), reserves R1, R2 (drawn
experts) and R3 (a tenderer's representative), venues
V1 (main) and V2 (sub), supervisors S1 and S2, operator OP1, bidders B1-B7, and the method

    F1, Q1, R1P   preliminary pass/fail items (form, qualification, responsiveness)
    T1            SCORE 0-20, step 0.5
    T2            DEDUCT from 10, step 0.5
    T3            PASS_FAIL (detailed)
    T4            VOTE, yes → 2, no → 0
    O1            OBJECTIVE 0-5, step 1
    P1            PRICE, lowest-price/v1, 30 points
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bideval.domain.commands import (
    AcceptPledge,
    Actor,
    ApproveClarification,
    ApproveRollback,
    ApproveStart,
    CastLeaderVote,
    CheckIn,
    Command,
    CorrectionCase,
    DeclareRecusal,
    DeductEntry,
    Deduction,
    Entry,
    ExplainDeviation,
    FinalizeRanking,
    ObjectiveEntry,
    PassFailEntry,
    Pause,
    Phase,
    RecordClarificationAnswer,
    RecordPreliminaryVerdict,
    RecordScore,
    RecusalGround,
    RefuseToSign,
    ReplaceMember,
    RequestClarification,
    RequestCorrection,
    RequestRollback,
    RequestStart,
    Resume,
    Role,
    RunSummary,
    ScoreEntry,
    SetRecusal,
    SignReport,
    SubmitDetailed,
    SubmitPreliminary,
    VoteEntry,
)
from bideval.domain.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from bideval.domain.events import (
    EVENT_TYPES,
    ClarificationRejected,
    CorrectionRequested,
    DetailedSheetsReopened,
    ElectionOpened,
    ElectionTied,
    Event,
    LeaderElected,
    PhaseChanged,
    PreliminaryConcluded,
    RollbackApproved,
    StartRejected,
    TenderFailed,
    VoteCount,
    event_from_dict,
    event_to_dict,
)
from bideval.domain.method import (
    Criterion,
    EvaluationMethod,
    EvaluationRules,
    ItemKind,
    PreliminaryCategory,
    PriceBase,
    PriceFormula,
    ReviewStage,
)
from bideval.domain.setup import (
    Bidder,
    CreditStatus,
    Member,
    MemberKind,
    Project,
    ProjectType,
    SessionSetup,
    Supervisor,
    Venue,
)
from bideval.domain.summary import BidderTotal, rank_bidders
from bideval.domain.workflow import (
    ClarificationStatus,
    MemberStatus,
    SessionState,
    apply,
    archives,
    clarifications,
    decide,
    election_status,
    execute,
    member_progress,
    preliminary_outcome,
    ranking,
    replay,
    summary,
    visible_sheets,
)

D = Decimal
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
EXPERTS = ("E1", "E2", "E3", "E4", "E5")
BIDDERS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")
PRELIMINARY_ITEMS = ("F1", "Q1", "R1P")
ENTERED_ITEMS = ("T1", "T2", "T3", "T4", "O1")

PRICES = {
    "B1": "1000000",
    "B2": "980000",
    "B3": "1020000",
    "B4": "950000",
    "B5": "1050000",
    "B6": "990000",
    "B7": "1100000",
}

# Default detailed values: T1 = base + the expert's offset (offsets sum to 0, so the mean is the base);
# T2: everyone deducts 1 point from B2 only; T3 pass; T4 yes except E1-E3 vote no for B4; O1 per bidder.
T1_BASE = {"B1": "16", "B2": "15", "B3": "17", "B4": "14", "B5": "18", "B6": "12", "B7": "10"}
T1_OFFSET = {"E1": "0", "E2": "0.5", "E3": "-0.5", "E4": "0", "E5": "0", "R1": "0", "R2": "0"}
O1_VALUE = {"B1": "5", "B2": "4", "B3": "3", "B4": "5", "B5": "2", "B6": "4", "B7": "1"}

# Default preliminary: E1-E3 fail B7 on qualification (majority → rejected); E4 alone fails B3 on form.
DEFAULT_FAILS: dict[tuple[str, str, str], str] = {
    ("E1", "B7", "Q1"): "资质证书已过期",
    ("E2", "B7", "Q1"): "资质等级不满足招标文件要求",
    ("E3", "B7", "Q1"): "安全生产许可证过期",
    ("E4", "B3", "F1"): "投标函未加盖公章",
}


def make_setup(
    *,
    project_type: ProjectType = ProjectType.CONSTRUCTION,
    rules: EvaluationRules | None = None,
    prices: Mapping[str, str] = PRICES,
    committee_size: int = 5,
) -> SessionSetup:
    criteria = (
        Criterion(
            "F1", "投标函签字盖章", ReviewStage.PRELIMINARY, ItemKind.PASS_FAIL, PreliminaryCategory.FORM
        ),
        Criterion(
            "Q1", "资质与许可", ReviewStage.PRELIMINARY, ItemKind.PASS_FAIL, PreliminaryCategory.QUALIFICATION
        ),
        Criterion(
            "R1P", "工期响应", ReviewStage.PRELIMINARY, ItemKind.PASS_FAIL, PreliminaryCategory.RESPONSIVENESS
        ),
        Criterion("T1", "施工方案", ReviewStage.DETAILED, ItemKind.SCORE, max_points=D("20"), step=D("0.5")),
        Criterion(
            "T2", "质量保证措施", ReviewStage.DETAILED, ItemKind.DEDUCT, max_points=D("10"), step=D("0.5")
        ),
        Criterion("T3", "安全文明施工", ReviewStage.DETAILED, ItemKind.PASS_FAIL),
        Criterion("T4", "提供样品", ReviewStage.DETAILED, ItemKind.VOTE, max_points=D("2")),
        Criterion(
            "O1",
            "类似业绩（每项1分）",
            ReviewStage.DETAILED,
            ItemKind.OBJECTIVE,
            max_points=D("5"),
            step=D("1"),
        ),
        Criterion("P1", "投标报价", ReviewStage.DETAILED, ItemKind.PRICE, max_points=D("30")),
    )
    method = EvaluationMethod(
        name="综合评估法",
        criteria=criteria,
        price=PriceFormula(version="lowest-price/v1", full_points=D("30"), base=PriceBase.LOWEST),
        rules=rules or EvaluationRules(),
    )
    venue_of = {"E1": "V1", "E2": "V1", "E3": "V1", "E4": "V2", "E5": "V2", "E6": "V2", "E7": "V1"}
    committee = [
        Member(
            person_id,
            f"专家{person_id}",
            venue_of[person_id],
            MemberKind.TENDERER_REPRESENTATIVE if person_id == "E5" else MemberKind.DRAWN_EXPERT,
        )
        for person_id in ("E1", "E2", "E3", "E4", "E5", "E6", "E7")[:committee_size]
    ]
    return SessionSetup(
        session_id="S-2025-001",
        project=Project(
            code="P-001",
            name="某县人民医院门诊楼工程",
            region="某县",
            project_type=project_type,
            tenderer="某县人民医院",
            agency="某招标代理有限公司",
            lot_code="L1",
            lot_name="施工",
        ),
        venues=(Venue("V1", "县交易中心", "某县", True), Venue("V2", "市交易中心评标室", "某市", False)),
        bidders=tuple(
            Bidder(
                b,
                f"投标人{b}",
                D(prices[b]),
                f"{i:064x}",
                CreditStatus.BLACK if b == "B7" else CreditStatus.NORMAL,
            )
            for i, b in enumerate(prices, start=1)
        ),
        members=(
            *committee,
            Member("R1", "候补专家R1", "V1", reserve=True),
            Member("R2", "候补专家R2", "V2", reserve=True),
            Member("R3", "候补招标人代表R3", "V2", MemberKind.TENDERER_REPRESENTATIVE, reserve=True),
        ),
        supervisors=(Supervisor("S1", "监督S1", "V1"), Supervisor("S2", "监督S2", "V2")),
        method=method,
    )


def default_entry(expert: str, bidder: str, criterion: str) -> Entry:
    if criterion == "T1":
        return ScoreEntry(D(T1_BASE[bidder]) + D(T1_OFFSET[expert]))
    if criterion == "T2":
        return DeductEntry((Deduction(D("1"), "进度计划不详"),)) if bidder == "B2" else DeductEntry()
    if criterion == "T3":
        return PassFailEntry(True)
    if criterion == "T4":
        return VoteEntry(not (bidder == "B4" and expert in ("E1", "E2", "E3")))
    assert criterion == "O1"
    return ObjectiveEntry(D(O1_VALUE[bidder]))


def role_of(person_id: str) -> Role:
    if person_id.startswith("S"):
        return Role.SUPERVISOR
    if person_id.startswith("OP"):
        return Role.OPERATOR
    return Role.EXPERT


class Session:
    """A session driven command by command; the clock advances ``wait`` seconds before each command."""

    def __init__(self, setup: SessionSetup | None = None, *, check_purity: bool = False) -> None:
        self.setup = setup or make_setup()
        self.state = SessionState.new(self.setup, T0)
        self.now = T0
        self.events: list[Event] = []
        self.check_purity = check_purity  # compare the whole state before and after every decide

    def do(self, who: str, command: Command, *, wait: float = 1) -> list[Event]:
        self.now += timedelta(seconds=wait)
        actor = Actor(who, role_of(who))
        if self.check_purity:
            before = copy.deepcopy(self.state)
            events = decide(self.state, actor, command, self.now)
            assert self.state == before, f"decide changed the state on {command}"
            for event in events:
                apply(self.state, event)
        else:
            events = execute(self.state, actor, command, self.now)
        self.events.extend(events)
        return events

    def refuse(
        self, who: str, command: Command, error: type[DomainError], match: str, *, wait: float = 1
    ) -> str:
        """Assert ``command`` is refused with ``error`` matching ``match``, and that nothing changed."""
        self.now += timedelta(seconds=wait)
        before = copy.deepcopy(self.state)
        with pytest.raises(error, match=match) as refused:
            decide(self.state, Actor(who, role_of(who)), command, self.now)
        assert self.state == before
        return str(refused.value)

    @property
    def phase(self) -> Phase:
        return self.state.phase

    def committee(self) -> list[str]:
        return [m.person_id for m in self.state.active_members()]

    # -- steps 1-5 ----------------------------------------------------------------------------------

    def check_in_all(self) -> None:
        for person_id in self.committee():
            if self.state.members[person_id].checked_in_at is None:
                self.do(person_id, CheckIn(self.state.members[person_id].venue_id))

    def pledge_all(self) -> None:
        self.now += timedelta(seconds=self.setup.method.rules.pledge_countdown_seconds)
        for person_id in self.committee():
            if self.state.members[person_id].pledged_at is None:
                self.do(person_id, AcceptPledge())

    def declare_all(self) -> None:
        for person_id in self.committee():
            if self.state.members[person_id].declared_at is None:
                self.do(person_id, DeclareRecusal())

    def elect(self, leader: str = "E1") -> None:
        for person_id in self.committee():
            self.do(person_id, CastLeaderVote(leader))

    def start(self) -> None:
        leader = self.state.leader_id
        assert leader is not None
        self.do(leader, RequestStart())
        self.do("S1", ApproveStart())

    def to_preliminary(self) -> None:
        self.check_in_all()
        self.pledge_all()
        self.declare_all()
        self.elect()
        self.start()
        assert self.phase is Phase.PRELIMINARY_REVIEW

    # -- steps 7-11 ---------------------------------------------------------------------------------

    def review_preliminary(
        self, expert: str, fails: Mapping[tuple[str, str, str], str] = DEFAULT_FAILS, *, submit: bool = True
    ) -> None:
        for bidder in BIDDERS:
            for item in PRELIMINARY_ITEMS:
                reason = fails.get((expert, bidder, item))
                self.do(expert, RecordPreliminaryVerdict(bidder, item, reason is None, reason or ""), wait=0)
        if submit:
            self.do(expert, SubmitPreliminary())

    def to_detailed(self, fails: Mapping[tuple[str, str, str], str] = DEFAULT_FAILS) -> None:
        self.to_preliminary()
        for expert in self.committee():
            self.review_preliminary(expert, fails)
        assert self.phase is Phase.DETAILED_REVIEW

    def score(
        self,
        expert: str,
        overrides: Mapping[tuple[str, str, str], Entry] | None = None,
        *,
        submit: bool = True,
    ) -> None:
        for bidder in self.state.valid_bidders():
            for item in ENTERED_ITEMS:
                entry = (overrides or {}).get((expert, bidder, item)) or default_entry(expert, bidder, item)
                self.do(expert, RecordScore(bidder, item, entry), wait=0)
        if submit:
            self.do(expert, SubmitDetailed())

    def to_summary(self, overrides: Mapping[tuple[str, str, str], Entry] | None = None) -> None:
        self.to_detailed()
        for expert in self.committee():
            self.score(expert, overrides)
        self.do("E1", RunSummary())
        assert self.phase is Phase.SUMMARY


def phase_changes(events: list[Event]) -> list[Phase]:
    return [e.to for e in events if isinstance(e, PhaseChanged)]


# The happy path's one deviating score: E4 gives B6 only 6 on T1.
# B6/T1: 12 + 12.5 + 11.5 + 6 + 12 = 54, mean 10.8, band 10.8 ± 3.24 = [7.56, 14.04]: 6 is outside.
HAPPY_OVERRIDES: dict[tuple[str, str, str], Entry] = {("E4", "B6", "T1"): ScoreEntry(D("6"))}


def happy_path() -> Session:
    """Check-in to CLOSED with a clarification, a deviation explanation, a dissent and a refusal."""
    s = Session(check_purity=True)
    s.to_preliminary()
    s.do("E1", RequestClarification("B2", "请说明投标报价中暂列金额的计取依据。"))
    s.do("S2", ApproveClarification("C1", approved=True))
    s.do("OP1", RecordClarificationAnswer("C1", "暂列金额按招标文件第五章规定的10%计取。"))
    for expert in EXPERTS:
        s.review_preliminary(expert)
    for expert in EXPERTS:
        s.score(expert, HAPPY_OVERRIDES)
    s.do("E1", RunSummary())
    s.do(
        "E4",
        ExplainDeviation("B6", "T1", "B6 的施工方案未针对门诊楼不停诊施工，缺少交通组织方案，故评分较低。"),
    )
    s.do("E1", FinalizeRanking())
    for expert in ("E1", "E2", "E3"):
        s.do(expert, SignReport(agree=True))
    s.do("E4", SignReport(agree=False, dissent="B6 施工方案存在重大缺陷，不宜排名靠前；其余无异议。"))
    s.do("E5", RefuseToSign())
    return s


# ==================================================================================================
# The whole session


def test_happy_path_from_check_in_to_closed() -> None:
    s = happy_path()
    changes = phase_changes(s.events)
    assert changes == [
        Phase.PLEDGE,
        Phase.RECUSAL,
        Phase.LEADER_ELECTION,
        Phase.AWAITING_START,
        Phase.PRELIMINARY_REVIEW,
        Phase.DETAILED_REVIEW,
        Phase.SUMMARY,
        Phase.REPORT,
        Phase.CLOSED,
    ]
    assert s.phase is Phase.CLOSED
    assert s.state.leader_id == "E1"

    prelim = preliminary_outcome(s.state)
    assert prelim.concluded
    assert prelim.result is not None
    assert prelim.result.valid_bidders == ("B1", "B2", "B3", "B4", "B5", "B6")
    (rejected,) = prelim.result.rejected
    assert rejected.bidder_id == "B7"
    (failed,) = rejected.failed
    assert (failed.criterion_id, failed.fail_votes, failed.pass_votes) == ("Q1", 3, 2)
    assert [r.reason for r in failed.fail_reasons] == [
        "资质证书已过期",
        "资质等级不满足招标文件要求",
        "安全生产许可证过期",
    ]
    # E4's lone fail of B3 on F1 is outvoted 4:1.
    b3_f1 = next(v for v in prelim.result.verdicts if (v.bidder_id, v.criterion_id) == ("B3", "F1"))
    assert (b3_f1.passed, b3_f1.fail_votes, b3_f1.pass_votes) == (True, 1, 4)
    assert {c.bidder_id: c.credit for c in prelim.credit}["B7"] is CreditStatus.BLACK

    view = summary(s.state)
    assert view.result is not None
    items = {(i.bidder_id, i.criterion_id): i for i in view.result.items}
    assert items[("B1", "T1")].points == D("16.00")
    assert items[("B6", "T1")].points == D("10.80")  # 54 / 5
    assert items[("B2", "T2")].points == D("9.00")  # 10 − 1 deducted by everyone
    assert items[("B4", "T4")].points == D("0")  # 2 yes, 3 no
    assert items[("B1", "T4")].points == D("2")
    assert items[("B3", "O1")].points == D("3")
    assert items[("B1", "T3")].passed is True
    assert items[("B1", "T3")].points is None

    # lowest-price/v1 over the six valid bids: base = B4's 950000.
    price = view.result.price
    assert price is not None
    assert price.base == D("950000")
    assert {p.bidder_id: p.score for p in price.scores} == {
        "B1": D("28.50"),  # 950000 / 1000000 × 30
        "B2": D("29.08"),  # 29.0816…
        "B3": D("27.94"),  # 27.9411…
        "B4": D("30.00"),
        "B5": D("27.14"),  # 27.1428…
        "B6": D("28.79"),  # 28.7878…
    }
    (flag,) = view.result.deviation_flags
    assert (flag.expert_id, flag.bidder_id, flag.criterion_id, flag.points) == ("E4", "B6", "T1", D("6"))
    assert (flag.low, flag.high) == (D("7.56"), D("14.04"))
    assert view.flags[0].explanation is not None
    assert view.missing_explanations == ()

    # Totals = T1 + T2 + T4 + O1 + price.
    totals = {t.bidder_id: t.total for t in view.result.totals}
    assert totals == {
        "B1": D("61.50"),  # 16 + 10 + 2 + 5 + 28.50
        "B2": D("59.08"),  # 15 + 9 + 2 + 4 + 29.08
        "B3": D("59.94"),  # 17 + 10 + 2 + 3 + 27.94
        "B4": D("59.00"),  # 14 + 10 + 0 + 5 + 30.00
        "B5": D("59.14"),  # 18 + 10 + 2 + 2 + 27.14
        "B6": D("55.59"),  # 10.80 + 10 + 2 + 4 + 28.79
    }
    final = ranking(s.state)
    assert final is not None
    assert [(r.rank, r.bidder_id, r.candidate) for r in final.ranked] == [
        (1, "B1", True),
        (2, "B3", True),
        (3, "B5", True),
        (4, "B2", False),
        (5, "B4", False),
        (6, "B6", False),
    ]
    assert final.candidates == ("B1", "B3", "B5")

    (clar,) = clarifications(s.state)
    assert (clar.clarification_id, clar.status, clar.decided_by) == ("C1", ClarificationStatus.ANSWERED, "S2")
    assert clar.answer.startswith("暂列金额")

    signed = {sig.expert_id: sig for sig in s.state.signatures.values()}
    assert not signed["E4"].agree
    assert signed["E4"].dissent.startswith("B6")
    assert signed["E5"].refused
    assert signed["E5"].agree  # deemed agreement
    assert all(p.signed for p in member_progress(s.state) if p.status is MemberStatus.ACTIVE)


def test_replaying_the_events_rebuilds_an_equal_state() -> None:
    s = happy_path()
    assert replay(s.setup, T0, s.events) == s.state
    stored = [json.loads(json.dumps(event_to_dict(e))) for e in s.events]
    assert replay(s.setup, T0, [event_from_dict(d) for d in stored]) == s.state


def test_replay_equality_can_fail() -> None:
    s = happy_path()
    assert replay(s.setup, T0, s.events[:-1]) != s.state


def test_decide_never_changes_the_state() -> None:
    s = Session()
    s.check_in_all()
    before = copy.deepcopy(s.state)
    s.now += timedelta(seconds=30)
    events = decide(s.state, Actor("E1", Role.EXPERT), AcceptPledge(), s.now)
    assert events
    assert s.state == before


def test_closed_session_accepts_nothing() -> None:
    s = happy_path()
    s.refuse("S1", Pause("复核"), FailedPrecondition, "closed")
    s.refuse("E1", RunSummary(), FailedPrecondition, "closed")


def test_the_clock_must_not_go_backwards() -> None:
    s = Session()
    s.do("E1", CheckIn("V1"))
    s.refuse("E2", CheckIn("V1"), InvalidArgument, "earlier than the session's last event", wait=-5)


def test_setup_is_validated() -> None:
    bad = make_setup()
    duplicated = replace(bad, bidders=(*bad.bidders, bad.bidders[0]), supervisors=())
    with pytest.raises(InvalidArgument, match="duplicate bidder ids: B1; there is no supervisor"):
        SessionState.new(duplicated, T0)
    with pytest.raises(InvalidArgument, match="odd number of at least 5"):
        SessionState.new(make_setup(committee_size=4), T0)
    with pytest.raises(InvalidArgument, match="odd number of at least 7"):
        SessionState.new(make_setup(rules=EvaluationRules(min_committee_size=7)), T0)
    SessionState.new(make_setup(committee_size=7, rules=EvaluationRules(min_committee_size=7)), T0)


# ==================================================================================================
# Steps 1-2: check-in and pledge


def test_check_in_checks_the_venue_and_the_position() -> None:
    s = Session()
    s.refuse("E4", CheckIn("V1"), PermissionDenied, "assigned to venue V2")
    s.refuse("E1", CheckIn("V9"), NotFound, "Unknown venue")
    s.refuse("E9", CheckIn("V1"), PermissionDenied, "not a member of the evaluation committee")
    s.refuse("R1", CheckIn("V1"), PermissionDenied, "not a member")  # an undrawn reserve
    s.refuse("S1", CheckIn("V1"), PermissionDenied, "Only committee experts")
    s.do("E1", CheckIn("V1"))
    s.refuse("E1", CheckIn("V1"), FailedPrecondition, "already checked in")


def test_the_session_waits_for_every_check_in() -> None:
    s = Session()
    for person_id, venue in (("E1", "V1"), ("E2", "V1"), ("E3", "V1"), ("E4", "V2")):
        assert phase_changes(s.do(person_id, CheckIn(venue))) == []
    s.refuse("E1", AcceptPledge(), FailedPrecondition, "still waiting for: E5")
    assert phase_changes(s.do("E5", CheckIn("V2"))) == [Phase.PLEDGE]


def test_the_pledge_countdown_is_enforced() -> None:
    s = Session()
    s.check_in_all()  # the last check-in opened the pledge at s.now
    message = s.refuse("E1", AcceptPledge(), FailedPrecondition, "read for 10 s", wait=3)
    assert "7 s remaining" in message
    s.refuse("E2", AcceptPledge(), FailedPrecondition, "1 s remaining", wait=6.5)  # 9.5 s: a started second
    s.do("E1", AcceptPledge(), wait=0.5)  # exactly 10 s
    s.refuse("E1", AcceptPledge(), FailedPrecondition, "already accepted")


def test_the_countdown_comes_from_the_method() -> None:
    s = Session(make_setup(rules=EvaluationRules(pledge_countdown_seconds=30)))
    s.check_in_all()
    assert "20 s remaining" in s.refuse("E1", AcceptPledge(), FailedPrecondition, "read for 30 s", wait=10)


# ==================================================================================================
# Steps 3-4: recusal, replacement, election


def test_declarations_open_after_every_pledge_and_other_needs_a_note() -> None:
    s = Session()
    s.check_in_all()
    s.now += timedelta(seconds=10)
    s.do("E1", AcceptPledge())
    s.refuse("E1", DeclareRecusal(), FailedPrecondition, "still waiting for: E2, E3, E4, E5")
    s.pledge_all()
    assert s.phase is Phase.RECUSAL
    s.refuse("E1", DeclareRecusal((RecusalGround.OTHER,)), InvalidArgument, "needs a note")
    s.refuse("E1", DeclareRecusal(("nephew",)), InvalidArgument, "Unknown recusal ground")  # type: ignore[arg-type]


def test_a_declared_conflict_recuses_and_a_reserve_replaces() -> None:
    s = Session()
    s.check_in_all()
    s.pledge_all()
    for expert in ("E1", "E2", "E4", "E5"):
        s.do(expert, DeclareRecusal())
    s.do("E3", DeclareRecusal((RecusalGround.EMPLOYMENT_OR_CONTROL,), "2023年前在B4任职"))
    assert s.state.members["E3"].status is MemberStatus.RECUSED
    assert s.phase is Phase.RECUSAL  # waits for the replacement
    s.refuse("E3", CastLeaderVote("E1"), PermissionDenied, "recused")
    s.refuse("E1", ReplaceMember("E3", "R1"), PermissionDenied, "operator")
    s.refuse("OP1", ReplaceMember("E2", "R1"), FailedPrecondition, "has not been recused")
    s.refuse("OP1", ReplaceMember("E3", "E4"), InvalidArgument, "not a reserve")
    s.refuse("OP1", ReplaceMember("E3", "R9"), NotFound, "not a reserve")
    s.do("OP1", ReplaceMember("E3", "R1"))
    s.refuse("OP1", ReplaceMember("E3", "R2"), FailedPrecondition, "already been replaced by R1")

    # The replacement checks in, reads the pledge for 10 s from their own check-in, and declares.
    s.refuse("R1", CastLeaderVote("E1"), FailedPrecondition, "must first check in")
    s.do("R1", CheckIn("V1"))
    s.refuse("R1", AcceptPledge(), FailedPrecondition, "5 s remaining", wait=5)
    s.do("R1", AcceptPledge(), wait=5)
    events = s.do("R1", DeclareRecusal())
    assert phase_changes(events) == [Phase.LEADER_ELECTION]
    assert s.committee() == ["E1", "E2", "E4", "E5", "R1"]
    progress = {p.person_id: p for p in member_progress(s.state)}
    assert progress["E3"].status is MemberStatus.REPLACED
    assert progress["E3"].replaced_by == "R1"
    assert progress["E3"].recusal is not None
    assert progress["E3"].recusal.self_declared
    assert progress["R1"].replaces == "E3"
    assert progress["R1"].declared


def test_a_replacement_keeps_two_thirds_drawn_experts() -> None:
    s = Session()
    s.do("S1", SetRecusal("E2", (RecusalGround.CLOSE_RELATIVE,), "E2 系 B1 法定代表人之配偶"))
    # E5 and R3 would make 2 tenderer's representatives out of 5: more than a third.
    s.refuse("OP1", ReplaceMember("E2", "R3"), InvalidArgument, "at least two thirds must be drawn experts")
    s.do("S2", ReplaceMember("E2", "R2"))
    assert s.committee() == ["E1", "E3", "E4", "E5", "R2"]


def test_a_supervisor_recusal_during_the_election_voids_the_vote() -> None:
    s = Session()
    s.check_in_all()
    s.pledge_all()
    s.declare_all()
    for expert in ("E1", "E2", "E3"):
        s.do(expert, CastLeaderVote("E3"))
    s.refuse("E1", SetRecusal("E3", (RecusalGround.CLOSE_RELATIVE,), "x"), PermissionDenied, "supervisor")
    s.refuse("S1", SetRecusal("E3", (RecusalGround.CLOSE_RELATIVE,), " "), InvalidArgument, "reason")
    s.do("S1", SetRecusal("E3", (RecusalGround.CLOSE_RELATIVE,), "E3 系 B2 法定代表人之兄"))
    assert s.state.election is not None
    assert s.state.election.votes == {}  # votes by and for E3 are void
    s.do("E4", CastLeaderVote("E1"))
    s.do("E5", CastLeaderVote("E1"))
    s.do("OP1", ReplaceMember("E3", "R1"))
    s.do("R1", CheckIn("V1"))
    s.do("R1", AcceptPledge(), wait=10)
    s.do("R1", DeclareRecusal())
    for expert in ("E1", "E2"):
        s.do(expert, CastLeaderVote("E2"))
    assert s.phase is Phase.LEADER_ELECTION  # waits for R1
    events = s.do("R1", CastLeaderVote("E1"))
    elected = next(e for e in events if isinstance(e, LeaderElected))
    assert elected.leader_id == "E1"
    assert elected.tally == (VoteCount("E1", 3), VoteCount("E2", 2))


def test_a_tied_round_is_followed_by_a_run_off_between_the_tied() -> None:
    s = Session()
    s.check_in_all()
    s.pledge_all()
    s.declare_all()
    votes = {"E1": "E1", "E2": "E1", "E3": "E2", "E4": "E2"}
    for voter, candidate in votes.items():
        s.do(voter, CastLeaderVote(candidate))
    s.refuse("E1", CastLeaderVote("E2"), FailedPrecondition, "already voted in round 1")
    s.refuse("E5", CastLeaderVote("R1"), NotFound, "not a member")
    events = s.do("E5", CastLeaderVote("E3"))
    tied = next(e for e in events if isinstance(e, ElectionTied))
    assert tied.tied == ("E1", "E2")
    run_off = next(e for e in events if isinstance(e, ElectionOpened))
    assert (run_off.round, run_off.candidates) == (2, ("E1", "E2"))
    assert s.phase is Phase.LEADER_ELECTION

    s.refuse("E5", CastLeaderVote("E3"), InvalidArgument, "run-off between the tied candidates E1, E2")
    for voter, candidate in {"E1": "E1", "E2": "E2", "E3": "E2", "E4": "E2"}.items():
        s.do(voter, CastLeaderVote(candidate))
    assert election_status(s.state, "E1").my_vote == "E1"
    assert phase_changes(s.do("E5", CastLeaderVote("E1"))) == [Phase.AWAITING_START]
    status = election_status(s.state)
    assert status.leader_id == "E2"
    assert not status.open
    assert [(r.round, r.elected, r.tied) for r in status.rounds] == [(1, None, ("E1", "E2")), (2, "E2", ())]


def test_in_government_procurement_the_purchasers_representative_cannot_lead() -> None:
    s = Session(make_setup(project_type=ProjectType.GOVERNMENT_PROCUREMENT))
    s.check_in_all()
    s.pledge_all()
    s.declare_all()
    s.refuse("E1", CastLeaderVote("E5"), InvalidArgument, "purchaser's representative")
    assert "E5" not in election_status(s.state).candidates

    construction = Session()
    construction.check_in_all()
    construction.pledge_all()
    construction.declare_all()
    construction.do("E1", CastLeaderVote("E5"))  # allowed outside government procurement


# ==================================================================================================
# Step 5: start gate; pause


def test_the_leader_asks_and_a_supervisor_approves_the_start() -> None:
    s = Session()
    s.check_in_all()
    s.pledge_all()
    s.declare_all()
    s.elect("E2")
    assert s.phase is Phase.AWAITING_START
    s.refuse("S1", ApproveStart(), FailedPrecondition, "has not asked to start")
    s.refuse("E1", RequestStart(), PermissionDenied, "Only the committee leader")
    s.do("E2", RequestStart())
    s.refuse("E2", RequestStart(), FailedPrecondition, "already requested")
    s.refuse("E2", ApproveStart(), PermissionDenied, "supervisor")
    s.refuse("S1", ApproveStart(approved=False), InvalidArgument, "why the start is refused")
    assert isinstance(s.do("S1", ApproveStart(approved=False, note="副场视频未接通"))[0], StartRejected)
    s.refuse("S1", ApproveStart(), FailedPrecondition, "has not asked to start")
    s.do("E2", RequestStart())
    assert phase_changes(s.do("S2", ApproveStart())) == [Phase.PRELIMINARY_REVIEW]


def test_a_pause_blocks_every_command_until_resumed() -> None:
    s = Session()
    s.to_preliminary()
    s.refuse("S1", Pause("  "), InvalidArgument, "reason for pausing")
    s.refuse("E1", Pause("x"), PermissionDenied, "supervisor")
    s.do("S2", Pause("副场视频信号中断"))
    s.refuse("S1", Pause("again"), FailedPrecondition, "is paused")
    message = s.refuse("E1", RecordPreliminaryVerdict("B1", "F1", True), FailedPrecondition, "paused")
    assert "副场视频信号中断" in message
    s.refuse("E1", RequestClarification("B1", "?"), FailedPrecondition, "副场视频信号中断")
    s.refuse("OP1", RecordClarificationAnswer("C1", "x"), FailedPrecondition, "paused")
    # Handling a conflict of interest is what a pause is for: recusal and replacement stay possible.
    s.do("S2", SetRecusal("E4", (RecusalGround.OTHER,), "与B3存在经济往来"))
    s.do("OP1", ReplaceMember("E4", "R2"))
    s.refuse("S1", Resume(""), InvalidArgument, "reason for resuming")
    s.do("S1", Resume("视频恢复"))
    s.refuse("S1", Resume("again"), FailedPrecondition, "not paused")
    s.do("E1", RecordPreliminaryVerdict("B1", "F1", True))


# ==================================================================================================
# Step 7: preliminary review


def test_a_fail_needs_a_reason_and_verdicts_seal_on_submit() -> None:
    s = Session()
    s.to_preliminary()
    s.refuse("E1", RecordPreliminaryVerdict("B1", "Q1", False, "  "), InvalidArgument, "reason .* mandatory")
    s.refuse(
        "E1", RecordPreliminaryVerdict("B1", "T1", True), InvalidArgument, "belongs to the detailed review"
    )
    s.refuse("E1", RecordPreliminaryVerdict("B9", "Q1", True), NotFound, "Unknown bidder")
    s.refuse("E1", RecordPreliminaryVerdict("B1", "X9", True), NotFound, "Unknown criterion")
    s.do("E1", RecordPreliminaryVerdict("B1", "Q1", False, "无资质证书"))
    s.do("E1", RecordPreliminaryVerdict("B1", "Q1", True))  # changed before submitting
    assert s.state.preliminary["E1"].verdicts[("B1", "Q1")] == PassFailEntry(True)
    message = s.refuse("E1", SubmitPreliminary(), FailedPrecondition, "20 verdicts missing")
    assert "B1 × F1" in message
    s.review_preliminary("E1")
    s.refuse("E1", RecordPreliminaryVerdict("B1", "Q1", True), FailedPrecondition, "already submitted")
    s.refuse("E1", SubmitPreliminary(), FailedPrecondition, "already submitted")


def test_the_majority_rejects_a_bid_and_a_minority_does_not() -> None:
    s = Session()
    s.to_preliminary()
    fails = {
        ("E1", "B2", "R1P"): "工期超出招标文件要求",
        ("E2", "B2", "R1P"): "工期不响应",
        ("E3", "B5", "F1"): "未签字",
        ("E4", "B5", "F1"): "法定代表人未签字",
        ("E5", "B5", "Q1"): "项目经理无注册证书",
    }
    for expert in EXPERTS[:-1]:
        s.review_preliminary(expert, fails)
        assert s.phase is Phase.PRELIMINARY_REVIEW  # waits for everyone
    s.review_preliminary("E5", fails)
    outcome = preliminary_outcome(s.state)
    assert outcome.result is not None
    # B2: 2 of 5 fail R1P → valid. B5: 2 of 5 fail F1 and 1 of 5 fails Q1 → valid (each item by majority).
    assert outcome.result.valid_bidders == BIDDERS
    assert outcome.result.rejected == ()


def test_too_few_valid_bids_is_a_failed_tender() -> None:
    s = Session()
    s.to_preliminary()
    fails = {(e, b, "Q1"): "资质不符" for e in ("E1", "E2", "E3") for b in ("B3", "B4", "B5", "B6", "B7")}
    for expert in EXPERTS:
        s.review_preliminary(expert, fails)
    assert s.phase is Phase.FAILED_TENDER
    failure = next(e for e in s.events if isinstance(e, TenderFailed))
    assert failure.valid_bidders == ("B1", "B2")
    assert "only 2 bids passed" in failure.reason
    assert "3 required" in failure.reason
    message = s.refuse("E1", RequestClarification("B1", "?"), FailedPrecondition, "failed tender")
    assert "流标" in message


def test_the_minimum_number_of_valid_bids_comes_from_the_method() -> None:
    s = Session(make_setup(rules=EvaluationRules(min_valid_bids=2)))
    s.to_preliminary()
    fails = {(e, b, "Q1"): "资质不符" for e in ("E1", "E2", "E3") for b in ("B3", "B4", "B5", "B6", "B7")}
    for expert in EXPERTS:
        s.review_preliminary(expert, fails)
    assert s.phase is Phase.DETAILED_REVIEW


# ==================================================================================================
# Step 8: clarification


def test_clarification_states() -> None:
    s = Session()
    s.to_preliminary()
    s.refuse("E2", RequestClarification("B1", "?"), PermissionDenied, "leader")
    s.refuse("E1", RequestClarification("B1", " "), InvalidArgument, "question")
    s.do("E1", RequestClarification("B1", "请澄清项目经理的在岗承诺。"))
    s.do("E1", RequestClarification("B3", "贵公司是否可以把价格降低？"))
    assert [c.status for c in clarifications(s.state)] == [ClarificationStatus.PENDING_APPROVAL] * 2
    s.refuse("OP1", RecordClarificationAnswer("C1", "x"), FailedPrecondition, "not been approved")
    s.refuse("E1", ApproveClarification("C1", approved=True), PermissionDenied, "supervisor")
    s.refuse("S1", ApproveClarification("C9", approved=True), NotFound, "C9")
    s.refuse("S1", ApproveClarification("C2", approved=False), InvalidArgument, "why the question is refused")
    s.do("S1", ApproveClarification("C1", approved=True))
    events = s.do("S1", ApproveClarification("C2", approved=False, note="诱导投标人改变报价，违反条例第52条"))
    assert isinstance(events[0], ClarificationRejected)
    s.refuse("S1", ApproveClarification("C1", approved=True), FailedPrecondition, "is sent")
    s.refuse("E1", RecordClarificationAnswer("C1", "x"), PermissionDenied, "operator")
    s.refuse("OP1", RecordClarificationAnswer("C2", "x"), FailedPrecondition, "refused by a supervisor")
    s.do("OP1", RecordClarificationAnswer("C1", "项目经理承诺全程在岗。"))
    s.refuse("OP1", RecordClarificationAnswer("C1", "x"), FailedPrecondition, "already been answered")
    assert [c.status for c in clarifications(s.state)] == [
        ClarificationStatus.ANSWERED,
        ClarificationStatus.REJECTED,
    ]


def test_without_required_approval_a_question_is_sent_at_once() -> None:
    s = Session(make_setup(rules=EvaluationRules(clarification_needs_approval=False)))
    s.to_detailed()
    s.refuse("E1", RequestClarification("B7", "?"), FailedPrecondition, "rejected")
    s.do("E1", RequestClarification("B1", "请提供业绩合同原件扫描件。"))
    assert clarifications(s.state)[0].status is ClarificationStatus.SENT


# ==================================================================================================
# Step 9: detailed review


def test_scores_are_checked_against_range_step_and_kind() -> None:
    s = Session()
    s.to_detailed()
    message = s.refuse("E3", RecordScore("B1", "T1", ScoreEntry(D("7.3"))), InvalidArgument, "step grid")
    assert message == (
        "Score 7.3 by expert E3 for bidder B1 is not on the step grid (步长) 0.5 (criterion T1, range 0–20)"
    )
    s.refuse("E3", RecordScore("B1", "T1", ScoreEntry(D("20.5"))), InvalidArgument, "outside the range")
    s.refuse("E3", RecordScore("B1", "T1", ScoreEntry(D("-0.5"))), InvalidArgument, "outside the range")
    s.refuse("E3", RecordScore("B1", "T1", ScoreEntry(D("NaN"))), InvalidArgument, "finite")
    s.refuse("E3", RecordScore("B1", "O1", ObjectiveEntry(D("2.5"))), InvalidArgument, "step grid")
    s.refuse("E3", RecordScore("B1", "T1", DeductEntry()), InvalidArgument, "send a ScoreEntry")
    s.refuse(
        "E3", RecordScore("B1", "P1", ScoreEntry(D("30"))), InvalidArgument, "price score .* never entered"
    )
    s.refuse("E3", RecordScore("B1", "F1", PassFailEntry(True)), InvalidArgument, "preliminary review")
    s.refuse("E3", RecordScore("B7", "T1", ScoreEntry(D("10"))), FailedPrecondition, "rejected")
    s.refuse("E3", RecordScore("B1", "T3", PassFailEntry(False)), InvalidArgument, "reason .* mandatory")
    s.do("E3", RecordScore("B1", "T1", ScoreEntry(D("17.5"))))
    s.do("E3", RecordScore("B1", "O1", ObjectiveEntry(D("5"))))


def test_every_deduction_needs_a_reason_and_fits_the_item() -> None:
    s = Session()
    s.to_detailed()

    def deduct(*pairs: tuple[str, str]) -> RecordScore:
        return RecordScore("B1", "T2", DeductEntry(tuple(Deduction(D(p), r) for p, r in pairs)))

    s.refuse("E1", deduct(("1", "无进度计划"), ("0.5", " ")), InvalidArgument, "Deduction 2 .* no reason")
    s.refuse("E1", deduct(("0.3", "措施不全")), InvalidArgument, "step grid")
    s.refuse("E1", deduct(("0", "无")), InvalidArgument, "positive")
    s.refuse("E1", deduct(("6", "无质量体系"), ("4.5", "无检测计划")), InvalidArgument, "would leave -0.5")
    s.do("E1", deduct(("6", "无质量体系"), ("4", "无检测计划")))  # 10 − 10 = 0 is allowed


def test_submitting_needs_every_item_for_every_valid_bid_and_seals() -> None:
    s = Session()
    s.to_detailed()
    s.score("E1", submit=False)
    s.do("E2", RecordScore("B1", "T1", ScoreEntry(D("15"))))
    assert "29 entries missing" in s.refuse("E2", SubmitDetailed(), FailedPrecondition, "cannot submit")
    s.do("E1", SubmitDetailed())
    s.refuse("E1", RecordScore("B1", "T1", ScoreEntry(D("15"))), FailedPrecondition, "sealed")
    s.refuse("E1", SubmitDetailed(), FailedPrecondition, "already submitted")
    s.refuse("E1", RunSummary(), FailedPrecondition, "not yet submitted: E2, E3, E4, E5")


def test_sheets_stay_sealed_until_everyone_has_submitted() -> None:
    s = Session()
    s.to_detailed()
    for expert in ("E1", "E2", "E3", "E4"):
        s.score(expert)
    s.score("E5", submit=False)

    mine = visible_sheets(s.state, Actor("E1", Role.EXPERT))
    assert not mine.detailed_visible
    assert mine.detailed_submitted == ("E1", "E2", "E3", "E4")
    assert mine.sheets[0].expert_id == "E1"
    assert len(mine.sheets[0].entries) == 30
    assert all(sheet.entries == () for sheet in mine.sheets[1:])
    # The preliminary review is concluded, so its verdicts are open to every member who submitted.
    assert mine.preliminary_visible
    assert all(len(sheet.verdicts) == 21 for sheet in mine.sheets)
    supervisor = visible_sheets(s.state, Actor("S1", Role.SUPERVISOR))
    assert supervisor.detailed_submitted == ("E1", "E2", "E3", "E4")
    assert all(sheet.entries == () for sheet in supervisor.sheets)
    unsubmitted = visible_sheets(s.state, Actor("E5", Role.EXPERT))
    assert unsubmitted.sheets[0].expert_id == "E5"
    assert len(unsubmitted.sheets[0].entries) == 30

    s.do("E5", SubmitDetailed())
    everyone = visible_sheets(s.state, Actor("E1", Role.EXPERT))
    assert everyone.detailed_visible
    assert everyone.all_detailed_submitted
    assert [len(sheet.entries) for sheet in everyone.sheets] == [30] * 5
    assert all(
        len(sheet.entries) == 30 for sheet in visible_sheets(s.state, Actor("S2", Role.SUPERVISOR)).sheets
    )


# ==================================================================================================
# Steps 10-11: summary, deviation, objective inconsistency, correction


def test_a_deviating_score_must_be_explained_before_ranking() -> None:
    s = Session()
    s.to_summary(HAPPY_OVERRIDES)
    message = s.refuse("E1", FinalizeRanking(), FailedPrecondition, "explanations of deviating scores")
    assert "E4 on B6/T1 (6, band 7.56–14.04)" in message
    s.refuse("E1", ExplainDeviation("B6", "T1", "理由"), FailedPrecondition, "no deviation flag")
    s.refuse("E4", ExplainDeviation("B6", "T1", "  "), InvalidArgument, "explanation")
    s.do("E4", ExplainDeviation("B6", "T1", "方案缺少不停诊施工组织"))
    assert summary(s.state).missing_explanations == ()
    s.do("E1", FinalizeRanking())
    assert s.phase is Phase.REPORT


def test_the_deviation_threshold_comes_from_the_method() -> None:
    # B6/T1 mean 10.8; with a 50 % band [5.4, 16.2] the score 6 is inside.
    s = Session(make_setup(rules=EvaluationRules(deviation_threshold_percent=D("50"))))
    s.to_summary(HAPPY_OVERRIDES)
    assert summary(s.state).result is not None
    assert summary(s.state).missing_explanations == ()


def test_inconsistent_objective_scores_are_corrected_through_the_leader() -> None:
    s = Session()
    s.to_summary({("E2", "B1", "O1"): ObjectiveEntry(D("4"))})
    result = s.state.summary
    assert result is not None
    (inconsistency,) = result.objective_inconsistencies
    assert (inconsistency.bidder_id, inconsistency.criterion_id) == ("B1", "O1")
    b1 = next(t for t in result.totals if t.bidder_id == "B1")
    assert b1.total is None
    assert not b1.eligible
    message = s.refuse("E1", FinalizeRanking(), FailedPrecondition, "Objective items")
    assert "B1/O1 (E1 5, E2 4, E3 5, E4 5, E5 5)" in message

    correct = RequestCorrection("E2", CorrectionCase.INCONSISTENT_OBJECTIVE, "B1 业绩证明为5项，E2 漏计1项")
    s.refuse("E2", correct, PermissionDenied, "leader")
    s.refuse("E1", replace(correct, reason=""), InvalidArgument, "reason for the correction")
    s.refuse("E1", replace(correct, case="typo"), InvalidArgument, "87号令 Art. 64")  # type: ignore[arg-type]
    events = s.do("E1", correct)
    assert isinstance(events[0], CorrectionRequested)
    assert phase_changes(events) == [Phase.DETAILED_REVIEW]
    assert s.state.summary is None
    s.refuse("E1", correct, FailedPrecondition, "already reopened by correction COR1")
    s.refuse("E3", RecordScore("B1", "O1", ObjectiveEntry(D("4"))), FailedPrecondition, "sealed")
    s.refuse("E1", RunSummary(), FailedPrecondition, "not yet submitted: E2")
    s.do("E2", RecordScore("B1", "O1", ObjectiveEntry(D("5"))))
    s.do("E2", SubmitDetailed())
    (correction,) = summary(s.state).corrections
    assert (correction.case, correction.outcome) == (CorrectionCase.INCONSISTENT_OBJECTIVE, "resubmitted")
    s.do("E1", RunSummary())
    assert s.state.summary is not None
    assert s.state.summary.objective_inconsistencies == ()
    s.do("E1", FinalizeRanking())


def test_corrections_are_only_asked_on_a_summary() -> None:
    s = Session()
    s.to_detailed()
    for expert in EXPERTS:
        s.score(expert)
    s.refuse(
        "E1",
        RequestCorrection("E2", CorrectionCase.ABNORMAL_SCORE, "畸高"),
        FailedPrecondition,
        "group summary",
    )


def test_a_pass_fail_item_failed_by_majority_rejects_the_bid_in_detailed_review() -> None:
    s = Session()
    fail = PassFailEntry(False, "无安全文明施工措施")
    overrides: dict[tuple[str, str, str], Entry] = {
        (e, b, "T3"): fail for e in ("E1", "E2", "E3") for b in ("B2", "B3", "B4", "B5")
    }
    s.to_summary(overrides)
    result = s.state.summary
    assert result is not None
    assert [r.bidder_id for r in result.rejected] == ["B2", "B3", "B4", "B5"]
    # The price base is the lowest price among the bids still valid: B6's 990000 (B4 is out).
    assert result.price is not None
    assert result.price.base == D("990000")
    events = s.do("E1", FinalizeRanking())
    failure = next(e for e in events if isinstance(e, TenderFailed))
    assert failure.valid_bidders == ("B1", "B6")
    assert s.phase is Phase.FAILED_TENDER


# ==================================================================================================
# Step 12: roll-back


def test_a_roll_back_archives_every_sheet_and_reopens_the_stage() -> None:
    s = Session()
    s.to_summary()
    s.refuse("E2", RequestRollback(Phase.DETAILED_REVIEW, "x"), PermissionDenied, "leader")
    s.refuse("E1", RequestRollback(Phase.SUMMARY, "x"), InvalidArgument, "preliminary or the detailed review")
    s.refuse("E1", RequestRollback(Phase.DETAILED_REVIEW, ""), InvalidArgument, "reason for the roll-back")
    s.do("E1", RequestRollback(Phase.DETAILED_REVIEW, "T1 评分标准理解有误，需重新评分"))
    s.refuse("E1", FinalizeRanking(), FailedPrecondition, "roll-back request")
    s.refuse("S1", ApproveRollback(approved=False), InvalidArgument, "why the roll-back is refused")
    s.do("S1", ApproveRollback(approved=False, note="理由不充分"))
    assert s.state.rollback_request is None

    s.do("E1", RequestRollback(Phase.DETAILED_REVIEW, "T1 评分标准理解有误，需重新评分"))
    events = s.do("S2", ApproveRollback(approved=True, note="同意回退"))
    assert phase_changes(events) == [Phase.DETAILED_REVIEW]
    (archive,) = archives(s.state)
    assert isinstance(events[0], RollbackApproved)
    assert events[0].archive == archive
    assert (archive.archive_id, archive.phase, archive.target, archive.approved_by) == (
        "A1",
        Phase.SUMMARY,
        Phase.DETAILED_REVIEW,
        "S2",
    )
    assert [sheet.expert_id for sheet in archive.sheets] == list(EXPERTS)
    assert all(sheet.detailed_submitted and len(sheet.entries) == 30 for sheet in archive.sheets)
    e2_b1_t1 = next(e for e in archive.sheets[1].entries if (e.bidder_id, e.criterion_id) == ("B1", "T1"))
    assert e2_b1_t1.value == ScoreEntry(D("16.5"))
    assert archive.summary is not None
    assert archive.summary.totals

    # Every sheet reopens with its entries, sealed again; the summary is gone.
    assert s.state.summary is None
    assert not any(p.detailed_submitted for p in member_progress(s.state))
    assert not visible_sheets(s.state, Actor("E1", Role.EXPERT)).detailed_visible
    s.do("E2", RecordScore("B1", "T1", ScoreEntry(D("14"))))

    # A second roll-back, to the preliminary review, clears the detailed sheets too.
    s.do("E1", RequestRollback(Phase.PRELIMINARY_REVIEW, "B7 资质证书经核实有效"))
    s.do("S1", ApproveRollback(approved=True))
    assert s.phase is Phase.PRELIMINARY_REVIEW
    assert [a.archive_id for a in archives(s.state)] == ["A1", "A2"]
    assert s.state.detailed == {}
    assert s.state.preliminary_result is None
    assert all(
        len(sheet.verdicts) == 21 and sheet.preliminary_submitted for sheet in archives(s.state)[1].sheets
    )
    s.do("E1", RecordPreliminaryVerdict("B7", "Q1", True))  # the preliminary sheet is open again


# ==================================================================================================
# Recusal after the preliminary review: the replaced member's work is void


def test_a_recusal_after_the_preliminary_review_makes_the_replacement_review_again() -> None:
    s = Session()
    s.to_detailed()
    s.score("E2")  # E2 sealed the detailed sheet already
    events = s.do(
        "S1", SetRecusal("E3", (RecusalGround.SUPERVISING_DEPARTMENT,), "E3 为行业主管部门在职人员")
    )
    assert phase_changes(events) == [Phase.PRELIMINARY_REVIEW]
    s.refuse(
        "E2",
        RecordScore("B1", "T1", ScoreEntry(D("15"))),
        FailedPrecondition,
        "during the preliminary review",
    )
    s.do("OP1", ReplaceMember("E3", "R1"))
    s.do("R1", CheckIn("V1"))
    s.do("R1", AcceptPledge(), wait=10)
    s.do("R1", DeclareRecusal())
    # R1 passes B7 on Q1: now only E1 and E2 fail it (2 of 5), so B7 becomes valid and must be scored.
    s.review_preliminary("R1", {})
    concluded = [e for e in s.events if isinstance(e, PreliminaryConcluded)]
    assert len(concluded) == 2
    assert concluded[-1].result.experts == ("E1", "E2", "E4", "E5", "R1")
    assert concluded[-1].result.valid_bidders == BIDDERS
    reopened = next(e for e in s.events if isinstance(e, DetailedSheetsReopened))
    assert reopened.expert_ids == ("E2",)
    assert s.phase is Phase.DETAILED_REVIEW
    assert "B7 × T1" in s.refuse("E2", SubmitDetailed(), FailedPrecondition, "5 entries missing")
    assert len(s.state.detailed["E2"].entries) == 30  # E2's earlier entries were kept


def test_recusing_the_leader_opens_a_new_election() -> None:
    s = Session()
    s.to_summary()
    events = s.do("S1", SetRecusal("E1", (RecusalGround.PREVIOUSLY_PUNISHED,), "E1 曾因评标违法受行政处罚"))
    opened = next(e for e in events if isinstance(e, ElectionOpened))
    assert (opened.round, opened.candidates) == (2, ())
    assert phase_changes(events) == [Phase.PRELIMINARY_REVIEW]
    assert s.state.leader_id is None
    assert s.state.summary is None
    recused_view = visible_sheets(s.state, Actor("E1", Role.EXPERT))  # scores had been revealed before
    assert not recused_view.detailed_visible
    assert [sheet.entries == () for sheet in recused_view.sheets] == [False, True, True, True, True]
    s.refuse("E2", RequestClarification("B1", "?"), FailedPrecondition, "no leader")
    s.do("OP1", ReplaceMember("E1", "R1"))
    for expert in ("E2", "E3", "E4", "E5"):
        s.do(expert, CastLeaderVote("E3"))
    assert s.state.leader_id is None  # the round waits for the replacement
    s.do("R1", CheckIn("V1"))
    s.do("R1", AcceptPledge(), wait=10)
    s.do("R1", DeclareRecusal())
    s.do("R1", CastLeaderVote("E3"))
    assert s.state.leader_id == "E3"
    assert s.phase is Phase.PRELIMINARY_REVIEW  # the election does not move the review
    s.review_preliminary("R1", {("R1", "B7", "Q1"): "资质证书已过期"})  # B7 stays rejected: 3 of 5
    assert phase_changes(s.events[-2:]) == [Phase.DETAILED_REVIEW]
    s.score("R1")
    s.do("E3", RunSummary())
    result = s.state.summary
    assert result is not None
    assert result.experts == ("E2", "E3", "E4", "E5", "R1")


# ==================================================================================================
# Steps 13-14: ranking and report


def total(bidder_id: str, points: str, price: str, *, eligible: bool = True) -> BidderTotal:
    return BidderTotal(
        bidder_id, D(price), D(points), D("0"), D(points), eligible, "" if eligible else "rejected by window"
    )


def test_ranking_ties_go_to_the_lower_price_then_the_tender_documents_rule() -> None:
    totals = [
        total("B1", "80", "1000000"),
        total("B2", "85", "990000"),
        total("B3", "80", "980000"),  # same total as B1, lower price → ahead of B1
        total("B4", "70", "900000"),
        total("B5", "70", "900000"),  # tied with B4 on total and price, beyond the candidate places
        total("B6", "60", "800000"),
        total("B7", "99", "700000", eligible=False),
    ]
    result = rank_bidders(totals, max_candidates=3)
    assert [(r.rank, r.bidder_id, r.candidate) for r in result.ranked] == [
        (1, "B2", True),
        (2, "B3", True),
        (3, "B1", True),
        (4, "B4", False),
        (4, "B5", False),  # 并列
        (6, "B6", False),
    ]
    assert "lower price first" in result.ranked[1].tie_note
    assert result.candidates == ("B2", "B3", "B1")
    assert [e.bidder_id for e in result.excluded] == ["B7"]


def test_a_tie_deciding_the_candidates_needs_the_tender_documents_rule() -> None:
    totals = [total("B1", "80", "1000000"), total("B2", "90", "990000"), total("B3", "80", "1000000")]
    with pytest.raises(
        FailedPrecondition, match="B1, B3 are tied on total 80 and price 1000000 for places 2–3"
    ):
        rank_bidders(totals, max_candidates=3)
    with pytest.raises(FailedPrecondition, match="tie_break_order"):
        rank_bidders(totals, max_candidates=3, tie_break_order=("B3",))
    result = rank_bidders(totals, 3, ("B3", "B1"), "技术得分高者优先")
    assert [r.bidder_id for r in result.ranked] == ["B2", "B3", "B1"]
    assert "技术得分高者优先" in result.ranked[2].tie_note


def test_at_most_max_candidates_are_recommended() -> None:
    totals = [total(f"B{i}", str(90 - i), "1000000") for i in range(1, 7)]
    assert rank_bidders(totals, max_candidates=3).candidates == ("B1", "B2", "B3")
    assert rank_bidders(totals, max_candidates=1).candidates == ("B1",)


def test_finalize_ranking_asks_for_the_tie_rule_in_a_real_session() -> None:
    # B2 gets B1's price and B1's item points: T1 16 (base 16 ± offsets), no deduction, O1 5 → 33 each.
    s = Session(make_setup(prices={**PRICES, "B2": "1000000"}))
    overrides: dict[tuple[str, str, str], Entry] = {}
    for expert in EXPERTS:
        overrides[(expert, "B2", "T1")] = ScoreEntry(D("16") + D(T1_OFFSET[expert]))
        overrides[(expert, "B2", "T2")] = DeductEntry()
        overrides[(expert, "B2", "O1")] = ObjectiveEntry(D("5"))
    s.to_summary(overrides)
    s.refuse("E1", FinalizeRanking(), FailedPrecondition, "B1, B2 are tied on total 61.50")
    s.refuse("E1", FinalizeRanking(("B2", "B1")), InvalidArgument, "tie rule")
    s.refuse("E1", FinalizeRanking(("B2", "B9"), "x"), InvalidArgument, "unknown bidders: B9")
    s.do("E1", FinalizeRanking(("B2", "B1"), "招标文件第三章：技术得分高者优先"))
    result = ranking(s.state)
    assert result is not None
    assert result.candidates == ("B2", "B1", "B3")


def test_signing_needs_reasons_to_disagree() -> None:
    s = Session()
    s.to_summary()
    s.refuse("E1", SignReport(agree=True), FailedPrecondition, "during the summary")
    s.do("E1", FinalizeRanking())
    s.refuse("E2", SignReport(agree=False), InvalidArgument, "dissent")
    s.refuse("E2", SignReport(agree=True, dissent="但是…"), InvalidArgument, "only written when disagreeing")
    s.do("E2", RefuseToSign())
    s.refuse("E2", SignReport(agree=True), FailedPrecondition, "already answered")
    for expert in ("E1", "E3", "E4"):
        s.do(expert, SignReport(agree=True))
    assert s.phase is Phase.REPORT
    assert phase_changes(s.do("E5", SignReport(agree=True))) == [Phase.CLOSED]


# ==================================================================================================
# Events: every type has an exact JSON form


def collect_every_event_type() -> list[Event]:
    events = list(happy_path().events)

    tie = Session()  # ElectionTied, StartRejected, RecusalSet, MemberReplaced, pause
    tie.check_in_all()
    tie.pledge_all()
    tie.declare_all()
    for voter, candidate in {"E1": "E1", "E2": "E1", "E3": "E2", "E4": "E2", "E5": "E3"}.items():
        tie.do(voter, CastLeaderVote(candidate))
    tie.elect("E2")
    tie.do("E2", RequestStart())
    tie.do("S1", ApproveStart(approved=False, note="副场未就绪"))
    tie.do("S1", Pause("副场网络中断"))
    tie.do("S1", SetRecusal("E4", (RecusalGround.OTHER,), "与B1有经济往来"))
    tie.do("OP1", ReplaceMember("E4", "R2"))
    tie.do("S1", Resume("网络恢复"))
    events += tie.events

    tender = Session()  # TenderFailed, ClarificationRejected
    tender.to_preliminary()
    tender.do("E1", RequestClarification("B1", "能否降价？"))
    tender.do("S1", ApproveClarification("C1", approved=False, note="诱导性提问"))
    fails = {(e, b, "Q1"): "资质不符" for e in ("E1", "E2", "E3") for b in ("B3", "B4", "B5", "B6", "B7")}
    for expert in EXPERTS:
        tender.review_preliminary(expert, fails)
    events += tender.events

    revise = Session()  # CorrectionRequested, RollbackRequested/Approved/Rejected, DetailedSheetsReopened
    revise.to_summary({("E2", "B1", "O1"): ObjectiveEntry(D("4"))})
    revise.do("E1", RequestCorrection("E2", CorrectionCase.INCONSISTENT_OBJECTIVE, "漏计业绩"))
    revise.do("E2", RecordScore("B1", "O1", ObjectiveEntry(D("5"))))
    revise.do("E2", SubmitDetailed())
    revise.do("E1", RunSummary())
    revise.do("E1", RequestRollback(Phase.DETAILED_REVIEW, "重新评分"))
    revise.do("S1", ApproveRollback(approved=False, note="不同意"))
    revise.do("E1", RequestRollback(Phase.DETAILED_REVIEW, "重新评分"))
    revise.do("S1", ApproveRollback(approved=True))
    revise.do("E2", SubmitDetailed())
    revise.do("S2", SetRecusal("E3", (RecusalGround.CLOSE_RELATIVE,), "近亲属"))
    revise.do("OP1", ReplaceMember("E3", "R1"))
    revise.do("R1", CheckIn("V1"))
    revise.do("R1", AcceptPledge(), wait=10)
    revise.do("R1", DeclareRecusal())
    revise.review_preliminary("R1", {})
    events += revise.events
    return events


def test_every_event_type_round_trips_through_json_exactly() -> None:
    events = collect_every_event_type()
    assert {type(e).__name__ for e in events} == set(EVENT_TYPES)
    for event in events:
        data = event_to_dict(event)
        assert data["type"] == type(event).__name__
        assert event_from_dict(json.loads(json.dumps(data, ensure_ascii=False))) == event


def test_the_json_form_keeps_decimals_and_tags_entries() -> None:
    s = Session()
    s.to_detailed()
    (event,) = s.do("E1", RecordScore("B2", "T2", DeductEntry((Deduction(D("1.50"), "进度计划不详"),))))
    data = event_to_dict(event)
    assert data["value"] == {
        "type": "DeductEntry",
        "deductions": [{"points": "1.50", "reason": "进度计划不详"}],
    }
    assert data["at"] == s.now.isoformat()
    with pytest.raises(InvalidArgument, match="Unknown event type 'Nope'"):
        event_from_dict({"type": "Nope"})
    with pytest.raises(InvalidArgument, match="missing the field"):
        event_from_dict({"type": "MemberCheckedIn", "at": s.now.isoformat(), "actor_id": "E1"})


def test_applying_events_is_how_the_state_changes() -> None:
    s = Session()
    state = SessionState.new(s.setup, T0)
    events = decide(state, Actor("E1", Role.EXPERT), CheckIn("V1"), T0 + timedelta(seconds=1))
    assert state.members["E1"].checked_in_at is None
    for event in events:
        apply(state, event)
    assert state.members["E1"].checked_in_at == T0 + timedelta(seconds=1)


def test_group_step_events_belong_to_the_actor_who_completed_the_step() -> None:
    s = Session()
    s.check_in_all()
    change = next(e for e in s.events if isinstance(e, PhaseChanged))
    assert (change.actor_id, change.from_phase, change.to) == ("E5", Phase.CHECK_IN, Phase.PLEDGE)


@pytest.mark.parametrize(
    ("command", "who"),
    [
        (RunSummary(), "E1"),
        (FinalizeRanking(), "E1"),
        (ExplainDeviation("B1", "T1", "x"), "E2"),
    ],
)
def test_summary_commands_are_refused_before_the_summary(command: Command, who: str) -> None:
    s = Session()
    s.to_preliminary()
    s.refuse(who, command, FailedPrecondition, "during the preliminary review")
