"""Invariants of matching on arbitrary small samples: weights, strata, order, immutability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evaluation.errors import DesignError
from evaluation.matching import att, balance_table, match

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw) -> pd.DataFrame:
    """Small samples with coarse covariates (many exact ties) and two exact strata."""
    n_treated = draw(st.integers(3, 12))
    n_controls = draw(st.integers(4, 30))
    n = n_treated + n_controls
    coarse = st.lists(st.integers(0, 4), min_size=n, max_size=n)
    fine = st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n)
    labels = draw(st.permutations(range(1000, 1000 + n)))
    frame = pd.DataFrame(
        {
            "d": [1] * n_treated + [0] * n_controls,
            "x1": draw(coarse),
            "x2": draw(fine),
            "g": draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n)),
            "y": draw(fine),
        },
        index=labels,
    )
    return frame


def matched_or_skip(frame: pd.DataFrame, **options):
    """Match, skipping samples that cannot support it (separated, collinear, no support)."""
    try:
        return match(frame, treatment="d", covariates=["x1", "x2"], **options)
    except DesignError:
        assume(False)


matching_options = st.fixed_dictionaries(
    {
        "ratio": st.integers(1, 3),
        "replace": st.booleans(),
        "caliper": st.sampled_from([None, 0.2, 1.0]),
        "exact": st.sampled_from([None, ["g"]]),
        "seed": st.sampled_from([None, 0, 7]),
    }
)


@SETTINGS
@given(frame=samples(), options=matching_options)
def test_weights_pairs_and_counts_are_consistent(frame, options):
    result = matched_or_skip(frame, **options)
    pairs, matched = result.pairs, result.matched
    treated = matched["d"] == 1
    assert (matched.loc[treated, "_weight"] == 1).all()
    assert matched.loc[~treated, "_weight"].sum() == pytest.approx(result.n_matched, rel=1e-12)
    assert result.n_treated == result.n_matched + result.n_discarded
    assert pairs.groupby("treated_index").size().max() <= options["ratio"]
    assert (pairs["distance"] <= result.caliper_width * (1 + 1e-6)).all()
    assert set(matched.index) == set(pairs["treated_index"]) | set(pairs["control_index"])
    if not options["replace"]:
        assert pairs["control_index"].is_unique
    if options["exact"]:
        g = frame["g"]
        assert (g[pairs["treated_index"]].to_numpy() == g[pairs["control_index"]]).all()


@SETTINGS
@given(frame=samples(), options=matching_options)
def test_att_is_the_weighted_difference_in_means(frame, options):
    result = matched_or_skip(frame, **options)
    estimate = att(result, outcome="y")
    matched = result.matched
    treated = matched["d"] == 1
    control_mean = (matched.loc[~treated, "_weight"] * matched.loc[~treated, "y"]).sum()
    expected = matched.loc[treated, "y"].mean() - control_mean / treated.sum()
    assert estimate.estimate == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert estimate.std_error >= 0


@SETTINGS
@given(frame=samples(), options=matching_options, order_seed=st.integers(0, 2**16))
def test_row_order_changes_nothing(frame, options, order_seed):
    first = matched_or_skip(frame, **options)
    second = matched_or_skip(frame.sample(frac=1.0, random_state=order_seed), **options)
    pd.testing.assert_frame_equal(first.pairs, second.pairs, check_exact=False, atol=1e-9)
    pd.testing.assert_frame_equal(first.matched.sort_index(), second.matched.sort_index(), check_exact=False)
    assert att(second, outcome="y").estimate == pytest.approx(
        att(first, outcome="y").estimate, rel=1e-9, abs=1e-9
    )


@SETTINGS
@given(frame=samples(), options=matching_options)
def test_inputs_are_never_mutated(frame, options):
    before = frame.copy(deep=True)
    result = matched_or_skip(frame, **options)
    att(result, outcome="y")
    pd.testing.assert_frame_equal(frame, before)


@SETTINGS
@given(
    frame=samples(),
    scale=st.floats(0.01, 100),
    sign=st.sampled_from([-1.0, 1.0]),
    shift=st.floats(-100, 100),
)
def test_smd_is_unit_free(frame, scale, sign, shift):
    scale *= sign
    moved = frame.assign(x2=scale * frame["x2"] + shift)
    original = balance_table(frame, treatment="d", covariates=["x2"]).iloc[0]
    rescaled = balance_table(moved, treatment="d", covariates=["x2"]).iloc[0]
    assume(np.isfinite(original["smd"]) and abs(original["smd"]) > 1e-6)
    assert rescaled["smd"] == pytest.approx(np.sign(scale) * original["smd"], rel=1e-6)
    assume(np.isfinite(original["variance_ratio"]))
    assert rescaled["variance_ratio"] == pytest.approx(original["variance_ratio"], rel=1e-6)
