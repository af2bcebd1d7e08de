"""One headline per activity, used everywhere: the programme summary leads each activity with the
follow-up, estimate and verdict of its own impact report (`ImpactRecord.headline`), never with a
follow-up common to all activities; other follow-ups appear beside it, labelled. A withheld verdict
(comparison group not credible) is shown as evidence only: no verdict, not counted, no net
additional outcomes or cost per outcome, and the reason in plain words."""

from __future__ import annotations

import html as html_module
import re
from dataclasses import replace
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from evaluation.report import charts, summary
from evaluation.report.display import Numbering
from evaluation.report.record import HorizonRecord, ImpactRecord

AS_OF = pd.Timestamp("2026-06-30")
REASON = "Participants' employment was already rising faster than the comparison group's before referral."


def horizon_entry(horizon, estimate=None, lower=None, upper=None, *, net=None, cost=None, n=120):
    """A `horizons` entry shaped like `evaluation.report.impact.record` writes it."""
    entry = {"horizon": horizon, "reportable": estimate is not None, "n_followed": n}
    if estimate is not None:
        entry |= {
            "estimate_pp": estimate,
            "ci_lower_pp": lower,
            "ci_upper_pp": upper,
            "participants_rate": 0.4,
        }
    if net is not None:
        significant = lower > 0 or upper < 0
        entry |= {
            "counterfactual_rate": 0.3,
            "net_additional": net[0],
            "net_additional_ci_lower": net[1],
            "net_additional_ci_upper": net[2],
            "cost_meaningful": cost is not None and significant,
            "cost_per_net_additional": cost[0] if cost is not None and significant else None,
            "cost_ci_lower": cost[1] if cost is not None and significant else None,
            "cost_ci_upper": cost[2] if cost is not None and significant else None,
            "cost_note": "",
        }
    return entry


def matched_record(activity_id, name, horizon, horizons, *, published=None, reason=None, level=3):
    """An estimated matched-comparison record whose headline is its entry at `horizon`."""
    at = next(h for h in horizons if h["horizon"] == horizon)
    head = {
        "measure": "participants",
        "term": "att",
        "horizon": horizon,
        "estimate_pp": at["estimate_pp"],
        "ci_lower_pp": at["ci_lower_pp"],
        "ci_upper_pp": at["ci_upper_pp"],
        "significant": at["ci_lower_pp"] > 0 or at["ci_upper_pp"] < 0,
    }
    if published is not None:
        head["published"] = published
    if reason is not None:
        head["withheld_reason"] = reason
    return ImpactRecord.from_dict(
        {
            "schema": 1,
            "activity_id": activity_id,
            "activity_name": name,
            "design": "matched_comparison",
            "status": "estimated",
            "reason": "",
            "evidence_level": level,
            "evidence_label": f"Level {level} of 5",
            "alpha": 0.05,
            "n_participants": 300,
            "spend_gbp": 250_000.0,
            "n_treated_areas": 0,
            "n_control_areas": 0,
            "headline": head,
            "horizons": horizons,
        }
    )


@pytest.fixture
def records():
    return {
        # significant at 12 months (its headline), not at 6
        "a": matched_record(
            "a",
            "Alpha",
            12,
            [
                horizon_entry(6, 4.0, -1.0, 9.0, net=(12, -3, 27)),
                horizon_entry(12, 6.0, 2.0, 10.0, net=(18, 6, 30), cost=(13_889, 8_333, 41_667)),
            ],
        ),
        # significant at 6 months (its headline: too few followed for 12 yet)
        "b": matched_record(
            "b",
            "Beta",
            6,
            [
                horizon_entry(6, 5.0, 1.0, 9.0, net=(15, 3, 27), cost=(16_667, 9_259, 83_333)),
                horizon_entry(12, n=0),
            ],
        ),
        # not significant at 12 months, though significant at 6
        "c": matched_record(
            "c",
            "Gamma",
            12,
            [
                horizon_entry(6, 3.0, 0.5, 5.5, net=(9, 2, 16), cost=(27_778, 15_625, 125_000)),
                horizon_entry(12, 2.0, -2.0, 6.0, net=(6, -6, 18)),
            ],
        ),
    }


@pytest.fixture
def withheld(records):
    return records | {
        "d": matched_record(
            "d",
            "Delta",
            12,
            [
                horizon_entry(6, 7.0, 2.0, 12.0, net=(21, 6, 36), cost=(11_905, 6_944, 41_667)),
                horizon_entry(12, 8.0, 3.0, 13.0, net=(24, 9, 39), cost=(10_417, 6_410, 27_778)),
            ],
            published=False,
            reason=REASON,
            level=2,
        )
    }


def summary_context(records):
    delivery = pd.DataFrame(
        [
            {
                "activity_id": key,
                "activity_name": rec.activity_name,
                "priority": "High",
                "design": rec.design,
                "target": 400.0,
                "referred": 320,
                "started": 300,
                "budget": 400_000.0,
                "spend": 250_000.0,
            }
            for key, rec in records.items()
        ]
    )
    programme = SimpleNamespace(name="Test programme", as_of=AS_OF, has=lambda table: True)
    return summary.SummaryContext(
        programme=programme,
        delivery=delivery,
        records=records,
        sources=dict.fromkeys(records, "impact report"),
        numbering=Numbering(),
    )


def text_of(parts) -> str:
    """The visible text of a section (tags removed, entities decoded)."""
    raw = " ".join(p.data for p in parts)
    raw = re.sub(r"<img[^>]*>", " ", raw)
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


def alts(parts) -> list[str]:
    return [html_module.unescape(a) for p in parts for a in re.findall(r'alt="([^"]*)"', p.data)]


def table(parts, caption: str) -> pd.DataFrame:
    """The table whose caption contains `caption`, as text cells indexed by the row header."""
    for part in parts:
        for block in re.findall(r"<table.*?</table>", part.data, flags=re.S):
            if caption not in html_module.unescape(block):
                continue
            columns = [html_module.unescape(c) for c in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', block)]
            rows = [
                [html_module.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
                for row in re.findall(r"<tbody>.*", block, flags=re.S)[0].split("<tr>")[1:]
            ]
            return pd.DataFrame(rows, columns=columns).set_index(columns[0])
    raise AssertionError(f"no table with caption {caption!r}")


# --------------------------------------------------------------------------- the headline of each activity


def test_each_activity_is_led_by_its_own_record_headline(records):
    heads = {h.activity_name: h for h in summary.headlines(records, "matched_comparison")}
    assert {n: h.horizon for n, h in heads.items()} == {"Alpha": 12, "Beta": 6, "Gamma": 12}
    assert heads["Alpha"].verdict == "significant increase"  # though not significant at 6 months
    assert heads["Gamma"].verdict == "not significant"  # though significant at 6 months
    assert heads["Beta"].verdict == "significant increase"
    assert heads["Alpha"].label == "Alpha (12 months)" and heads["Beta"].named == "Beta at 6 months"
    assert heads["Alpha"].entry.net_additional == 18  # figures at its headline follow-up
    assert not hasattr(summary, "common_horizon")


def test_verdict_follows_the_record_not_the_interval():
    rec = matched_record("x", "X", 6, [horizon_entry(6, -4.0, -7.0, -1.0)])
    assert summary.headline_of(rec).verdict == "significant decrease"
    rec = replace(
        rec, headline=replace(rec.headline, significant=False)
    )  # whatever the impact report decided
    assert summary.headline_of(rec).verdict == "not significant"  # is what the summary says
    assert summary.headline_of(replace(rec, status="not_estimated")) is None
    assert summary.headline_of(replace(rec, headline=None)) is None


def test_forest_frame_shows_each_activity_at_its_headline_follow_up(records):
    frame = summary.forest_frame(records)
    assert frame["label"].tolist() == ["Alpha (12 months)", "Beta (6 months)", "Gamma (12 months)"]
    assert frame["estimate"].tolist() == [6.0, 5.0, 2.0]
    assert frame["horizon"].tolist() == [12, 6, 12]
    data = charts.forest_data(frame)
    assert dict(zip(data["label"], data["verdict"], strict=True)) == {
        "Alpha (12 months)": "significant increase",
        "Beta (6 months)": "significant increase",
        "Gamma (12 months)": "not significant",
    }


def test_headline_sentence_counts_each_activity_at_its_own_follow_up(records):
    text = text_of(summary.headline_section(summary_context(records)))
    assert "Of 3 activities working with individual residents, 3 had enough participants" in text
    assert (
        "2 raised the chance of being in work by a statistically significant amount "
        "(Alpha at 12 months and Beta at 6 months)"
    ) in text
    assert "1 showed no statistically significant difference (Gamma at 12 months)" in text
    assert "Alpha at 6 months" not in text and "Gamma at 6 months" not in text
    assert "lowered" not in text


def test_comparison_chart_and_table_lead_with_the_headline_and_label_other_follow_ups(records):
    parts = summary.impact_comparison(summary_context(records))
    (alt,) = alts(parts)
    assert "Alpha (12 months): +6.0 points (+2.0 to +10.0), significant increase" in alt
    assert "Beta (6 months): +5.0 points (+1.0 to +9.0), significant increase" in alt
    assert "Gamma (12 months): +2.0 points (-2.0 to +6.0), not significant" in alt
    text = text_of(parts)
    assert (
        "2 of the 3 activities with an estimate raised the chance of being in work by a statistically "
        "significant amount at their headline follow-up"
    ) in text
    shown = table(parts, "Impact estimate, verdict and strength of evidence")
    assert shown.loc["Alpha", "Headline follow-up"] == "12 months after referral"
    assert shown.loc["Alpha", "Headline effect, percentage points (95% CI)"] == "+6.0 (+2.0 to +10.0)"
    assert shown.loc["Alpha", "Verdict at the headline follow-up"] == "significant increase"
    assert shown.loc["Alpha", "At 6 months, percentage points (95% CI)"] == "+4.0 (-1.0 to +9.0)"
    assert shown.loc["Alpha", "At 12 months, percentage points (95% CI)"] == "+6.0 (+2.0 to +10.0)"
    assert shown.loc["Beta", "Headline follow-up"] == "6 months after referral"
    assert shown.loc["Beta", "At 12 months, percentage points (95% CI)"] == "not yet"
    assert shown.loc["Gamma", "Verdict at the headline follow-up"] == "not significant"
    assert shown.loc["Gamma", "Strength of evidence (Maryland scale)"] == "Level 3 of 5"


def test_net_additional_and_cost_are_at_each_activity_headline_follow_up(records):
    parts = summary.value_for_money(summary_context(records))
    shown = table(parts, "Spend, net additional people")
    net = "Net additional people in work at the headline follow-up (95% CI)"
    cost = "Cost per net additional person in work (95% CI)"
    assert shown.loc["Alpha", "Headline follow-up"] == "12 months after referral"
    assert shown.loc["Alpha", net] == "+18 (+6 to +30)"  # not the 6-month +12
    assert shown.loc["Alpha", cost] == "£13,889 (£8,333 to £41,667)"
    assert shown.loc["Beta", net] == "+15 (+3 to +27)"
    assert shown.loc["Gamma", net] == "+6 (-6 to +18)"  # not the 6-month +9
    assert shown.loc["Gamma", cost] == "[z] not meaningful"
    text = text_of(parts)
    assert (
        "Alpha: between 6 and 30 more people in work 12 months after referral because of the activity "
        "(central estimate +18), at £13,889 per net additional person in work (£8,333 to £41,667)."
    ) in text
    assert "Beta: between 3 and 27 more people in work 6 months after referral" in text
    assert "Gamma: between 6 fewer and 18 more people in work 12 months after referral" in text
    assert "£27,778" not in text, "Gamma's 6-month cost is not its headline"


def test_net_additional_near_zero_is_not_written_as_minus_zero():
    entry = HorizonRecord(
        horizon=6,
        reportable=True,
        net_additional=-0.3,
        net_additional_ci_lower=-11.2,
        net_additional_ci_upper=10.6,
    )
    assert summary.net_text(entry) == "0 (-11 to +11)"


# --------------------------------------------------------------------------- withheld verdicts


def test_missing_published_means_published(records):
    assert all(h.published for h in summary.headlines(records, "matched_comparison"))


def test_withheld_activity_gets_no_verdict_and_is_not_counted(withheld):
    head = summary.headline_of(withheld["d"])
    assert not head.published and head.verdict == summary.WITHHELD
    text = text_of(summary.headline_section(summary_context(withheld)))
    assert "Of 4 activities working with individual residents, 4 had enough participants" in text
    assert (
        "2 raised the chance of being in work by a statistically significant amount (Alpha at 12 months and Beta "
        "at 6 months) and 1 showed no statistically significant difference (Gamma at 12 months)."
    ) in text, "the withheld activity must not be counted, though its interval is above zero"
    assert (
        "No verdict is given for Delta at 12 months because the comparison group was not credible for it: "
        "participants' employment was already rising faster than the comparison group's before referral."
    ) in text


def test_a_reason_that_already_says_not_credible_is_not_repeated(withheld):
    reason = "the comparison group is not credible for this activity: it failed the placebo referral 3 months early"
    withheld["d"] = replace(withheld["d"], headline=replace(withheld["d"].headline, withheld_reason=reason))
    text = text_of(summary.headline_section(summary_context(withheld)))
    assert f"No verdict is given for Delta at 12 months because {reason}." in text
    assert text.count("not credible") == 1
    shown = table(summary.impact_comparison(summary_context(withheld)), "Impact estimate, verdict")
    assert shown.loc["Delta", "Verdict at the headline follow-up"] == f"Verdict withheld, because {reason}"


def test_when_every_verdict_is_withheld_no_activity_is_said_to_raise_or_not_change_employment():
    rec = matched_record(
        "d", "Delta", 6, [horizon_entry(6, 3.0, -4.0, 10.0, net=(9, -12, 30))], published=False, reason=REASON
    )
    ctx = summary_context({"d": rec})
    text = text_of(summary.headline_section(ctx))
    assert "Of 1 activity working with individual residents, 1 had enough participants" in text
    assert "raised the chance" not in text and "no statistically significant difference" not in text
    assert "No verdict is given for Delta at 6 months because the comparison group was not credible" in text
    text = text_of(summary.impact_comparison(ctx))
    assert (
        "Figure 1: No verdict is given for the activity with an estimate: the comparison group was not credible"
        in (text)
    )


def test_withheld_estimate_is_evidence_only_in_chart_and_table(withheld):
    parts = summary.impact_comparison(summary_context(withheld))
    (alt,) = alts(parts)
    assert "Delta (12 months): +8.0 points (+3.0 to +13.0), verdict withheld" in alt
    text = text_of(parts)
    assert "2 of the 4 activities with an estimate raised" in text and "the verdict is withheld for 1" in text
    shown = table(parts, "Impact estimate, verdict and strength of evidence")
    assert shown.loc["Delta", "Headline effect, percentage points (95% CI)"] == "+8.0 (+3.0 to +13.0)"
    verdict = shown.loc["Delta", "Verdict at the headline follow-up"]
    assert (
        verdict.startswith("Verdict withheld") and "not credible" in verdict and "already rising" in verdict
    )
    assert "significant" not in verdict
    assert shown.loc["Delta", "Strength of evidence (Maryland scale)"] == "Level 2 of 5"  # as the record says


def test_withheld_activity_has_no_net_additional_outcomes_or_cost(withheld):
    parts = summary.value_for_money(summary_context(withheld))
    shown = table(parts, "Spend, net additional people")
    net = shown.loc["Delta", "Net additional people in work at the headline follow-up (95% CI)"]
    cost = shown.loc["Delta", "Cost per net additional person in work (95% CI)"]
    assert net == cost == "[z] verdict withheld"
    text = text_of(parts)
    assert "£10,417" not in text and "+24" not in text and "£11,905" not in text
    assert (
        "Delta: no net additional outcomes or cost per outcome are given because the comparison group was not "
        "credible for it: participants' employment"
    ) in text
    assert "Alpha: between 6 and 30 more" in text  # the others are unaffected


def test_withheld_area_activity_is_not_counted_as_a_significant_change():
    area = ImpactRecord.from_dict(
        {
            "activity_id": "e",
            "activity_name": "Epsilon",
            "design": "did",
            "status": "estimated",
            "reason": "",
            "evidence_level": 2,
            "headline": {
                "measure": "area employment rate",
                "term": "simple",
                "horizon": None,
                "estimate_pp": 2.5,
                "ci_lower_pp": 0.5,
                "ci_upper_pp": 4.5,
                "significant": True,
                "published": False,
                "withheld_reason": "Employment in its areas was already moving apart before the start",
            },
            "horizons": [],
        }
    )
    ctx = summary_context({"e": area})
    text = text_of(summary.headline_section(ctx))
    assert (
        "showed a statistically significant change" not in text and "assessed by comparing areas" not in text
    )
    assert "No verdict is given for Epsilon because the comparison group was not credible for it" in text
    published = replace(
        area, activity_id="f", activity_name="Zeta", headline=replace(area.headline, published=True)
    )
    text = text_of(summary.headline_section(summary_context({"e": area, "f": published})))
    assert (
        "1 system-level activity was assessed by comparing areas: Zeta showed a statistically significant change"
    ) in text, "the withheld area activity is neither counted nor named as a significant change"
    parts = summary.impact_comparison(ctx)
    assert "Epsilon: +2.5 points (+0.5 to +4.5), verdict withheld" in alts(parts)[0]
    shown = table(parts, "Impact estimate, verdict")
    assert shown.loc["Epsilon", "Headline follow-up"] == summary.AREA_FOLLOW_UP
    assert shown.loc["Epsilon", "At 6 months, percentage points (95% CI)"] == "[z]"


def test_forest_data_keeps_a_given_verdict_and_the_plot_writes_it():
    frame = pd.DataFrame(
        {
            "label": ["Kept", "Computed"],
            "estimate": [8.0, 1.0],
            "ci_lower": [3.0, -2.0],
            "ci_upper": [13.0, 4.0],
            "verdict": [summary.WITHHELD, np.nan],
        }
    )
    data = charts.forest_data(frame)
    assert data["verdict"].tolist() == ["verdict withheld", "not significant"]
    fig = charts.forest_plot(frame, xlabel="points", scale=1.0)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("+8.0" in t and "verdict withheld" in t for t in texts)
    plt.close(fig)
