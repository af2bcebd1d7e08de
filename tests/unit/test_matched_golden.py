"""The matched estimator's published numbers do not move when its code is made faster or leaner.

`golden/matched_golden.json` was written by `tests/unit/matched_golden.py` from the estimator as
it stood before the work on speed and scale (issues 10 and 13): for three matched activities of
the default synthetic programme (seed 2025) at half its size, every number an impact report
publishes (each horizon and event time with its standard error and interval, balance, the
unmatched difference, the candidates' table, secondary outcomes, priority cohorts, matched sets,
counts, the joint tests and both placebo referrals); and the same for one activity of the full
default programme (slow). Any change beyond floating-point noise (relative 1e-9) fails, naming
the number that moved.
"""

from __future__ import annotations

import json

import pytest

from tests.unit import matched_golden as golden


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(golden.FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small_programme(tmp_path_factory):
    return golden.programme(tmp_path_factory.mktemp("golden_small"))


@pytest.mark.parametrize("activity", golden.ACTIVITIES)
def test_small_programme_numbers_are_unchanged(small_programme, expected, activity):
    problems = golden.compare(golden.estimate(small_programme, activity), expected["small"][activity])
    assert not problems, "\n".join(problems[:20])


def test_the_fixture_holds_estimates_placebos_and_a_not_estimated_activity(expected):
    small = expected["small"]
    assert {small[a]["status"] for a in golden.ACTIVITIES} == {"estimated", "not_estimated"}
    for found in small.values():
        assert len(found["event_time"]["estimate"]) > 30 and len(found["candidates"]["candidate"]) == 10
    placebos = small["placements_neurodivergent"]["falsification"]["placebos"]
    assert [p["months_before"] for p in placebos] == [6, 12] and all(p["test"] for p in placebos)


def test_compare_names_a_number_that_moved(expected):
    found = json.loads(json.dumps(expected["small"]["placements_neurodivergent"]))
    found["horizons"]["std_error"][0] *= 1 + 1e-6
    assert golden.compare(found, expected["small"]["placements_neurodivergent"]) == [
        f".horizons.std_error[0]: {found['horizons']['std_error'][0]!r} != "
        f"{expected['small']['placements_neurodivergent']['horizons']['std_error'][0]!r}"
    ]


@pytest.mark.slow
def test_full_programme_numbers_are_unchanged(tmp_path, expected):
    loaded = golden.programme(tmp_path, scale=1.0)
    activity = golden.FULL_ACTIVITY
    problems = golden.compare(golden.estimate(loaded, activity), expected["full"][activity])
    assert not problems, "\n".join(problems[:20])
