"""One treated area is not an area comparison (issue 9, item 6).

With a single treated local authority the first version reported a significant effect at level 3,
rounded an upper bound of 1.47 to "1" in its headline, and printed a fixed sentence ("neither can
no effect") under an interval that excluded zero. Now:

* an area activity run in fewer than `MIN_TREATED_AREAS` local authorities gets no verdict, and the
  report says why (the threshold comes from `tests/simulation/test_few_areas.py` and
  `bench/bench_few_areas.py`);
* the area headline gives its interval to one decimal place, as the tables do;
* the sentence on what few areas mean follows from the interval it describes.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from evaluation.impact import MIN_TREATED_AREAS, AreaImpact, estimate_activity
from evaluation.programme import load_programme
from evaluation.report import impact as impact_report
from evaluation.report.area_sections import few_areas_text
from evaluation.report.formatting import signed
from evaluation.report.sentences import area_sentence
from evaluation.results import EstimateResult
from evaluation.synthetic import PROGRAMME_AREAS
from tests.unit.test_targets import text_of

AREA_ACTIVITY = "service_redesign"


def one_treated_area(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the first programme area runs the area activity; the other programme areas leave the
    panel (they are not comparison areas either)."""
    mine = frame["activity_id"] == AREA_ACTIVITY
    others = frame["la_code"].isin(list(PROGRAMME_AREAS)[1:])
    return frame[~(mine & others)]


def test_one_treated_area_gets_no_verdict_and_the_report_says_why(input_copy):
    input_copy.edit("area_panel", one_treated_area)
    programme = load_programme(input_copy.path)
    result = estimate_activity(programme, AREA_ACTIVITY, seed=1)
    assert not result.estimated and not result.published
    assert result.n_treated_areas == 1
    assert "only 1 local authority ran the activity" in result.reason
    assert f"at least {MIN_TREATED_AREAS}" in result.reason
    assert result.evidence.level is None  # no level 3 claimed

    ctx = impact_report.context(str(input_copy.path), AREA_ACTIVITY, seed=1)
    text = text_of(impact_report.headline_section(ctx))
    assert "No impact estimate is given" in text and "only 1 local authority" in text
    assert "significant" not in text and "percentage point" not in text


def test_enough_treated_areas_still_give_an_estimate(programme_7_areas):
    result = programme_7_areas
    assert result.estimated and result.n_treated_areas == len(PROGRAMME_AREAS) >= MIN_TREATED_AREAS


@pytest.fixture(scope="module")
def programme_7_areas(synthetic_folder):
    return estimate_activity(load_programme(synthetic_folder), AREA_ACTIVITY, seed=1)


def estimate(point: float, lower: float, upper: float) -> EstimateResult:
    return EstimateResult(
        term="ATT", estimate=point, std_error=(upper - lower) / 3.92, ci_lower=lower, ci_upper=upper, n=25
    )


def numbers_in(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)]


INTERVALS = [(1.0, 0.53, 1.47), (-0.8, -1.47, -0.12), (0.3, -0.6, 1.2), (2.2, 0.04, 4.36), (9.0, 8.96, 9.04)]


@pytest.mark.parametrize(("point", "lower", "upper"), INTERVALS)
def test_area_headline_gives_the_interval_as_the_table_does(point, lower, upper):
    effect = estimate(point, lower, upper)
    sentence = area_sentence(effect)
    shown = {abs(float(signed(lower))), abs(float(signed(upper)))}
    if 0.0 in shown:  # the table's 0.0 reads "less than 0.1" in words
        assert "less than 0.1" in sentence
        shown = (shown - {0.0}) | {0.1}
    assert set(numbers_in(sentence)) == shown, sentence  # 1.47 is "1.5", as in the table, never "1"
    assert ("points more" in sentence or "more than" in sentence) == (upper > 0)
    assert ("points less" in sentence or "less and" in sentence) == (lower < 0)
    assert ("not statistically significant" in sentence) == (lower <= 0 <= upper)


@pytest.mark.parametrize(("point", "lower", "upper"), INTERVALS)
def test_few_areas_sentence_follows_from_its_interval(point, lower, upper):
    impact = AreaImpact(
        activity_id="a",
        activity_name="A",
        design="did",
        status="estimated",
        reason="",
        evidence=None,
        n_participants=0,
        spend_gbp=np.nan,
        headline=estimate(point, lower, upper),
        n_treated_areas=7,
        n_control_areas=18,
    )
    text = few_areas_text(impact)
    excludes_zero = lower > 0 or upper < 0
    assert ("neither can no effect" in text) == (not excludes_zero), text
    assert ("excludes no effect" in text) == excludes_zero, text
    assert f"{upper - lower:.1f} percentage points wide" in text
    assert f"({signed(lower)} to {signed(upper)})" in text
    if excludes_zero:
        low, high = sorted([abs(lower), abs(upper)])
        assert f"between {low:.1f} and {high:.1f} points" in text
        assert ("a rise" in text) == (lower > 0)
