"""`staggered(..., base_period="universal")` against moderndid's `att_gt` and `aggte` (the
Python port of R `did`, a test dependency) on mpdta: every group-time cell, including the
first period and the zero reference cells, and the event-study aggregate."""

from __future__ import annotations

import numpy as np
import pytest

moderndid = pytest.importorskip("moderndid")

from evaluation.did import staggered  # noqa: E402


@pytest.fixture(scope="module")
def mpdta():
    return moderndid.load_mpdta()


@pytest.mark.filterwarnings("ignore:Used bootstrap procedure:UserWarning")  # moderndid's own note
def test_universal_base_period_matches_moderndid(mpdta):
    reference = moderndid.att_gt(
        mpdta,
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        base_period="universal",
        est_method="dr",
        boot=False,
    )
    ours = staggered(
        mpdta.to_pandas(),
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        base_period="universal",
        bootstrap=0,
    )
    np.testing.assert_allclose(ours.att_gt["estimate"], np.asarray(reference.att_gt), atol=1e-8)
    np.testing.assert_allclose(
        ours.att_gt["std_error"], np.asarray(reference.se_gt), atol=1e-8, equal_nan=True
    )
    dynamic = ours.aggregate("dynamic")
    expected = moderndid.aggte(reference, type="dynamic")
    np.testing.assert_allclose(dynamic.detail["estimate"], np.asarray(expected.att_by_event), atol=1e-8)
    assert dynamic.detail["event_time"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert dynamic.detail["estimate"].iloc[3] == 0.0  # the reference period


def test_the_varying_base_period_is_still_the_default(mpdta):
    frame = mpdta.to_pandas()
    options = {
        "outcome": "lemp",
        "unit": "countyreal",
        "time": "year",
        "first_treated": "first.treat",
        "bootstrap": 0,
    }
    default = staggered(frame, **options)
    assert len(default.att_gt) == 12  # R did's 12 cells, the first period has none
    assert default.att_gt.equals(staggered(frame, base_period="varying", **options).att_gt)
