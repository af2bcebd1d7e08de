"""Invariants of evaluation.funnel on random stage-date tables (hypothesis).

Tables include missing and out-of-order dates, dates before referral, dates after
as_of and people referred after as_of.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.funnel import ALL, Stage, funnel, stage_survival, time_to_stage

ORIGIN = pd.Timestamp("2024-01-01")
STAGES = [
    Stage("referred", "referred_date"),
    Stage("engaged", "engaged_date"),
    Stage("job_start", "job_start_date"),
    Stage("sustained_13w", "sustained_13w_date"),
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

offset = st.one_of(st.none(), st.integers(-30, 500))
person = st.tuples(
    st.integers(0, 400),  # referral day
    offset,
    offset,
    offset,
    st.sampled_from(["F", "M", None]),
)


def _day(value):
    return pd.NaT if value is None else ORIGIN + pd.Timedelta(days=value)


@st.composite
def tables(draw):
    people = draw(st.lists(person, min_size=1, max_size=30))
    first = min(p[0] for p in people)
    as_of = _day(draw(st.integers(first, 520)))
    rows = []
    for referral, *later, sex in people:
        rows.append([_day(referral)] + [None if v is None else _day(referral + v) for v in later] + [sex])
    frame = pd.DataFrame(rows, columns=[s.column for s in STAGES] + ["sex"])
    for s in STAGES:
        frame[s.column] = pd.to_datetime(frame[s.column])
    return frame, as_of


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


@SETTINGS
@given(tables())
def test_counts_never_rise_and_rates_are_shares(data):
    frame, as_of = data
    table = funnel(frame, stages=STAGES, as_of=as_of, by="sex").table
    for _, group in table.groupby("group"):
        counts = group.sort_values("order")["n"].to_numpy()
        assert (np.diff(counts) <= 0).all()
    assert (table["cohort_reached"] <= table["cohort_n"]).all()
    for prefix in ("conv_prev", "conv_referral"):
        share, lower, upper = (table[f"{prefix}{s}"] for s in ("", "_lower", "_upper"))
        ok = share.isna() | ((lower <= share + 1e-12) & (share <= upper + 1e-12))
        assert ok.all() and ((share.dropna() >= 0) & (share.dropna() <= 1)).all()


@SETTINGS
@given(tables())
def test_subgroups_sum_to_total(data):
    frame, as_of = data
    table = funnel(frame, stages=STAGES, as_of=as_of, by="sex").table
    columns = ["n", "n_implied", "cohort_n", "cohort_reached"]
    parts = table[table["group"] != ALL].groupby("order")[columns].sum()
    total = table[table["group"] == ALL].set_index("order")[columns]
    pd.testing.assert_frame_equal(parts, total, check_dtype=False)


@SETTINGS
@given(tables(), st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(data, seed):
    frame, as_of = data
    shuffled = _shuffled(frame, seed)
    for fn in (funnel, time_to_stage):
        a = fn(frame, stages=STAGES, as_of=as_of, by="sex").table
        b = fn(shuffled, stages=STAGES, as_of=as_of, by="sex").table
        pd.testing.assert_frame_equal(a, b)
    a = stage_survival(frame, stages=STAGES, as_of=as_of, by="sex", horizon_weeks=60)
    b = stage_survival(shuffled, stages=STAGES, as_of=as_of, by="sex", horizon_weeks=60)
    pd.testing.assert_frame_equal(a.curves, b.curves)


@SETTINGS
@given(tables())
def test_inputs_never_mutated(data):
    frame, as_of = data
    before = frame.copy()
    funnel(frame, stages=STAGES, as_of=as_of, by="sex")
    time_to_stage(frame, stages=STAGES, as_of=as_of, by="sex")
    stage_survival(frame, stages=STAGES, as_of=as_of, by="sex")
    pd.testing.assert_frame_equal(frame, before)


@SETTINGS
@given(tables())
def test_cumulative_curves_non_decreasing_within_unit_interval(data):
    frame, as_of = data
    curves = stage_survival(frame, stages=STAGES, as_of=as_of, by="sex", horizon_weeks=80).curves
    for _, curve in curves.groupby(["stage", "group"]):
        prob = curve.sort_values("week")["probability"].to_numpy()
        defined = ~np.isnan(prob)
        # Undefined only as a tail beyond the longest follow-up.
        assert not (np.diff(defined.astype(int)) > 0).any()
        values = prob[defined]
        assert ((values >= 0) & (values <= 1)).all()
        assert (np.diff(values) >= -1e-12).all()
    inside = curves.dropna(subset=["probability"])
    assert (inside["ci_lower"] <= inside["probability"] + 1e-12).all()
    assert (inside["probability"] <= inside["ci_upper"] + 1e-12).all()
    assert ((inside["ci_lower"] >= 0) & (inside["ci_upper"] <= 1)).all()


@SETTINGS
@given(tables())
def test_time_to_stage_is_ordered(data):
    frame, as_of = data
    table = time_to_stage(frame, stages=STAGES, as_of=as_of).table.sort_values("order")
    # Effective dates never go backwards, so times between stages are never negative.
    assert (table["from_previous_q1"].dropna() >= 0).all()
    assert (table["from_referral_q1"].dropna() >= 0).all()
