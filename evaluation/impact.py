"""Matched comparison for individuals, and the per-activity impact pipeline.

`matched_comparison` estimates how much more likely participants were to be in work h months
after referral than they would have been without the activity. Why it is built this way, and
the simulations that chose it over four other estimators: docs/method_selection.md.

1. **Cohorts.** Each participant's *anchor* is their referral month. The comparison pool is
   copied once per referral-month cohort, each copy anchored at that month and limited to the
   `exact` strata (by default the local authorities) of that cohort's participants; `match`
   is exact on the cohort and on `exact`. Every comparison row's history is therefore
   measured over the same calendar months as its participants', and the common calendar
   trend and local conditions cancel. A comparison person can serve several cohorts; standard
   errors are clustered by person.
2. **Histories** (`evaluation.histories`). People join after a fall in employment
   (Ashenfelter's dip), so the headline matches on each of the last 6 months' employment and
   benefit states, recent job loss and recent benefit start (`RECENT_HISTORY`) beside the
   characteristics in `DEFAULT_COVARIATES` (text one-hot; months since last worked as log1p;
   age and time out of work also in bands, `BANDED_COLUMNS`). The contracts ask for up to 24
   months of history before referral (12 at least); participants with less than 12 are left
   out and counted.
3. **Matching.** Nearest-neighbour propensity-score matching with replacement
   (`evaluation.matching.match`), up to `ratio` = 10 comparisons per participant within the
   caliper. Comparison people with a text level or 0/1 flag that no participant has stay in
   the comparison "before matching" and in the naive difference but are never matched.
4. **The contrast** (`evaluation.contrast`). At each month e after the anchor, a weighted
   regression over the matched rows (participants weight 1, comparisons their match
   weights) of the change in employment since each person's baseline (months 13 to 24
   before the anchor, before any dip; `baseline_window`) on a participant indicator, the
   cohort and the matching covariates; the effect is the indicator's coefficient (matching
   plus regression adjustment: doubly robust). Differencing from the baseline removes stable
   unrecorded differences in employability instead of matching on the pre-referral level,
   which invites regression to the mean (Daw & Hatfield 2018). Only cohorts whose month
   anchor + e is in the data count at e (cohort-based rates).
5. **Inference.** statsmodels' covariance clustered by person, match weights fixed; each
   person's contribution to the estimate gives joint tests across months (`pretrend_test`
   over the months between the baseline and the six matched months).
6. **Sensitivity.** With `candidates=True`, the other estimators of `CANDIDATES` at each
   horizon (matched on the whole history and compared after referral; the first version's
   matched DiD; unmatched DiD; odds weighting).

`estimate_activity` picks the design from the delivery plan (matched comparison, area-level
staggered DiD, or descriptive), applies the disclosure policy's minimum number of
participants, runs the falsification checks (`evaluation.falsification`) that decide whether
the verdict is published, and adds net impact and value for money when it is. Nothing here
plots or prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import qr as scipy_qr

from evaluation.contrast import Contrast, joint_wald, weighted_contrast
from evaluation.counterfactual import (
    EvidenceStrength,
    NetImpact,
    evidence_strength,
    format_pp,
    net_impact,
)
from evaluation.did import staggered, twfe
from evaluation.did.results import AggregateResult, DiDResult, GroupTimeResult, WaldTest
from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy, impact_allowed
from evaluation.errors import DesignError, InputError, OptionError, UnknownNameError
from evaluation.falsification import Falsification, falsify
from evaluation.histories import (
    MIN_HISTORY,
    NO_MONTH,
    RECENT_FEATURES,
    RECENT_MONTHS,
    Outcomes,
    history_features,
    month_codes,
    month_start,
    outcome_matrix,
    window_share,
)
from evaluation.matching import encoded_covariates, match
from evaluation.options import check_option, require_columns
from evaluation.results import EstimateResult, headline_fields, normal_interval

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

_TREATED = "_treated"
_COHORT = "_cohort"
_PERSON = "_person"
_PRE = "_pre"
_NO_MONTH = NO_MONTH
VARIANCE_ROWS_PER_TERM = 2  # fewer matched rows per regressor: variance from group means

__all__ = [
    "DEFAULT_COVARIATES",
    "LOG1P_COLUMNS",
    "PRE_HISTORY",
    "ActivityImpact",
    "ImpactDesign",
    "MatchedDiDResult",
    "estimate_activity",
    "matched_comparison",
    "matched_did",
]


# ================================================================ matched DiD: result


@dataclass(frozen=True, kw_only=True)
class MatchedDiDResult(EstimateResult):
    """Matched DiD for individuals; the headline is one horizon (`horizon` months).

    `horizons`: one row per requested horizon (term like "12 months", horizon, estimate,
    std_error, ci_lower, ci_upper, n participants, n_comparisons people, participants_rate,
    comparison_rate, p_value, reportable = n >= min_n). `event_time`: the same for every
    e = -pre_months .. max(horizons) (pre-period rows are placebo estimates, relative to the
    pre-period mean). `balance`: one row per matching covariate (text ones and the age and
    time-out-of-work bands one row per level), with `smd_before` (participants against
    every comparison row of their cohorts and areas, including people no participant
    resembles), `smd_after` (matched participants against their match-weighted
    comparisons), both over the same unweighted pooled SD, the variance ratios and
    `balanced_after` (|SMD| < 0.1). `n_pool` counts the comparison people with outcome
    data and no trait that no participant has (the people who could be matched).
    `naive`: the unmatched difference in outcome rates at the headline horizon
    (participants against the whole pool at the same calendar months), shown to make the
    selection bias visible.
    """

    horizon: int
    horizons: pd.DataFrame = field(repr=False, compare=False)
    event_time: pd.DataFrame = field(repr=False, compare=False)
    balance: pd.DataFrame = field(repr=False, compare=False)
    naive: EstimateResult = field(repr=False, compare=False)
    observed_rate: float
    comparison_rate: float
    outcome: str
    n_participants: int
    n_excluded: int
    n_matched: int
    n_discarded: int
    discarded: Mapping[str, int] = field(compare=False)
    n_comparisons_used: int
    n_comparison_rows_used: int
    n_comparisons_in_several_cohorts: int
    n_pool: int
    pretrend_test: WaldTest | None = field(compare=False)
    pretrend_p_value: float
    max_abs_smd_before: float
    max_abs_smd_after: float
    meets_minimum: bool
    min_n: int
    pre_months: int
    last_month: pd.Timestamp
    covariates: tuple[str, ...]
    exact: tuple[str, ...]
    ratio: int
    caliper: float | None
    seed: int | None
    propensity_method: str
    variance_method: str
    estimator: str = "baseline_did"
    history_months: int = 0
    candidates: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    horizons_test: WaldTest | None = field(default=None, compare=False)
    baseline: tuple[int, int] | None = None

    def rows(self) -> list[dict]:
        return self.horizons[["term", "estimate", "std_error", "ci_lower", "ci_upper", "n"]].to_dict(
            "records"
        )

    def at(self, horizon: int) -> EstimateResult:
        """The estimate at one horizon as a plain `EstimateResult` (for `net_impact`)."""
        rows = self.horizons[self.horizons["horizon"] == horizon]
        if rows.empty:
            raise UnknownNameError(f"horizon {horizon} was not estimated; have {list(self.horizons.horizon)}")
        row = rows.iloc[0]
        return EstimateResult(
            **headline_fields(row),
            alpha=self.alpha,
            method=self.method,
        )


# ================================================================ matched DiD: data prep


_month_codes = month_codes
_Outcomes = Outcomes


def _outcome_matrix(outcomes, person_ids, *, person, month, outcome, last_code) -> Outcomes:
    return outcome_matrix(
        outcomes, person_ids, person=person, month=month, outcome=outcome, last_code=last_code
    )


def _banded(values: np.ndarray, bands) -> np.ndarray:
    """Each value's band label (bands as (exclusive upper bound, label)); None where missing."""
    upper = np.array([bound for bound, _ in bands], dtype=float)
    labels = np.array([label for _, label in bands] + [None], dtype=object)
    at = np.searchsorted(upper, values, side="right")
    return np.where(np.isnan(values), None, labels[np.minimum(at, len(bands))])


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


def _check_inputs(
    participants,
    comparison_pool,
    outcomes,
    *,
    covariates,
    exact,
    person,
    referral,
    month,
    outcome,
    horizons,
    pre_months,
    ratio,
) -> tuple[int, ...]:
    where = "matched_did"
    attributes = [c for c in covariates if c not in (PRE_HISTORY, HISTORY, RECENT_HISTORY)]
    named = {"person": person, "referral": referral}
    named |= {f"covariates[{i}]": c for i, c in enumerate(attributes)}
    named |= {f"exact[{i}]": c for i, c in enumerate(exact)}
    require_columns(participants, named, where=f"{where} (participants)")
    pool_named = {k: v for k, v in named.items() if k != "referral"}
    require_columns(comparison_pool, pool_named, where=f"{where} (comparison_pool)")
    require_columns(
        outcomes,
        {"person": person, "month": month, "outcome": outcome},
        where=f"{where} (outcomes)",
    )
    if participants[person].duplicated().any():
        raise InputError(
            f"{where}: a person appears more than once in participants; pass one activity's "
            "participants (e.g. programme.participants_of(activity_id))"
        )
    if comparison_pool[person].duplicated().any():
        raise InputError(f"{where}: a person appears more than once in comparison_pool")
    if participants[referral].isna().any():
        raise InputError(f"{where}: {referral!r} is missing for some participants")
    clean = []
    for h in horizons:
        if isinstance(h, bool) or int(h) != h or h < 0:
            raise OptionError(f"{where}: horizons must be whole numbers of months >= 0, got {h!r}")
        clean.append(int(h))
    if not clean:
        raise OptionError(f"{where}: give at least one horizon")
    if isinstance(pre_months, bool) or int(pre_months) != pre_months or pre_months < 1:
        raise OptionError(f"{where}: pre_months={pre_months!r} must be a whole number >= 1")
    if isinstance(ratio, bool) or int(ratio) != ratio or ratio < 1:
        raise OptionError(f"{where}: ratio={ratio!r} must be a whole number >= 1")
    return tuple(sorted(set(clean)))


@dataclass(frozen=True)
class _Stacked:
    """The frame passed to `match` plus, per row, its person, outcome row and anchor column."""

    frame: pd.DataFrame
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
) -> _Stacked:
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
    treated_part[_COHORT] = p_anchor
    treated_part[_TREATED] = 1
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
    c_base, c_person, c_rows = c_base[c_has], pool[person].to_numpy()[c_has], c_rows[c_has]
    pieces = []
    for cohort, members in treated_part.groupby(_COHORT, sort=True):
        # only comparison people in the exact strata (areas) this cohort's participants are in
        here = _in_strata(c_base, members, base_cols)
        anchors = np.full(int(here.sum()), cohort)
        pre = baseline_mean(c_rows[here], anchors)
        piece = c_base[here].reset_index(drop=True)
        if use_history:
            found = described(c_rows[here], anchors, months_available)
            piece = pd.concat([piece, found.reset_index(drop=True)], axis=1)
        piece = piece.assign(**{_PRE: pre, _COHORT: cohort, _TREATED: 0, _PERSON: c_person[here]})
        piece.index = [f"C:{p}:{cohort + data.first}" for p in c_person[here]]
        pieces.append(piece[_complete(piece)])
    frame = pd.concat([treated_part, *pieces])
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
    treated = frame[_TREATED].to_numpy() == 1
    return _Stacked(
        frame=frame,
        person_code=person_code,
        outcome_row=outcome_row,
        anchor_col=frame[_COHORT].to_numpy(dtype=np.int64),
        pre_mean=pre_mean,
        treated=treated,
        n_participants=len(participants),
        n_excluded=n_excluded,
        n_pool=n_pool,
        history_months=min(months_available, 24) if use_history else 0,
        baseline=baseline if isinstance(baseline, tuple) else None,
    )


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
    _, r, pivot = scipy_qr(design, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > diagonal.max() * 1e-9).sum())
    keep = set(pivot[:rank])
    return [c for i, c in enumerate(columns, start=1) if i not in keep]


def _in_strata(pool: pd.DataFrame, members: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Pool rows whose values of `columns` (the exact-matching keys) occur among `members`."""
    if not columns:
        return np.ones(len(pool), dtype=bool)
    keys = pd.MultiIndex.from_frame(members[columns].astype(object))
    return pd.MultiIndex.from_frame(pool[columns].astype(object)).isin(keys)


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


# ================================================================ matched DiD: estimation


Estimator = Literal["baseline_did", "adjusted_post", "did"]
"""How the effect at a month is estimated on the matched sample (docs/method_selection.md).

- "baseline_did" (the headline): participants are matched on their characteristics and each
  of the last 6 months' employment and benefit states, so people who have just lost a job
  are compared with people who have just lost a job (Ashenfelter's dip; Heckman & Smith
  1999); the outcome is the change from each person's own baseline, months 13 to 24 before
  referral (before any dip), so stable unrecorded differences in employability cancel
  instead of being matched on (matching on the pre-referral level invites regression to the
  mean: Daw & Hatfield 2018; Chabe-Ferret 2015); the contrast is regression-adjusted for the
  matching covariates and the cohort (doubly robust).
- "adjusted_post": matched on characteristics and the whole history, participants'
  outcome against their matches' in the same month, regression-adjusted.
- "did": the toolkit's first method, the change from the last `pre_months` months,
  unadjusted.
Simulations on independent data (tests/simulation) compare them; the others are shown as a
sensitivity table.
"""


def _match_weights(n_rows: int, t_pos: np.ndarray, c_pos: np.ndarray) -> np.ndarray:
    """Row weights of the matched sample: 1 per matched participant, sum_i 1/k_i per comparison."""
    k = np.bincount(t_pos, minlength=n_rows)
    weights = np.bincount(c_pos, weights=1.0 / k[t_pos], minlength=n_rows)
    weights[np.flatnonzero(k)] = 1.0
    return weights


def _adjustment(frame: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Regressors for regression adjustment: cohort dummies and the encoded covariates."""
    cohort = pd.get_dummies(frame[_COHORT].astype(np.int64), prefix=_COHORT, drop_first=True)
    encoded = encoded_covariates(frame, covariates, drop_first=True)
    return np.column_stack([cohort.to_numpy(dtype=float), encoded.to_numpy(dtype=float)])


def _contrast_row(cell: Contrast, alpha: float) -> dict:
    if cell.n_treated and np.isfinite(cell.std_error):
        low, high = normal_interval(cell.estimate, cell.std_error, alpha)
        p = (
            float(2 * stats.norm.sf(abs(cell.estimate / cell.std_error)))
            if cell.std_error > 0
            else float("nan")
        )
    else:
        low = high = p = float("nan")
    return {
        "estimate": cell.estimate,
        "std_error": cell.std_error,
        "ci_lower": low,
        "ci_upper": high,
        "n": cell.n_treated,
        "n_comparisons": cell.n_comparisons,
        "participants_rate": cell.treated_rate,
        "comparison_rate": cell.comparison_rate,
        "p_value": p,
    }


def _naive(stacked: _Stacked, level: np.ndarray, alpha: float, horizon: int) -> EstimateResult:
    """Unmatched difference at the horizon: participants against the pool, same months.

    The pool is every usable comparison person in the participants' areas (the `exact`
    strata), whatever their traits; pool rows are weighted so each cohort counts as often
    as it has participants, so both sides refer to the same calendar months. The standard error treats pool rows as
    independent (a diagnostic, not a headline).
    """
    treated = stacked.treated & np.isfinite(level)
    controls = ~stacked.treated & np.isfinite(level)
    cohort = stacked.anchor_col
    nan = float("nan")
    if not treated.any() or not controls.any():
        return EstimateResult(
            term=f"{horizon} months (unmatched)",
            estimate=nan,
            std_error=nan,
            ci_lower=nan,
            ci_upper=nan,
            n=0,
            alpha=alpha,
        )
    t_counts = pd.Series(cohort[treated]).value_counts()
    frame = pd.DataFrame({"cohort": cohort[controls], "y": level[controls]})
    by = frame.groupby("cohort")["y"].agg(["mean", "var", "size"]).reindex(t_counts.index)
    by = by.dropna(subset=["mean"])
    share = t_counts.reindex(by.index) / t_counts.reindex(by.index).sum()
    keep_t = treated & np.isin(cohort, by.index.to_numpy())
    y_t = level[keep_t]
    estimate = y_t.mean() - float(share @ by["mean"])
    spread_t = y_t.var(ddof=1) / len(y_t) if len(y_t) > 1 else np.nan
    variance = spread_t + float((share**2) @ (by["var"].fillna(0) / by["size"]))
    se = float(np.sqrt(variance))
    low, high = normal_interval(float(estimate), se, alpha)
    return EstimateResult(
        term=f"{horizon} months (unmatched)",
        estimate=float(estimate),
        std_error=se,
        ci_lower=low,
        ci_upper=high,
        n=int(keep_t.sum()),
        alpha=alpha,
        method="Unmatched difference in outcome rates at the horizon (no matching, no DiD)",
    )


def _horizon_label(h: int) -> str:
    return f"{h} month" if h == 1 else f"{h} months"


def matched_comparison(
    participants: pd.DataFrame,
    comparison_pool: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    covariates: Sequence[str] = DEFAULT_COVARIATES,
    exact: Sequence[str] | None = ("la_code",),
    outcome: str = "employed",
    horizons: Sequence[int] = (6, 12),
    pre_months: int = 12,
    ratio: int = 10,
    caliper: float | None = 0.2,
    seed: int | None = None,
    alpha: float = 0.05,
    min_n: int = DEFAULT_POLICY.min_impact_n,
    person: str = "person_id",
    referral: str = "referred_date",
    month: str = "month",
    last_month: str | pd.Timestamp | None = None,
    estimator: Estimator = "baseline_did",
    candidates: bool = False,
    anchor_shift: int = 0,
    baseline: tuple[int, int] | str | None = "auto",
) -> MatchedDiDResult:
    """Matched comparison of a monthly 0/1 outcome after referral (see the module docstring).

    `participants` (one activity; one row per person, with `referral` dates and the
    attributes in `covariates`), `comparison_pool` (non-participants with the same
    attributes) and `outcomes` (long: person, month, outcome) are not modified.
    `covariates` may include `HISTORY` (the detailed employment and benefit history) and
    `PRE_HISTORY` (the share of the `pre_months` months before the anchor in work);
    `LOG1P_COLUMNS` enter as log1p and `BANDED_COLUMNS` also as bands. `estimator` says how
    the matched sample is compared (`Estimator`); `candidates` adds the sensitivity table of
    other estimators at each horizon (`candidates` in the result). `ratio` is the largest
    number of comparison rows per participant (fewer where fewer lie within `caliper`).
    Participants missing a covariate or a month of history are left out and counted in
    `n_excluded` (comparison rows likewise). The data end at `last_month` (default: the last
    month in `outcomes`); a participant is in horizon h only if referral month + h is in the
    data. The headline is the largest horizon with at least `min_n` participants (the
    Justice Data Lab minimum by default); if none reaches it, the horizon with most
    participants, with `meets_minimum` False. `anchor_shift` > 0 anchors everyone that many
    months before referral (a placebo: `evaluation.falsification`).
    """
    estimator = check_option("estimator", estimator, Estimator)
    if estimator != "baseline_did":
        baseline = None
    exact = tuple([exact] if isinstance(exact, str) else (exact or ()))
    covariates = tuple([covariates] if isinstance(covariates, str) else covariates)
    horizons = _check_inputs(
        participants,
        comparison_pool,
        outcomes,
        covariates=covariates,
        exact=exact,
        person=person,
        referral=referral,
        month=month,
        outcome=outcome,
        horizons=horizons,
        pre_months=pre_months,
        ratio=ratio,
    )
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    if len(participants) == 0:
        raise DesignError("matched_did: no participants", "Check the activity filter")
    sample_options = {
        "exact": exact,
        "outcome": outcome,
        "pre_months": int(pre_months),
        "ratio": int(ratio),
        "caliper": caliper,
        "seed": seed,
        "alpha": alpha,
        "person": person,
        "referral": referral,
        "month": month,
        "last_month": last_month,
        "anchor_shift": int(anchor_shift),
    }
    sample = matched_sample(
        participants, comparison_pool, outcomes, covariates=covariates, baseline=baseline, **sample_options
    )
    settings = {
        "horizons": horizons,
        "pre_months": int(pre_months),
        "alpha": alpha,
        "min_n": int(min_n),
        "outcome": outcome,
        "exact": exact,
        "ratio": int(ratio),
        "caliper": caliper,
        "seed": seed,
    }
    result = _estimate(
        sample.stacked, sample.data, sample.matched, covariates=covariates, estimator=estimator, **settings
    )
    if not candidates:
        return result
    table = [_candidate_rows(result, estimator), _candidate_table(sample, covariates, estimator, settings)]
    if estimator == "baseline_did":
        full = matched_sample(
            participants,
            comparison_pool,
            outcomes,
            **{**sample_options, "covariates": FULL_HISTORY_COVARIATES, "baseline": None},
        )
        for other in ("adjusted_post", "did"):
            found = _estimate(
                full.stacked,
                full.data,
                full.matched,
                covariates=FULL_HISTORY_COVARIATES,
                estimator=other,
                **settings,
            )
            table.append(_candidate_rows(found, other))
    order = list(CANDIDATES)
    frame = pd.concat(table, ignore_index=True)
    frame = frame.sort_values(
        ["horizon", "candidate"], key=lambda c: c.map(order.index) if c.name == "candidate" else c
    )
    return replace(result, candidates=frame.reset_index(drop=True))


@dataclass(frozen=True)
class MatchedSample:
    """The stacked (person, anchor) rows, their outcome matrix and the matching on them.

    What `matched_comparison` estimates from, exposed for the design check
    (`evaluation.design_check`), which draws pseudo-participants from the same rows.
    """

    stacked: _Stacked
    data: Outcomes
    matched: object  # evaluation.matching.MatchResult


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
) -> MatchedSample:
    """Stack participants and the pool by referral-month cohort and match them (checked inputs)."""
    last_code = (
        int(_month_codes(pd.Series([pd.Timestamp(last_month)]))[0])
        if last_month is not None
        else int(_month_codes(outcomes[month]).max())
    )
    people = np.concatenate([participants[person].to_numpy(), comparison_pool[person].to_numpy()])
    data = _outcome_matrix(outcomes, people, person=person, month=month, outcome=outcome, last_code=last_code)
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
        anchor_codes=_month_codes(participants[referral]) - int(anchor_shift),
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
    match_covariates = [c for c in stacked.frame.columns if c not in (*exact, _COHORT, _TREATED)]
    matched = match(
        stacked.frame,
        treatment=_TREATED,
        covariates=match_covariates,
        exact=[*exact, _COHORT],
        ratio=ratio,
        caliper=caliper,
        replace=True,
        seed=seed,
        alpha=alpha,
    )
    return MatchedSample(stacked, data, matched)


def matched_did(participants, comparison_pool, outcomes, **options) -> MatchedDiDResult:
    """`matched_comparison` with the difference-in-differences estimator (a sensitivity)."""
    return matched_comparison(participants, comparison_pool, outcomes, **({"estimator": "did"} | options))


CANDIDATES = {
    "baseline_did": "Matched on the last 6 months, change from months 13 to 24 before referral",
    "adjusted_post": "Matched on 24 months of history, comparison after referral",
    "did": "Matched on 24 months of history, change from the last 12 months",
    "unmatched_did": "Unmatched, change from months 13 to 24 before referral",
    "weighting": "Odds weighting (doubly robust), change from months 13 to 24 before referral",
}
"""The estimators compared on every matched activity (the sensitivity table)."""


def _cohort_weights(stacked: _Stacked, base: np.ndarray) -> np.ndarray:
    """Comparison weights rescaled so that, in each cohort, they sum to its participants."""
    cohort = stacked.anchor_col
    treated = stacked.treated
    codes, inverse = np.unique(cohort, return_inverse=True)
    n_t = np.bincount(inverse, weights=treated.astype(float), minlength=len(codes))
    w_c = np.bincount(inverse, weights=np.where(treated, 0.0, base), minlength=len(codes))
    factor = np.divide(n_t, w_c, out=np.zeros_like(n_t), where=w_c > 0)
    return np.where(treated, 1.0, base * factor[inverse])


_CANDIDATE_COLUMNS = ["estimate", "std_error", "ci_lower", "ci_upper", "n", "p_value"]


def _candidate_rows(result: MatchedDiDResult, name: str) -> pd.DataFrame:
    rows = result.horizons[["horizon", *_CANDIDATE_COLUMNS]].copy()
    rows.insert(0, "label", CANDIDATES[name])
    rows.insert(0, "candidate", name)
    return rows


def _candidate_table(sample: MatchedSample, covariates, estimator, settings) -> pd.DataFrame:
    """The unmatched and odds-weighted versions of the headline's contrast, on its rows."""
    stacked, matched = sample.stacked, sample.matched
    horizons = settings["horizons"]
    events = np.asarray(horizons)
    levels = sample.data.relative(stacked.outcome_row, stacked.anchor_col, events)
    y = levels - stacked.pre_mean[:, None] if estimator != "adjusted_post" else levels
    n_clusters = int(stacked.person_code.max()) + 1
    treated = stacked.treated
    score = matched.propensity.reindex(stacked.frame.index).to_numpy(dtype=float)
    on_support = (score > 0) & (score < 1)
    odds = np.where(on_support, score / np.where(on_support, 1 - score, 1), 0.0)
    adjust = _adjustment(stacked.frame, list(matched.covariates))
    specs = {
        "unmatched_did": (_cohort_weights(stacked, np.ones(len(treated))), None),
        "weighting": (_cohort_weights(stacked, odds) * np.where(treated, on_support, 1), adjust),
    }
    rows = []
    for j, h in enumerate(horizons):
        for name, (weights, regressors) in specs.items():
            cell = weighted_contrast(
                y[:, j],
                treated=treated,
                weights=weights,
                clusters=stacked.person_code,
                n_clusters=n_clusters,
                adjust=regressors,
                level=levels[:, j],
            )
            row = _contrast_row(cell, settings["alpha"])
            rows.append({"candidate": name, "label": CANDIDATES[name], "horizon": int(h), **row})
    return pd.DataFrame(rows)[["candidate", "label", "horizon", *_CANDIDATE_COLUMNS]]


def _estimate(
    stacked: _Stacked,
    data: _Outcomes,
    matched,
    *,
    horizons,
    pre_months,
    alpha,
    min_n,
    outcome,
    covariates,
    exact,
    ratio,
    caliper,
    seed,
    estimator="baseline_did",
) -> MatchedDiDResult:
    index = stacked.frame.index
    t_pos = index.get_indexer(matched.pairs["treated_index"])
    c_pos = index.get_indexer(matched.pairs["control_index"])
    first_event = -max(pre_months, stacked.history_months)
    events = np.arange(first_event, max(horizons) + 1)
    levels = data.relative(stacked.outcome_row, stacked.anchor_col, events)
    diffs = levels - stacked.pre_mean[:, None]
    n_clusters = int(stacked.person_code.max()) + 1
    frame = stacked.frame
    weights = _match_weights(len(frame), t_pos, c_pos)
    adjust = _adjustment(frame, list(matched.covariates))
    treated = stacked.treated
    individually_matched = RECENT_MONTHS if (HISTORY in covariates or RECENT_HISTORY in covariates) else 0

    def cell(j: int, e: int) -> Contrast:
        if estimator == "did":
            y, regressors = diffs[:, j], None
        elif estimator == "baseline_did" and (e >= 0 or e < -individually_matched):
            y, regressors = diffs[:, j], adjust
        elif estimator == "baseline_did":
            y, regressors = diffs[:, j], None
        elif e >= 0 or e < -individually_matched:
            y, regressors = levels[:, j], adjust
        else:  # a month the matching used one by one: the raw matched difference
            y, regressors = levels[:, j], None
        return weighted_contrast(
            y,
            treated=treated,
            weights=weights,
            clusters=stacked.person_code,
            n_clusters=n_clusters,
            adjust=regressors,
            level=levels[:, j],
        )

    cells = [cell(j, int(e)) for j, e in enumerate(events)]
    event_time = pd.DataFrame(
        [{"event_time": int(e), **_contrast_row(c, alpha)} for e, c in zip(events, cells, strict=True)]
    )
    event_time.insert(1, "period", np.where(events < 0, "pre", "post"))
    event_time["matched_on"] = (events < 0) & (events >= -individually_matched)
    rows = []
    for h in horizons:
        row = event_time.loc[event_time["event_time"] == h].iloc[0].to_dict()
        rows.append(
            {
                "term": _horizon_label(h),
                "horizon": h,
                **{k: row[k] for k in row if k not in ("event_time", "period", "matched_on")},
            }
        )
    table = pd.DataFrame(rows)
    table["reportable"] = table["n"] >= min_n
    headline_h, meets = _headline(table)
    head = table.loc[table["horizon"] == headline_h].iloc[0]
    at_horizons = [c for e, c in zip(events, cells, strict=True) if e in set(horizons)]
    horizons_test = joint_wald(at_horizons)
    if estimator == "baseline_did" and stacked.baseline is not None:
        tested_months = set(range(-stacked.baseline[0] + 1, -individually_matched))
    else:
        tested_months = set(range(int(events.min()), -individually_matched))
    tested = [c for e, c in zip(events, cells, strict=True) if int(e) in tested_months]
    pretrend = joint_wald(tested) if len(tested) >= 2 else None
    balance = matched.balance
    used_controls = np.unique(c_pos)
    control_people = stacked.person_code[used_controls]
    per_person = np.bincount(control_people)
    naive_levels = levels[:, int(np.flatnonzero(events == headline_h)[0])]
    where = f" and {', '.join(exact)}" if exact else ""
    if estimator == "did":
        method = (
            f"Matched difference-in-differences (propensity-score matching 1:{ratio} with "
            f"replacement within referral-month cohorts{where}; {pre_months}-month pre-period)"
        )
    elif estimator == "adjusted_post":
        method = (
            f"Matched comparison with regression adjustment (propensity-score matching 1:{ratio} "
            f"with replacement within referral-month cohorts{where} on characteristics and "
            f"{stacked.history_months} months of employment and benefit history)"
        )
    else:
        start, end = stacked.baseline or (0, 0)
        method = (
            f"Matched difference-in-differences from a baseline {start} to {end} months before referral, "
            f"with regression adjustment (propensity-score matching 1:{ratio} with replacement within "
            f"referral-month cohorts{where} on characteristics and each of the last 6 months' employment "
            "and benefit states)"
        )
    return MatchedDiDResult(
        **headline_fields(head),
        alpha=alpha,
        method=method,
        horizon=int(headline_h),
        horizons=table,
        event_time=event_time,
        balance=balance,
        naive=_naive(stacked, naive_levels, alpha, int(headline_h)),
        observed_rate=float(head["participants_rate"]),
        comparison_rate=float(head["comparison_rate"]),
        outcome=outcome,
        n_participants=stacked.n_participants,
        n_excluded=stacked.n_excluded,
        n_matched=int(matched.n_matched),
        n_discarded=int(matched.n_discarded),
        discarded=MappingProxyType(dict(matched.discarded)),
        n_comparisons_used=int(np.unique(control_people).size),
        n_comparison_rows_used=int(used_controls.size),
        n_comparisons_in_several_cohorts=int((per_person > 1).sum()),
        n_pool=stacked.n_pool,
        pretrend_test=pretrend,
        pretrend_p_value=float(pretrend.p_value) if pretrend else float("nan"),
        max_abs_smd_before=float(balance["smd_before"].abs().max()),
        max_abs_smd_after=float(balance["smd_after"].abs().max()),
        meets_minimum=meets,
        min_n=min_n,
        pre_months=pre_months,
        last_month=month_start(data.first + data.n_months - 1),
        covariates=tuple(covariates),
        exact=tuple(exact),
        ratio=ratio,
        caliper=caliper,
        seed=seed,
        propensity_method=matched.propensity_method,
        variance_method=(
            "clustered by person with match weights fixed (statsmodels WLS, cluster-robust "
            "covariance with its small-sample correction)"
        ),
        estimator=estimator,
        history_months=stacked.history_months,
        horizons_test=horizons_test,
        baseline=stacked.baseline,
    )


def _headline(table: pd.DataFrame) -> tuple[int, bool]:
    reportable = table[table["reportable"]]
    if not reportable.empty:
        return int(reportable["horizon"].max()), True
    followed = table[table["n"] > 0]
    if followed.empty:
        raise DesignError(
            f"no matched participant has yet been followed for {int(table['horizon'].min())} "
            "months after referral, the shortest horizon",
            "Wait for more outcome data or use a shorter horizon",
        )
    best = followed.sort_values(["n", "horizon"], ascending=[False, False]).iloc[0]
    return int(best["horizon"]), False


# ================================================================ per-activity pipeline

ImpactDesign = Literal["matched_comparison", "did", "descriptive"]
"""The delivery plan's `impact_design` values (data_contracts/delivery_plan.yaml)."""

AREA_OUTCOME = "employment_rate"
AREA_UNIT = "la_code"
AREA_BOOTSTRAP = 999
MIN_TREATED_AREAS = 5
"""Fewest local authorities running an activity for an area comparison to give a verdict.

With fewer, the interval around the Callaway & Sant'Anna estimate does not mean what it says:
in our simulation (`bench/bench_few_areas.py`, 18 comparison areas, AR(1) area shocks, 1,000
replications) 95% intervals covered the truth 34% of the time with 1 treated area, 66% with 2,
80% with 3, 90% with 5 and 93% with 7. MacKinnon & Webb (2017, "Wild bootstrap inference for
wildly different cluster sizes") show cluster-robust and wild bootstrap inference failing in the
same way when very few clusters are treated."""


@dataclass(frozen=True, kw_only=True)
class ActivityImpact:
    """Everything the impact report says about one activity, computed, not presented.

    `status` is "estimated" or "not_estimated" (then `reason` says why, in words that can
    be published). `headline` is the main estimate: the matched DiD at its headline horizon
    (a proportion) or the area-level simple ATT (percentage points of the employment rate).
    `net_impacts` maps each horizon in months with enough participants to its `NetImpact`;
    `notes` lists the other facts a reader needs (horizons not reported, scope of net
    impact, areas compared).
    """

    activity_id: str
    activity_name: str
    design: str
    status: str
    reason: str
    evidence: EvidenceStrength
    n_participants: int
    spend_gbp: float
    headline: EstimateResult | None = field(default=None, repr=False, compare=False)
    matched: MatchedDiDResult | None = field(default=None, repr=False, compare=False)
    area: GroupTimeResult | None = field(default=None, repr=False, compare=False)
    area_dynamic: AggregateResult | None = field(default=None, repr=False, compare=False)
    area_twfe: DiDResult | None = field(default=None, repr=False, compare=False)
    falsification: Falsification | None = field(default=None, repr=False, compare=False)
    n_treated_areas: int = 0
    n_control_areas: int = 0
    net_impacts: Mapping[int, NetImpact] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    notes: tuple[str, ...] = ()
    alpha: float = 0.05
    seed: int | None = None
    policy: DisclosurePolicy = DEFAULT_POLICY

    @property
    def estimated(self) -> bool:
        return self.status == "estimated"

    @property
    def published(self) -> bool:
        """An estimate whose verdict may be published: it passed the falsification checks."""
        return self.estimated and (self.falsification is None or self.falsification.credible)

    def to_frame(self) -> pd.DataFrame:
        """Every estimate behind the report: term, estimate, std_error, CI, n, and method."""
        columns = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "n"]
        parts = []
        if self.matched is not None:
            parts.append(self.matched.to_frame().assign(method="matched DiD"))
            naive = self.matched.naive.to_frame().assign(method="unmatched difference")
            parts.append(naive)
        if self.area is not None:
            head = pd.DataFrame(EstimateResult.rows(self.area), columns=columns)
            parts.append(head.assign(method="staggered DiD (Callaway & Sant'Anna)"))
        if self.area_twfe is not None:
            parts.append(self.area_twfe.to_frame().assign(method="two-way fixed effects"))
        if not parts:
            return pd.DataFrame(columns=[*columns, "method"])
        return pd.concat(parts, ignore_index=True)

    def sentences(self) -> list[str]:
        """Plain-English headline sentences, most important first."""
        if not self.estimated:
            return [
                f"The impact of this activity was not estimated: {_clause(self.reason)}.",
                self.evidence.sentence,
            ]
        if self.matched is not None:
            found = self.net_impacts.get(self.matched.horizon)
            text = found.sentences() if found is not None else []
            return [*text, self.evidence.sentence]
        return [_area_sentence(self.headline), self.evidence.sentence]

    def summary(self) -> str:
        head = f"{self.activity_name} ({self.activity_id}): {self.design}, {self.status}"
        if not self.estimated:
            return f"{head}: {_clause(self.reason)}."
        table = self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{head}\n{table}\n" + "\n".join(self.notes)


def _area_sentence(effect: EstimateResult) -> str:
    """Area-level headline; the effect is in percentage points of the employment rate, given to
    one decimal place as in the report's tables (an effect of about a point must not read "1")."""
    lower, upper = effect.ci_lower / 100, effect.ci_upper / 100  # format_pp takes proportions
    tail = "than in comparable areas where it did not run"
    start = "In areas where the activity ran, the employment rate"
    if lower >= 0:
        low, high = format_pp(lower, 1), format_pp(upper, 1)
        text = f"{start} rose by between {low} and {high} {_points(high)} more {tail}."
    elif upper <= 0:
        low, high = format_pp(upper, 1), format_pp(lower, 1)
        text = f"{start} rose by between {low} and {high} {_points(high)} less {tail}."
    else:
        less, more = format_pp(lower, 1), format_pp(upper, 1)
        text = f"{start} changed by between {less} {_points(less)} less and {more} more {tail}."
    if not effect.significant:
        text += " The difference is not statistically significant."
    return text


def _points(number: str) -> str:
    return "percentage point" if number == "1" else "percentage points"


def _clause(reason: str) -> str:
    """A reason as the middle of a sentence: first letter in lower case, no full stop."""
    reason = reason.rstrip(". ")
    return reason[:1].lower() + reason[1:] if reason[:2] != reason[:2].upper() else reason


def _total_spend(programme, activity_id: str) -> float:
    spend = programme.spend_of(activity_id)
    if spend.empty:
        return float("nan")
    return float(pd.to_numeric(spend["spend_gbp"], errors="coerce").sum())


def _matched_activity(programme, activity_id, plan, *, policy, seed, alpha, horizons):
    people = programme.participants_of(activity_id)
    n = len(people)
    spend = _total_spend(programme, activity_id)
    base = {
        "activity_id": activity_id,
        "activity_name": str(plan["activity_name"]),
        "design": "matched_comparison",
        "evidence": evidence_strength("matched_did"),
        "n_participants": n,
        "spend_gbp": spend,
        "alpha": alpha,
        "seed": seed,
        "policy": policy,
    }
    allowed, why = impact_allowed(n, policy)
    if not allowed:
        return ActivityImpact(status="not_estimated", reason=why, **base)
    options = {"seed": seed, "alpha": alpha}
    result = matched_comparison(
        people,
        programme.comparison_pool,
        programme.outcomes_monthly,
        horizons=horizons,
        min_n=policy.min_impact_n,
        candidates=True,
        **options,
    )
    checks = falsify(
        result,
        people,
        programme.comparison_pool,
        programme.outcomes_monthly,
        min_n=policy.min_impact_n,
        **options,
    )
    nets, notes = {}, []
    for row in result.horizons.itertuples():
        label = f"{row.horizon} months after referral"
        if not row.reportable:
            notes.append(
                f"{label}: not reported; fewer than {policy.min_impact_n} participants have "
                "been followed this long (Justice Data Lab minimum)"
            )
            continue
        nets[int(row.horizon)] = net_impact(
            result.at(int(row.horizon)),
            observed_rate=float(row.participants_rate),
            n_participants=n,
            spend_gbp=spend if np.isfinite(spend) else None,
            horizon_label=label,
        )
    if not checks.credible:
        nets = {}
        base["evidence"] = evidence_strength("comparison_not_credible")
    if nets:
        notes.append(
            "Net additional outcomes apply the effect measured on matched participants "
            f"followed long enough to all {n} participants of the activity, and the cost per "
            "additional outcome divides the activity's whole spend by that number."
        )
    if not result.meets_minimum:
        return ActivityImpact(
            status="not_estimated",
            reason=(
                f"Fewer than {policy.min_impact_n} participants have been followed for "
                "the shortest horizon yet: too few for a reliable impact estimate"
            ),
            matched=result,
            notes=tuple(notes),
            **base,
        )
    return ActivityImpact(
        status="estimated",
        reason=why,
        headline=result,
        matched=result,
        falsification=checks,
        net_impacts=MappingProxyType(nets),
        notes=tuple(notes),
        **base,
    )


def _area_panel_indexed(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with integer periods 1..T, first-treated index (0 = never) and D_it."""
    periods = np.sort(pd.to_datetime(panel["period"]).unique())
    frame = panel.copy()
    frame["_time"] = np.searchsorted(periods, pd.to_datetime(frame["period"]).to_numpy()) + 1
    start = pd.to_datetime(frame["first_treated_period"]).to_numpy()
    never = pd.isna(frame["first_treated_period"]).to_numpy()
    position = np.searchsorted(periods, start, side="left") + 1  # first period on/after start
    frame["_first"] = np.where(never, 0, position)
    frame["_treated"] = ((frame["_first"] > 0) & (frame["_time"] >= frame["_first"])).astype(float)
    frame[AREA_OUTCOME] = pd.to_numeric(frame[AREA_OUTCOME]).astype(float)
    return frame


def _area_activity(programme, activity_id, plan, *, seed, alpha, policy):
    base = {
        "activity_id": activity_id,
        "activity_name": str(plan["activity_name"]),
        "design": "did",
        "evidence": evidence_strength("area_did"),
        "n_participants": len(programme.participants_of(activity_id)),
        "spend_gbp": _total_spend(programme, activity_id),
        "alpha": alpha,
        "seed": seed,
        "policy": policy,
    }
    panel = programme.area_panel_of(activity_id)
    if panel.empty:
        reason = (
            "no area statistics were supplied with the input (the optional area_panel table), so areas cannot be "
            "compared"
            if not programme.has("area_panel")
            else "the area statistics supplied (area_panel) hold no rows for this activity"
        )
        return ActivityImpact(status="not_estimated", reason=reason, **base)
    frame = _area_panel_indexed(panel)
    units = frame.groupby(AREA_UNIT)["_first"].first()
    n_treated, n_control = int((units > 0).sum()), int((units == 0).sum())
    if n_treated < MIN_TREATED_AREAS:
        base["evidence"] = evidence_strength("area_too_few")
        return ActivityImpact(
            status="not_estimated",
            reason=too_few_areas_reason(n_treated),
            n_treated_areas=n_treated,
            n_control_areas=n_control,
            **base,
        )
    result = staggered(
        frame,
        outcome=AREA_OUTCOME,
        unit=AREA_UNIT,
        time="_time",
        first_treated="_first",
        control_group="never_treated",
        alpha=alpha,
        bootstrap=AREA_BOOTSTRAP,
        seed=seed,
    )
    simple = result.aggregate("simple")
    dynamic = result.aggregate("dynamic")
    regression = twfe(
        frame,
        outcome=AREA_OUTCOME,
        unit=AREA_UNIT,
        time="_time",
        treatment="_treated",
        alpha=alpha,
    )
    notes = (
        f"Compares {n_treated} local authorities where the activity ran with {n_control} "
        "comparable local authorities where it did not, quarter by quarter.",
        "The headline is the Callaway & Sant'Anna average effect on the employment rate "
        "(percentage points) over the quarters after each area started; the two-way "
        f"fixed-effects estimate ({regression.estimate:.2f} points) is shown for comparison.",
        "Net impact in people is not estimated for a system-level activity: the panel "
        "holds rates, not the number of residents affected.",
    )
    checks = Falsification(placebos=(), pre_path=result.pretrend_test, pre_path_label="area")
    if not checks.credible:
        base["evidence"] = evidence_strength("area_not_credible")
    return ActivityImpact(
        status="estimated",
        reason="area-level difference-in-differences",
        headline=simple,
        falsification=checks,
        area=result,
        area_dynamic=dynamic,
        area_twfe=regression,
        n_treated_areas=n_treated,
        n_control_areas=n_control,
        notes=notes,
        **base,
    )


def too_few_areas_reason(n_treated: int) -> str:
    """Why an area comparison with `n_treated` (< MIN_TREATED_AREAS) treated areas gives no verdict."""
    areas = "1 local authority" if n_treated == 1 else f"{n_treated} local authorities"
    return (
        f"only {areas} ran the activity, and an area comparison needs at least {MIN_TREATED_AREAS} "
        "before its interval can be trusted (with fewer, chance differences between areas are "
        "mistaken for an effect far more often than the interval admits), so no verdict is given"
    )


def estimate_activity(
    programme,
    activity_id: str,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    seed: int | None = None,
    alpha: float = 0.05,
    horizons: Sequence[int] = (6, 12),
) -> ActivityImpact:
    """Estimate one activity's impact by the design in the delivery plan's `impact_design`.

    - "matched_comparison": `matched_did` on the activity's participants and the comparison
      pool, if `impact_allowed` under `policy` (else the reason), with net impact and cost
      per net additional outcome (whole activity spend) at each horizon with enough people.
    - "did": Callaway & Sant'Anna staggered DiD of the employment rate over local
      authorities x periods (periods numbered 1..T, never-treated areas as controls), its
      event-time aggregate, and two-way fixed effects for comparison.
    - "descriptive": no estimate; the reason is stated.
    A `DesignError` (for example no usable comparison people) becomes a "not_estimated"
    result stating why rather than an exception.
    """
    plan = programme.plan(activity_id)
    design = check_option("impact_design", str(plan["impact_design"]), ImpactDesign)
    if not isinstance(policy, DisclosurePolicy):
        raise TypeError(f"policy must be a DisclosurePolicy, got {type(policy).__name__}")
    try:
        if design == "matched_comparison":
            return _matched_activity(
                programme,
                activity_id,
                plan,
                policy=policy,
                seed=seed,
                alpha=alpha,
                horizons=horizons,
            )
        if design == "did":
            return _area_activity(programme, activity_id, plan, seed=seed, alpha=alpha, policy=policy)
    except DesignError as error:
        return ActivityImpact(
            activity_id=activity_id,
            activity_name=str(plan["activity_name"]),
            design=design,
            status="not_estimated",
            reason=f"the data cannot support the analysis ({error})",
            evidence=evidence_strength("matched_did" if design != "did" else "area_did"),
            n_participants=len(programme.participants_of(activity_id)),
            spend_gbp=_total_spend(programme, activity_id),
            alpha=alpha,
            seed=seed,
            policy=policy,
        )
    return ActivityImpact(
        activity_id=activity_id,
        activity_name=str(plan["activity_name"]),
        design=design,
        status="not_estimated",
        reason=(
            "the delivery plan sets a descriptive design for this activity, so there is no "
            "comparison group and no impact estimate"
        ),
        evidence=evidence_strength("descriptive"),
        n_participants=len(programme.participants_of(activity_id)),
        spend_gbp=_total_spend(programme, activity_id),
        alpha=alpha,
        seed=seed,
        policy=policy,
    )
