"""The programme summary's value for money: the table, the chart of benefit-cost ranges and the
sentences, each taken from the records' appraisals (not recomputed) and checked against the
numbers of appraisals built here with `evaluation.vfm`, and the programme row against `combine`."""

from __future__ import annotations

import html
import json
from types import SimpleNamespace

import pandas as pd
import pytest

from evaluation.report import charts, summary, vfm_words
from evaluation.report.display import Numbering
from evaluation.report.record import ImpactRecord, appraisal_dict
from evaluation.vfm import EmploymentEffect, appraise, combine

WITHHELD = "the verdict is withheld (a falsification check failed), so no benefit is claimed for it"
CASES = ("low", "central", "high")


def _appraisal(label, estimate, lower, upper, spend):
    effect = EmploymentEffect(
        estimate=estimate, lower=lower, upper=upper, observed_years=1, measured_months=12
    )
    return appraise(effect, spend_gbp=spend, label=label)


def _record(activity_id, name, appraisal=None, *, estimated=True, reason=""):
    head = {"horizon": 12, "estimate_pp": 4.0, "ci_lower_pp": -1.0, "ci_upper_pp": 9.0, "significant": False}
    data = {
        "activity_id": activity_id,
        "activity_name": name,
        "design": "matched_comparison",
        "status": "estimated" if estimated else "not_estimated",
        "reason": "" if estimated else "Fewer than 60 participants",
        "headline": head if estimated else None,
        "value_for_money": appraisal_dict(appraisal) if appraisal is not None else None,
        "value_for_money_reason": reason,
    }
    return ImpactRecord.from_dict(json.loads(json.dumps(data)))  # as read back from the file


@pytest.fixture(scope="module")
def appraisals():
    return {
        "strong": _appraisal("Strong", 80.0, 70.0, 90.0, 200_000.0),  # low case ratio 3.8: above 1
        "placements": _appraisal("Placements", 30.0, 12.0, 48.0, 300_000.0),  # 0.4 to 15.5: spans 1
        "grants": _appraisal("Grants", 8.0, -6.0, 22.0, 250_000.0),  # not significant
        "costly": _appraisal("Costly", 4.0, 1.0, 7.0, 2_000_000.0),  # high case ratio 0.3: below 1
    }


@pytest.fixture(scope="module")
def records(appraisals):
    found = {key: _record(key, a.label, a) for key, a in appraisals.items()}
    found["withheld"] = _record("withheld", "Withheld", reason=WITHHELD)
    found["small"] = _record("small", "Small", estimated=False, reason="there is no impact estimate to value")
    return found


def _short_range(values):
    short = vfm_words.short_money
    return f"{short(values['central'])} ({short(values['low'])} to {short(values['high'])})"


def test_each_row_shows_the_appraisal_its_impact_report_printed(records, appraisals):
    table = summary.value_for_money_table(records)
    for a in appraisals.values():
        row = table.loc[a.label]
        npsv = {c: a.cases[c].pv_benefits - a.cases[c].pv_costs for c in CASES}
        assert row["Net present social value, central (low to high case)"] == _short_range(npsv)
        people = a.central.pv_costs / a.central.pv_benefits_per_person
        assert row["Switching value: people in work needed for benefits to equal costs"] == (
            f"{people:,.0f} (central estimate {a.central.people_full_effect:,.0f})"
        )
    bcr = table["Benefit-cost ratio, central (low to high case)"]
    s = appraisals["strong"]
    assert bcr["Strong"] == f"{s.central.bcr:.1f} ({s.low.bcr:.1f} to {s.high.bcr:.1f})"
    assert bcr["Grants"] == "no ratio: not significant"  # not a range up to its high case's ratio
    assert table.loc[
        "Grants", "Return to the Exchequer per £1 of public money, central (low to high case)"
    ] == ("no ratio: not significant")
    assert table.loc["Grants", "Note"].startswith(
        "Effect not statistically significant: the range starts at zero"
    )
    years = table["Switching value: the effect must last at least"]
    assert years["Costly"] == "more than 30 years"  # its benefits never equal its costs in 30 years
    assert years["Strong"] == vfm_words.years_text(s.central.years_needed)
    exchequer = table["Return to the Exchequer per £1 of public money, central (low to high case)"]
    assert (
        exchequer["Strong"]
        == f"£{s.central.fiscal_bcr:.1f} (£{s.low.fiscal_bcr:.1f} to £{s.high.fiscal_bcr:.1f})"
    )
    assert table.loc["Withheld", "Note"] == f"Not valued: {WITHHELD}"
    assert (table.loc["Small"].iloc[:-1] == "[z]").all()


def test_the_programme_row_adds_the_activities_appraisals_case_by_case(records, appraisals):
    table = summary.value_for_money_table(records)
    whole = combine(list(appraisals.values()), label="the programme")
    row = table.loc["Programme (4 activities valued)"]
    npsv = {c: whole.cases[c].npsv for c in CASES}
    assert row["Net present social value, central (low to high case)"] == _short_range(npsv)
    assert npsv["central"] == pytest.approx(
        sum(a.central.pv_benefits - a.central.pv_costs for a in appraisals.values())
    )
    assert row["Benefit-cost ratio, central (low to high case)"] == (
        f"{whole.central.bcr:.1f} ({whole.low.bcr:.1f} to {whole.high.bcr:.1f})"
    )
    assert row["Note"].startswith("Activities' ranges added case by case")


def test_sentences_say_what_the_numbers_show(records, appraisals):
    said = summary.value_for_money_sentences(records)
    assert said[0] == (
        "Value for money is assessed for 4 of the 5 activities with an impact estimate "
        "(Strong, Placements, Grants and Costly)."
    )
    assert said[1] == f"Not valued: Withheld, because {WITHHELD}."
    assert said[2].startswith(
        "The effect of Grants is not statistically significant, so its benefits could be zero"
    )
    # which side of 1 each range lies, from the numbers
    assert appraisals["strong"].low.bcr > 1 and appraisals["costly"].high.bcr < 1
    assert appraisals["placements"].low.bcr < 1 < appraisals["placements"].high.bcr
    assert "For Strong, benefits exceed costs even in the low case" in said[3]
    assert said[4].startswith("For Placements, the range of the ratio spans 1")
    assert said[5].startswith("For Costly, benefits fall short of costs even in the high case")
    whole = combine(list(appraisals.values()), label="the programme")
    assert said[6] == vfm_words.range_sentence(whole)
    assert said[-1] == vfm_words.fiscal_sentences(whole)[0]
    assert not any("pass" in s and "not a pass mark" not in s for s in said)


def test_no_estimate_no_value_for_money_sentence():
    small = _record("small", "Small", estimated=False)
    assert summary.value_for_money_sentences({"small": small}) == [
        "No activity has an impact estimate yet, so value for money cannot be assessed."
    ]
    assert summary.programme_value({"small": small}) is None


def test_chart_data_leaves_out_effects_without_a_ratio(records, appraisals):
    """Grants' effect is not significant: no ratio, so no range drawn up to its high case's."""
    data = charts.ratio_range_data(summary.ratio_frame(records))
    assert data["label"].tolist() == ["Strong", "Placements", "Costly", "Programme"]
    assert data["presented"].all() and not data["central"].isna().any()
    strong = appraisals["strong"]
    assert (
        data["text"].iloc[0]
        == f"{strong.low.bcr:.1f} to {strong.high.bcr:.1f}, central {strong.central.bcr:.1f}"
    )
    fig = charts.ratio_ranges(summary.ratio_frame(records))
    ax = fig.axes[0]
    assert [label.get_text() for label in ax.get_yticklabels()] == data["label"].tolist()
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.lines), "no reference line at 1"
    assert ax.get_xlim()[0] == 0
    charts.plt.close(fig)


def test_the_section_has_an_accessible_chart_and_the_table(records):
    ctx = SimpleNamespace(
        records=records,
        numbering=Numbering(),
        programme=SimpleNamespace(name="Test programme"),
        as_of=pd.Timestamp("2026-10-31"),
    )
    text = html.unescape(" ".join(part.data for part in summary.programme_value_for_money(ctx)))
    assert (
        "Figure 1: Benefit-cost ratio ranges of the 3 activities with a ratio and the programme; for 1 the whole "
        "range is above 1" in text
    )
    data = charts.ratio_range_data(summary.ratio_frame(records))
    for label, words in zip(data["label"], data["text"], strict=True):
        assert f"{label}: {words}" in text  # the alt text carries every range
    assert "in 2025-26 prices over 5 years, Test programme, to 31 October 2026" in text
    assert "Value for money by activity and for the programme, to 31 October 2026" in text


def test_a_programme_of_effects_none_significant_gives_no_ratio(appraisals):
    grants = appraisals["grants"]
    other = _appraisal("Other", 5.0, -4.0, 14.0, 150_000.0)
    records = {"grants": _record("grants", "Grants", grants), "other": _record("other", "Other", other)}
    said = summary.value_for_money_sentences(records)
    whole = combine([grants, other], label="the programme")
    assert whole.verdict == "not_significant"
    assert vfm_words.ratio_sentence(whole) in said and said[-1] == vfm_words.fiscal_sentences(whole)[0]
    assert any(s.startswith("No benefit-cost ratio is given:") for s in said)
    assert (
        summary.value_for_money_table(records).loc[
            "Programme (2 activities valued)", "Benefit-cost ratio, central (low to high case)"
        ]
        == "no ratio: not significant"
    )
    assert summary.ratio_frame(records).empty  # nothing to chart


def test_one_activity_with_an_estimate_is_named_not_counted(records):
    """A one-activity programme (Manchester) says "the one activity", never "the 1 activities"."""
    strong = {"strong": records["strong"]}
    said = summary.value_for_money_sentences(strong)
    assert said[0] == "Value for money is assessed for the one activity with an impact estimate, Strong."
    withheld = {"withheld": records["withheld"]}
    said = summary.value_for_money_sentences(withheld)
    assert (
        said[0] == "Value for money is not assessed for the one activity with an impact estimate, Withheld."
    )
    assert all("1 activities" not in s for s in said)
