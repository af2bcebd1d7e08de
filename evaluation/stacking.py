"""The sample the matched comparison estimates from: people stacked by referral month, matched.

Steps 1 to 3 of `evaluation.matched` (its docstring gives the method). Each participant's
*anchor* is their referral month; the comparison pool is copied once per referral-month cohort,
each copy anchored at that month and limited to the `exact` strata (by default the local
authorities) of that cohort's participants. Every row is described by the characteristics in
its `covariates` (`_covariate_frame`: text as text, `LOG1P_COLUMNS` as log1p, `BANDED_COLUMNS`
also in bands) and, with `HISTORY` or `RECENT_HISTORY`, by its employment and benefit history
before the anchor (`evaluation.histories`); the baseline of the difference-in-differences is
each row's share in work over `baseline_window`. `matched_sample` stacks the rows and matches
them (`evaluation.matching.match`, exact on the cohort and on `exact`). Returns numbers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import qr as scipy_qr

from evaluation import progress
from evaluation.errors import DesignError
from evaluation.histories import (
    MIN_HISTORY,
    RECENT_FEATURES,
    Outcomes,
    history_features,
    month_codes,
    outcome_matrix,
    window_share,
)
from evaluation.matching import MatchResult, match

PRE_HISTORY = "pre_outcome_share"
"""Derived covariate: share of the pre-period months with the outcome (in work)."""

HISTORY = "history"
"""Derived covariates: the detailed employment and benefit history before the anchor
(`evaluation.histories.history_features`: each of the last 6 months, shares over months 7-12
and 13-24, months since last in work, recent job loss and benefit start)."""

RECENT_HISTORY = "recent_history"
"""Derived covariates: only the last 6 months of the history (`histories.RECENT_FEATURES`),
for estimators that difference out the longer-run level instead of matching on it."""

BENEFIT = "on_out_of_work_benefit"
"""The outcomes column whose history enters `HISTORY` beside employment (when present)."""

LOG1P_COLUMNS = ("months_since_last_worked",)
"""Covariates entered as log(1 + x): long spells out of work matter less month by month."""

NEVER_WORKED = 600
"""The `months_since_last_worked` code for never worked (data contract)."""

AGE_BANDS = ((25, "16_to_24"), (35, "25_to_34"), (45, "35_to_44"), (55, "45_to_54"), (np.inf, "55_and_over"))
"""Age bands (exclusive upper bound, label): the ONS labour-market bands, 55 and over pooled."""

WORK_GAP_BANDS = (
    (13, "up_to_12_months"),
    (25, "13_to_24_months"),
    (61, "25_to_60_months"),
    (NEVER_WORKED, "over_60_months"),
    (np.inf, "never_worked"),
)
"""Bands of months since last worked (exclusive upper bound, label); 600 is never worked."""

BANDED_COLUMNS = {
    "age": ("age_band", AGE_BANDS),
    "months_since_last_worked": ("time_since_last_worked", WORK_GAP_BANDS),
}
"""Numeric covariates that also enter as bands (name of the banded column, bands).

Targeting and employability change in steps (under 25, 55 and over, out of work for more
than two years, never worked) that a linear or log term cannot follow; the bands let the
propensity score, and the balance table, see them. The number itself stays in as well.
"""

DEFAULT_COVARIATES = (
    "age",
    "sex",
    "health_condition",
    "disabled",
    "carer",
    "parent",
    "neurodivergent",
    "veteran",
    "social_housing",
    "benefit_status",
    "months_since_last_worked",
    RECENT_HISTORY,
)
"""The headline's matching covariates: characteristics and the last 6 months' states."""

FULL_HISTORY_COVARIATES = (*DEFAULT_COVARIATES[:-1], HISTORY)
"""Characteristics and the whole 24-month history (the post-referral comparison's covariates)."""

TREATED = "_treated"
"""Column of the stacked frame: 1 on a participant's row, 0 on a comparison row."""

COHORT = "_cohort"
"""Column of the stacked frame: the row's anchor (its referral-month cohort), in months from the
first month of the outcome data."""

_PERSON = "_person"
_PRE = "_pre"

__all__ = [
    "AGE_BANDS",
    "BANDED_COLUMNS",
    "DEFAULT_COVARIATES",
    "FULL_HISTORY_COVARIATES",
    "HISTORY",
    "LOG1P_COLUMNS",
    "PRE_HISTORY",
    "RECENT_HISTORY",
    "WORK_GAP_BANDS",
    "POOL_SAMPLE",
    "MatchedSample",
    "PoolUsed",
    "Stacked",
    "baseline_window",
    "match_weights",
    "matched_sample",
    "sampled_pool",
    "stacked_people",
]


def _banded(values: np.ndarray, bands) -> np.ndarray:
    """Each value's band label (bands as (exclusive upper bound, label)); None where missing."""
    upper = np.array([bound for bound, _ in bands], dtype=float)
    labels = np.array([label for _, label in bands] + [None], dtype=object)
    at = np.searchsorted(upper, values, side="right")
    banded = labels[np.minimum(at, len(bands))]  # a copy: labels stays as it is
    banded[np.isnan(values)] = None
    return banded


def _covariate_frame(people: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Covariates ready for `match`: numbers as floats (log1p where listed), text as text;
    columns in `BANDED_COLUMNS` also as their bands (text)."""
    out = {}
    for column in covariates:
        if column in (PRE_HISTORY, HISTORY, RECENT_HISTORY):
            continue
        series = people[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            values = pd.to_numeric(series).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            if column in LOG1P_COLUMNS:
                out[f"log1p_{column}"] = np.log1p(np.clip(values, 0, None))
            else:
                out[column] = values
            if column in BANDED_COLUMNS:
                name, bands = BANDED_COLUMNS[column]
                out[name] = _banded(values, bands)
        else:
            out[column] = series.astype(object).where(series.notna(), None).to_numpy()
    return pd.DataFrame(out, index=people.index)


@dataclass(frozen=True)
class Stacked:
    """The frame passed to `match` plus, per row, its person, outcome row and anchor column."""

    frame: pd.DataFrame
    person: np.ndarray  # person id per row
    person_code: np.ndarray  # integer cluster id per row
    outcome_row: np.ndarray
    anchor_col: np.ndarray
    pre_mean: np.ndarray
    treated: np.ndarray
    n_participants: int
    n_excluded: int
    n_pool: int
    history_months: int = 0
    baseline: tuple[int, int] | None = None


def baseline_window(months_available: int) -> tuple[int, int]:
    """The baseline of the headline difference-in-differences, in months before the anchor.

    Months 13 to 24 (as far as the data go) lie before any fall in employment that leads to
    referral and before the six months matched one by one; with 12 months of history or
    less, months 7 to 12 are the earliest there are.
    """
    return (13, 24) if months_available >= 13 else (7, 12)


def _stack(
    participants,
    pool,
    data: Outcomes,
    *,
    covariates,
    exact,
    person,
    referral,
    pre_months,
    anchor_codes,
    benefit: Outcomes | None = None,
    baseline: tuple[int, int] | str | None = None,
) -> Stacked:
    """Participants (anchor = own referral month) and one copy of the pool per cohort."""
    base_cols = list(exact)
    use_history = HISTORY in covariates or RECENT_HISTORY in covariates
    only_recent = RECENT_HISTORY in covariates and HISTORY not in covariates

    def described(rows, anchors, months):
        found = history_features(data, benefit, rows, anchors, months_available=months).frame
        return found[[c for c in found.columns if c in RECENT_FEATURES]] if only_recent else found

    def baseline_mean(rows, anchors):
        if baseline is None:
            return data.window_mean(rows, anchors, pre_months)
        return window_share(data, rows, anchors, baseline[0], baseline[1])

    p_cov = _covariate_frame(participants, covariates)
    p_rows = data.row_of.get_indexer(participants[person])
    p_anchor = anchor_codes - data.first
    has_outcomes = p_rows >= 0
    safe_rows = np.where(has_outcomes, p_rows, 0)
    if use_history:
        # people with less history than the contracts' minimum are left out (n_excluded);
        # the rest are described over the history every one of them has
        has_outcomes &= p_anchor >= MIN_HISTORY
    months_available = int(p_anchor[has_outcomes].min()) if has_outcomes.any() else 0
    if baseline == "auto":
        baseline = baseline_window(months_available)
    p_pre = baseline_mean(safe_rows, p_anchor)
    p_pre = np.where(has_outcomes, p_pre, np.nan)
    treated_part = pd.concat(
        [participants[base_cols].reset_index(drop=True), p_cov.reset_index(drop=True)], axis=1
    )
    if use_history:
        features = described(safe_rows, p_anchor, months_available).reset_index(drop=True)
        features.loc[~has_outcomes] = np.nan
        treated_part = pd.concat([treated_part, features], axis=1)
    treated_part[_PRE] = p_pre
    treated_part[COHORT] = p_anchor
    treated_part[TREATED] = 1
    treated_part.index = "T:" + participants[person].astype(str).to_numpy()
    t_ok = _complete(treated_part) & has_outcomes
    n_excluded = int((~t_ok).sum())
    treated_part = treated_part[t_ok].assign(**{_PERSON: participants[person].to_numpy()[t_ok]})

    pool = pool[~pool[person].isin(participants[person])]
    c_cov = _covariate_frame(pool, covariates)
    c_rows = data.row_of.get_indexer(pool[person])
    c_base = pd.concat([pool[base_cols].reset_index(drop=True), c_cov.reset_index(drop=True)], axis=1)
    c_has = c_rows >= 0
    # comparison people with a trait no participant has stay in (the comparison "before
    # matching" and the naive difference are against everyone); `match` gives them
    # propensity 0 and never matches them
    n_pool = int((c_has & _on_discrete_support(c_base, treated_part, list(c_cov.columns))).sum())
    c_base, c_person, c_rows = (
        c_base[c_has].reset_index(drop=True),
        pool[person].to_numpy()[c_has],
        c_rows[c_has],
    )
    # every cohort's comparison rows at once: (pool position, cohort) pairs, found from integer
    # stratum codes; the rows are taken from the pool once, never copied cohort by cohort
    position, cohort_of = _cohort_candidates(c_base, treated_part, base_cols)
    rows = c_rows[position]
    columns = {c: c_base[c].to_numpy()[position] for c in c_base.columns}
    if use_history:
        found = described(rows, cohort_of, months_available)
        columns |= {c: found[c].to_numpy() for c in found.columns}
    columns |= {
        _PRE: baseline_mean(rows, cohort_of),
        COHORT: cohort_of,
        TREATED: np.zeros(len(position), dtype=np.int64),
        _PERSON: c_person[position],
    }
    comparison = pd.DataFrame(columns)
    comparison.index = [
        f"C:{p}:{cohort + data.first}" for p, cohort in zip(c_person[position], cohort_of, strict=True)
    ]
    comparison = comparison[_complete(comparison)]
    frame = pd.concat([treated_part, comparison])
    if use_history:
        frame = frame.drop(columns=_redundant(frame, list(features.columns)))
    frame = frame.sort_index(kind="stable")  # row order fixed by labels, not by the inputs
    person_ids = frame.pop(_PERSON).to_numpy()
    pre_mean = frame[_PRE].to_numpy(dtype=float)
    if PRE_HISTORY in covariates:
        frame = frame.rename(columns={_PRE: PRE_HISTORY})
    else:
        frame = frame.drop(columns=_PRE)
    outcome_row = data.row_of.get_indexer(person_ids)
    person_code = pd.factorize(person_ids)[0]
    treated = frame[TREATED].to_numpy() == 1
    return Stacked(
        frame=frame,
        person=person_ids,
        person_code=person_code,
        outcome_row=outcome_row,
        anchor_col=frame[COHORT].to_numpy(dtype=np.int64),
        pre_mean=pre_mean,
        treated=treated,
        n_participants=len(participants),
        n_excluded=n_excluded,
        n_pool=n_pool,
        history_months=min(months_available, 24) if use_history else 0,
        baseline=baseline if isinstance(baseline, tuple) else None,
    )


def match_weights(n_rows: int, t_pos: np.ndarray, c_pos: np.ndarray) -> np.ndarray:
    """Row weights of a matched sample given its pairs (row positions of each pair's participant
    and comparison): 1 per matched participant, sum_i 1/k_i per comparison (k_i: participant
    i's matches), 0 for rows in no pair."""
    k = np.bincount(t_pos, minlength=n_rows)
    weights = np.bincount(c_pos, weights=1.0 / k[t_pos], minlength=n_rows)
    weights[np.flatnonzero(k)] = 1.0
    return weights


def _redundant(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """History columns that are exact linear combinations of earlier ones (or constant).

    With a short history some summaries repeat the monthly states (months since last in
    work when only 6 months are known); the propensity model needs a full-rank design.
    """
    values = frame[columns].to_numpy(dtype=float)
    values = values[np.isfinite(values).all(axis=1)]
    if len(values) == 0:
        return []
    design = np.column_stack([np.ones(len(values)), values - values.mean(axis=0)])
    if _clearly_full_rank(design):
        return []
    _, r, pivot = scipy_qr(design, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > diagonal.max() * 1e-9).sum())
    keep = set(pivot[:rank])
    return [c for i, c in enumerate(columns, start=1) if i not in keep]


FULL_RANK_MARGIN = 1e-6
"""`_clearly_full_rank`'s bound on the ratio of the smallest to the largest singular value."""


def _clearly_full_rank(design: np.ndarray) -> bool:
    """Whether `_redundant`'s pivoted QR would find `design` of full rank, known cheaply.

    Any triangular factor's diagonal lies between the smallest and the largest singular value,
    so when their ratio exceeds `FULL_RANK_MARGIN` (far above the QR's 1e-9) no column is
    dropped. The ratio comes from the eigenvalues of the small Gram matrix (their ratio is its
    square, exact to about 1e-16, well within the margin); only a nearly deficient history pays
    for the QR of every row, which took half of the stacking's time.
    """
    eigen = np.linalg.eigvalsh(design.T @ design)
    return bool(eigen[-1] > 0 and eigen[0] > eigen[-1] * FULL_RANK_MARGIN**2)


def _cohort_candidates(pool: pd.DataFrame, treated: pd.DataFrame, columns: list[str]):
    """Each cohort's comparison rows: pool positions whose values of `columns` (the exact-matching
    keys) occur among that cohort's participants, and the cohort, cohorts in order."""
    cohorts = treated[COHORT].to_numpy(dtype=np.int64)
    if columns:
        keys = pd.concat([treated[columns], pool[columns]], ignore_index=True).astype(object)
        codes = keys.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
        missing = keys.isna().any(axis=1).to_numpy()  # a missing key matches nothing
        codes = np.where(missing, -1, codes)
        t_codes, p_codes = codes[: len(treated)], codes[len(treated) :]
    else:
        t_codes, p_codes = np.zeros(len(treated), dtype=np.int64), np.zeros(len(pool), dtype=np.int64)
    positions, of = [], []
    for cohort in np.unique(cohorts):
        strata = np.unique(t_codes[(cohorts == cohort) & (t_codes >= 0)])
        here = np.flatnonzero(np.isin(p_codes, strata))
        positions.append(here)
        of.append(np.full(len(here), cohort, dtype=np.int64))
    if not positions:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(positions), np.concatenate(of)


def _is_discrete(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values):
        return True
    return bool(values.dropna().isin([0, 1]).all())


def _on_discrete_support(pool: pd.DataFrame, treated: pd.DataFrame, columns) -> np.ndarray:
    """Comparison rows whose every text level and 0/1 flag value occurs among participants.

    A comparison person with a trait no participant has (a veteran when no participant is
    one, a man for a women's service) can never be a good match: `match` gives them
    propensity 0 (the logit's maximum-likelihood limit). They are not counted in `n_pool`.
    """
    keep = np.ones(len(pool), dtype=bool)
    for column in columns:
        both = pd.concat([pool[column], treated[column]])
        if _is_discrete(both):
            keep &= pool[column].isin(pd.unique(treated[column].dropna())).to_numpy()
    return keep


def _complete(frame: pd.DataFrame) -> np.ndarray:
    """Rows with every covariate (including the pre-period history) present."""
    return frame.notna().all(axis=1).to_numpy()


POOL_SAMPLE = 50_000
"""The most comparison people stacked and matched (`matched_sample`'s `pool_sample`).

A pool with more people than this in the participants' strata (national administrative data)
is replaced by a seeded simple random sample of this many of them before anything is stacked:
the propensity score is fitted, and the matches found, among the sample. Memory then grows with
the sample times the referral-month cohorts, not with the pool (bench/bench_matched_scale.py).
The built-in programmes' pools (15,000 people by default) lie below it and are used whole."""


@dataclass(frozen=True)
class PoolUsed:
    """Which comparison people were stacked: the whole pool or a random sample of it."""

    frame: pd.DataFrame  # the comparison pool as stacked (sampled rows only when sampled)
    n_candidates: int  # comparison people (not participants) in the participants' strata
    sample: int | None  # the sample's size, None when every candidate was used
    seed: int


def sampled_pool(
    participants: pd.DataFrame,
    comparison_pool: pd.DataFrame,
    *,
    exact: Sequence[str],
    person: str,
    pool_sample: int | None,
    seed: int | None,
) -> PoolUsed:
    """The comparison pool to stack: all of it, or, when more than `pool_sample` of its people
    (not participants) are in the participants' `exact` strata, a random sample of that many of
    them drawn with `seed` (0 when None); the pool's order is kept."""
    rows, n_candidates, sample, seed = _stackable(
        participants, comparison_pool, exact=exact, person=person, pool_sample=pool_sample, seed=seed
    )
    frame = comparison_pool if sample is None else comparison_pool.iloc[rows]
    return PoolUsed(frame, n_candidates, sample, seed)


def _stackable(
    participants,
    comparison_pool,
    *,
    exact: Sequence[str],
    person: str,
    pool_sample: int | None,
    seed: int | None,
) -> tuple[np.ndarray, int, int | None, int]:
    """The pool rows that may be stacked (every comparison person, not a participant, in the
    participants' `exact` strata, or a seeded sample of `pool_sample` of them, in pool order), the
    number of such people, the sample's size (None when all are used) and the seed (0 for None)."""
    candidates = ~comparison_pool[person].isin(participants[person]).to_numpy()
    exact = list(exact)
    if exact:
        keys = pd.MultiIndex.from_frame(participants[exact].astype(object))
        candidates &= pd.MultiIndex.from_frame(comparison_pool[exact].astype(object)).isin(keys)
    n_candidates = int(candidates.sum())
    seed = 0 if seed is None else int(seed)
    if pool_sample is None or n_candidates <= pool_sample:
        return np.flatnonzero(candidates), n_candidates, None, seed
    chosen = np.random.default_rng(seed).choice(
        np.flatnonzero(candidates), size=int(pool_sample), replace=False
    )
    return np.sort(chosen), n_candidates, int(pool_sample), seed


def stacked_people(
    participants: pd.DataFrame,
    comparison_pool: pd.DataFrame,
    *,
    exact: Sequence[str],
    person: str,
    pool_sample: int | None,
    seed: int | None,
) -> pd.Index:
    """Everyone whose outcomes `matched_sample` can read: the participants and the comparison
    people it may stack (`_stackable`). A report reads only these people's outcome rows."""
    rows, *_ = _stackable(
        participants, comparison_pool, exact=exact, person=person, pool_sample=pool_sample, seed=seed
    )
    return pd.Index(participants[person]).append(pd.Index(comparison_pool[person].to_numpy()[rows])).unique()


@dataclass(frozen=True)
class MatchedSample:
    """The stacked (person, anchor) rows, their outcome matrix and the matching on them.

    What `matched_comparison` estimates from, exposed for the design check
    (`evaluation.design_check`), which draws pseudo-participants from the same rows. `pool`
    says which comparison people were stacked (`sampled_pool`).
    """

    stacked: Stacked
    data: Outcomes
    matched: MatchResult
    pool: PoolUsed | None = None


def matched_sample(
    participants,
    comparison_pool,
    outcomes,
    *,
    covariates,
    exact,
    outcome,
    pre_months,
    ratio,
    caliper,
    seed,
    alpha,
    person,
    referral,
    month,
    last_month,
    anchor_shift=0,
    baseline=None,
    pool_sample: int | None = POOL_SAMPLE,
    balance: bool = True,
) -> MatchedSample:
    """Stack participants and the pool by referral-month cohort and match them (checked inputs).

    With more than `pool_sample` comparison people in the participants' strata, a seeded random
    sample of them is stacked instead (`sampled_pool`, `POOL_SAMPLE`; None: never sample).
    `balance` False leaves the matching's balance table empty (`match`), for samples that
    publish none (placebo referrals, sensitivity candidates)."""
    used = sampled_pool(
        participants, comparison_pool, exact=exact, person=person, pool_sample=pool_sample, seed=seed
    )
    comparison_pool = used.frame
    progress.note(f"selecting candidates from {len(comparison_pool):,} comparison people")
    last_code = (
        int(month_codes(pd.Series([pd.Timestamp(last_month)]))[0])
        if last_month is not None
        else int(month_codes(outcomes[month]).max())
    )
    people = np.concatenate([participants[person].to_numpy(), comparison_pool[person].to_numpy()])
    data = outcome_matrix(outcomes, people, person=person, month=month, outcome=outcome, last_code=last_code)
    benefit = None
    wants_history = HISTORY in covariates or RECENT_HISTORY in covariates
    if wants_history and BENEFIT in outcomes.columns and outcome != BENEFIT:
        benefit = outcome_matrix(
            outcomes,
            people,
            person=person,
            month=month,
            outcome=BENEFIT,
            last_code=last_code,
            first_code=data.first,
        )
    stacked = _stack(
        participants,
        comparison_pool,
        data,
        covariates=covariates,
        exact=exact,
        person=person,
        referral=referral,
        pre_months=pre_months,
        anchor_codes=month_codes(participants[referral]) - int(anchor_shift),
        benefit=benefit,
        baseline=baseline,
    )
    if not stacked.treated.any():
        raise DesignError(
            "matched comparison: no participant has complete covariates and pre-referral outcomes",
            "Check that the outcomes cover the months before referral",
        )
    if stacked.treated.all():
        raise DesignError(
            "matched comparison: no usable comparison people",
            "Add comparison people with outcomes in the participants' areas",
        )
    match_covariates = [c for c in stacked.frame.columns if c not in (*exact, COHORT, TREATED)]
    progress.note(f"matching {len(stacked.frame):,} candidate rows")
    matched = match(
        stacked.frame,
        treatment=TREATED,
        covariates=match_covariates,
        exact=[*exact, COHORT],
        ratio=ratio,
        caliper=caliper,
        replace=True,
        seed=seed,
        alpha=alpha,
        balance=balance,
    )
    return MatchedSample(stacked, data, matched, used)
