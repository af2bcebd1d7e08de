"""The social cost-benefit analysis (evaluation.vfm) and its sentences, worked by hand.

Rules and test deflators are those of `test_universal_credit` (2025/26 rules; deflators 2019 = 80,
2024 = 97, 2025 = 100). Per person-year in work at £12,698.40 (worked there), central values:
  fiscal:   Universal Credit 2,449.9464 (DWP) + tax 25.68 + employee NI 10.272
            + employer NI 1,154.76 (HM Treasury)                                   = 3,640.6584
  economic: 12,698.40 - 25.68 - 10.272 - 2,449.9464 (participants)                 = 10,212.5016
  social:   0.30 points x £13,000 (2019 prices) x 100 / 80 (to 2025 prices)        = 4,875
  total:    = gross earnings + employer NI + wellbeing = 12,698.40 + 1,154.76 + 4,875 = 18,728.16
Discounting at 3.5%: year t is divided by 1.035 ** t, year 0 being the year of the spend.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from pathlib import Path

import pytest

from evaluation.counterfactual import NetImpact, net_impact
from evaluation.errors import InputError, OptionError
from evaluation.report import vfm_words as words
from evaluation.results import EstimateResult
from evaluation.vfm import (
    Assumptions,
    EmploymentEffect,
    appraise,
    appraise_activity,
    combine,
    load_values,
    read_values_file,
)
from evaluation.vfm.values import COLUMNS
from tests.unit.test_universal_credit import rules_table

PER_PERSON = 18728.16
FISCAL = 3640.6584
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "evaluation" / "data" / "unit_values.csv"


def effect(estimate: float, lower: float | None = None, upper: float | None = None, **kw) -> EmploymentEffect:
    low = estimate if lower is None else lower
    return EmploymentEffect(estimate=estimate, lower=low, upper=estimate if upper is None else upper, **kw)


def shipped(key: str, price_year: str = "") -> dict[str, str]:
    """A row of the shipped values file, read with the csv module (not the package's reader)."""
    with SHIPPED.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["key"] == key and (not price_year or row["price_year"] == price_year):
                return row
    raise KeyError(key)


def write_values(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return path


# ---------------------------------------------------------------- hand-worked appraisals


def test_a_one_year_effect_of_ten_people():
    a = appraise(
        effect(10), spend_gbp=100_000, values=rules_table(), assumptions=Assumptions(horizon_years=1)
    )
    c = a.central
    assert c.people == (10.0,)
    assert c.benefits["uc_saving"] == (pytest.approx(24499.464),)
    assert c.benefits["net_earnings_gain"] == (pytest.approx(102125.016),)
    assert c.benefits["wellbeing"] == (pytest.approx(48750.0),)
    assert c.pv_benefits == pytest.approx(10 * PER_PERSON)
    assert c.npsv == pytest.approx(10 * PER_PERSON - 100_000)
    assert c.bcr == pytest.approx(10 * PER_PERSON / 100_000)
    assert c.pv_fiscal == pytest.approx(10 * FISCAL)
    assert c.fiscal_bcr == pytest.approx(10 * FISCAL / 100_000)
    assert c.payback_years == pytest.approx(100_000 / (10 * PER_PERSON))
    assert c.fiscal_payback_years is None  # 36,407 of fiscal benefit never reaches 100,000 in a year
    agencies = c.by_agency().set_index("agency")
    assert agencies.loc["DWP", "costs"] == 100_000 and agencies.loc["DWP", "benefits"] == pytest.approx(
        24499.464
    )
    assert agencies.loc["HM Treasury", "benefits"] == pytest.approx(10 * (25.68 + 10.272 + 1154.76))
    assert agencies.loc["society", "benefits"] == pytest.approx(48750.0)
    assert agencies["net"].sum() == pytest.approx(c.npsv)


def test_a_decaying_effect_discounted_across_years():
    values = rules_table(persistence_retention=(0.0, 0.5, 0.75))
    a = appraise(effect(10), spend_gbp=100_000, values=values, assumptions=Assumptions(horizon_years=3))
    assert a.central.people == pytest.approx((10, 5, 2.5))
    assert a.low.people == pytest.approx(
        (10, 0, 0)
    )  # low persistence: the effect ends with the year observed
    assert a.high.people == pytest.approx((10, 7.5, 5.625))
    assert a.central.discount_factors == pytest.approx((1, 1 / 1.035, 1 / 1.035**2))
    expected = PER_PERSON * (10 + 5 / 1.035 + 2.5 / 1.035**2)
    assert a.central.pv_benefits == pytest.approx(expected)
    flows = a.central.flows()
    year_two = flows[(flows["year"] == 2) & (flows["kind"] == "benefit")]
    assert year_two["present_value"].sum() == pytest.approx(2.5 * PER_PERSON / 1.035**2)


def test_years_observed_and_a_later_start_shift_the_profile():
    values = rules_table()
    two_years = appraise(
        effect(10, observed_years=2), spend_gbp=1, values=values, assumptions=Assumptions(horizon_years=3)
    )
    assert two_years.central.people == pytest.approx((10, 10, 5))
    later = Assumptions(horizon_years=3, first_benefit_year=1)
    assert appraise(
        effect(10), spend_gbp=1, values=values, assumptions=later
    ).central.people == pytest.approx((0, 10, 5))


def test_prices_uprated_to_the_base_year_with_the_shipped_deflator():
    ratio = float(shipped("gdp_deflator", "2025")["value"]) / float(shipped("gdp_deflator", "2019")["value"])
    assert ratio == pytest.approx(103.2388 / 80.8738)
    a = appraise(effect(1), spend_gbp=10_000, spend_price_year=2019, assumptions=Assumptions(horizon_years=1))
    assert a.central.benefits["wellbeing"][0] == pytest.approx(0.30 * 13_000 * ratio)
    assert a.central.pv_costs == pytest.approx(10_000 * ratio)
    in_2024 = appraise(
        effect(1),
        spend_gbp=10_000,
        spend_price_year=2025,
        values=rules_table(),
        assumptions=Assumptions(base_year=2024),
    )
    assert in_2024.central.pv_costs == pytest.approx(9_700)  # 2025-26 cash at 97 / 100


def test_switching_value_on_duration_matches_the_annuity_closed_form():
    cost, benefit, rate = 500_000, 10 * PER_PERSON, 0.035
    a = appraise(effect(10), spend_gbp=cost, values=rules_table())
    v = 1 / (1 + rate)
    whole = math.floor(math.log(1 - cost * (1 - v) / benefit) / math.log(v))  # full years that fall short
    short = benefit * (1 - v**whole) / (1 - v)
    expected = whole + (cost - short) / (benefit * v**whole)
    assert whole == 2 and a.central.years_needed == pytest.approx(expected)
    assert appraise(effect(10), spend_gbp=10**9, values=rules_table()).central.years_needed is None


def test_switching_value_on_size_and_payback():
    a = appraise(
        effect(10), spend_gbp=250_000, values=rules_table(), assumptions=Assumptions(horizon_years=3)
    )
    per_person = PER_PERSON * (1 + 0.5 / 1.035 + 0.25 / 1.035**2)
    assert a.central.people_needed == pytest.approx(250_000 / per_person)
    assert a.central.effect_multiple_needed == pytest.approx(250_000 / (10 * per_person))
    year_one = 5 * PER_PERSON / 1.035
    assert a.central.payback_years == pytest.approx(1 + (250_000 - 10 * PER_PERSON) / year_one)


def test_an_effect_that_is_not_significant_has_a_range_from_zero():
    a = appraise(
        effect(5, -3, 13), spend_gbp=100_000, values=rules_table(), assumptions=Assumptions(horizon_years=1)
    )
    assert a.verdict == "not_significant"
    assert [a.cases[c].people_full_effect for c in ("low", "central", "high")] == [0, 5, 13]
    assert a.low.pv_benefits == 0 and a.low.bcr == 0
    negative = appraise(effect(-2, -8, 4), spend_gbp=100_000, values=rules_table())
    assert [negative.cases[c].people_full_effect for c in ("low", "central", "high")] == [0, 0, 4]
    assert negative.central.people_needed == pytest.approx(100_000 / negative.central.pv_benefits_per_person)


def test_a_significant_fall_in_employment_is_a_loss():
    a = appraise(
        effect(-20, -30, -10),
        spend_gbp=100_000,
        values=rules_table(),
        assumptions=Assumptions(horizon_years=1),
    )
    assert a.verdict == "negative"
    assert a.central.pv_benefits == pytest.approx(-20 * PER_PERSON)
    assert a.central.years_needed is None and a.central.effect_multiple_needed is None


def test_displacement_scales_every_group_and_is_not_applied_twice():
    plain = appraise(effect(10), spend_gbp=1, values=rules_table())
    displaced = appraise(
        effect(10), spend_gbp=1, values=rules_table(), assumptions=Assumptions(displacement=0.25)
    )
    for group in ("fiscal", "economic", "social"):
        assert displaced.central.pv_group(group) == pytest.approx(0.75 * plain.central.pv_group(group))
    with pytest.raises(OptionError, match="applied twice"):
        appraise(
            effect(10, displacement_applied=0.25), spend_gbp=1, assumptions=Assumptions(displacement=0.25)
        )
    with pytest.raises(OptionError, match="displacement_reason"):
        Assumptions(displacement_reason=" ")


def test_people_off_universal_credit_move_the_saving_not_the_total():
    full = appraise(effect(10), spend_gbp=1, values=rules_table()).central
    half = appraise(
        effect(10), spend_gbp=1, values=rules_table(), assumptions=Assumptions(uc_share=0.5)
    ).central
    assert half.pv("uc_saving") == pytest.approx(0.5 * full.pv("uc_saving"))
    assert half.pv_benefits == pytest.approx(
        full.pv_benefits
    )  # a transfer: the person keeps what DWP does not save


def test_optimism_bias_uplifts_costs_most_in_the_low_case():
    values = rules_table(optimism_bias_costs=(0.0, 0.1, 0.4))
    a = appraise(effect(10), spend_gbp=100_000, partner_costs_gbp=10_000, values=values)
    assert [a.cases[c].pv_costs for c in ("low", "central", "high")] == pytest.approx(
        [154_000, 121_000, 110_000]
    )
    assert a.central.pv_public_costs == pytest.approx(121_000)


def test_the_programme_adds_activities_and_its_own_costs():
    values = rules_table()
    one = appraise(effect(10), spend_gbp=100_000, values=values, label="One")
    two = appraise(effect(5, -3, 13), spend_gbp=50_000, values=values, label="Two")
    programme = combine([one, two], overhead_gbp=20_000)
    assert programme.verdict == "mixed" and programme.kind == "programme"
    for case in ("low", "central", "high"):
        whole, parts = programme.cases[case], (one.cases[case], two.cases[case])
        assert whole.pv_benefits == pytest.approx(sum(p.pv_benefits for p in parts))
        assert whole.pv_costs == pytest.approx(170_000)
    assert programme.central.people_needed == pytest.approx(
        15 * programme.central.pv_costs / programme.central.pv_benefits
    )
    with pytest.raises(OptionError, match="same base year"):
        combine(
            [one, appraise(effect(1), spend_gbp=1, values=values, assumptions=Assumptions(horizon_years=2))]
        )


def test_from_a_net_impact():
    estimate = EstimateResult(
        term="12 months", estimate=0.06, std_error=0.0204, ci_lower=0.02, ci_upper=0.10, n=200
    )
    net = net_impact(estimate, observed_rate=0.30, n_participants=500, spend_gbp=600_000)
    found = EmploymentEffect.from_net_impact(net, 24)
    assert (found.estimate, found.lower, found.upper) == pytest.approx((30, 10, 50))
    assert found.observed_years == 2 and found.people_per_unit == 500
    assert found.significant


@dataclasses.dataclass(frozen=True)
class Result:
    """What appraise_activity reads of an activity's impact result (a matched comparison's has it)."""

    activity_name: str
    spend_gbp: float
    net_impacts: dict[int, NetImpact]


def test_an_activity_is_appraised_at_its_longest_horizon():
    def net(estimate: float, months: int):
        result = EstimateResult(
            term=f"{months} months", estimate=estimate, std_error=0.02, ci_lower=estimate - 0.04,
            ci_upper=estimate + 0.04, n=200,
        )  # fmt: skip
        return net_impact(result, observed_rate=0.30, n_participants=500, spend_gbp=600_000)

    nets = {6: net(0.04, 6), 12: net(0.06, 12)}
    impact = Result(activity_name="Triage", spend_gbp=600_000.0, net_impacts=nets)
    a = appraise_activity(impact, values=rules_table())
    assert a is not None and a.label == "Triage"
    assert a.effect is not None and a.effect.measured_months == 12
    assert a.central.people_full_effect == pytest.approx(30)  # 0.06 x 500, not the 6-month 20
    assert appraise_activity(impact, horizon_months=6, values=rules_table()).central.people_full_effect == 20
    assert appraise_activity(dataclasses.replace(impact, spend_gbp=float("nan"))) is None
    assert appraise_activity(dataclasses.replace(impact, net_impacts={})) is None
    unknown = dataclasses.replace(nets[12], net_additional_ci_lower=float("nan"))
    assert appraise_activity(dataclasses.replace(impact, net_impacts={12: unknown})) is None
    with pytest.raises(OptionError, match="no net impact"):
        appraise_activity(impact, horizon_months=24)
    assert "The effect measured 12 months after referral is taken to hold for the first year" in " ".join(
        words.assumption_sentences(a)
    )


# ---------------------------------------------------------------- the values file


def test_the_shipped_values_file_is_complete_and_sourced():
    values = load_values()
    frame = values.to_frame()
    assert (frame["source"].str.len() > 0).all() and (frame["description"].str.len() > 0).all()
    unchecked = frame[frame["date_checked"] == ""]
    assert unchecked["source"].str.match(r"(unverified|assumption):").all()
    a = appraise(effect(10), spend_gbp=100_000)  # the package's own values hold every key it needs
    assert set(a.values_used["key"]) >= {"wellby_value", "uc_taper_rate", "gdp_deflator"}
    assert values.get("wellby_value").at("low") == 10_000 and values.get("wellby_value").price_year == 2019


def test_changing_the_values_file_changes_the_result_and_the_printed_table(tmp_path):
    row = shipped("wellby_value") | {
        "value": "20000",
        "low": "15000",
        "high": "25000",
        "source": "a user's own value",
    }
    path = write_values(tmp_path / "mine.csv", [row])
    base = appraise(effect(10), spend_gbp=100_000)
    mine = appraise(effect(10), spend_gbp=100_000, values=load_values(overrides=path))
    assert mine.central.pv_group("social") == pytest.approx(base.central.pv_group("social") * 20_000 / 13_000)
    assert mine.central.pv_group("fiscal") == pytest.approx(base.central.pv_group("fiscal"))
    table, before = words.values_table(mine), words.values_table(base)
    wellby = table[table["Source"] == "a user's own value"].iloc[0]
    assert (wellby["Amount"], wellby["Low"], wellby["High"]) == ("£20,000", "£15,000", "£25,000")
    assert "£13,000" in set(before["Amount"]) and "£13,000" not in set(table["Amount"])


def test_a_licensed_value_replaces_the_wellby_valuation(tmp_path):
    row = {"key": "hact_employment", "description": "licensed", "value": 1000, "unit": "GBP per person-year"}
    path = write_values(tmp_path / "licensed.csv", [row | {"price_year": 2025, "source": "licensed: HACT"}])
    values = rules_table().updated(read_values_file(path))
    a = appraise(
        effect(10), spend_gbp=1, values=values, assumptions=Assumptions(wellbeing_key="hact_employment")
    )
    assert a.central.benefits["wellbeing"][0] == pytest.approx(10_000)
    assert "hact_employment" in set(a.values_used["key"]) and "wellby_value" not in set(a.values_used["key"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"key": "x", "value": "abc"}], "not a number"),
        ([{"key": "x", "value": 2, "low": 3}], "in that order"),
        ([{"key": "x", "value": 1}, {"key": "x", "value": 2}], "more than once"),
        ([{"key": "x", "value": 1, "price_year": "2025-26"}], "must be a year"),
        ([{"key": "gdp_deflator", "value": 100}], "needs a price_year"),
    ],
)
def test_a_bad_values_file_says_what_is_wrong(tmp_path, rows, message):
    with pytest.raises(InputError, match=message):
        read_values_file(write_values(tmp_path / "bad.csv", rows))


def test_missing_values_are_named(tmp_path):
    (tmp_path / "short.csv").write_text("key,value\nx,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks the column"):
        read_values_file(tmp_path / "short.csv")
    with pytest.raises(InputError, match="no gdp_deflator for 1990"):
        rules_table().deflator(1990)
    values = rules_table()
    short = dataclasses.replace(values, rows=tuple(r for r in values.rows if r.key != "wellby_value"))
    with pytest.raises(InputError, match="'wellby_value'"):
        appraise(effect(1), spend_gbp=1, values=short)


def test_the_page_lists_the_shipped_values_and_their_example():
    doc = (ROOT / "docs" / "value_for_money.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", doc, flags=re.M))
    deflators = dict(re.findall(r"^\| (\d{4})-\d\d \| ([\d.]+) \|", doc, flags=re.M))
    with SHIPPED.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            shown = deflators[row["price_year"]] if row["key"] == "gdp_deflator" else listed[row["key"]]
            assert float(shown) == float(row["value"]), row["key"]
    a = appraise(effect(30, 10, 50), spend_gbp=600_000)
    money = [words.short_money(c.pv_benefits) for c in (a.low, a.high, a.central)]
    assert "benefits between {} and {} (central {})".format(*money) in doc
    assert (
        f"at least {words.years_text(a.central.years_needed)}, or with about {a.central.people_needed:,.0f} people"
        in doc
    )


# ---------------------------------------------------------------- sentences from the numbers


def test_sentences_give_ranges_and_switching_values_before_the_ratio():
    a = appraise(effect(30, 10, 50), spend_gbp=600_000, values=rules_table())
    low, central, high = a.low, a.central, a.high
    found = words.sentences(a)
    assert found[0] == (
        f"Over five years the activity's benefits are between {words.short_money(low.pv_benefits)} and "
        f"{words.short_money(high.pv_benefits)} (central {words.short_money(central.pv_benefits)}) "
        "against costs of £600,000."
    )
    assert found[1] == (
        f"Benefits equal costs if the effect lasts at least {words.years_text(central.years_needed)} at its "
        "measured size."
    )
    assert f"{central.people_needed:,.0f} more people are in work" in found[2]
    ratio = next(i for i, s in enumerate(found) if s.startswith("The benefit-cost ratio"))
    assert ratio == 3 and found[ratio].startswith(
        f"The benefit-cost ratio is between {words.ratio_text(low.bcr)} and {words.ratio_text(high.bcr)} "
        f"(central {words.ratio_text(central.bcr)})"
    )
    assert f"central £{central.fiscal_bcr:.2f}" in found[4]
    assert (
        words.payback_sentence(a)
        == f"Central benefits repay the costs after {words.years_text(central.payback_years)}."
    )


def test_an_effect_that_is_not_significant_gets_no_ratio_as_a_return():
    a = appraise(effect(5, -3, 13), spend_gbp=600_000, values=rules_table())
    found = words.sentences(a)
    assert "not statistically significant" in found[0] and "between £0 and" in found[0]
    assert words.ratio_sentence(a).startswith("No benefit-cost ratio is given")
    for ratio in (a.high.bcr, a.high.fiscal_bcr):  # no ratio from the top of the interval
        assert not any(f"{ratio:.1f}" in s or f"{ratio:.2f}" in s for s in found)
    assert words.payback_sentence(a) is None


def test_money_ratios_and_years_for_reading():
    assert [words.short_money(v) for v in (1_234_567, 949_600, 999_700, 5_432.4, -300_000)] == [
        "£1.2m",
        "£950,000",
        "£1.0m",
        "£5,432",
        "-£300,000",
    ]
    assert [words.ratio_text(v) for v in (1.26, 0.04, 0.0, float("nan"))] == [
        "1.3",
        "less than 0.1",
        "0.0",
        "[x]",
    ]
    assert [words.years_text(v) for v in (1.0, 2.46, 0.01)] == ["1 year", "2.5 years", "less than 0.1 years"]


def test_assumptions_are_stated():
    a = appraise(effect(10), spend_gbp=1, values=rules_table(persistence_retention=(0.0, 0.5, 0.75)))
    text = " ".join(words.assumption_sentences(a))
    assert "2025-26 prices" in text and "3.5% a year over five years" in text
    assert "keep 50% of its size each year (low case: none after that; high case: 75%)" in text
    assert "no ready-reckoner deadweight" in text and "Displacement 0%" in text
