"""Group results of the review steps, and the pure rules that compute them.

- Preliminary review (初步评审): the majority of the committee decides each (bidder, item) (少数服从多数);
  a bid failing any item is rejected (否决投标), with the failed items and the experts' reasons.
- Detailed review (详细评审): one group value per (bidder, item), by item kind; price scores by the
  versioned formula of ``pricing``; the deviation band around the mean; objective items that disagree;
  each bidder's total.
- Ranking: total descending, ties by lower price, then by the tender document's rule; at most
  ``max_candidates`` recommended candidates (条例 Art. 53).

The functions take plain data (the method, the bidders, the experts' entries), never the session state, so
each rule can be read and checked on its own. Every number that decides something is kept in the result,
so an expert or supervisor can recompute it by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from itertools import groupby

from bideval.domain.commands import (
    DeductEntry,
    Entry,
    ObjectiveEntry,
    PassFailEntry,
    ScoreEntry,
    VoteEntry,
)
from bideval.domain.errors import FailedPrecondition
from bideval.domain.method import Criterion, EvaluationMethod, ItemKind, ReviewStage
from bideval.domain.pricing import PricedBid, PriceScoreResult, compute_price_scores
from bideval.domain.setup import Bidder

# Group arithmetic runs in a fixed context (like pricing), whatever the caller's context is.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


def fmt(value: Decimal) -> str:
    """A decimal for people: never scientific notation, trailing zeros as entered."""
    return format(value, "f")


# --------------------------------------------------------------------------------------------------
# Preliminary review and pass/fail items


@dataclass(frozen=True, slots=True)
class ExpertReason:
    """One expert's written reason (e.g. for failing an item)."""

    expert_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class MajorityVerdict:
    """The committee's pass/fail on one item for one bidder: failed only if more experts failed it."""

    bidder_id: str
    criterion_id: str
    passed: bool
    pass_votes: int
    fail_votes: int
    fail_reasons: tuple[ExpertReason, ...]


@dataclass(frozen=True, slots=True)
class RejectedBid:
    """A bid rejected (否决投标) because the majority failed it on ``failed`` items."""

    bidder_id: str
    stage: ReviewStage
    failed: tuple[MajorityVerdict, ...]


@dataclass(frozen=True, slots=True)
class PreliminaryResult:
    """The group result of the preliminary review."""

    experts: tuple[str, ...]  # whose verdicts counted (the active committee, in committee order)
    verdicts: tuple[MajorityVerdict, ...]  # every bidder × every preliminary item
    valid_bidders: tuple[str, ...]  # passed every item, in bidder order
    rejected: tuple[RejectedBid, ...]


def majority_verdict(
    bidder_id: str, criterion_id: str, answers: Sequence[tuple[str, PassFailEntry]]
) -> MajorityVerdict:
    """The majority of ``answers`` (expert id, verdict); a tie (never with an odd committee) passes."""
    fails = tuple(ExpertReason(expert_id, entry.reason) for expert_id, entry in answers if not entry.passed)
    pass_votes = len(answers) - len(fails)
    return MajorityVerdict(
        bidder_id=bidder_id,
        criterion_id=criterion_id,
        passed=len(fails) <= pass_votes,
        pass_votes=pass_votes,
        fail_votes=len(fails),
        fail_reasons=fails,
    )


def conclude_preliminary(
    bidder_ids: Sequence[str],
    items: Sequence[Criterion],
    sheets: Mapping[str, Mapping[tuple[str, str], PassFailEntry]],
) -> PreliminaryResult:
    """Majority per (bidder, item) over the experts of ``sheets`` (expert id → (bidder, item) → verdict)."""
    experts = tuple(sheets)
    verdicts: list[MajorityVerdict] = []
    valid: list[str] = []
    rejected: list[RejectedBid] = []
    for bidder_id in bidder_ids:
        per_bidder = [
            majority_verdict(
                bidder_id, item.id, [(e, _answer(sheets[e], e, bidder_id, item.id)) for e in experts]
            )
            for item in items
        ]
        verdicts.extend(per_bidder)
        failed = tuple(v for v in per_bidder if not v.passed)
        if failed:
            rejected.append(RejectedBid(bidder_id, ReviewStage.PRELIMINARY, failed))
        else:
            valid.append(bidder_id)
    return PreliminaryResult(experts, tuple(verdicts), tuple(valid), tuple(rejected))


def _answer(
    sheet: Mapping[tuple[str, str], PassFailEntry], expert_id: str, bidder_id: str, criterion_id: str
) -> PassFailEntry:
    try:
        return sheet[(bidder_id, criterion_id)]
    except KeyError:
        raise FailedPrecondition(
            f"Expert {expert_id} has no verdict for bidder {bidder_id} on item {criterion_id}"
        ) from None


# --------------------------------------------------------------------------------------------------
# Detailed review: group values, deviation, objective agreement, totals


@dataclass(frozen=True, slots=True)
class ExpertValue:
    """One expert's answer on one item, reduced to what the group computation uses."""

    expert_id: str
    points: Decimal | None  # SCORE, DEDUCT (full mark − Σ deductions), OBJECTIVE
    yes: bool | None  # VOTE: voted yes; PASS_FAIL: passed
    reason: str = ""  # PASS_FAIL: the reason of a fail; DEDUCT: the deductions in words


@dataclass(frozen=True, slots=True)
class GroupItemScore:
    """The committee's value of one detailed item for one bidder."""

    bidder_id: str
    criterion_id: str
    kind: ItemKind
    experts: tuple[ExpertValue, ...]
    points: Decimal | None  # counted in the total; None for PASS_FAIL and for an inconsistent OBJECTIVE
    passed: bool | None  # PASS_FAIL: majority passed; VOTE: majority yes
    rule: str  # how the group value was obtained, with the numbers


@dataclass(frozen=True, slots=True)
class DeviationFlag:
    """An expert's item score outside mean ± threshold % of the mean: needs a written explanation."""

    expert_id: str
    bidder_id: str
    criterion_id: str
    points: Decimal
    mean: Decimal  # unrounded mean of every expert's item score (28 significant digits)
    low: Decimal  # mean − |mean| × threshold / 100; a score below is flagged
    high: Decimal  # mean + |mean| × threshold / 100; a score above is flagged


@dataclass(frozen=True, slots=True)
class ObjectiveInconsistency:
    """An objective item (客观分) on which the experts entered different values."""

    bidder_id: str
    criterion_id: str
    values: tuple[ExpertValue, ...]


@dataclass(frozen=True, slots=True)
class BidderTotal:
    """A bidder's total: Σ group item points + price score; ``eligible`` for ranking or why not."""

    bidder_id: str
    price: Decimal
    items_total: Decimal | None  # None while an objective item is inconsistent
    price_score: Decimal | None  # None without a price formula, or when the window rule rejected the bid
    total: Decimal | None
    eligible: bool
    exclusion: str  # why the bid cannot be ranked, "" if it can


@dataclass(frozen=True, slots=True)
class SummaryResult:
    """The group summary (汇总) the leader ran, with every intermediate value."""

    experts: tuple[str, ...]  # whose sheets counted, in committee order
    deviation_threshold_percent: Decimal
    items: tuple[GroupItemScore, ...]  # every valid bidder × every entered detailed item
    rejected: tuple[RejectedBid, ...]  # bids the majority failed on a PASS_FAIL item of the detailed review
    price: PriceScoreResult | None  # over the valid bids not rejected in detailed review
    deviation_flags: tuple[DeviationFlag, ...]
    objective_inconsistencies: tuple[ObjectiveInconsistency, ...]
    totals: tuple[BidderTotal, ...]  # every valid bidder, in bidder order


def entry_points(criterion: Criterion, entry: Entry) -> Decimal | None:
    """The item score an entry gives (SCORE, DEDUCT, OBJECTIVE); None for PASS_FAIL and VOTE."""
    if isinstance(entry, ScoreEntry | ObjectiveEntry):
        return entry.points
    if isinstance(entry, DeductEntry):
        return criterion.max_points - sum((d.points for d in entry.deductions), _ZERO)
    return None


def _expert_value(criterion: Criterion, expert_id: str, entry: Entry) -> ExpertValue:
    points = entry_points(criterion, entry)
    if isinstance(entry, PassFailEntry):
        return ExpertValue(expert_id, None, entry.passed, entry.reason)
    if isinstance(entry, VoteEntry):
        return ExpertValue(expert_id, None, entry.yes)
    if isinstance(entry, DeductEntry):
        words = "; ".join(f"−{fmt(d.points)} {d.reason}" for d in entry.deductions)
        return ExpertValue(expert_id, points, None, words)
    return ExpertValue(expert_id, points, None)


def compute_summary(
    method: EvaluationMethod,
    bidders: Sequence[Bidder],
    sheets: Mapping[str, Mapping[tuple[str, str], Entry]],
) -> SummaryResult:
    """The group summary over ``bidders`` (the valid bids) and the sheets (expert → (bidder, item) → entry).

    - SCORE/DEDUCT: mean of the experts' item scores, rounded to 2 decimals half up; a score outside
      mean ± ``deviation_threshold_percent`` % of the mean is flagged.
    - OBJECTIVE: the common value; if the experts differ, an inconsistency and no value.
    - VOTE: majority yes → max points, else min points.
    - PASS_FAIL: majority fail → the bid is rejected in detailed review (no points).
    - PRICE: ``compute_price_scores`` over the bids not rejected here.
    """
    with localcontext(_CONTEXT):
        return _compute_summary(method, bidders, sheets)


def _compute_summary(
    method: EvaluationMethod,
    bidders: Sequence[Bidder],
    sheets: Mapping[str, Mapping[tuple[str, str], Entry]],
) -> SummaryResult:
    experts = tuple(sheets)
    threshold = method.rules.deviation_threshold_percent
    items: list[GroupItemScore] = []
    flags: list[DeviationFlag] = []
    inconsistencies: list[ObjectiveInconsistency] = []
    rejected: list[RejectedBid] = []
    for bidder in bidders:
        failed: list[MajorityVerdict] = []
        for criterion in method.entered_items():
            entries = [(e, _entry(sheets[e], e, bidder.id, criterion.id)) for e in experts]
            values = tuple(_expert_value(criterion, e, entry) for e, entry in entries)
            kind = criterion.kind
            if kind is ItemKind.PASS_FAIL:
                verdict = majority_verdict(
                    bidder.id,
                    criterion.id,
                    [(e, entry) for e, entry in entries if isinstance(entry, PassFailEntry)],
                )
                if not verdict.passed:
                    failed.append(verdict)
                rule = f"{verdict.pass_votes} pass, {verdict.fail_votes} fail: " + (
                    "passed by majority" if verdict.passed else "failed by majority (否决投标)"
                )
                items.append(
                    GroupItemScore(bidder.id, criterion.id, kind, values, None, verdict.passed, rule)
                )
            elif kind is ItemKind.VOTE:
                yes = sum(1 for v in values if v.yes)
                no = len(values) - yes
                carried = yes > no
                points = criterion.max_points if carried else criterion.min_points
                rule = f"{yes} yes, {no} no: majority {'yes' if carried else 'not yes'} → {fmt(points)}"
                items.append(GroupItemScore(bidder.id, criterion.id, kind, values, points, carried, rule))
            elif kind is ItemKind.OBJECTIVE:
                distinct = {v.points for v in values}
                if len(distinct) == 1:
                    rule = "every expert entered the same objective value"
                    common = values[0].points
                    items.append(GroupItemScore(bidder.id, criterion.id, kind, values, common, None, rule))
                else:
                    listed = ", ".join(
                        f"{v.expert_id} {fmt(v.points)}" for v in values if v.points is not None
                    )
                    rule = f"objective values differ ({listed}): no group value until corrected"
                    items.append(GroupItemScore(bidder.id, criterion.id, kind, values, None, None, rule))
                    inconsistencies.append(ObjectiveInconsistency(bidder.id, criterion.id, values))
            else:  # SCORE, DEDUCT
                scored = [(v.expert_id, v.points) for v in values if v.points is not None]
                total = sum((p for _, p in scored), _ZERO)
                mean = total / Decimal(len(scored))
                points = mean.quantize(_CENT, rounding=ROUND_HALF_UP)
                terms = " + ".join(fmt(p) for _, p in scored)
                rule = f"mean = ({terms}) ÷ {len(scored)} = {fmt(mean)} → {fmt(points)} (2 decimals, half up)"
                items.append(GroupItemScore(bidder.id, criterion.id, kind, values, points, None, rule))
                half_width = abs(mean) * threshold / _HUNDRED
                low, high = mean - half_width, mean + half_width
                flags.extend(
                    DeviationFlag(expert_id, bidder.id, criterion.id, p, mean, low, high)
                    for expert_id, p in scored
                    if p < low or p > high
                )
        if failed:
            rejected.append(RejectedBid(bidder.id, ReviewStage.DETAILED, tuple(failed)))
    rejected_ids = {r.bidder_id for r in rejected}
    price = _price_scores(method, [b for b in bidders if b.id not in rejected_ids])
    totals = tuple(_total(method, bidder, items, price, rejected_ids) for bidder in bidders)
    return SummaryResult(
        experts=experts,
        deviation_threshold_percent=threshold,
        items=tuple(items),
        rejected=tuple(rejected),
        price=price,
        deviation_flags=tuple(flags),
        objective_inconsistencies=tuple(inconsistencies),
        totals=totals,
    )


def _entry(
    sheet: Mapping[tuple[str, str], Entry], expert_id: str, bidder_id: str, criterion_id: str
) -> Entry:
    try:
        return sheet[(bidder_id, criterion_id)]
    except KeyError:
        raise FailedPrecondition(
            f"Expert {expert_id} has no entry for bidder {bidder_id} on item {criterion_id}"
        ) from None


def _price_scores(method: EvaluationMethod, bidders: Sequence[Bidder]) -> PriceScoreResult | None:
    if method.price is None or not bidders:
        return None
    return compute_price_scores(method.price, [PricedBid(b.id, b.price) for b in bidders])


def _total(
    method: EvaluationMethod,
    bidder: Bidder,
    items: Sequence[GroupItemScore],
    price: PriceScoreResult | None,
    rejected_ids: set[str],
) -> BidderTotal:
    own = [item for item in items if item.bidder_id == bidder.id]
    counted = [item for item in own if item.kind is not ItemKind.PASS_FAIL]
    inconsistent = [item.criterion_id for item in counted if item.points is None]
    items_total = None if inconsistent else sum((item.points or _ZERO for item in counted), _ZERO)
    price_score: Decimal | None = None
    exclusion = ""
    if bidder.id in rejected_ids:
        exclusion = "rejected in the detailed review (否决投标): failed a pass/fail item by majority"
    elif price is not None:
        line = next(s for s in price.scores if s.bidder_id == bidder.id)
        price_score = line.score
        if line.rejected or line.score is None:
            exclusion = f"rejected by the price window rule (价格有效区间): {line.explanation}"
    if not exclusion and inconsistent:
        exclusion = f"objective items {', '.join(inconsistent)} are inconsistent (客观分不一致)"
    total: Decimal | None = None
    if items_total is not None and (method.price is None or price_score is not None):
        total = items_total + (price_score or _ZERO)
    return BidderTotal(
        bidder_id=bidder.id,
        price=bidder.price,
        items_total=items_total,
        price_score=price_score,
        total=total,
        eligible=not exclusion and total is not None,
        exclusion=exclusion,
    )


# --------------------------------------------------------------------------------------------------
# Ranking


@dataclass(frozen=True, slots=True)
class RankedBid:
    """One place of the ranking; ``tie_note`` says how a tie on the total was broken ("" if none)."""

    rank: int  # 1 = first; bidders left tied beyond the candidate places share a rank (并列)
    bidder_id: str
    total: Decimal
    price: Decimal
    candidate: bool  # a recommended candidate (中标候选人)
    tie_note: str


@dataclass(frozen=True, slots=True)
class ExcludedBid:
    """A valid bid that cannot be ranked, and why."""

    bidder_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RankingResult:
    """The final ranking and recommendation (推荐中标候选人)."""

    ranked: tuple[RankedBid, ...]
    candidates: tuple[str, ...]  # at most ``max_candidates``, in order
    excluded: tuple[ExcludedBid, ...]
    max_candidates: int
    tie_break_order: tuple[str, ...]
    tie_break_rule: str


def rank_bidders(
    totals: Sequence[BidderTotal],
    max_candidates: int,
    tie_break_order: Sequence[str] = (),
    tie_break_rule: str = "",
) -> RankingResult:
    """Rank the eligible bids by total (descending), then lower price, then ``tie_break_order``.

    A tie that decides who is a recommended candidate, or in which order, must be broken by
    ``tie_break_order`` (the tender document's rule): otherwise ``FailedPrecondition`` names the tied
    bidders. Bidders still tied after the candidate places share a rank (并列).
    """
    eligible = [t for t in totals if t.eligible and t.total is not None]
    excluded = tuple(ExcludedBid(t.bidder_id, t.exclusion or "no total") for t in totals if t not in eligible)
    order_index = {bidder_id: i for i, bidder_id in enumerate(tie_break_order)}
    ranked: list[RankedBid] = []
    position = 0  # places already given
    ordered = sorted(eligible, key=lambda t: (-_total_of(t), t.price))
    for total, same_total_iter in groupby(ordered, key=_total_of):
        same_total = list(same_total_iter)
        if len(same_total) == 1:
            ranked.append(
                RankedBid(position + 1, same_total[0].bidder_id, total, same_total[0].price, False, "")
            )
            position += 1
            continue
        names = ", ".join(t.bidder_id for t in same_total)
        for price, same_price_iter in groupby(same_total, key=lambda t: t.price):
            same_price = list(same_price_iter)
            if len(same_price) == 1:
                note = (
                    f"tied on total {fmt(total)} with {names}; lower price first (报价低者优先): {fmt(price)}"
                )
                ranked.append(RankedBid(position + 1, same_price[0].bidder_id, total, price, False, note))
                position += 1
                continue
            ids = [t.bidder_id for t in same_price]
            if all(i in order_index for i in ids):
                note = (
                    f"tied on total {fmt(total)} and price {fmt(price)} with {', '.join(ids)}; "
                    f"ordered by the tender document's rule (招标文件规定): {tie_break_rule}"
                )
                for t in sorted(same_price, key=lambda t: order_index[t.bidder_id]):
                    ranked.append(RankedBid(position + 1, t.bidder_id, total, price, False, note))
                    position += 1
            elif position < max_candidates:
                last = position + len(same_price)
                raise FailedPrecondition(
                    f"Bidders {', '.join(ids)} are tied on total {fmt(total)} and price {fmt(price)} for "
                    f"places {position + 1}–{last}, which decide the recommended candidates (中标候选人); "
                    "give tie_break_order for them from the tender document's tie rule "
                    "(招标文件规定的排序规则)"
                )
            else:
                note = f"tied on total {fmt(total)} and price {fmt(price)} with {', '.join(ids)} (并列)"
                ranked.extend(
                    RankedBid(position + 1, t.bidder_id, total, price, False, note) for t in same_price
                )
                position += len(same_price)
    candidates = tuple(r.bidder_id for r in ranked[:max_candidates])
    final = tuple(
        RankedBid(r.rank, r.bidder_id, r.total, r.price, r.bidder_id in candidates, r.tie_note)
        for r in ranked
    )
    return RankingResult(
        ranked=final,
        candidates=candidates,
        excluded=excluded,
        max_candidates=max_candidates,
        tie_break_order=tuple(tie_break_order),
        tie_break_rule=tie_break_rule,
    )


def _total_of(total: BidderTotal) -> Decimal:
    assert total.total is not None  # only eligible totals are ranked
    return total.total
