"""The falsification rule and what the report and the record say when it withholds a verdict.

A failed check is built by hand (a placebo referral 12 months early with a joint p-value of
0.001 and a largest difference of -4.0 percentage points) and put on a real estimate from
the small synthetic programme, so every number the words state is known.
"""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from evaluation.counterfactual import evidence_strength
from evaluation.did.results import WaldTest
from evaluation.falsification import DECIDING_PLACEBOS, Falsification, Placebo
from evaluation.impact import estimate_activity
from evaluation.programme import load_programme
from evaluation.report import checks
from evaluation.report import impact as section

ACTIVITY = "vcse_small_grants"


def _placebo(months: int, p_value: float, largest: float = -0.04) -> Placebo:
    table = pd.DataFrame(
        {
            "horizon": range(6),
            "estimate": [0.0, -0.01, largest, -0.02, 0.01, 0.0],
            "std_error": 0.01,
            "ci_lower": -0.02,
            "ci_upper": 0.02,
            "n": 100,
            "p_value": 0.5,
        }
    )
    return Placebo(months, table, WaldTest(statistic=20.0, df=6, p_value=p_value), 100)


def test_only_the_deciding_checks_withhold_a_verdict():
    assert DECIDING_PLACEBOS == (12,)
    dip_only = Falsification(placebos=(_placebo(6, 1e-6), _placebo(12, 0.4)), pre_path=None)
    assert dip_only.credible and dip_only.failed == ()  # the dip placebo is reported, not deciding
    failed = Falsification(placebos=(_placebo(6, 0.5), _placebo(12, 0.001)), pre_path=None)
    assert not failed.credible and failed.failed == ("placebo_12",)
    pre = Falsification(placebos=(_placebo(12, 0.5),), pre_path=WaldTest(statistic=30.0, df=6, p_value=0.01))
    assert pre.failed == ("pre_path",)
    not_run = Falsification(
        placebos=(Placebo(12, pd.DataFrame(), None, 0, "too little history"),), pre_path=None
    )
    assert not_run.credible and not_run.n_run == 0


def test_placebo_largest_difference_is_the_one_furthest_from_zero():
    assert _placebo(12, 0.001, largest=-0.04).largest == pytest.approx(-0.04)


@pytest.fixture(scope="module")
def withheld(synthetic_folder):
    """A real estimate with a failed 12-month placebo, as the pipeline would withhold it."""
    programme = load_programme(synthetic_folder)
    impact = estimate_activity(programme, ACTIVITY, seed=3)
    assert impact.matched is not None and impact.estimated
    failing = Falsification(placebos=(_placebo(6, 0.3), _placebo(12, 0.001)), pre_path=None)
    impact = dataclasses.replace(
        impact,
        falsification=failing,
        net_impacts=MappingProxyType({}),
        evidence=evidence_strength("comparison_not_credible"),
    )
    ctx = section.context(str(synthetic_folder), ACTIVITY, seed=3)
    return dataclasses.replace(ctx, impact=impact)


def _text(parts) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", " ".join(getattr(p, "data", str(p)) for p in parts)))


def test_withheld_headline_states_no_verdict_and_the_numbers_behind_it(withheld):
    assert not withheld.result.published
    text = " ".join(_text(section.headline_section(withheld)).split())
    assert "No verdict on the impact of" in text
    assert "Matched 12 months before they were referred" in text
    assert "largest difference -4.0 percentage points" in text
    assert "joint test p = 0.001" in text
    matched = withheld.result.matched
    assert f"{100 * matched.estimate:+.1f}".replace("+0.0", "0.0") in text
    assert "level 2 of 5" in text.lower()
    assert "cost per" not in text.lower().replace("no net additional outcomes or cost per outcome", "")


def test_withheld_report_gives_no_net_outcomes_and_the_record_says_why(withheld):
    net = " ".join(_text(section.net_outcomes(withheld)).split())
    assert "Cost per net additional person in work" not in net
    record = section.record(withheld.result, withheld.programme, seed=3, as_of=None).to_dict()
    assert record["headline"]["published"] is False
    assert record["headline"]["withheld_reason"].startswith("the comparison group is not credible")
    assert "placebo referral 12 months early" in record["headline"]["withheld_reason"]
    assert record["evidence_level"] == 2
    assert record["falsification"]["failed"] == ["placebo_12"]
    assert all(entry.get("net_additional") is None for entry in record["horizons"])


def test_checks_section_lists_every_placebo_month_and_the_verdict(withheld):
    text = " ".join(_text(checks.falsification_section(withheld)).split())
    assert "Placebo referral 12 months early" in text and "Placebo referral 6 months early" in text
    assert "failed (joint test p = 0.001)" in text
    # the 6-month placebo is reported but does not decide
    assert "no difference (joint test p = 0.300; reported, does not decide)" in text
    assert "Matched 6 months before" not in " ".join(
        checks.failed_check_sentences(withheld.result.falsification)
    )


def test_a_failed_dip_placebo_alone_is_not_given_as_a_reason(withheld):
    dip_only = Falsification(placebos=(_placebo(6, 1e-6), _placebo(12, 0.4)), pre_path=None)
    assert checks.failed_check_sentences(dip_only) == []
    impact = dataclasses.replace(withheld.result, falsification=dip_only)
    assert impact.published and checks.withheld_reason(impact) == ""
    ctx = dataclasses.replace(withheld, impact=impact)
    text = " ".join(_text(checks.falsification_section(ctx)).split())
    assert "difference: the fall in employment before referral" in text
    assert "The check that decides publication passed" in text


def test_sensitivity_section_marks_the_headline_method(withheld):
    table = withheld.result.matched.candidates
    assert set(table["candidate"]) == {"baseline_did", "adjusted_post", "did", "unmatched_did", "weighting"}
    headline = table[
        (table["candidate"] == "baseline_did") & (table["horizon"] == withheld.result.matched.horizon)
    ]
    assert headline["estimate"].iloc[0] == pytest.approx(withheld.result.matched.estimate, abs=1e-12)
    text = " ".join(_text(checks.sensitivity_section(withheld)).split())
    assert "(headline)" in text
    assert np.isfinite(table["estimate"]).all()


def test_an_area_activity_whose_areas_already_differed_gets_no_verdict(synthetic_folder):
    programme = load_programme(synthetic_folder)
    impact = estimate_activity(programme, "service_redesign", seed=3)
    assert impact.falsification is not None
    assert impact.falsification.pre_path is impact.area.pretrend_test
    failing = dataclasses.replace(
        impact,
        falsification=Falsification(
            placebos=(), pre_path=WaldTest(statistic=40.0, df=10, p_value=0.0001), pre_path_label="area"
        ),
        evidence=evidence_strength("area_not_credible"),
    )
    assert not failing.published
    ctx = dataclasses.replace(
        section.context(str(synthetic_folder), "service_redesign", seed=3), impact=failing
    )
    text = " ".join(_text(section.headline_section(ctx)).split())
    assert "No verdict on the impact of" in text
    assert "already moving apart" in text and "joint test p < 0.001" in text
    record = section.record(failing, ctx.programme, seed=3, as_of=None).to_dict()
    assert record["headline"]["published"] is False and record["evidence_level"] == 2
