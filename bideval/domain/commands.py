"""What people ask an evaluation session to do (commands) and the vocabulary the workflow shares.

A command says *what* one person wants; :func:`bideval.domain.workflow.decide` checks whether that person,
in their position on the committee and at this step of the evaluation, may do it. The RPC layer has
already checked the caller's *role* (expert, supervisor, operator); the domain checks the *position*
(committee member, not recused, leader, supervisor of this session).

Every command is a frozen dataclass; values that differ by item kind (a score, a list of deductions, a
pass/fail, a vote, an objective value) are a small tagged union, :data:`Entry`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class Role(enum.StrEnum):
    """The caller's role, as certified (the values match ``bideval.identity.pki.Role``)."""

    EXPERT = "expert"  # 评标专家 (including the tenderer's representative on the committee)
    SUPERVISOR = "supervisor"  # 监督人员
    OPERATOR = "operator"  # 代理机构 / 交易中心工作人员


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issues a command."""

    person_id: str
    role: Role


class Phase(enum.StrEnum):
    """The group step a session is at (DOMAIN.md workflow steps 1-15). Pausing is a flag, not a phase."""

    CHECK_IN = "check_in"  # 签到
    PLEDGE = "pledge"  # 承诺书
    RECUSAL = "recusal"  # 回避声明
    LEADER_ELECTION = "leader_election"  # 推选组长
    AWAITING_START = "awaiting_start"  # 组长申请开始, 监督批准
    PRELIMINARY_REVIEW = "preliminary_review"  # 初步评审
    DETAILED_REVIEW = "detailed_review"  # 详细评审
    SUMMARY = "summary"  # 汇总, 偏离说明, 修正
    REPORT = "report"  # 评标报告签字
    CLOSED = "closed"  # 结束
    FAILED_TENDER = "failed_tender"  # 流标

    @property
    def position(self) -> int:
        """Position in the normal order of steps (FAILED_TENDER last); used for "at or after" checks."""
        return _PHASE_ORDER.index(self)

    @property
    def label(self) -> str:
        """The phase in words for messages, with the Chinese term."""
        return _PHASE_LABELS[self]


_PHASE_ORDER = tuple(Phase)
_PHASE_LABELS = {
    Phase.CHECK_IN: "check-in (签到)",
    Phase.PLEDGE: "pledge (承诺书)",
    Phase.RECUSAL: "recusal declaration (回避声明)",
    Phase.LEADER_ELECTION: "leader election (推选组长)",
    Phase.AWAITING_START: "start approval (开始评标)",
    Phase.PRELIMINARY_REVIEW: "preliminary review (初步评审)",
    Phase.DETAILED_REVIEW: "detailed review (详细评审)",
    Phase.SUMMARY: "summary (汇总)",
    Phase.REPORT: "report signing (评标报告签字)",
    Phase.CLOSED: "closed (评标结束)",
    Phase.FAILED_TENDER: "failed tender (流标)",
}

TERMINAL_PHASES = frozenset({Phase.CLOSED, Phase.FAILED_TENDER})


class RecusalGround(enum.StrEnum):
    """Grounds for recusal (回避事由).

    From 招标投标法实施条例 Art. 46, 评标委员会和评标方法暂行规定 Art. 12 and 政府采购法实施条例 Art. 9.
    """

    CLOSE_RELATIVE = "close_relative"  # 投标人主要负责人/法定代表人的近亲属
    # 前3年内与投标人存在劳动关系, 或担任过投标人的董事、监事, 或是其控股股东/实际控制人
    EMPLOYMENT_OR_CONTROL = "employment_or_control"
    SUPERVISING_DEPARTMENT = "supervising_department"  # 项目主管部门或者行政监督部门的人员
    PREVIOUSLY_PUNISHED = "previously_punished"  # 曾因招标投标违法行为受过行政处罚或刑事处罚
    OTHER = "other"  # 其他利害关系; a note saying what it is is mandatory


class CorrectionCase(enum.StrEnum):
    """The only cases in which evaluation results may be corrected (87号令 Art. 64)."""

    SUMMATION_ERROR = "summation_error"  # 分值汇总计算错误
    OUT_OF_RANGE_ITEM = "out_of_range_item"  # 分项评分超出评分标准规定的评分范围
    INCONSISTENT_OBJECTIVE = "inconsistent_objective"  # 客观评审因素评分不一致
    ABNORMAL_SCORE = "abnormal_score"  # 经评标委员会认定评分畸高、畸低


# --------------------------------------------------------------------------------------------------
# Detailed-review values, one type per item kind (``ItemKind``); PRICE is computed, never entered.


@dataclass(frozen=True, slots=True)
class Deduction:
    """One deduction from a full mark; every deduction needs its reason (扣分理由)."""

    points: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class ScoreEntry:
    """A SCORE item: points within [min, max] on the criterion's step grid."""

    points: Decimal


@dataclass(frozen=True, slots=True)
class DeductEntry:
    """A DEDUCT item: the full mark minus these deductions (none = full mark)."""

    deductions: tuple[Deduction, ...] = ()


@dataclass(frozen=True, slots=True)
class PassFailEntry:
    """A PASS_FAIL item (and every preliminary verdict): a fail needs a reason."""

    passed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class VoteEntry:
    """A VOTE item: yes or no; the group result is the majority."""

    yes: bool


@dataclass(frozen=True, slots=True)
class ObjectiveEntry:
    """An OBJECTIVE item: the one true value, which every expert must enter identically."""

    points: Decimal


Entry = ScoreEntry | DeductEntry | PassFailEntry | VoteEntry | ObjectiveEntry


# --------------------------------------------------------------------------------------------------
# Steps 1-4: check-in, pledge, recusal, leader election (experts; replacement by operator/supervisor).


@dataclass(frozen=True, slots=True)
class CheckIn:
    """An expert checks in (签到) from the room PC of ``venue_id``; it must be the expert's own venue."""

    venue_id: str


@dataclass(frozen=True, slots=True)
class AcceptPledge:
    """An expert accepts the discipline pledge (承诺书) after the forced-read countdown."""


@dataclass(frozen=True, slots=True)
class DeclareRecusal:
    """An expert's recusal declaration (回避声明); empty ``grounds`` means "no conflict of interest"."""

    grounds: tuple[RecusalGround, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class SetRecusal:
    """A supervisor of the session recuses an expert (at any step); the reason is mandatory."""

    expert_id: str
    grounds: tuple[RecusalGround, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ReplaceMember:
    """An operator or supervisor puts a drawn reserve (候补专家) in the place of a recused member."""

    replaced_id: str
    replacement_id: str


@dataclass(frozen=True, slots=True)
class CastLeaderVote:
    """An expert's vote for the committee leader (组长) in the current round."""

    candidate_id: str


# --------------------------------------------------------------------------------------------------
# Step 5: start gate.


@dataclass(frozen=True, slots=True)
class RequestStart:
    """The leader asks to start the evaluation."""


@dataclass(frozen=True, slots=True)
class ApproveStart:
    """A supervisor of the session approves (or, with a note, refuses) the leader's request to start."""

    approved: bool = True
    note: str = ""


# --------------------------------------------------------------------------------------------------
# Step 7: preliminary review.


@dataclass(frozen=True, slots=True)
class RecordPreliminaryVerdict:
    """An expert's pass/fail verdict on one preliminary item for one bidder; a fail needs a reason."""

    bidder_id: str
    criterion_id: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SubmitPreliminary:
    """An expert seals their preliminary review (every bidder × every preliminary item)."""


# --------------------------------------------------------------------------------------------------
# Step 8: clarification.


@dataclass(frozen=True, slots=True)
class RequestClarification:
    """The leader's written question to a bidder (澄清, 条例 Art. 52)."""

    bidder_id: str
    question: str


@dataclass(frozen=True, slots=True)
class ApproveClarification:
    """A supervisor lets a question go out, or refuses it with a note (e.g. it hints at an answer)."""

    clarification_id: str
    approved: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class RecordClarificationAnswer:
    """An operator records the bidder's written answer received through the trading platform."""

    clarification_id: str
    answer: str


# --------------------------------------------------------------------------------------------------
# Steps 9-11: detailed review, summary, deviation explanation, correction.


@dataclass(frozen=True, slots=True)
class RecordScore:
    """An expert's value for one valid bidder and one entered detailed item (kind-specific ``value``)."""

    bidder_id: str
    criterion_id: str
    value: Entry


@dataclass(frozen=True, slots=True)
class SubmitDetailed:
    """An expert seals their detailed review sheet (every entered item for every valid bidder)."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The leader computes the group summary once every member has submitted."""


@dataclass(frozen=True, slots=True)
class ExplainDeviation:
    """A flagged expert's written explanation of a score far from the group mean."""

    bidder_id: str
    criterion_id: str
    text: str


@dataclass(frozen=True, slots=True)
class RequestCorrection:
    """The leader reopens one expert's sheet for a case of 87号令 Art. 64, with a recorded reason."""

    expert_id: str
    case: CorrectionCase
    reason: str


# --------------------------------------------------------------------------------------------------
# Step 12: roll-back.


@dataclass(frozen=True, slots=True)
class RequestRollback:
    """The leader asks to return to PRELIMINARY_REVIEW or DETAILED_REVIEW (评审回退)."""

    target: Phase
    reason: str


@dataclass(frozen=True, slots=True)
class ApproveRollback:
    """A supervisor approves (archiving every sheet) or refuses, with a note, the pending roll-back."""

    approved: bool
    note: str = ""


# --------------------------------------------------------------------------------------------------
# Steps 13-14: ranking and report.


@dataclass(frozen=True, slots=True)
class FinalizeRanking:
    """The leader fixes the ranking and the recommended candidates.

    ``tie_break_order`` lists bidders in the order the tender document's tie rule puts them (first =
    ranked higher); it is only consulted for bidders still tied after total and lower price, and
    ``tie_break_rule`` records which rule of the tender document that order comes from.
    """

    tie_break_order: tuple[str, ...] = ()
    tie_break_rule: str = ""


@dataclass(frozen=True, slots=True)
class SignReport:
    """An expert signs the report; a member who disagrees writes a dissent with reasons."""

    agree: bool
    dissent: str = ""


@dataclass(frozen=True, slots=True)
class RefuseToSign:
    """An expert refuses to sign without giving reasons: recorded, and deemed agreement (暂行规定 Art. 42)."""


# --------------------------------------------------------------------------------------------------
# Any step: supervision.


@dataclass(frozen=True, slots=True)
class Pause:
    """A supervisor of the session pauses the evaluation (暂停评标); the reason is mandatory."""

    reason: str


@dataclass(frozen=True, slots=True)
class Resume:
    """A supervisor of the session resumes a paused evaluation; the reason is mandatory."""

    reason: str


Command = (
    CheckIn
    | AcceptPledge
    | DeclareRecusal
    | SetRecusal
    | ReplaceMember
    | CastLeaderVote
    | RequestStart
    | ApproveStart
    | RecordPreliminaryVerdict
    | SubmitPreliminary
    | RequestClarification
    | ApproveClarification
    | RecordClarificationAnswer
    | RecordScore
    | SubmitDetailed
    | RunSummary
    | ExplainDeviation
    | RequestCorrection
    | RequestRollback
    | ApproveRollback
    | FinalizeRanking
    | SignReport
    | RefuseToSign
    | Pause
    | Resume
)
