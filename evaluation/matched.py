"""The matched comparison for individuals: the headline estimator, its result and its candidates.

`matched_comparison` estimates how much more likely participants were to be in work h months
after referral than they would have been without the activity. Why it is built this way, and
the simulations that chose it over four other estimators: docs/method_selection.md.

1. **Cohorts** (`evaluation.stacking`). Each participant's *anchor* is their referral month.
   The comparison pool is copied once per referral-month cohort, each copy anchored at that
   month and limited to the `exact` strata (by default the local authorities) of that cohort's
   participants; `match` is exact on the cohort and on `exact`. Every comparison row's history is therefore
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
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.contrast import Contrast, joint_wald, weighted_contrasts
from evaluation.did.results import WaldTest
from evaluation.disclosure import DEFAULT_POLICY
from evaluation.errors import DesignError, InputError, OptionError, UnknownNameError
from evaluation.histories import RECENT_MONTHS, Outcomes, month_start
from evaluation.matching import encoded_covariates
from evaluation.options import check_option, require_columns
from evaluation.results import EstimateResult, headline_fields, normal_interval
from evaluation.secondary import secondary_outcomes
from evaluation.stacking import (
    COHORT,
    DEFAULT_COVARIATES,
    FULL_HISTORY_COVARIATES,
    HISTORY,
    POOL_SAMPLE,
    PRE_HISTORY,
    RECENT_HISTORY,
    MatchedSample,
    Stacked,
    match_weights,
    matched_sample,
)
from evaluation.subgroups import subgroup_effects

__all__ = [
    "CANDIDATES",
    "Estimator",
    "HorizonEstimates",
    "MatchedDiDResult",
    "matched_comparison",
    "matched_did",
    "matched_horizons",
]


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
    subgroups: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    """The headline within each priority cohort (`evaluation.subgroups`); empty unless asked for."""
    secondary: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    """Secondary outcomes at the headline horizon on the same matched sample
    (`evaluation.secondary`); empty unless asked for."""
    n_pool_people: int = 0
    """Comparison people (not participants) in the participants' `exact` strata, before any sampling."""
    pool_sample: int | None = None
    """The size of the seeded random sample of those people that was stacked and matched
    (`evaluation.stacking.POOL_SAMPLE`); None when all of them were."""
    pool_seed: int = 0
    """The seed the pool sample was drawn with."""
    matched_sets: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    """The matched sets at the headline horizon, one row per member (`set`, `treated`, the 0/1
    `level` and the compared `score`): what Rosenbaum's sensitivity analysis needs
    (`evaluation.sensitivity.rosenbaum`)."""

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


def _adjustment(frame: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Regressors for regression adjustment: cohort dummies and the encoded covariates."""
    cohort = pd.get_dummies(frame[COHORT].astype(np.int64), prefix=COHORT, drop_first=True)
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


def _naive(stacked: Stacked, level: np.ndarray, alpha: float, horizon: int) -> EstimateResult:
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
    estimate = y_t.mean() - float(share.to_numpy() @ by["mean"].to_numpy())  # one index: by's
    spread_t = y_t.var(ddof=1) / len(y_t) if len(y_t) > 1 else np.nan
    variance = spread_t + float((share**2).to_numpy() @ (by["var"].fillna(0) / by["size"]).to_numpy())
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


DEFAULT_EXACT = ("la_code",)
"""The strata matched exactly by default: the local authorities."""


def matched_comparison(
    participants: pd.DataFrame,
    comparison_pool: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    covariates: Sequence[str] = DEFAULT_COVARIATES,
    exact: Sequence[str] | None = DEFAULT_EXACT,
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
    secondary: bool = False,
    subgroups: bool = False,
    anchor_shift: int = 0,
    baseline: tuple[int, int] | str | None = "auto",
    pool_sample: int | None = POOL_SAMPLE,
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
    months before referral (a placebo: `evaluation.falsification`). `secondary` adds the
    secondary outcomes (`evaluation.secondary`) at the headline horizon on the same sample, and
    `subgroups` the headline within each priority cohort (`evaluation.subgroups`). With more than
    `pool_sample` comparison people in the participants' `exact` strata, everything is estimated
    on a random sample of that many of them drawn with `seed` (`evaluation.stacking.POOL_SAMPLE`;
    None never samples); `pool_sample` and `n_pool_people` in the result say so.
    """
    setup = _setup(
        participants,
        comparison_pool,
        outcomes,
        covariates=covariates,
        exact=exact,
        outcome=outcome,
        horizons=horizons,
        pre_months=pre_months,
        ratio=ratio,
        caliper=caliper,
        seed=seed,
        alpha=alpha,
        min_n=min_n,
        person=person,
        referral=referral,
        month=month,
        last_month=last_month,
        estimator=estimator,
        anchor_shift=anchor_shift,
        baseline=baseline,
        pool_sample=pool_sample,
    )
    estimator, covariates, settings = setup.estimator, setup.covariates, setup.settings
    sample = matched_sample(participants, comparison_pool, outcomes, **setup.sample_options)
    adjust = _adjustment(sample.stacked.frame, list(sample.matched.covariates))  # once per sample
    result = _estimate(
        sample.stacked,
        sample.data,
        sample.matched,
        covariates=covariates,
        estimator=estimator,
        adjust=adjust,
        **settings,
    )
    if sample.pool is not None:
        result = replace(
            result,
            n_pool_people=sample.pool.n_candidates,
            pool_sample=sample.pool.sample,
            pool_seed=sample.pool.seed,
        )
    if secondary:
        result = replace(
            result, secondary=_secondary(sample, outcomes, result, estimator, person, month, adjust)
        )
    if subgroups:
        result = replace(
            result,
            subgroups=_subgroups(
                sample,
                participants,
                sample.pool.frame if sample.pool is not None else comparison_pool,
                result,
                estimator,
                person,
                adjust,
            ),
        )
    if not candidates:
        return result
    table = [
        _candidate_rows(result.horizons, estimator),
        _candidate_table(sample, estimator, settings, adjust),
    ]
    if estimator == "baseline_did":
        full = matched_sample(
            participants,
            comparison_pool,
            outcomes,
            **{
                **setup.sample_options,
                "covariates": FULL_HISTORY_COVARIATES,
                "baseline": None,
                "balance": False,
            },
        )
        full_adjust = _adjustment(full.stacked.frame, list(full.matched.covariates))
        for other in ("adjusted_post", "did"):
            found = _horizon_estimates(
                full, adjust=full_adjust, covariates=FULL_HISTORY_COVARIATES, estimator=other, **settings
            )
            table.append(_candidate_rows(found.horizons, other))
    order = list(CANDIDATES)
    frame = pd.concat(table, ignore_index=True)
    frame = frame.sort_values(
        ["horizon", "candidate"], key=lambda c: c.map(order.index) if c.name == "candidate" else c
    )
    return replace(result, candidates=frame.reset_index(drop=True))


@dataclass(frozen=True)
class _Setup:
    """`matched_comparison`'s options, checked: what `matched_sample` and `_estimate` take."""

    estimator: Estimator
    covariates: tuple[str, ...]
    sample_options: dict[str, Any]
    settings: dict[str, Any]


def _setup(
    participants,
    comparison_pool,
    outcomes,
    *,
    covariates,
    exact,
    outcome,
    horizons,
    pre_months,
    ratio,
    caliper,
    seed,
    alpha,
    min_n,
    person,
    referral,
    month,
    last_month,
    estimator,
    anchor_shift,
    baseline,
    pool_sample,
) -> _Setup:
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
    sample_options: dict[str, Any] = {
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
        "pool_sample": _checked_sample(pool_sample),
    }
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
    sample_options |= {"covariates": covariates, "baseline": baseline}
    return _Setup(estimator, covariates, sample_options, settings)


@dataclass(frozen=True)
class HorizonEstimates:
    """The estimates at the requested horizons only, and their joint test: all that a placebo
    referral (`evaluation.falsification`) and a sensitivity candidate publish."""

    horizons: pd.DataFrame  # as `MatchedDiDResult.horizons`
    horizons_test: WaldTest | None


def matched_horizons(participants, comparison_pool, outcomes, **options) -> HorizonEstimates:
    """`matched_comparison`'s `horizons` table and joint test, with the same options and numbers,
    without what only a headline publishes (the months before referral, balance, the unmatched
    difference, matched sets, candidates, secondary outcomes, priority cohorts): the placebo
    referrals need only these, and estimating the rest was most of their time."""
    bound = inspect.signature(matched_comparison).bind(participants, comparison_pool, outcomes, **options)
    bound.apply_defaults()
    chosen = {k: v for k, v in bound.arguments.items() if k not in ("candidates", "secondary", "subgroups")}
    setup = _setup(**chosen)
    sample = matched_sample(
        participants, comparison_pool, outcomes, **(setup.sample_options | {"balance": False})
    )
    adjust = _adjustment(sample.stacked.frame, list(sample.matched.covariates))
    return _horizon_estimates(
        sample, adjust=adjust, covariates=setup.covariates, estimator=setup.estimator, **setup.settings
    )


def _checked_sample(pool_sample) -> int | None:
    if pool_sample is None:
        return None
    if isinstance(pool_sample, bool) or int(pool_sample) != pool_sample or pool_sample < 1:
        raise OptionError(f"pool_sample={pool_sample!r} must be a whole number of people >= 1, or None")
    return int(pool_sample)


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


def _cohort_weights(stacked: Stacked, base: np.ndarray) -> np.ndarray:
    """Comparison weights rescaled so that, in each cohort, they sum to its participants."""
    cohort = stacked.anchor_col
    treated = stacked.treated
    codes, inverse = np.unique(cohort, return_inverse=True)
    n_t = np.bincount(inverse, weights=treated.astype(float), minlength=len(codes))
    w_c = np.bincount(inverse, weights=np.where(treated, 0.0, base), minlength=len(codes))
    factor = np.divide(n_t, w_c, out=np.zeros_like(n_t), where=w_c > 0)
    return np.where(treated, 1.0, base * factor[inverse])


_CANDIDATE_COLUMNS = ["estimate", "std_error", "ci_lower", "ci_upper", "n", "p_value"]


def _candidate_rows(horizons: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = horizons[["horizon", *_CANDIDATE_COLUMNS]].copy()
    rows.insert(0, "label", CANDIDATES[name])
    rows.insert(0, "candidate", name)
    return rows


def _candidate_table(sample: MatchedSample, estimator, settings, adjust: np.ndarray) -> pd.DataFrame:
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
    specs = {
        "unmatched_did": (_cohort_weights(stacked, np.ones(len(treated))), None),
        "weighting": (_cohort_weights(stacked, odds) * np.where(treated, on_support, 1), adjust),
    }
    found = {
        name: weighted_contrasts(
            y,
            treated=treated,
            weights=weights,
            clusters=stacked.person_code,
            n_clusters=n_clusters,
            adjust=regressors,
            levels=levels,
        )
        for name, (weights, regressors) in specs.items()
    }
    rows = []
    for j, h in enumerate(horizons):
        for name in specs:
            row = _contrast_row(found[name][j], settings["alpha"])
            rows.append({"candidate": name, "label": CANDIDATES[name], "horizon": int(h), **row})
    return pd.DataFrame(rows)[["candidate", "label", "horizon", *_CANDIDATE_COLUMNS]]


def _pair_positions(stacked: Stacked, matched) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of each matched pair's participant and comparison."""
    index = stacked.frame.index
    return index.get_indexer(matched.pairs["treated_index"]), index.get_indexer(
        matched.pairs["control_index"]
    )


def _event_cells(
    stacked: Stacked,
    data: Outcomes,
    matched,
    events: np.ndarray,
    *,
    estimator: str,
    covariates,
    adjust: np.ndarray,
) -> tuple[list[Contrast], np.ndarray, np.ndarray]:
    """The contrast at each month `events` after the anchor as the method says (each month's
    outcome, the change from the baseline or the level, and its regressors), with the outcome
    levels and changes at those months; months sharing both are estimated in one pass
    (`weighted_contrasts`)."""
    t_pos, c_pos = _pair_positions(stacked, matched)
    levels = data.relative(stacked.outcome_row, stacked.anchor_col, events)
    diffs = levels - stacked.pre_mean[:, None]
    n_clusters = int(stacked.person_code.max()) + 1
    weights = match_weights(len(stacked.frame), t_pos, c_pos)
    individually_matched = RECENT_MONTHS if (HISTORY in covariates or RECENT_HISTORY in covariates) else 0
    plan: dict[tuple[bool, bool], list[int]] = {}
    for j, e in enumerate(events):
        e = int(e)
        if estimator == "did":
            key = (True, False)
        elif estimator == "baseline_did":
            key = (True, e >= 0 or e < -individually_matched)
        else:  # a month the matching used one by one is compared raw
            key = (False, e >= 0 or e < -individually_matched)
        plan.setdefault(key, []).append(j)
    found: dict[int, Contrast] = {}
    for (differenced, adjusted), columns in plan.items():
        batch = weighted_contrasts(
            (diffs if differenced else levels)[:, columns],
            treated=stacked.treated,
            weights=weights,
            clusters=stacked.person_code,
            n_clusters=n_clusters,
            adjust=adjust if adjusted else None,
            levels=levels[:, columns],
        )
        found |= dict(zip(columns, batch, strict=True))
    return [found[j] for j in range(len(events))], levels, diffs


def _horizon_table(horizons, rows: list[dict], min_n: int) -> tuple[pd.DataFrame, int, bool]:
    """The horizons' table (one `_contrast_row` per horizon), its headline horizon and whether
    that reaches `min_n`."""
    table = pd.DataFrame(
        [
            {"term": _horizon_label(h), "horizon": h, **{k: row[k] for k in row if k not in _EVENT_ONLY}}
            for h, row in zip(horizons, rows, strict=True)
        ]
    )
    table["reportable"] = table["n"] >= min_n
    headline_h, meets = _headline(table)
    return table, headline_h, meets


_EVENT_ONLY = ("event_time", "period", "matched_on")


def _horizon_estimates(
    sample: MatchedSample,
    *,
    adjust: np.ndarray,
    covariates,
    estimator: str,
    horizons,
    alpha,
    min_n,
    **_unused,
) -> HorizonEstimates:
    """`_estimate`'s horizons table and joint test alone (the same numbers), from only the
    horizons' months."""
    events = np.asarray(horizons, dtype=np.int64)
    cells, _, _ = _event_cells(
        sample.stacked,
        sample.data,
        sample.matched,
        events,
        estimator=estimator,
        covariates=covariates,
        adjust=adjust,
    )
    table, _, _ = _horizon_table(horizons, [_contrast_row(c, alpha) for c in cells], min_n)
    return HorizonEstimates(table, joint_wald(cells))


def _estimate(
    stacked: Stacked,
    data: Outcomes,
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
    adjust: np.ndarray | None = None,
) -> MatchedDiDResult:
    t_pos, c_pos = _pair_positions(stacked, matched)
    first_event = -max(pre_months, stacked.history_months)
    events = np.arange(first_event, max(horizons) + 1)
    if adjust is None:
        adjust = _adjustment(stacked.frame, list(matched.covariates))
    individually_matched = RECENT_MONTHS if (HISTORY in covariates or RECENT_HISTORY in covariates) else 0
    cells, levels, diffs = _event_cells(
        stacked, data, matched, events, estimator=estimator, covariates=covariates, adjust=adjust
    )
    event_time = pd.DataFrame(
        [{"event_time": int(e), **_contrast_row(c, alpha)} for e, c in zip(events, cells, strict=True)]
    )
    event_time.insert(1, "period", np.where(events < 0, "pre", "post"))
    event_time["matched_on"] = (events < 0) & (events >= -individually_matched)
    rows = [event_time.loc[event_time["event_time"] == h].iloc[0].to_dict() for h in horizons]
    table, headline_h, meets = _horizon_table(horizons, rows, min_n)
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
    head_j = int(np.flatnonzero(events == headline_h)[0])
    naive_levels = levels[:, head_j]
    sets = _matched_sets(
        naive_levels, levels[:, head_j] if estimator == "adjusted_post" else diffs[:, head_j], t_pos, c_pos
    )
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
        matched_sets=sets,
    )


def _secondary(
    sample: MatchedSample, outcomes, result: MatchedDiDResult, estimator, person, month, adjust: np.ndarray
) -> pd.DataFrame:
    """The secondary outcomes on the headline's matched rows, weights and adjustment."""
    stacked, matched = sample.stacked, sample.matched
    index = stacked.frame.index
    t_pos = index.get_indexer(pd.Index(matched.pairs["treated_index"]))
    c_pos = index.get_indexer(pd.Index(matched.pairs["control_index"]))
    return secondary_outcomes(
        sample,
        outcomes,
        horizon=result.horizon,
        estimator=estimator,
        alpha=result.alpha,
        pre_months=result.pre_months,
        person=person,
        month=month,
        weights=match_weights(len(stacked.frame), t_pos, c_pos),
        adjust=None if estimator == "did" else adjust,
    )


def _subgroups(
    sample: MatchedSample,
    participants,
    comparison_pool,
    result: MatchedDiDResult,
    estimator,
    person,
    adjust: np.ndarray,
) -> pd.DataFrame:
    """The headline within each priority cohort, by the headline's estimator at its horizon."""
    stacked = sample.stacked
    level = sample.data.relative(stacked.outcome_row, stacked.anchor_col, np.array([result.horizon]))[:, 0]
    y = level if estimator == "adjusted_post" else level - stacked.pre_mean
    return subgroup_effects(
        sample,
        participants,
        comparison_pool,
        y=y,
        level=level,
        adjust=None if estimator == "did" else adjust,
        alpha=result.alpha,
        min_n=result.min_n,
        person=person,
    )


def _matched_sets(level: np.ndarray, score: np.ndarray, t_pos: np.ndarray, c_pos: np.ndarray) -> pd.DataFrame:
    """The matched sets at one month, one row per member: set number, participant or not, the
    0/1 outcome (`level`) and what the estimate compares (`score`: the change from the
    baseline for a difference-in-differences, else the level). Members without the outcome
    that month are left out, and so is a set left with no comparison."""
    participants = np.unique(t_pos)
    members = pd.DataFrame(
        {
            "set": np.concatenate([participants, t_pos]),
            "treated": np.repeat([True, False], [len(participants), len(t_pos)]),
            "row": np.concatenate([participants, c_pos]),
        }
    )
    members["level"] = level[members["row"].to_numpy()]
    members["score"] = score[members["row"].to_numpy()]
    members = members[np.isfinite(members["level"]) & np.isfinite(members["score"])]
    complete = members.groupby("set")["treated"].transform(lambda t: t.any() and not t.all())
    kept = members[complete.astype(bool)].sort_values(["set", "treated"], ascending=[True, False])
    return kept[["set", "treated", "level", "score"]].reset_index(drop=True)


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
