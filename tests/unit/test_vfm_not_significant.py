"""An effect that is not statistically significant gets a range of benefits that starts at zero and
no benefit-cost ratio anywhere: not in its record (so not in results.json), not in its impact
report's words, not in the summary's table or chart, not in the report across programmes. A ratio
built from the top of the interval alone would imply a return the evidence does not show.

The numbers are those of the Triage activity in a run of the built-in South Yorkshire programme
(`synthetic.write(..., 11, scale=0.3, programme="south-yorkshire")`, `run(..., seed=11)`): an effect
of -3.5 percentage points at 6 months (95% interval -11.3 to +4.3), that is -5.4 net additional
people in work (-17.5 to +6.6), against £49,454 of spend. Its high case alone (the interval's top,
high values, high persistence) gives a ratio of 13.0, which the reports used to show as the top of
a range "0 to 13.0" and an Exchequer return "between £0 and £3.45" per £1.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evaluation.compare import Activity, ProgrammeRun, ratio_frame
from evaluation.report import compare as compare_words
from evaluation.report import summary, vfm_words
from evaluation.report.record import ImpactRecord, ValueForMoneyRecord, appraisal_dict
from evaluation.vfm import EmploymentEffect, appraise

TRIAGE = EmploymentEffect(
    estimate=-5.424128391656346,
    lower=-17.46362467131199,
    upper=6.615367887999301,
    observed_years=1,
    measured_months=6,
)
SPEND = 49_454.16


@pytest.fixture(scope="module")
def appraisal():
    return appraise(TRIAGE, spend_gbp=SPEND, label="Triage")


def _record(appraisal) -> ImpactRecord:
    head = {"horizon": 6, "estimate_pp": -3.5, "ci_lower_pp": -11.3, "ci_upper_pp": 4.3, "significant": False}
    data = {
        "activity_id": "triage",
        "activity_name": "Triage",
        "design": "matched_comparison",
        "status": "estimated",
        "reason": "",
        "headline": head,
        "value_for_money": appraisal_dict(appraisal),
        "value_for_money_reason": "",
    }
    return ImpactRecord.from_dict(json.loads(json.dumps(data)))  # as read back from results.json


def test_the_high_case_alone_would_show_a_ratio_of_13(appraisal):
    """The reproduction: zero benefit in the low and central cases, 13.0 in the high case."""
    assert appraisal.verdict == "not_significant"
    assert appraisal.low.pv_benefits == 0 and appraisal.central.pv_benefits == 0
    assert round(appraisal.high.bcr, 1) == 13.0
    assert round(appraisal.high.fiscal_bcr, 2) == 3.45


def test_the_record_holds_no_ratio_only_the_cases_in_pounds(appraisal):
    money = _record(appraisal).value_for_money
    for ratio in (money.benefit_cost_ratio, money.fiscal_return):
        assert (ratio.presented, ratio.low, ratio.central, ratio.high) == (False, None, None, None)
        assert ratio.reason.startswith("the effect on employment is not statistically significant")
    assert {name: case.bcr for name, case in money.cases.items()} == dict.fromkeys(("low", "central", "high"))
    assert money.high.pv_benefits == pytest.approx(appraisal.high.pv_benefits)  # the range in pounds stays


def test_a_record_written_with_a_ratio_for_such_an_effect_is_read_without_it(appraisal):
    """Records written before this change carry "0 to 13.0" with `presented` false: read, the numbers
    are dropped, so no report draws them."""
    data = appraisal_dict(appraisal)
    data["benefit_cost_ratio"] = {
        "presented": False,
        "low": 0.0,
        "central": None,
        "high": 12.99,
        "reason": "old",
    }
    ratio = ValueForMoneyRecord.from_dict(data).benefit_cost_ratio
    assert (ratio.presented, ratio.low, ratio.central, ratio.high) == (False, None, None, None)
    assert ratio.reason.startswith("the effect on employment is not statistically significant")


def test_the_impact_report_states_the_range_in_pounds_and_no_ratio(appraisal):
    said = vfm_words.sentences(appraisal)
    text = " ".join(said)
    high = vfm_words.short_money(appraisal.high.pv_benefits)
    assert (
        f"Triage's effect on employment is not statistically significant and its central estimate is a fall in "
        f"employment, so its benefits could be zero: over five years they are between £0 and {high}, against "
        f"costs of {vfm_words.short_money(appraisal.central.pv_costs)}." in said
    )
    assert (
        "No benefit-cost ratio is given: with an effect that could be zero, any ratio would imply a return the "
        "evidence does not show." in said
    )
    fiscal = vfm_words.short_money(appraisal.high.pv_fiscal)
    assert (
        f"For the Exchequer, savings and taxes could also be zero: between £0 and {fiscal} against public costs "
        f"of {vfm_words.short_money(appraisal.central.pv_public_costs)}." in said
    )
    for ratio in (appraisal.high.bcr, appraisal.high.fiscal_bcr):
        assert f"{ratio:.1f}" not in text and f"{ratio:.2f}" not in text


def test_the_summary_gives_no_ratio_and_draws_no_range(appraisal):
    records = {"triage": _record(appraisal)}
    row = summary.value_for_money_table(records).loc["Triage"]
    assert row["Benefit-cost ratio, central (low to high case)"] == "no ratio: not significant"
    assert row["Return to the Exchequer per £1 of public money, central (low to high case)"] == (
        "no ratio: not significant"
    )
    assert summary.ratio_frame(records).empty


def test_the_report_across_programmes_gives_no_ratio_and_draws_no_range(appraisal):
    rec = _record(appraisal)
    from evaluation.compare import _ratio_of

    ratio = _ratio_of(rec)
    assert ratio is not None and (ratio.low, ratio.central, ratio.high) == (None, None, None)
    run = ProgrammeRun(
        pd.io.common.Path("south_run"),
        "South",
        "2",
        "2026-06-30",
        False,
        (Activity("South", "triage", "Triage", "engagement", rec, ratio=ratio),),
        "results",
        True,
        True,
    )
    frame = ratio_frame([run])
    row = frame.iloc[0]
    assert compare_words.ratio_text(row.low, row.central, row.high, row.presented, row.verdict) == (
        "[z] no ratio (effect not significant)"
    )
    assert frame[frame["low"].notna() & frame["high"].notna()].empty  # nothing to draw
    assert "None has a benefit-cost ratio presented" in compare_words.ratio_sentence(frame)
