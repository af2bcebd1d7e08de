"""Universal Credit, income tax and National Insurance of a year in work, worked by hand.

The rules are the 2025/26 figures of the shipped values file, written out here so every expected
number can be followed: standard allowance (single, 25 or over) £400.14 a month, health element
(LCWRA) £423.27, work allowance £684 (no housing element) or £411 (with one), taper 55% of net
earnings; personal allowance and NI primary threshold £12,570, basic rate 20% to £50,270, higher
rate 40%; employee NI 8% (2% above £50,270); employer NI 15% above £5,000. Test deflators:
2019 = 80, 2024 = 97, 2025 = 100, 2026 = 102.

The worked example used throughout: gross earnings £12,698.40 a year (20 hours a week at £12.21).
  income tax   = 20% x (12,698.40 - 12,570)          = 25.68
  employee NI  = 8% x (12,698.40 - 12,570)           = 10.272
  employer NI  = 15% x (12,698.40 - 5,000)           = 1,154.76
  net a month  = (12,698.40 - 25.68 - 10.272) / 12   = 1,055.204
  maximum award = 400.14 + 423.27                     = 823.41 a month
  award in work = 823.41 - 55% x (1,055.204 - 684)    = 619.2478 a month
  saving to DWP = 12 x (823.41 - 619.2478)            = 2,449.9464 a year, not the whole 9,880.92
"""

from __future__ import annotations

import pytest

from evaluation.errors import OptionError
from evaluation.vfm.universal_credit import Claimant, TaxRules, UCRules, in_work
from evaluation.vfm.values import UnitValue, ValuesTable

RULES: dict[str, tuple[float, int | None]] = {
    "uc_standard_allowance_single_25_plus": (400.14, 2025),
    "uc_standard_allowance_single_under_25": (316.98, 2025),
    "uc_lcwra_element": (423.27, 2025),
    "uc_lcwra_element_new_claim_2026": (217.26, 2026),
    "uc_work_allowance_no_housing": (684.0, 2025),
    "uc_work_allowance_with_housing": (411.0, 2025),
    "uc_taper_rate": (0.55, None),
    "income_tax_personal_allowance": (12570.0, 2025),
    "income_tax_basic_rate": (0.20, None),
    "income_tax_basic_rate_limit": (50270.0, 2025),
    "income_tax_higher_rate": (0.40, None),
    "ni_primary_threshold": (12570.0, 2025),
    "ni_employee_rate": (0.08, None),
    "ni_upper_earnings_limit": (50270.0, 2025),
    "ni_employee_upper_rate": (0.02, None),
    "ni_secondary_threshold": (5000.0, 2025),
    "ni_employer_rate": (0.15, None),
    "annual_earnings_in_work": (12698.40, 2025),
    "wellbeing_gain_in_work": (0.30, None),
    "wellby_value": (13000.0, 2019),
    "green_book_discount_rate": (0.035, None),
    "persistence_retention": (0.5, None),
    "optimism_bias_costs": (0.0, None),
}
DEFLATORS = {2019: 80.0, 2024: 97.0, 2025: 100.0, 2026: 102.0}


def rules_table(**changes: float | tuple[float, float, float]) -> ValuesTable:
    """The rules above as a values table; a change is a value, or (low, value, high)."""
    rows = []
    for key, (value, year) in RULES.items():
        change = changes.get(key, value)
        low, central, high = change if isinstance(change, tuple) else (change, change, change)
        rows.append(
            UnitValue(
                key=key,
                description=key.replace("_", " "),
                value=central,
                unit="GBP" if year else "proportion",
                price_year=year,
                source="test",
                url="",
                date_checked="2026-11-30",
                low=low,
                high=high,
            )
        )
    for year, index in DEFLATORS.items():
        rows.append(
            UnitValue(
                key="gdp_deflator",
                description=f"deflator {year}",
                value=index,
                unit="index",
                price_year=year,
                source="test",
                url="",
                date_checked="2026-11-30",
                low=index,
                high=index,
            )
        )
    return ValuesTable(tuple(rows), origin="test")


@pytest.fixture
def values() -> ValuesTable:
    return rules_table()


def test_the_award_is_tapered_not_stopped(values):
    work = in_work(values, base_year=2025)
    assert work.gross_earnings == pytest.approx(12698.40)
    assert work.income_tax == pytest.approx(25.68)
    assert work.employee_ni == pytest.approx(10.272)
    assert work.employer_ni == pytest.approx(1154.76)
    assert work.net_earnings == pytest.approx(12698.40 - 25.68 - 10.272)
    assert work.uc_out_of_work == pytest.approx(12 * 823.41)
    assert work.uc_in_work == pytest.approx(12 * 619.2478)
    assert work.uc_saving == pytest.approx(2449.9464)
    assert work.uc_saving < work.uc_out_of_work / 3  # "benefit stops" would count four times as much
    assert work.net_gain == pytest.approx(12698.40 - 25.68 - 10.272 - 2449.9464)


def test_the_whole_award_goes_only_when_earnings_are_high_enough(values):
    # Award reaches zero at net earnings of 684 + 823.41 / 0.55 = 2,181.109 a month.
    rules = UCRules.from_values(values, Claimant(), base_year=2025)
    assert rules.award(2181.11) == pytest.approx(0.0, abs=0.01)
    assert rules.award(2000.0) == pytest.approx(823.41 - 0.55 * (2000 - 684))
    high = in_work(values, base_year=2025, gross_earnings=40000.0)
    assert high.uc_in_work == 0.0 and high.uc_saving == pytest.approx(12 * 823.41)


def test_no_work_allowance_without_the_health_element(values):
    claimant = Claimant(health_element="none")
    rules = UCRules.from_values(values, claimant, base_year=2025)
    assert (rules.maximum_award, rules.work_allowance) == (pytest.approx(400.14), 0.0)
    assert rules.award(250.0) == pytest.approx(400.14 - 0.55 * 250)  # tapered from the first pound
    assert in_work(values, base_year=2025, claimant=claimant).uc_in_work == 0.0


def test_a_housing_element_lowers_the_work_allowance(values):
    claimant = Claimant(housing_element_gbp_month=500.0)
    rules = UCRules.from_values(values, claimant, base_year=2025)
    assert rules.maximum_award == pytest.approx(400.14 + 423.27 + 500)
    assert rules.work_allowance == 411.0
    assert rules.award(1055.204) == pytest.approx(1323.41 - 0.55 * (1055.204 - 411))


def test_a_claimant_with_children_can_have_a_work_allowance_without_the_health_element(values):
    claimant = Claimant(health_element="none", work_allowance=True, other_elements_gbp_month=292.81)
    rules = UCRules.from_values(values, claimant, base_year=2025)
    assert rules.work_allowance == 684.0
    assert rules.award(1000.0) == pytest.approx(400.14 + 292.81 - 0.55 * (1000 - 684))


def test_the_2026_health_element_for_new_claims_is_in_base_year_prices(values):
    work = in_work(values, base_year=2025, claimant=Claimant(health_element="lcwra_new_claim_2026"))
    assert work.uc_out_of_work == pytest.approx(12 * (400.14 + 217.26 * 100 / 102))


def test_under_25_standard_allowance(values):
    rules = UCRules.from_values(values, Claimant(age_25_or_over=False), base_year=2025)
    assert rules.maximum_award == pytest.approx(316.98 + 423.27)


def test_income_tax_and_national_insurance_from_the_thresholds(values):
    tax = TaxRules.from_values(values, base_year=2025)
    assert tax.income_tax(60000) == pytest.approx(0.20 * 37700 + 0.40 * 9730)
    assert tax.employee_ni(60000) == pytest.approx(0.08 * 37700 + 0.02 * 9730)
    assert tax.employer_ni(60000) == pytest.approx(0.15 * 55000)
    assert (tax.income_tax(4000), tax.employee_ni(4000), tax.employer_ni(4000)) == (0.0, 0.0, 0.0)


def test_base_year_prices_scale_every_amount_together(values):
    # In 2024-25 prices every 2025-26 amount is x 97/100; tax and taper are unchanged in real terms.
    now, before = in_work(values, base_year=2025), in_work(values, base_year=2024)
    amounts = ("gross_earnings", "income_tax", "employee_ni", "employer_ni", "uc_out_of_work", "uc_in_work")
    for name in amounts:
        assert getattr(before, name) == pytest.approx(0.97 * getattr(now, name)), name


def test_each_extra_pound_keeps_45p_of_net_earnings_while_tapered(values):
    # Between £13,000 and £14,000 the person pays 20% tax and 8% NI and loses 55% of the rest in UC.
    low = in_work(values, base_year=2025, gross_earnings=13000.0)
    high = in_work(values, base_year=2025, gross_earnings=14000.0)
    assert high.net_gain - low.net_gain == pytest.approx(1000 * (1 - 0.20 - 0.08) * (1 - 0.55))


def test_the_award_is_never_negative_and_never_rises_with_earnings(values):
    rules = UCRules.from_values(values, Claimant(), base_year=2025)
    awards = [rules.award(e) for e in range(0, 4001, 100)]
    assert min(awards) == 0.0 and awards[0] == pytest.approx(823.41)
    assert all(a >= b for a, b in zip(awards, awards[1:], strict=False))


def test_claimant_options_are_checked():
    with pytest.raises(OptionError, match="health_element"):
        Claimant(health_element="esa")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="housing_element_gbp_month"):
        Claimant(housing_element_gbp_month=-1)
