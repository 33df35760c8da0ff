"""Price score (价格分): versioned, pure functions from a ``PriceFormula`` and the bid prices to scores.

Every intermediate value (validity window, prices considered, trimming, base before and after the float
point, raw and rounded deviation, deduction) is returned, together with Chinese step-by-step text, because
DOMAIN.md §10 requires that any expert or supervisor can recompute the result by hand.

Two formula families, selected by ``PriceFormula.version``:

- ``"lowest-price/v1"``: government procurement (87号令 Art. 55), ``score = base / price × full``.
- ``"deviation/v1"``: construction, ``score = full − deduction(deviation from base)``.

A formula version is frozen once published: a session evaluated under ``deviation/v1`` must give the same
numbers forever, so a change of behaviour means a new version string, never an edit of an existing one.
See docs/price-formulas.md for the rules in prose and a worked example.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from bideval.domain.errors import InvalidArgument
from bideval.domain.method import (
    DeductionMode,
    DeviationRounding,
    OutOfWindowRule,
    PriceBase,
    PriceFormula,
    TrimRule,
)

LOWEST_PRICE_V1 = "lowest-price/v1"
DEVIATION_V1 = "deviation/v1"

# All arithmetic runs in this context, whatever the caller's thread-local context is, so a result never
# depends on who called us. 28 significant digits is Python's documented default, which a supervisor can
# reproduce with a plain ``decimal`` session. Traps turn silent NaN/∞ into errors instead of wrong scores.
_CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class PricedBid:
    """One bid that passed preliminary review, with its evaluated price (评标价) in yuan."""

    bidder_id: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class BidPriceScore:
    """The price score of one bid and every number that led to it."""

    bidder_id: str
    price: Decimal
    in_window: bool  # inside the validity window for entering the base
    entered_base: bool  # price was used when computing the base (after window + trimming)
    deviation_percent: Decimal | None  # raw (P-B)/B*100, unrounded (None if out of window / rejected)
    deviation_used: Decimal | None  # after the configured rounding
    deduction: Decimal | None  # points deducted after max_deduction, before the [0, full] clamp
    score: Decimal | None  # final rounded score; None when the bid is rejected by the window rule
    rejected: bool  # OutOfWindowRule.REJECT applied
    explanation: str  # one Chinese sentence showing the arithmetic for this bid


@dataclass(frozen=True, slots=True)
class PriceScoreResult:
    """Everything a formula computed, in the order a person would recompute it."""

    formula_version: str
    base_kind: PriceBase
    window_low: Decimal | None
    window_high: Decimal | None
    prices_considered: tuple[PricedBid, ...]  # inside window, before trimming, input order
    trimmed_out: tuple[str, ...]  # bidder ids dropped by trimming, input order
    base_before_float: Decimal  # e.g. the (trimmed) mean, as computed (28 significant digits)
    float_point_percent: Decimal | None
    base: Decimal  # final base price (评标基准价)
    scores: tuple[BidPriceScore, ...]  # in the input order
    steps: tuple[str, ...]  # human-readable Chinese steps


# --------------------------------------------------------------------------------------------------
# Formatting: one place, so the numbers in the text are exactly the numbers in the result.


def _fmt(value: Decimal) -> str:
    # "f" never switches to scientific notation (str() would print 0E-2 or 1E+6), and keeps trailing
    # zeros, so a price entered as 1000000.00 reads back as 1000000.00.
    return format(value, "f")


def _pct(value: Decimal) -> str:
    return f"{_fmt(value)}%"


def _bound(value: Decimal | None) -> str:
    return "不限" if value is None else _fmt(value)


_BASE_NAMES: Mapping[PriceBase, str] = {
    PriceBase.LOWEST: "最低有效报价",
    PriceBase.MEAN: "有效报价算术平均值",
    PriceBase.TRIMMED_MEAN: "去掉最高/最低报价后的算术平均值",
    PriceBase.SECOND_LOWEST: "次低有效报价",
    PriceBase.REFERENCE: "标底 × 系数",
}


def _rounding_name(formula: PriceFormula) -> str:
    rounding = formula.deviation_rounding
    if rounding is DeviationRounding.NONE:
        return "不取舍"
    if rounding is DeviationRounding.HALF_UP:
        return f"四舍五入保留{formula.deviation_decimals}位小数"
    if rounding is DeviationRounding.CEILING:
        return "不足1%按1%计（远离零取整）"
    return "舍去小数部分取整（向零取整）"


def _quantize(value: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    # Decimal's ROUND_HALF_UP rounds a tie away from zero: -1.005 → -1.01, the same as 1.005 → 1.01,
    # which is what "四舍五入" means for a negative deviation.
    return value.quantize(_ONE.scaleb(-places), rounding=rounding)


# --------------------------------------------------------------------------------------------------
# Validation shared by both families. Each message names the problem so the operator can fix the method.


def _check_decimal(name: str, value: object) -> Decimal:
    # A float sneaking in (e.g. 0.1) would carry binary error into money; refuse it instead of converting.
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidArgument(f"{name} 必须是有限的 Decimal 数值，收到 {value!r}")
    return value


def _check_formula(formula: PriceFormula) -> None:
    if _check_decimal("满分 full_points", formula.full_points) <= 0:
        raise InvalidArgument(f"价格分满分 full_points 必须大于 0，收到 {formula.full_points}")
    if formula.score_decimals < 0:
        raise InvalidArgument(f"得分小数位 score_decimals 不能为负，收到 {formula.score_decimals}")
    if formula.base_decimals < 0:
        raise InvalidArgument(f"基准价小数位 base_decimals 不能为负，收到 {formula.base_decimals}")
    if (
        formula.reference_price is not None
        and _check_decimal("标底 reference_price", formula.reference_price) <= 0
    ):
        raise InvalidArgument(f"标底 reference_price 必须大于 0，收到 {formula.reference_price}")
    if _check_decimal("标底系数 reference_factor", formula.reference_factor) <= 0:
        raise InvalidArgument(f"标底系数 reference_factor 必须大于 0，收到 {formula.reference_factor}")
    # The factor belongs to the 标底 only; silently ignoring it on another base would hide a wrong method.
    if formula.base is not PriceBase.REFERENCE and formula.reference_factor != _ONE:
        raise InvalidArgument(
            "标底系数 reference_factor 只用于 REFERENCE 基准价；其他基准价的下浮系数 K 请写成 "
            "float_point_percent = (1 − K) × 100"
        )
    if formula.base is PriceBase.REFERENCE and formula.reference_price is None:
        raise InvalidArgument("基准价方式为 REFERENCE（标底 × 系数）时必须设置标底 reference_price")
    if formula.trim_rules and formula.base is not PriceBase.TRIMMED_MEAN:
        raise InvalidArgument(f"去尾规则 trim_rules 只用于 TRIMMED_MEAN 基准价，当前基准价为 {formula.base}")
    _check_trim_rules(formula.trim_rules)
    fp = formula.float_point_percent
    if fp is not None and not _ZERO <= _check_decimal("下浮点 float_point_percent", fp) < _HUNDRED:
        raise InvalidArgument(f"下浮点 float_point_percent 必须在 [0, 100) 内，收到 {fp}")
    below = formula.window_below_percent
    above = formula.window_above_percent
    if (below is not None or above is not None) and formula.reference_price is None:
        raise InvalidArgument("设置了有效区间百分比 window_below/above_percent 时必须设置标底")
    if below is not None and not _ZERO <= _check_decimal("区间下限 window_below_percent", below) < _HUNDRED:
        raise InvalidArgument(f"区间下限百分比 window_below_percent 必须在 [0, 100) 内，收到 {below}")
    if above is not None and _check_decimal("区间上限 window_above_percent", above) < 0:
        raise InvalidArgument(f"区间上限百分比 window_above_percent 不能为负，收到 {above}")
    if formula.price_cap is not None and _check_decimal("最高投标限价 price_cap", formula.price_cap) <= 0:
        raise InvalidArgument(f"最高投标限价 price_cap 必须大于 0，收到 {formula.price_cap}")
    oow = _check_decimal("区间外得分 out_of_window_score", formula.out_of_window_score)
    if not _ZERO <= oow <= formula.full_points:
        raise InvalidArgument(f"区间外固定得分 out_of_window_score 必须在 [0, 满分] 内，收到 {oow}")
    # A full mark of 0.5 shown with 0 decimals would round to 1 and exceed itself; refuse the method.
    for name, points in (("满分 full_points", formula.full_points), ("区间外得分 out_of_window_score", oow)):
        if _quantize(points, formula.score_decimals) != points:
            raise InvalidArgument(
                f"{name} = {points} 的小数位多于得分小数位 score_decimals = {formula.score_decimals}"
            )


def _check_trim_rules(rules: tuple[TrimRule, ...]) -> None:
    seen: set[int] = set()
    for rule in rules:
        if rule.min_bids < 1 or rule.drop_highest < 0 or rule.drop_lowest < 0:
            raise InvalidArgument(f"去尾规则 {rule} 无效：min_bids 至少为 1，去掉家数不能为负")
        if rule.drop_highest + rule.drop_lowest >= rule.min_bids:
            raise InvalidArgument(f"去尾规则 {rule} 会去掉全部报价：去掉家数之和必须小于 min_bids")
        if rule.min_bids in seen:
            raise InvalidArgument(f"去尾规则中 min_bids={rule.min_bids} 出现多次，无法确定适用哪条")
        seen.add(rule.min_bids)


def _check_bids(bids: Sequence[PricedBid]) -> None:
    if not bids:
        raise InvalidArgument("没有参与价格评分的投标：投标列表为空")
    seen: set[str] = set()
    for bid in bids:
        if not bid.bidder_id:
            raise InvalidArgument("投标人编号 bidder_id 不能为空")
        if bid.bidder_id in seen:
            raise InvalidArgument(f"投标人编号重复：{bid.bidder_id}")
        seen.add(bid.bidder_id)
        if _check_decimal(f"投标人 {bid.bidder_id} 的报价", bid.price) <= 0:
            raise InvalidArgument(f"投标人 {bid.bidder_id} 的报价必须大于 0，收到 {bid.price}")


# --------------------------------------------------------------------------------------------------
# Validity window: the same rule for both families.


@dataclass(frozen=True, slots=True)
class _Window:
    low: Decimal | None
    high: Decimal | None
    description: str

    def contains(self, price: Decimal) -> bool:
        # Both bounds are inclusive: a bid exactly at the price cap is a valid bid (the cap is a maximum).
        return (self.low is None or price >= self.low) and (self.high is None or price <= self.high)


def _window(formula: PriceFormula) -> _Window:
    parts: list[str] = []
    low: Decimal | None = None
    high: Decimal | None = None
    ref = formula.reference_price
    if formula.window_below_percent is not None and ref is not None:
        # Bounds are exact products (no rounding), so a price is never wrongly in or out by a cent.
        low = ref * (_ONE - formula.window_below_percent / _HUNDRED)
        parts.append(f"下限 = 标底 {_fmt(ref)} × (1 − {_pct(formula.window_below_percent)}) = {_fmt(low)}")
    if formula.window_above_percent is not None and ref is not None:
        high = ref * (_ONE + formula.window_above_percent / _HUNDRED)
        parts.append(f"上限 = 标底 {_fmt(ref)} × (1 + {_pct(formula.window_above_percent)}) = {_fmt(high)}")
    if formula.price_cap is not None:
        parts.append(f"最高投标限价 {_fmt(formula.price_cap)}")
        high = formula.price_cap if high is None else min(high, formula.price_cap)
    if not parts:
        return _Window(None, None, "有效区间：未设置，全部报价参与基准价计算。")
    text = "；".join(parts)
    return _Window(low, high, f"有效区间：{text}；有效区间为 [{_bound(low)}, {_bound(high)}]（含端点）。")


def _out_of_window_score(formula: PriceFormula, bid: PricedBid, window: _Window) -> BidPriceScore:
    interval = f"[{_bound(window.low)}, {_bound(window.high)}]"
    where = f"报价 {_fmt(bid.price)} 不在有效区间 {interval} 内，不参与基准价计算"
    if formula.out_of_window is OutOfWindowRule.REJECT:
        return BidPriceScore(
            bidder_id=bid.bidder_id,
            price=bid.price,
            in_window=False,
            entered_base=False,
            deviation_percent=None,
            deviation_used=None,
            deduction=None,
            score=None,
            rejected=True,
            explanation=f"投标人{bid.bidder_id}：{where}，按招标文件规定否决，不计价格分。",
        )
    score = _quantize(formula.out_of_window_score, formula.score_decimals)
    return BidPriceScore(
        bidder_id=bid.bidder_id,
        price=bid.price,
        in_window=False,
        entered_base=False,
        deviation_percent=None,
        deviation_used=None,
        deduction=None,
        score=score,
        rejected=False,
        explanation=f"投标人{bid.bidder_id}：{where}，按固定得分 {_fmt(score)} 分。",
    )


def _split_by_window(
    formula: PriceFormula, bids: Sequence[PricedBid], window: _Window, steps: list[str]
) -> tuple[PricedBid, ...]:
    steps.append(window.description)
    considered = tuple(bid for bid in bids if window.contains(bid.price))
    outside = [bid for bid in bids if not window.contains(bid.price)]
    if outside:
        rule = (
            "否决"
            if formula.out_of_window is OutOfWindowRule.REJECT
            else f"固定得分 {_fmt(formula.out_of_window_score)} 分"
        )
        listed = "、".join(f"{b.bidder_id}（{_fmt(b.price)}）" for b in outside)
        steps.append(f"区间外报价：{listed}，不参与基准价计算，按{rule}处理。")
    if not considered:
        raise InvalidArgument("所有报价均在有效区间之外，无法计算评标基准价（可能需按流标处理）")
    listed = "、".join(f"{b.bidder_id}（{_fmt(b.price)}）" for b in considered)
    steps.append(f"参与基准价计算的报价共 {len(considered)} 家：{listed}。")
    return considered


def _input_steps(formula: PriceFormula, bids: Sequence[PricedBid]) -> list[str]:
    listed = "、".join(f"{b.bidder_id} {_fmt(b.price)}" for b in bids)
    return [
        f"公式版本 {formula.version}；价格分满分 {_fmt(formula.full_points)} 分；"
        f"基准价方式：{_BASE_NAMES[formula.base]}；运算精度 28 位有效数字。",
        f"投标报价（元）：{listed}。",
    ]


# --------------------------------------------------------------------------------------------------
# lowest-price/v1


def _lowest_price_v1(formula: PriceFormula, bids: Sequence[PricedBid]) -> PriceScoreResult:
    """87号令 Art. 55: base = lowest valid price, ``score = base / price × full``, score rounded half up.

    The base is a bid price itself, so it is not rounded. Deviation parameters (rates, deviation rounding,
    max deduction) do not apply to this family and are ignored.
    """
    _check_formula(formula)
    # Refuse parameters this family cannot honour instead of silently producing a different method.
    if formula.base is not PriceBase.LOWEST:
        raise InvalidArgument(f"{LOWEST_PRICE_V1} 的基准价只能是 LOWEST（最低有效报价），收到 {formula.base}")
    if formula.float_point_percent is not None:
        raise InvalidArgument(f"{LOWEST_PRICE_V1} 不使用下浮点 float_point_percent，请使用 {DEVIATION_V1}")
    _check_bids(bids)
    steps = _input_steps(formula, bids)
    window = _window(formula)
    considered = _split_by_window(formula, bids, window, steps)
    base = min(bid.price for bid in considered)
    steps.append(f"评标基准价 = 区间内最低报价 = {_fmt(base)}（为投标报价本身，不再取舍）。")
    steps.append(
        f"价格分 = 评标基准价 ÷ 投标报价 × {_fmt(formula.full_points)}，"
        f"四舍五入保留{formula.score_decimals}位小数。"
    )
    considered_ids = {bid.bidder_id for bid in considered}
    scores: list[BidPriceScore] = []
    for bid in bids:
        if bid.bidder_id not in considered_ids:
            scores.append(_out_of_window_score(formula, bid, window))
            continue
        raw = base / bid.price * formula.full_points
        score = _quantize(raw, formula.score_decimals)
        scores.append(
            BidPriceScore(
                bidder_id=bid.bidder_id,
                price=bid.price,
                in_window=True,
                entered_base=True,
                deviation_percent=None,
                deviation_used=None,
                deduction=None,
                score=score,
                rejected=False,
                explanation=(
                    f"投标人{bid.bidder_id}：{_fmt(base)} ÷ {_fmt(bid.price)} × {_fmt(formula.full_points)} "
                    f"= {_fmt(raw)}，四舍五入保留{formula.score_decimals}位小数得 {_fmt(score)} 分。"
                ),
            )
        )
    steps.extend(s.explanation for s in scores)
    return PriceScoreResult(
        formula_version=LOWEST_PRICE_V1,
        base_kind=formula.base,
        window_low=window.low,
        window_high=window.high,
        prices_considered=considered,
        trimmed_out=(),
        base_before_float=base,
        float_point_percent=None,
        base=base,
        scores=tuple(scores),
        steps=tuple(steps),
    )


# --------------------------------------------------------------------------------------------------
# deviation/v1


def _applicable_trim_rule(rules: tuple[TrimRule, ...], count: int) -> TrimRule | None:
    # The rule with the largest min_bids not above the count: rules read like "≥6 bids: …, ≥7 bids: …".
    candidates = [rule for rule in rules if rule.min_bids <= count]
    return max(candidates, key=lambda rule: rule.min_bids) if candidates else None


def _trim(
    formula: PriceFormula, considered: tuple[PricedBid, ...], steps: list[str]
) -> tuple[tuple[PricedBid, ...], tuple[str, ...]]:
    """Drop the highest/lowest prices per the applicable rule; returns (kept, dropped ids)."""
    rule = _applicable_trim_rule(formula.trim_rules, len(considered))
    if rule is None or (rule.drop_highest == 0 and rule.drop_lowest == 0):
        steps.append(f"去尾：有效报价 {len(considered)} 家，无适用的去尾规则，不去掉任何报价。")
        return considered, ()
    # A stable sort by price keeps input order among equal prices, so ties are dropped deterministically:
    # among equal lowest prices the earlier bid is dropped, among equal highest prices the later one.
    # Equal prices contribute equally to the mean, so the tie-break never changes the base.
    order = sorted(range(len(considered)), key=lambda i: considered[i].price)
    dropped_idx = set(order[: rule.drop_lowest]) | set(order[len(order) - rule.drop_highest :])
    kept = tuple(bid for i, bid in enumerate(considered) if i not in dropped_idx)
    dropped = tuple(bid for i, bid in enumerate(considered) if i in dropped_idx)
    listed = "、".join(f"{b.bidder_id}（{_fmt(b.price)}）" for b in dropped)
    steps.append(
        f"去尾：有效报价 {len(considered)} 家，适用规则“不少于 {rule.min_bids} 家时"
        f"去掉最高 {rule.drop_highest} 家、最低 {rule.drop_lowest} 家”，"
        f"去掉 {listed}，剩余 {len(kept)} 家。"
    )
    return kept, tuple(bid.bidder_id for bid in dropped)


def _mean(prices: Sequence[Decimal]) -> Decimal:
    return sum(prices, _ZERO) / Decimal(len(prices))


def _deviation_base(
    formula: PriceFormula, considered: tuple[PricedBid, ...], steps: list[str]
) -> tuple[Decimal, tuple[PricedBid, ...], tuple[str, ...]]:
    """The base before the float point; returns (value, bids whose price entered it, trimmed-out ids)."""
    kind = formula.base
    if kind is PriceBase.LOWEST:
        value = min(bid.price for bid in considered)
        steps.append(f"基准价（下浮前）= 区间内最低报价 = {_fmt(value)}。")
        return value, considered, ()
    if kind is PriceBase.SECOND_LOWEST:
        if len(considered) < 2:
            raise InvalidArgument("基准价方式为次低价（SECOND_LOWEST），但有效区间内的报价少于 2 家")
        # Second place of the sorted list, not the second distinct value: two equal lowest prices make the
        # second-lowest equal to the lowest, which is how "次低报价" reads when two bidders tie.
        value = sorted(bid.price for bid in considered)[1]
        steps.append(f"基准价（下浮前）= 区间内报价从低到高排序后的第 2 个 = {_fmt(value)}。")
        return value, considered, ()
    if kind is PriceBase.REFERENCE:
        ref = formula.reference_price
        assert ref is not None  # checked in _check_formula; narrows the type for mypy
        value = ref * formula.reference_factor
        factor = _fmt(formula.reference_factor)
        steps.append(f"基准价（下浮前）= 标底 {_fmt(ref)} × 系数 {factor} = {_fmt(value)}。")
        return value, (), ()
    trimmed_out: tuple[str, ...] = ()
    kept = considered
    if kind is PriceBase.TRIMMED_MEAN:
        kept, trimmed_out = _trim(formula, considered, steps)
    prices = [bid.price for bid in kept]
    value = _mean(prices)
    total = sum(prices, _ZERO)
    terms = " + ".join(_fmt(p) for p in prices)
    n = len(prices)
    steps.append(f"基准价（下浮前）= 算术平均值 = ({terms}) ÷ {n} = {_fmt(total)} ÷ {n} = {_fmt(value)}。")
    return value, kept, trimmed_out


def _apply_float_and_round(formula: PriceFormula, before: Decimal, steps: list[str]) -> Decimal:
    fp = formula.float_point_percent
    places = formula.base_decimals
    if fp is None:
        raw = before
        text = f"未设置下浮点；评标基准价 = {_fmt(before)}"
    else:
        raw = before * (_ONE - fp / _HUNDRED)
        text = (
            f"下浮点 {_pct(fp)}（开标时公开抽取）；"
            f"评标基准价 = {_fmt(before)} × (1 − {_pct(fp)}) = {_fmt(raw)}"
        )
    # The base is money: rounded once, at the end, half up to base_decimals (default 2 = fen). Rounding
    # the mean before the float point would be a second rounding that tender documents do not ask for.
    base = _quantize(raw, places)
    steps.append(f"{text}，四舍五入保留{places}位小数得评标基准价 B = {_fmt(base)}。")
    return base


def _round_deviation(formula: PriceFormula, raw: Decimal) -> Decimal:
    rounding = formula.deviation_rounding
    if rounding is DeviationRounding.NONE:
        return raw
    if rounding is DeviationRounding.HALF_UP:
        return _quantize(raw, formula.deviation_decimals, ROUND_HALF_UP)
    if rounding is DeviationRounding.CEILING:
        # "不足1%按1%计": a started percent counts in full on either side of the base, so away from zero.
        return _quantize(raw, 0, ROUND_UP)
    return _quantize(raw, 0, ROUND_DOWN)


def _deviation_score(formula: PriceFormula, bid: PricedBid, base: Decimal, entered: bool) -> BidPriceScore:
    full = formula.full_points
    raw = (bid.price - base) / base * _HUNDRED
    used = _round_deviation(formula, raw)
    b = _fmt(base)
    parts = [f"投标人{bid.bidder_id}：偏差率 = ({_fmt(bid.price)} − {b}) ÷ {b} × 100 = {_pct(raw)}"]
    if formula.deviation_rounding is not DeviationRounding.NONE:
        parts.append(f"按{_rounding_name(formula)}取 {_pct(used)}")
    above = used >= 0
    rate = formula.up_rate if above else formula.down_rate
    side = "高于或等于基准价" if above else "低于基准价"
    magnitude = abs(used)
    if formula.mode is DeductionMode.STEPWISE:
        # One step per started whole percent: 2.30 % is 3 steps. Combine with TRUNCATE rounding for
        # "completed percents only" (2.30 % → 2 → 2 steps).
        steps_count = _quantize(magnitude, 0, ROUND_UP)
        uncapped = steps_count * rate
        n = _fmt(steps_count)
        parts.append(
            f"{side}，按每1%一档（不足1%按一档计）共 {n} 档，扣分 = {n} × {_fmt(rate)} = {_fmt(uncapped)}"
        )
    else:
        uncapped = magnitude * rate
        parts.append(f"{side}，扣分 = {_fmt(magnitude)} × {_fmt(rate)} = {_fmt(uncapped)}")
    deduction = uncapped
    if formula.max_deduction is not None and uncapped > formula.max_deduction:
        deduction = formula.max_deduction
        parts.append(f"超过扣分上限 {_fmt(formula.max_deduction)}，按 {_fmt(deduction)} 计")
    unclamped = full - deduction
    clamped = min(max(unclamped, _ZERO), full)
    text = f"得分 = {_fmt(full)} − {_fmt(deduction)} = {_fmt(unclamped)}"
    if clamped != unclamped:
        text += f"，低于 0 按 {_fmt(clamped)} 计"
    score = _quantize(clamped, formula.score_decimals)
    text += f"，四舍五入保留{formula.score_decimals}位小数得 {_fmt(score)} 分"
    parts.append(text)
    return BidPriceScore(
        bidder_id=bid.bidder_id,
        price=bid.price,
        in_window=True,
        entered_base=entered,
        deviation_percent=raw,
        deviation_used=used,
        deduction=deduction,
        score=score,
        rejected=False,
        explanation="；".join(parts) + "。",
    )


def _check_deviation_formula(formula: PriceFormula) -> None:
    if formula.deviation_decimals < 0:
        raise InvalidArgument(f"偏差率小数位 deviation_decimals 不能为负，收到 {formula.deviation_decimals}")
    if _check_decimal("上浮扣分率 up_rate", formula.up_rate) < 0:
        raise InvalidArgument(f"高于基准价的扣分率 up_rate 不能为负，收到 {formula.up_rate}")
    if _check_decimal("下浮扣分率 down_rate", formula.down_rate) < 0:
        raise InvalidArgument(f"低于基准价的扣分率 down_rate 不能为负，收到 {formula.down_rate}")
    cap = formula.max_deduction
    if cap is not None and _check_decimal("扣分上限 max_deduction", cap) < 0:
        raise InvalidArgument(f"扣分上限 max_deduction 不能为负，收到 {cap}")


def _deviation_v1(formula: PriceFormula, bids: Sequence[PricedBid]) -> PriceScoreResult:
    """Construction family: base from ``formula.base`` (× (1 − float point)), deductions by deviation."""
    _check_formula(formula)
    _check_deviation_formula(formula)
    _check_bids(bids)
    steps = _input_steps(formula, bids)
    window = _window(formula)
    considered = _split_by_window(formula, bids, window, steps)
    before, entered, trimmed_out = _deviation_base(formula, considered, steps)
    base = _apply_float_and_round(formula, before, steps)
    stepwise = formula.mode is DeductionMode.STEPWISE
    mode = "按每1%一档扣分（不足1%按一档计）" if stepwise else "线性（插值）扣分"
    cap = "不设上限" if formula.max_deduction is None else f"上限 {_fmt(formula.max_deduction)} 分"
    steps.append(
        f"偏差率 d = (P − B) ÷ B × 100，{_rounding_name(formula)}；{mode}："
        f"高于基准价每1%扣 {_fmt(formula.up_rate)} 分，低于基准价每1%扣 {_fmt(formula.down_rate)} 分，"
        f"扣分{cap}；得分限制在 [0, {_fmt(formula.full_points)}] 内，"
        f"四舍五入保留{formula.score_decimals}位小数。"
    )
    considered_ids = {bid.bidder_id for bid in considered}
    entered_ids = {bid.bidder_id for bid in entered}
    scores = tuple(
        _deviation_score(formula, bid, base, bid.bidder_id in entered_ids)
        if bid.bidder_id in considered_ids
        else _out_of_window_score(formula, bid, window)
        for bid in bids
    )
    steps.extend(s.explanation for s in scores)
    return PriceScoreResult(
        formula_version=DEVIATION_V1,
        base_kind=formula.base,
        window_low=window.low,
        window_high=window.high,
        prices_considered=considered,
        trimmed_out=trimmed_out,
        base_before_float=before,
        float_point_percent=formula.float_point_percent,
        base=base,
        scores=scores,
        steps=tuple(steps),
    )


# --------------------------------------------------------------------------------------------------
# Dispatch


def _in_context(
    fn: Callable[[PriceFormula, Sequence[PricedBid]], PriceScoreResult],
) -> Callable[[PriceFormula, Sequence[PricedBid]], PriceScoreResult]:
    # Wrapping each version (not only compute_price_scores) means calling FORMULA_VERSIONS[...] directly
    # gives the same numbers as going through the dispatcher.
    def run(formula: PriceFormula, bids: Sequence[PricedBid]) -> PriceScoreResult:
        with localcontext(_CONTEXT):
            return fn(formula, bids)

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


FORMULA_VERSIONS: Mapping[str, Callable[[PriceFormula, Sequence[PricedBid]], PriceScoreResult]] = (
    types.MappingProxyType(
        {
            LOWEST_PRICE_V1: _in_context(_lowest_price_v1),
            DEVIATION_V1: _in_context(_deviation_v1),
        }
    )
)


def compute_price_scores(formula: PriceFormula, bids: Sequence[PricedBid]) -> PriceScoreResult:
    """Score ``bids`` (those that passed preliminary review) with the formula version ``formula.version``."""
    try:
        fn = FORMULA_VERSIONS[formula.version]
    except KeyError:
        known = "、".join(sorted(FORMULA_VERSIONS))
        raise InvalidArgument(f"未知的价格分公式版本 {formula.version!r}；支持的版本：{known}") from None
    return fn(formula, bids)
