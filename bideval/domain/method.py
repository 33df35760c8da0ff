"""The evaluation method (评标办法) of one session: criteria, item kinds, ranges and the price formula.

Every number that DOMAIN.md marks *configurable* lives here, so the workflow and the scoring rules read it
from the session instead of hard-coding a province's practice. Money and scores are ``Decimal``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class ReviewStage(enum.StrEnum):
    """Which review a criterion belongs to."""

    PRELIMINARY = "preliminary"  # 初步评审: pass/fail per bidder, majority, a fail rejects the bid
    DETAILED = "detailed"  # 详细评审: scored per bidder


class PreliminaryCategory(enum.StrEnum):
    """The three groups of preliminary-review items (形式/资格/响应性)."""

    FORM = "form"
    QUALIFICATION = "qualification"
    RESPONSIVENESS = "responsiveness"


class ItemKind(enum.StrEnum):
    """How an expert answers a criterion."""

    SCORE = "score"  # a value within [min, max] on a step grid
    DEDUCT = "deduct"  # full mark minus deductions, each deduction with a reason
    PASS_FAIL = "pass_fail"  # pass or fail; a fail needs a reason
    VOTE = "vote"  # yes/no vote; the group result is the majority
    OBJECTIVE = "objective"  # one true value; every expert must enter the same number
    PRICE = "price"  # computed from the bid price by the price formula, never entered


class PriceBase(enum.StrEnum):
    """What the base price (评标基准价) is computed from."""

    LOWEST = "lowest"  # lowest valid price (87号令 Art. 55)
    MEAN = "mean"  # arithmetic mean of valid prices
    TRIMMED_MEAN = "trimmed_mean"  # mean after dropping highest/lowest by bid count
    SECOND_LOWEST = "second_lowest"
    REFERENCE = "reference"  # 标底 (reference price) × factor


class DeviationRounding(enum.StrEnum):
    """How the deviation percent is rounded before it is turned into points."""

    NONE = "none"
    HALF_UP = "half_up"  # to ``deviation_decimals`` places, half up
    CEILING = "ceiling"  # a started 1 % counts as a whole 1 % (away from zero)
    TRUNCATE = "truncate"  # cut to whole percent (towards zero)


class DeductionMode(enum.StrEnum):
    """Whether deductions grow per whole percent step or linearly."""

    LINEAR = "linear"
    STEPWISE = "stepwise"


class OutOfWindowRule(enum.StrEnum):
    """What happens to a bid outside the validity window for the base price."""

    FIXED_SCORE = "fixed_score"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class TrimRule:
    """Drop ``drop_highest``/``drop_lowest`` prices when at least ``min_bids`` valid bids exist."""

    min_bids: int
    drop_highest: int
    drop_lowest: int


@dataclass(frozen=True, slots=True)
class PriceFormula:
    """Parameters of the price-score formula. ``version`` names the pure function that interprets them."""

    version: str  # e.g. "lowest-price/v1" or "deviation/v1"
    full_points: Decimal
    base: PriceBase
    trim_rules: tuple[TrimRule, ...] = ()
    reference_price: Decimal | None = None
    reference_factor: Decimal = Decimal("1")
    float_point_percent: Decimal | None = None  # drawn at opening, e.g. Decimal("0.75") for 0.75 %
    window_below_percent: Decimal | None = None  # valid if price >= ref × (1 - x %)
    window_above_percent: Decimal | None = None  # valid if price <= ref × (1 + x %)
    price_cap: Decimal | None = None  # 最高投标限价
    out_of_window: OutOfWindowRule = OutOfWindowRule.FIXED_SCORE
    out_of_window_score: Decimal = Decimal("0")
    deviation_rounding: DeviationRounding = DeviationRounding.HALF_UP
    deviation_decimals: int = 2
    mode: DeductionMode = DeductionMode.LINEAR
    up_rate: Decimal = Decimal("1")  # points per % above the base
    down_rate: Decimal = Decimal("0.5")  # points per % below the base
    max_deduction: Decimal | None = None
    score_decimals: int = 2
    base_decimals: int = 2  # 评标基准价 rounded half up to this many places (2 = fen); see pricing.py


@dataclass(frozen=True, slots=True)
class Criterion:
    """One item of the evaluation standard."""

    id: str
    title: str
    stage: ReviewStage
    kind: ItemKind
    category: PreliminaryCategory | None = None  # preliminary items only
    min_points: Decimal = Decimal("0")
    max_points: Decimal = Decimal("0")  # full mark for SCORE/DEDUCT/OBJECTIVE/PRICE
    step: Decimal = Decimal("0.5")
    guidance: str = ""
    page_refs: tuple[str, ...] = ()  # document pages this criterion concerns, e.g. "tender:12"
    group: str = ""  # e.g. "技术标", "商务标"


@dataclass(frozen=True, slots=True)
class EvaluationRules:
    """The configurable numbers of the workflow."""

    min_committee_size: int = 5
    pledge_countdown_seconds: int = 10
    deviation_threshold_percent: Decimal = Decimal("30")
    min_valid_bids: int = 3  # fewer valid bids than this → failed tender (流标)
    max_candidates: int = 3  # 条例 Art. 53
    clarification_needs_approval: bool = True
    wait_before_start_hours: int = 2
    outage_reform_hours: int = 4
    tie_break: str = "lower_price"  # then the tender document's rule, recorded by the leader


@dataclass(frozen=True, slots=True)
class EvaluationMethod:
    """The whole method: a name, the criteria in display order, the price formula, the rules."""

    name: str
    criteria: tuple[Criterion, ...]
    price: PriceFormula | None
    rules: EvaluationRules = field(default_factory=EvaluationRules)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def preliminary_items(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.stage is ReviewStage.PRELIMINARY)

    def detailed_items(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.stage is ReviewStage.DETAILED)

    def entered_items(self) -> tuple[Criterion, ...]:
        """Detailed items an expert fills in (everything but the computed price item)."""
        return tuple(c for c in self.detailed_items() if c.kind is not ItemKind.PRICE)
