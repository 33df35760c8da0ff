"""Test vectors for the price formulas, each worked by hand in the comments.

The expected numbers are written out literally (never recomputed with the code under test), so a change in
any rounding or ordering rule makes a test fail. Conventions in the comments: B = base, P = price,
d = (P − B) / B × 100, "→" = the configured rounding.
"""

from __future__ import annotations

import decimal
import itertools
import random
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bideval.domain.errors import InvalidArgument
from bideval.domain.method import (
    DeductionMode,
    DeviationRounding,
    OutOfWindowRule,
    PriceBase,
    PriceFormula,
    TrimRule,
)
from bideval.domain.pricing import (
    FORMULA_VERSIONS,
    BidPriceScore,
    PricedBid,
    PriceScoreResult,
    compute_price_scores,
)

D = Decimal
FULL = D("30")
TRIM_RULES = (
    TrimRule(min_bids=6, drop_highest=1, drop_lowest=0),
    TrimRule(min_bids=7, drop_highest=1, drop_lowest=1),
)


def bids(*pairs: tuple[str, str]) -> list[PricedBid]:
    return [PricedBid(bidder_id, D(price)) for bidder_id, price in pairs]


def by_id(result: PriceScoreResult) -> dict[str, BidPriceScore]:
    return {s.bidder_id: s for s in result.scores}


def scores(result: PriceScoreResult) -> dict[str, Decimal | None]:
    return {s.bidder_id: s.score for s in result.scores}


def lowest_price(**kwargs: Any) -> PriceFormula:
    return replace(PriceFormula(version="lowest-price/v1", full_points=FULL, base=PriceBase.LOWEST), **kwargs)


def deviation(base: PriceBase, **kwargs: Any) -> PriceFormula:
    # Defaults of PriceFormula: HALF_UP to 2 decimals, LINEAR, up 1 point/%, down 0.5 point/%, no cap.
    return replace(PriceFormula(version="deviation/v1", full_points=FULL, base=base), **kwargs)


def reference(ref: str = "100000", **kwargs: Any) -> PriceFormula:
    """B = 标底 exactly (factor 1, no float point), handy to put bids above and below the base."""
    return deviation(PriceBase.REFERENCE, reference_price=D(ref), **kwargs)


# ---------------------------------------------------------------------------------------------------------
# lowest-price/v1


def test_lowest_price_four_bids() -> None:
    # B = min(500000, 450000, 600000, 480000) = 450000.00
    # A: 450000 / 500000 × 30 = 0.9   × 30 = 27       → 27.00
    # B: 450000 / 450000 × 30 = 1     × 30 = 30       → 30.00
    # C: 450000 / 600000 × 30 = 0.75  × 30 = 22.5     → 22.50
    # D: 450000 / 480000 × 30 = 0.9375 × 30 = 28.125  → 28.13 (half up, not banker's 28.12)
    result = compute_price_scores(
        lowest_price(),
        bids(("A", "500000.00"), ("B", "450000.00"), ("C", "600000.00"), ("D", "480000.00")),
    )
    assert result.formula_version == "lowest-price/v1"
    assert result.base == D("450000.00")
    assert result.base_before_float == D("450000.00")
    assert result.float_point_percent is None
    assert scores(result) == {"A": D("27.00"), "B": D("30.00"), "C": D("22.50"), "D": D("28.13")}
    assert [s.bidder_id for s in result.scores] == ["A", "B", "C", "D"]  # input order
    assert all(s.deduction is None and s.deviation_percent is None for s in result.scores)
    assert all(s.entered_base and s.in_window for s in result.scores)
    assert "450000.00 ÷ 480000.00 × 30 = 28.1250" in by_id(result)["D"].explanation
    assert "28.13" in by_id(result)["D"].explanation


def test_lowest_price_window_keeps_abnormal_and_capped_bids_out_of_the_base() -> None:
    # Window: low = 500000 × (1 − 15%) = 425000, high = price cap 550000.
    # E 400000 < 425000 → out (fixed 0), so B = min(A 500000, B 450000, D 480000) = 450000, not 400000.
    # C 600000 > 550000 → out (fixed 0).
    # A: 450000 / 500000 × 30 = 27.00; D: 450000 / 480000 × 30 = 28.125 → 28.13.
    formula = lowest_price(reference_price=D("500000"), window_below_percent=D("15"), price_cap=D("550000"))
    result = compute_price_scores(
        formula,
        bids(
            ("A", "500000.00"), ("B", "450000.00"), ("C", "600000.00"), ("D", "480000.00"), ("E", "400000.00")
        ),
    )
    assert result.window_low == D("425000")
    assert result.window_high == D("550000")
    assert result.base == D("450000.00")
    assert [b.bidder_id for b in result.prices_considered] == ["A", "B", "D"]
    assert scores(result) == {
        "A": D("27.00"),
        "B": D("30.00"),
        "C": D("0.00"),
        "D": D("28.13"),
        "E": D("0.00"),
    }
    assert not by_id(result)["E"].in_window
    assert not by_id(result)["E"].entered_base


# ---------------------------------------------------------------------------------------------------------
# deviation/v1: trimmed mean with a float point of 0.75 %

FIVE = (("A", "1000000.00"), ("B", "1020000.00"), ("C", "980000.00"), ("D", "1040000.00"), ("E", "960000.00"))
# For all three vectors below the mean of the kept prices is 5000000 / 5 = 1000000.00, and
# B = 1000000.00 × (1 − 0.75 %) = 1000000 × 0.9925 = 992500.00. Per bid (up 1 point/%, down 0.5 point/%):
#   A 1000000: d = 7500 / 992500 × 100   =  0.75566… → 0.76;  30 − 0.76          = 29.24
#   B 1020000: d = 27500 / 992500 × 100  =  2.77078… → 2.77;  30 − 2.77          = 27.23
#   C  980000: d = −12500 / 992500 × 100 = −1.25944… → −1.26; 30 − 1.26 × 0.5    = 29.37
#   D 1040000: d = 47500 / 992500 × 100  =  4.78589… → 4.79;  30 − 4.79          = 25.21
#   E  960000: d = −32500 / 992500 × 100 = −3.27455… → −3.27; 30 − 1.635 = 28.365 → 28.37
FIVE_SCORES = {"A": D("29.24"), "B": D("27.23"), "C": D("29.37"), "D": D("25.21"), "E": D("28.37")}


def trimmed(**kwargs: Any) -> PriceFormula:
    return deviation(PriceBase.TRIMMED_MEAN, trim_rules=TRIM_RULES, float_point_percent=D("0.75"), **kwargs)


def test_trimmed_mean_five_bids_no_trimming() -> None:
    # 5 bids: no rule has min_bids ≤ 5, so nothing is dropped; mean = 5000000 / 5 = 1000000.
    result = compute_price_scores(trimmed(), bids(*FIVE))
    assert result.trimmed_out == ()
    assert result.base_before_float == D("1000000")
    assert result.float_point_percent == D("0.75")
    assert result.base == D("992500.00")
    assert scores(result) == FIVE_SCORES
    a = by_id(result)["A"]
    assert a.deviation_used == D("0.76")
    assert a.deduction == D("0.76")
    assert a.deviation_percent is not None
    assert a.deviation_percent.quantize(D("0.000001")) == D("0.755668")
    e = by_id(result)["E"]
    assert (e.deviation_used, e.deduction) == (D("-3.27"), D("1.635"))


def test_trimmed_mean_six_bids_drops_highest() -> None:
    # 6 bids: rule min_bids=6 applies → drop the highest, F 1100000. Untrimmed mean would be
    # 6100000 / 6 = 1016666.67 — the trimmed one is 1000000, B = 992500.00 as above.
    # F: d = 107500 / 992500 × 100 = 10.83123… → 10.83; 30 − 10.83 = 19.17 (F is still scored).
    result = compute_price_scores(trimmed(), bids(*FIVE, ("F", "1100000.00")))
    assert result.trimmed_out == ("F",)
    assert len(result.prices_considered) == 6
    assert result.base_before_float == D("1000000")
    assert result.base == D("992500.00")
    assert scores(result) == {**FIVE_SCORES, "F": D("19.17")}
    f = by_id(result)["F"]
    assert f.in_window
    assert not f.entered_base


def test_trimmed_mean_seven_bids_drops_highest_and_lowest() -> None:
    # 7 bids: rule min_bids=7 (the largest ≤ 7) applies → drop highest F 1100000 and lowest G 950000.
    # Untrimmed mean would be 6950000 / 7 = 992857.14…; trimmed mean = 1000000, B = 992500.00.
    # G: d = −42500 / 992500 × 100 = −4.28211… → −4.28; 30 − 4.28 × 0.5 = 30 − 2.14 = 27.86.
    result = compute_price_scores(trimmed(), bids(*FIVE, ("F", "1100000.00"), ("G", "950000.00")))
    assert result.trimmed_out == ("F", "G")
    assert result.base == D("992500.00")
    assert scores(result) == {**FIVE_SCORES, "F": D("19.17"), "G": D("27.86")}
    assert [s.bidder_id for s in result.scores if s.entered_base] == ["A", "B", "C", "D", "E"]


def test_trim_rule_with_largest_min_bids_not_above_count_applies_whatever_the_order() -> None:
    # 9 bids 100..900, rules given out of order. Count 9 → min_bids 7 rule (drop 1 high, 1 low) applies,
    # not the min_bids 10 one: kept 200..800, mean = 3500 / 7 = 500.
    rules = (TrimRule(10, 2, 2), TrimRule(7, 1, 1), TrimRule(6, 1, 0))
    formula = deviation(PriceBase.TRIMMED_MEAN, trim_rules=rules)
    result = compute_price_scores(formula, bids(*((f"X{i}", f"{i}00") for i in range(1, 10))))
    assert result.trimmed_out == ("X1", "X9")
    assert result.base == D("500.00")


def test_trimming_ties_are_deterministic() -> None:
    # Equal highest prices: the later one in input order is dropped; the base is the same either way:
    # kept 100, 200, 300, 300, 300 → mean 1200 / 5 = 240.
    formula = deviation(PriceBase.TRIMMED_MEAN, trim_rules=(TrimRule(6, 1, 0),))
    result = compute_price_scores(
        formula, bids(("P", "300"), ("Q", "100"), ("R", "300"), ("S", "200"), ("T", "300"), ("U", "300"))
    )
    assert result.trimmed_out == ("U",)
    assert result.base == D("240.00")


def test_mean_base_is_rounded_once_after_the_float_point() -> None:
    # Mean = (333333.33 + 333333.34 + 333333.34) / 3 = 1000000.01 / 3 = 333333.33666…
    # × (1 − 0.5 %) = 333333.33666… × 0.995 = 331666.66998… → 331666.67 (2 decimals, half up).
    # Rounding the mean first (333333.34 × 0.995 = 331666.6733 → 331666.67) happens to agree here;
    # with base_decimals = 0 the same raw value gives 331667.
    prices = bids(("A", "333333.33"), ("B", "333333.34"), ("C", "333333.34"))
    result = compute_price_scores(deviation(PriceBase.MEAN, float_point_percent=D("0.5")), prices)
    assert result.base_before_float.quantize(D("0.000001")) == D("333333.336667")
    assert result.base == D("331666.67")
    whole = compute_price_scores(
        deviation(PriceBase.MEAN, float_point_percent=D("0.5"), base_decimals=0), prices
    )
    assert whole.base == D("331667")


def test_base_rounding_is_half_up_not_bankers() -> None:
    # Mean = (100000.00 + 100000.01) / 2 = 100000.005 → half up → 100000.01 (banker's would give 100000.00).
    # A: d = (100000.00 − 100000.01) / 100000.01 × 100 = −0.0000099… → −0.00; 30 − 0 = 30.00.
    result = compute_price_scores(deviation(PriceBase.MEAN), bids(("A", "100000.00"), ("B", "100000.01")))
    assert result.base_before_float == D("100000.005")
    assert result.base == D("100000.01")
    assert by_id(result)["A"].deviation_used == D("-0.00")


def test_steps_show_inputs_trimming_float_point_and_base_rounding() -> None:
    result = compute_price_scores(trimmed(), bids(*FIVE, ("F", "1100000.00")))
    text = "\n".join(result.steps)
    assert "deviation/v1" in text
    assert "F 1100000.00" in text  # the input prices
    assert "去掉 F（1100000.00）" in text  # the trimming
    assert "5000000.00 ÷ 5 = 1000000.00" in text  # the mean
    assert "1000000.00 × (1 − 0.75%) = 992500.000000" in text  # the float point, unrounded
    assert "四舍五入保留2位小数得评标基准价 B = 992500.00" in text  # the base rounding
    assert result.steps[-6:] == tuple(s.explanation for s in result.scores)  # one line per bid, in order


# ---------------------------------------------------------------------------------------------------------
# deviation rounding, deduction mode, cap, clamp


@pytest.mark.parametrize(
    ("rounding", "used", "score"),
    [
        # B = lowest = 100000.00, P = 102345.00: d = 2345 / 100000 × 100 = 2.345 exactly.
        (DeviationRounding.NONE, D("2.345"), D("27.66")),  # 30 − 2.345 = 27.655 → 27.66
        (DeviationRounding.HALF_UP, D("2.35"), D("27.65")),  # 2.345 → 2.35; 30 − 2.35 = 27.65
        (DeviationRounding.CEILING, D("3"), D("27.00")),  # a started 1 % counts: 3; 30 − 3
        (DeviationRounding.TRUNCATE, D("2"), D("28.00")),  # cut to 2; 30 − 2
    ],
)
def test_each_deviation_rounding_gives_a_different_score(
    rounding: DeviationRounding, used: Decimal, score: Decimal
) -> None:
    formula = deviation(PriceBase.LOWEST, deviation_rounding=rounding)
    result = compute_price_scores(formula, bids(("A", "100000.00"), ("B", "102345.00")))
    b = by_id(result)["B"]
    assert b.deviation_percent == D("2.345")
    assert b.deviation_used == used
    assert b.score == score
    assert by_id(result)["A"].score == D("30.00")


@pytest.mark.parametrize(
    ("rounding", "used", "score"),
    [
        # B = 标底 100000, P = 97655.00: d = −2.345; below the base, 0.5 point per %.
        (DeviationRounding.NONE, D("-2.345"), D("28.83")),  # 30 − 1.1725 = 28.8275 → 28.83
        (
            DeviationRounding.HALF_UP,
            D("-2.35"),
            D("28.83"),
        ),  # tie away from zero; 30 − 1.175 = 28.825 → 28.83
        (DeviationRounding.CEILING, D("-3"), D("28.50")),  # away from zero; 30 − 1.5
        (DeviationRounding.TRUNCATE, D("-2"), D("29.00")),  # towards zero; 30 − 1
    ],
)
def test_rounding_of_a_negative_deviation(rounding: DeviationRounding, used: Decimal, score: Decimal) -> None:
    result = compute_price_scores(reference(deviation_rounding=rounding), bids(("A", "97655.00")))
    assert result.scores[0].deviation_used == used
    assert result.scores[0].score == score


def test_half_up_deviation_with_other_decimals() -> None:
    # d = 2.345 with deviation_decimals = 1 → 2.3 (the 4 rounds down); 30 − 2.3 = 27.70.
    formula = reference(deviation_rounding=DeviationRounding.HALF_UP, deviation_decimals=1)
    result = compute_price_scores(formula, bids(("A", "102345.00")))
    assert (result.scores[0].deviation_used, result.scores[0].score) == (D("2.3"), D("27.70"))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # B = 100000. Linear: A d = 2.30 → 2.30 × 1 = 2.30 → 27.70; B d = −2.30 → 2.30 × 0.5 = 1.15 → 28.85;
        #   C d = 3.00 → 27.00.
        (DeductionMode.LINEAR, {"A": D("27.70"), "B": D("28.85"), "C": D("27.00")}),
        # Stepwise, per started 1 %: A 2.30 → 3 steps × 1 = 3 → 27.00; B 3 steps × 0.5 = 1.5 → 28.50;
        #   C exactly 3.00 → 3 steps (a 4th step has not started) → 27.00.
        (DeductionMode.STEPWISE, {"A": D("27.00"), "B": D("28.50"), "C": D("27.00")}),
    ],
)
def test_stepwise_versus_linear(mode: DeductionMode, expected: dict[str, Decimal]) -> None:
    result = compute_price_scores(
        reference(mode=mode), bids(("A", "102300"), ("B", "97700"), ("C", "103000"))
    )
    assert scores(result) == expected


def test_stepwise_with_truncate_counts_completed_percents_only() -> None:
    # d = 2.30 → TRUNCATE → 2 → 2 steps × 1 = 2 → 28.00.
    formula = reference(mode=DeductionMode.STEPWISE, deviation_rounding=DeviationRounding.TRUNCATE)
    assert compute_price_scores(formula, bids(("A", "102300"))).scores[0].score == D("28.00")


def test_max_deduction_caps_the_deduction() -> None:
    # B = 100000, cap 15. A 120000: d = 20 → 20 points, capped to 15 → 15.00.
    # B 110000: d = 10 → 10 points (below the cap) → 20.00.
    result = compute_price_scores(reference(max_deduction=D("15")), bids(("A", "120000"), ("B", "110000")))
    assert scores(result) == {"A": D("15.00"), "B": D("20.00")}
    assert by_id(result)["A"].deduction == D("15")
    assert "超过扣分上限 15" in by_id(result)["A"].explanation


def test_score_is_clamped_to_zero() -> None:
    # B = 100000. A 140000: d = 40 → 40 points; 30 − 40 = −10 → 0.00. The deduction stays 40 (before clamp).
    # B 20000: d = −80 → 80 × 0.5 = 40 points → 0.00.
    result = compute_price_scores(reference(), bids(("A", "140000"), ("B", "20000")))
    assert scores(result) == {"A": D("0.00"), "B": D("0.00")}
    assert by_id(result)["A"].deduction == D("40.00")
    assert by_id(result)["B"].deduction == D("40.000")


# ---------------------------------------------------------------------------------------------------------
# validity window

# Window: low = 标底 1000000 × (1 − 10 %) = 900000, high = price cap 1050000.
# B 880000 < 900000 and C 1060000 > 1050000 are out. B = mean(A 1000000, D 950000) = 975000.00.
#   A: d = 25000 / 975000 × 100  =  2.5641… → 2.56;  30 − 2.56       = 27.44
#   D: d = −25000 / 975000 × 100 = −2.5641… → −2.56; 30 − 2.56 × 0.5 = 28.72
WINDOW_BIDS = (("A", "1000000.00"), ("B", "880000.00"), ("C", "1060000.00"), ("D", "950000.00"))


def windowed(rule: OutOfWindowRule) -> PriceFormula:
    return deviation(
        PriceBase.MEAN,
        reference_price=D("1000000"),
        window_below_percent=D("10"),
        price_cap=D("1050000"),
        out_of_window=rule,
        out_of_window_score=D("5"),
    )


def test_window_with_fixed_score() -> None:
    result = compute_price_scores(windowed(OutOfWindowRule.FIXED_SCORE), bids(*WINDOW_BIDS))
    assert (result.window_low, result.window_high) == (D("900000"), D("1050000"))
    assert [b.bidder_id for b in result.prices_considered] == ["A", "D"]
    assert result.base == D("975000.00")
    assert scores(result) == {"A": D("27.44"), "B": D("5.00"), "C": D("5.00"), "D": D("28.72")}
    b = by_id(result)["B"]
    assert (b.in_window, b.entered_base, b.rejected, b.deviation_percent) == (False, False, False, None)


def test_window_with_reject() -> None:
    result = compute_price_scores(windowed(OutOfWindowRule.REJECT), bids(*WINDOW_BIDS))
    assert scores(result) == {"A": D("27.44"), "B": None, "C": None, "D": D("28.72")}
    assert [s.bidder_id for s in result.scores if s.rejected] == ["B", "C"]
    assert "否决" in by_id(result)["C"].explanation


def test_window_bounds_are_inclusive_and_the_tighter_upper_bound_wins() -> None:
    # high = min(标底 × 1.05 = 1050000, cap 1080000) = 1050000; bids exactly at 900000 and 1050000 are in.
    # B = (900000 + 1050000) / 2 = 975000; 1050001 is out.
    formula = deviation(
        PriceBase.MEAN,
        reference_price=D("1000000"),
        window_below_percent=D("10"),
        window_above_percent=D("5"),
        price_cap=D("1080000"),
    )
    result = compute_price_scores(formula, bids(("A", "900000.00"), ("B", "1050000.00"), ("C", "1050000.01")))
    assert result.window_high == D("1050000")
    assert [s.in_window for s in result.scores] == [True, True, False]
    assert result.base == D("975000.00")


def test_all_bids_out_of_window_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="有效区间之外"):
        compute_price_scores(windowed(OutOfWindowRule.FIXED_SCORE), bids(("B", "880000"), ("C", "1060000")))


# ---------------------------------------------------------------------------------------------------------
# other bases


def test_second_lowest_base() -> None:
    # Sorted: 95000, 98000, 100000, 110000 → B = 98000.00.
    #   A 100000: d = 2000 / 98000 × 100   =  2.0408… → 2.04;  30 − 2.04        = 27.96
    #   B  95000: d = −3000 / 98000 × 100  = −3.0612… → −3.06; 30 − 3.06 × 0.5  = 28.47
    #   C  98000: d = 0                                        → 30.00
    #   D 110000: d = 12000 / 98000 × 100  = 12.2448… → 12.24; 30 − 12.24       = 17.76
    result = compute_price_scores(
        deviation(PriceBase.SECOND_LOWEST),
        bids(("A", "100000"), ("B", "95000"), ("C", "98000"), ("D", "110000")),
    )
    assert result.base == D("98000.00")
    assert scores(result) == {"A": D("27.96"), "B": D("28.47"), "C": D("30.00"), "D": D("17.76")}


def test_second_lowest_with_tied_lowest_prices_is_the_tied_price() -> None:
    # Sorted: 95000, 95000, 98000 → second place = 95000 (position, not second distinct value).
    result = compute_price_scores(
        deviation(PriceBase.SECOND_LOWEST), bids(("A", "95000"), ("B", "95000"), ("C", "98000"))
    )
    assert result.base == D("95000.00")


def test_reference_base_with_factor_and_float_point() -> None:
    # B = 标底 1000000 × 0.95 = 950000; × (1 − 1 %) = 940500.00.
    #   A 940500:  d = 0 → 30.00
    #   B 1000000: d = 59500 / 940500 × 100 = 6.3264… → 6.33; 30 − 6.33 = 23.67
    # No bid price enters a 标底 base.
    formula = deviation(
        PriceBase.REFERENCE,
        reference_price=D("1000000"),
        reference_factor=D("0.95"),
        float_point_percent=D("1"),
    )
    result = compute_price_scores(formula, bids(("A", "940500.00"), ("B", "1000000.00")))
    assert result.base_before_float == D("950000.00")
    assert result.base == D("940500.00")
    assert scores(result) == {"A": D("30.00"), "B": D("23.67")}
    assert not any(s.entered_base for s in result.scores)


def test_lowest_base_in_deviation_family() -> None:
    # B = 100000.00, no float point. A: d = 0 → 30.00. C 105000: d = 5 → 25.00.
    result = compute_price_scores(deviation(PriceBase.LOWEST), bids(("A", "100000.00"), ("C", "105000.00")))
    assert result.base == D("100000.00")
    assert scores(result) == {"A": D("30.00"), "C": D("25.00")}


# ---------------------------------------------------------------------------------------------------------
# dispatch, determinism, bad input


def test_unknown_version_is_refused_with_the_known_ones_listed() -> None:
    formula = replace(lowest_price(), version="lowest-price/v9")
    with pytest.raises(InvalidArgument, match=r"lowest-price/v9.*deviation/v1"):
        compute_price_scores(formula, bids(("A", "1")))


def test_formula_versions_is_read_only_and_matches_the_dispatcher() -> None:
    assert set(FORMULA_VERSIONS) == {"lowest-price/v1", "deviation/v1"}
    with pytest.raises(TypeError):
        FORMULA_VERSIONS["x"] = FORMULA_VERSIONS["deviation/v1"]  # type: ignore[index]
    prices = bids(*FIVE)
    assert FORMULA_VERSIONS["deviation/v1"](trimmed(), prices) == compute_price_scores(trimmed(), prices)


def test_result_does_not_depend_on_the_callers_decimal_context() -> None:
    # A caller with 5-digit precision and floor rounding must not change the numbers.
    expected = compute_price_scores(trimmed(), bids(*FIVE))
    with decimal.localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = decimal.ROUND_FLOOR
        assert compute_price_scores(trimmed(), bids(*FIVE)) == expected


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ([], "为空"),
        ([PricedBid("A", D("0"))], "大于 0"),
        ([PricedBid("A", D("-100"))], "大于 0"),
        ([PricedBid("A", D("NaN"))], "有限的 Decimal"),
        ([PricedBid("A", 100.5)], "Decimal"),  # type: ignore[arg-type]  # a float must not slip in
        ([PricedBid("A", D("100")), PricedBid("A", D("200"))], "重复：A"),
        ([PricedBid("", D("100"))], "不能为空"),
    ],
)
@pytest.mark.parametrize("version", ["lowest-price/v1", "deviation/v1"])
def test_bad_bids_are_refused(version: str, prices: list[PricedBid], message: str) -> None:
    formula = replace(lowest_price(), version=version)
    with pytest.raises(InvalidArgument, match=message):
        compute_price_scores(formula, prices)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (lowest_price(base=PriceBase.MEAN), "只能是 LOWEST"),
        (lowest_price(float_point_percent=D("1")), "不使用下浮点"),
        (lowest_price(full_points=D("0")), "full_points"),
        (deviation(PriceBase.REFERENCE), "必须设置标底"),
        (deviation(PriceBase.MEAN, reference_factor=D("0.9")), "reference_factor 只用于 REFERENCE"),
        (deviation(PriceBase.MEAN, trim_rules=TRIM_RULES), "trim_rules 只用于 TRIMMED_MEAN"),
        (deviation(PriceBase.TRIMMED_MEAN, trim_rules=(TrimRule(2, 1, 1),)), "全部报价"),
        (deviation(PriceBase.TRIMMED_MEAN, trim_rules=(TrimRule(6, 1, 0), TrimRule(6, 0, 1))), "出现多次"),
        (deviation(PriceBase.MEAN, window_below_percent=D("10")), "必须设置标底"),
        (deviation(PriceBase.MEAN, float_point_percent=D("100")), r"\[0, 100\)"),
        (deviation(PriceBase.MEAN, out_of_window_score=D("31")), "out_of_window_score"),
        (deviation(PriceBase.MEAN, up_rate=D("-1")), "up_rate"),
        (deviation(PriceBase.MEAN, max_deduction=D("-1")), "max_deduction"),
        (deviation(PriceBase.MEAN, price_cap=D("0")), "price_cap"),
        (lowest_price(full_points=D("0.5"), score_decimals=0), "小数位多于得分小数位"),
    ],
)
def test_bad_formulas_are_refused(formula: PriceFormula, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        compute_price_scores(formula, bids(("A", "100"), ("B", "200")))


def test_second_lowest_needs_two_bids() -> None:
    with pytest.raises(InvalidArgument, match="少于 2 家"):
        compute_price_scores(deviation(PriceBase.SECOND_LOWEST), bids(("A", "100")))


# ---------------------------------------------------------------------------------------------------------
# properties

prices_st = st.integers(min_value=1, max_value=10**11).map(lambda cents: D(cents).scaleb(-2))
price_lists = st.lists(prices_st, min_size=2, max_size=12)
quarter_percents = st.integers(min_value=0, max_value=8).map(lambda q: D(q) / 4)  # 0 … 2 % in 0.25 steps
rates = st.integers(min_value=0, max_value=40).map(lambda t: D(t) / 10)
trim_rule_sets = st.sampled_from([(), TRIM_RULES, (TrimRule(3, 1, 1), TrimRule(8, 2, 2))])


@st.composite
def deviation_formulas(draw: st.DrawFn) -> PriceFormula:
    base = draw(st.sampled_from(list(PriceBase)))
    ref = draw(prices_st)
    score_decimals = draw(st.integers(min_value=0, max_value=3))
    # The full mark must be exact at score_decimals (the formula refuses e.g. 0.5 shown with 0 decimals).
    full_points = D(draw(st.integers(min_value=1, max_value=10000))).scaleb(-min(score_decimals, 2))
    return PriceFormula(
        version="deviation/v1",
        full_points=full_points,
        base=base,
        trim_rules=draw(trim_rule_sets) if base is PriceBase.TRIMMED_MEAN else (),
        reference_price=ref if base is PriceBase.REFERENCE else None,
        float_point_percent=draw(st.none() | quarter_percents),
        deviation_rounding=draw(st.sampled_from(list(DeviationRounding))),
        deviation_decimals=draw(st.integers(min_value=0, max_value=4)),
        mode=draw(st.sampled_from(list(DeductionMode))),
        up_rate=draw(rates),
        down_rate=draw(rates),
        max_deduction=draw(st.none() | rates),
        score_decimals=score_decimals,
    )


def as_bids(prices: list[Decimal]) -> list[PricedBid]:
    return [PricedBid(f"B{i}", p) for i, p in enumerate(prices)]


@given(formula=deviation_formulas(), prices=price_lists)
def test_deviation_scores_stay_within_zero_and_full(formula: PriceFormula, prices: list[Decimal]) -> None:
    result = compute_price_scores(formula, as_bids(prices))
    assert [s.bidder_id for s in result.scores] == [f"B{i}" for i in range(len(prices))]
    for s in result.scores:
        assert s.score is not None
        assert D(0) <= s.score <= formula.full_points
        # The score has exactly the configured number of decimals.
        assert s.score.as_tuple().exponent == -formula.score_decimals


@given(formula=deviation_formulas(), prices=price_lists)
def test_a_bid_equal_to_the_base_gets_full_points(formula: PriceFormula, prices: list[Decimal]) -> None:
    if formula.base in (PriceBase.LOWEST, PriceBase.SECOND_LOWEST):
        # Without a float point the base is one of the bid prices, so such a bid always exists.
        formula = replace(formula, float_point_percent=None)
    first = compute_price_scores(formula, as_bids(prices))
    # Add a bid at exactly the base (when it does not change the base, i.e. for 标底 and the lowest-based).
    result = compute_price_scores(formula, as_bids([*prices, first.base]))
    full = formula.full_points.quantize(D(1).scaleb(-formula.score_decimals), rounding=decimal.ROUND_HALF_UP)
    at_base = [s for s in result.scores if s.price == result.base]
    if formula.base in (PriceBase.REFERENCE, PriceBase.LOWEST, PriceBase.SECOND_LOWEST):
        assert at_base
    for s in at_base:
        assert s.deviation_used == 0
        assert s.deduction == 0
        assert s.score == full


@given(prices=price_lists, order=st.randoms(use_true_random=False))
def test_deviation_scores_do_not_depend_on_input_order(prices: list[Decimal], order: random.Random) -> None:
    formula = trimmed()
    straight = compute_price_scores(formula, as_bids(prices))
    shuffled_bids = as_bids(prices)
    order.shuffle(shuffled_bids)
    shuffled = compute_price_scores(formula, shuffled_bids)
    assert shuffled.base == straight.base
    assert scores(shuffled) == scores(straight)


@given(prices=price_lists)
def test_lowest_price_gives_full_points_to_the_lowest_and_never_rewards_a_higher_price(
    prices: list[Decimal],
) -> None:
    result = compute_price_scores(lowest_price(), as_bids(prices))
    ranked = sorted(result.scores, key=lambda s: s.price)
    assert ranked[0].score == D("30.00")
    for cheaper, dearer in itertools.pairwise(ranked):
        assert cheaper.score is not None
        assert dearer.score is not None
        assert dearer.score <= cheaper.score
        assert D(0) < dearer.score or dearer.price > 6000 * result.base  # only absurd prices round to 0
