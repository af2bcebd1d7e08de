"""Retention funnels: who reaches each stage, what share, how fast, and why people leave.

A participants table holds one row per person per activity with a date column per
stage (NaT = not reached). Stage names and order come from the data contract, so
every function takes ``stages``: a sequence of :class:`Stage` (or ``(name, column)``
pairs or ``(name, column, label)`` triples) or a mapping ``name -> column`` in order. The first stage is referral.

Rules shared by every function, chosen once here:

* **As known at ``as_of``.** People referred after ``as_of`` are left out and any
  stage date after ``as_of`` is ignored, so an interim report can be reproduced later.
* **Implied stages.** A person counts at a stage if they have a date for it *or for
  any later stage*: a job start with no recorded engagement date is taken to have
  passed through engagement. The implied (effective) date of a stage is the earliest
  date of that stage or any later one, the latest date by which the person must have
  passed through it. Counts therefore never rise from one stage to the next, and
  out-of-order dates cannot produce negative times between stages. A stage dated
  before referral is treated as reached on the referral date.
* **Cohort-based rates** (CONVENTIONS: rates must be cohort-based). Conversion from
  referral as at ``as_of`` mixes people referred yesterday with people referred a
  year ago, so every stage also gets a cohort rate: among people referred at least
  ``w`` days before ``as_of``, the share reaching the stage within ``w`` days of
  referral, with ``w`` the stage's follow-up window (see :func:`follow_up_days`).
* **Survival** (:func:`stage_survival`) censors only at ``as_of`` (administrative
  censoring) or at an optional per-person ``censor_column``. Withdrawal is *not* a
  censoring event: withdrawn people stay in the risk set and, unless they come back,
  never reach the stage, so one minus Kaplan-Meier is the cumulative probability of
  reaching the stage. Censoring at withdrawal would treat leavers as if they might
  still progress and overstate the chance of reaching the stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import proportion_confint

from evaluation.errors import ContractError, DesignError, Finding, OptionError
from evaluation.options import check_option
from evaluation.results import FRAME_COLUMNS, EstimateResult, headline_fields

TABLE = "participants"
ALL = "All"
"""Group label of the whole-activity rows."""
MISSING = "Missing"
"""Group label for people whose ``by`` value is missing."""
DEFAULT_FOLLOW_UP_DAYS = 182
"""Default cohort window (26 weeks from referral), a configurable default."""
NOT_RECORDED = "Not recorded"

Basis = Literal["referral", "previous", "cohort"]

_SUSTAINED = re.compile(r"sustain\D*?(\d+)\s*w", re.IGNORECASE)
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Stage:
    """One funnel stage: its name, date column, readable label and optional window.

    ``follow_up_days`` is the cohort window for the cohort rate; ``None`` uses the
    default of :func:`follow_up_days`.
    """

    name: str
    column: str
    label: str = ""
    follow_up_days: int | None = None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


StageSpec = Sequence[Stage] | Sequence[tuple[str, str]] | Sequence[tuple[str, str, str]] | Mapping[str, str]


def follow_up_days(stage: Stage) -> int:
    """Default cohort window for a stage, in days from referral.

    ``stage.follow_up_days`` if set; otherwise 182 days (26 weeks to reach the stage),
    plus the sustainment period for stages whose name or column reads like
    ``sustained_13w`` (182 + 91 = 273 days) or ``sustained_26w`` (182 + 182 = 364),
    because a 26-week sustainment cannot be observed until 26 weeks after the job start.
    """
    if stage.follow_up_days is not None:
        return int(stage.follow_up_days)
    match = _SUSTAINED.search(stage.name) or _SUSTAINED.search(stage.column)
    return DEFAULT_FOLLOW_UP_DAYS + (7 * int(match.group(1)) if match else 0)


# --------------------------------------------------------------------------- inputs


def _resolve_stages(stages: StageSpec) -> tuple[Stage, ...]:
    if isinstance(stages, Mapping):
        resolved = [Stage(str(name), str(col)) for name, col in stages.items()]
    elif isinstance(stages, str | bytes) or not isinstance(stages, Sequence):
        raise TypeError("stages must be a sequence of Stage or a mapping name -> column")
    else:
        resolved = [s if isinstance(s, Stage) else Stage(*s) for s in stages]
    if not resolved:
        raise OptionError("stages is empty; pass at least the referral stage")
    for attr in ("name", "column"):
        values = [getattr(s, attr) for s in resolved]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise OptionError(f"stage {attr}s must be unique; repeated: {dupes}")
    return tuple(resolved)


def _as_timestamp(as_of: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(as_of)
    if pd.isna(stamp):
        raise OptionError("as_of must be a date, not missing")
    if stamp.tz is not None:
        raise OptionError("as_of must be time-zone naive, like the stage date columns")
    return stamp


def _check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must be between 0 and 1")
    return float(alpha)


def _check_frame(
    frame: pd.DataFrame, *, dates: Sequence[str], others: Sequence[str | None], where: str
) -> None:
    """Raise ContractError naming absent or non-date columns, DesignError if empty."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where}: frame must be a pandas DataFrame")
    findings = [
        Finding(TABLE, col, "column present", 0, advice=f"{where} needs column {col!r}")
        for col in [*dates, *others]
        if col is not None and col not in frame.columns
    ]
    findings += [
        Finding(
            TABLE,
            col,
            "date column",
            len(frame),
            advice=f"{col!r} has dtype {frame[col].dtype}; convert it with pd.to_datetime "
            "(time-zone naive) before calling " + where,
        )
        for col in dates
        if col in frame.columns and not pd.api.types.is_datetime64_dtype(frame[col])
    ]
    if findings:
        raise ContractError(findings)
    if frame.empty:
        raise DesignError(f"{where}: the participants table is empty", "Check the input file")


def _group_labels(values: pd.Series, by: str) -> tuple[np.ndarray, list[str]]:
    """String labels per row (missing -> 'Missing') and the groups in display order."""
    present = values.dropna()
    clash = sorted({str(v) for v in present} & {ALL, MISSING})
    if clash:
        raise DesignError(
            f"column {by!r} has value(s) {clash} that clash with the funnel's own labels",
            f"Recode them before grouping by {by!r}",
        )
    labels = np.array([MISSING if pd.isna(v) else str(v) for v in values], dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = [str(c) for c in values.cat.categories if str(c) in set(labels)]
    else:
        order = sorted({str(v) for v in present})
    if (labels == MISSING).any():
        order.append(MISSING)
    return labels, order


@dataclass(frozen=True)
class _Prepared:
    """Per-person days from referral to each stage's effective date (NaN = not reached)."""

    stages: tuple[Stage, ...]
    as_of: pd.Timestamp
    days: np.ndarray  # (people, stages), non-decreasing along each row
    recorded: np.ndarray  # (people, stages) the stage's own date is recorded and counted
    follow: np.ndarray  # (people,) days from referral to the end of observation
    labels: np.ndarray | None
    order: list[str]
    n_after_as_of: int

    def groups(self) -> Iterator[tuple[str, np.ndarray]]:
        yield ALL, np.ones(len(self.follow), dtype=bool)
        if self.labels is not None:
            for group in self.order:
                yield group, self.labels == group


def _prepare(
    frame: pd.DataFrame,
    stages: StageSpec,
    as_of: Any,
    by: str | None,
    *,
    where: str,
    censor_column: str | None = None,
) -> _Prepared:
    resolved = _resolve_stages(stages)
    stamp = _as_timestamp(as_of)
    date_cols = [s.column for s in resolved] + ([censor_column] if censor_column else [])
    _check_frame(frame, dates=date_cols, others=[by], where=where)
    ref_col = resolved[0].column
    referred = frame[ref_col]
    if referred.isna().any():
        rows = tuple(np.flatnonzero(referred.isna().to_numpy())[:5].tolist())
        raise ContractError(
            [
                Finding(
                    TABLE,
                    ref_col,
                    "required",
                    int(referred.isna().sum()),
                    rows=rows,
                    advice="every participant needs a referral date (the first stage)",
                )
            ]
        )
    keep = (referred <= stamp).to_numpy()
    if not keep.any():
        raise DesignError(
            f"{where}: no one was referred on or before as_of={stamp.date()} "
            f"(earliest {ref_col!r} is {referred.min().date()})",
            "Choose a later as_of",
        )
    sub = frame.loc[keep]
    ref = sub[ref_col]
    end = pd.Series(stamp, index=sub.index)
    if censor_column:
        censor = sub[censor_column]
        end = end.where(censor.isna() | (censor >= stamp), censor)
    follow = np.maximum(_days(end - ref), 0.0)
    raw = np.empty((len(sub), len(resolved)))
    for k, stage in enumerate(resolved):
        dates = sub[stage.column]
        counted = (dates.notna() & (dates <= end)).to_numpy()
        delta = _days(dates - ref)
        raw[:, k] = np.where(counted, delta, np.nan)
    raw[:, 0] = 0.0
    # Effective date: earliest date of this stage or any later one (fmin skips NaN),
    # never before referral (np.maximum keeps NaN).
    days = np.maximum(np.fmin.accumulate(raw[:, ::-1], axis=1)[:, ::-1], 0.0)
    labels, order = (None, []) if by is None else _group_labels(sub[by], by)
    return _Prepared(
        stages=resolved,
        as_of=stamp,
        days=days,
        recorded=~np.isnan(raw),
        follow=follow,
        labels=labels,
        order=order,
        n_after_as_of=int((~keep).sum()),
    )


def _wilson(count: int, nobs: int, alpha: float) -> tuple[float, float, float]:
    """Share with its Wilson score interval (statsmodels); NaN when nobs is zero."""
    if nobs == 0:
        return np.nan, np.nan, np.nan
    lower, upper = proportion_confint(count, nobs, alpha=alpha, method="wilson")
    return count / nobs, float(np.clip(lower, 0, 1)), float(np.clip(upper, 0, 1))


def _days(delta: pd.Series) -> np.ndarray:
    """Time differences in days, with fractions; NaN where a date is missing."""
    return delta.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / _DAY.total_seconds()


def _term(stage: str, group: str, by: str | None) -> str:
    return stage if group == ALL else f"{stage} [{by}={group}]"


def _windows(stages: tuple[Stage, ...], min_follow_up_days: int | Mapping[str, int] | None) -> list[int]:
    if min_follow_up_days is None:
        windows = [follow_up_days(s) for s in stages]
    elif isinstance(min_follow_up_days, Mapping):
        unknown = set(min_follow_up_days) - {s.name for s in stages}
        if unknown:
            raise OptionError(f"min_follow_up_days names unknown stage(s): {sorted(unknown)}")
        windows = [int(min_follow_up_days.get(s.name, follow_up_days(s))) for s in stages]
    else:
        windows = [int(min_follow_up_days)] * len(stages)
    if any(w < 0 for w in windows):
        raise OptionError(f"min_follow_up_days must be >= 0, got {windows}")
    return windows


# --------------------------------------------------------------------------- funnel


@dataclass(frozen=True, kw_only=True, eq=False)
class FunnelResult(EstimateResult):
    """Counts and conversions per stage (and subgroup) as known at ``as_of``.

    ``table`` has one row per group and stage: ``n`` people reaching the stage
    (``n_implied`` of them through a later stage only), ``conv_prev`` (share of the
    previous stage's count), ``conv_referral`` (share of referrals), both with Wilson
    intervals, and the cohort rate ``cohort_rate`` = ``cohort_reached / cohort_n``:
    among people referred at least ``cohort_window_days`` before ``as_of``, the share
    reaching the stage within that many days. Group ``'All'`` is the whole activity.
    The headline ``estimate`` is the cohort rate of the last stage for everyone.
    """

    table: pd.DataFrame
    as_of: pd.Timestamp
    stages: tuple[Stage, ...]
    by: str | None = None
    n_after_as_of: int = 0

    def to_frame(self, basis: Basis = "referral") -> pd.DataFrame:
        """One row per stage (and group): the chosen conversion with Wilson interval.

        ``basis`` is ``'referral'`` (share of referrals as at ``as_of``),
        ``'previous'`` (share of the previous stage) or ``'cohort'`` (the cohort-based
        rate, the one to quote for outcomes). ``std_error`` is the binomial
        sqrt(p(1-p)/n); ``n`` is the denominator of the share. Not-applicable cells
        (the previous stage of referral, an empty cohort) are NaN.
        """
        check_option("basis", basis, Basis)
        table = self.table
        if basis == "referral":
            prefix = "conv_referral"
            first = table["order"] == 0
            denominator = table["group"].map(table.loc[first].set_index("group")["n"])
        elif basis == "previous":
            prefix = "conv_prev"
            denominator = table.groupby("group", sort=False)["n"].shift(1)
        else:
            prefix = "cohort"
            denominator = table["cohort_n"]
        estimate = table["cohort_rate" if basis == "cohort" else prefix].to_numpy(float)
        den = denominator.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            std_error = np.sqrt(estimate * (1 - estimate) / den)
        frame = pd.DataFrame(
            {
                "term": [_term(s, g, self.by) for s, g in zip(table["stage"], table["group"], strict=True)],
                "estimate": estimate,
                "std_error": std_error,
                "ci_lower": table[f"{prefix}_lower"].to_numpy(float),
                "ci_upper": table[f"{prefix}_upper"].to_numpy(float),
                "n": pd.array(den, dtype="Int64"),  # NaN becomes <NA>
            }
        )
        return frame[FRAME_COLUMNS]

    def rows(self) -> list[dict]:
        return self.to_frame().to_dict("records")

    def summary(self) -> str:
        level = round(100 * (1 - self.alpha))
        first = self.table[(self.table["group"] == ALL) & (self.table["order"] == 0)]
        head = (
            f"Retention funnel as known at {self.as_of.date()}: {int(first['n'].iloc[0])} "
            f"referred ({self.n_after_as_of} referred later left out); {level}% Wilson "
            "intervals.\nCohort rate = share reaching the stage within cohort_window_days "
            "of referral, among people referred at least that long before as_of."
        )
        columns = [
            "group",
            "stage",
            "n",
            "conv_prev",
            "conv_referral",
            "cohort_n",
            "cohort_rate",
            "cohort_lower",
            "cohort_upper",
            "cohort_window_days",
        ]
        body = self.table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        return f"{head}\n{body}"


def funnel(
    frame: pd.DataFrame,
    *,
    stages: StageSpec,
    as_of: Any,
    by: str | None = None,
    alpha: float = 0.05,
    min_follow_up_days: int | Mapping[str, int] | None = None,
) -> FunnelResult:
    """Count people reaching each stage by ``as_of`` and the conversions between stages.

    ``min_follow_up_days`` sets the cohort window: one number for every stage, a
    mapping stage name -> days, or ``None`` for each stage's default
    (:func:`follow_up_days`). See the module docstring for implied stages and the
    ``as_of`` cut.
    """
    alpha = _check_alpha(alpha)
    prep = _prepare(frame, stages, as_of, by, where="funnel")
    windows = _windows(prep.stages, min_follow_up_days)
    reached = ~np.isnan(prep.days)
    implied = reached & ~prep.recorded
    records = []
    for group, mask in prep.groups():
        counts = reached[mask].sum(axis=0)
        for k, stage in enumerate(prep.stages):
            n = int(counts[k])
            if k == 0:
                prev = (np.nan, np.nan, np.nan)
                from_referral = (1.0, 1.0, 1.0)
            else:
                prev = _wilson(n, int(counts[k - 1]), alpha)
                from_referral = _wilson(n, int(counts[0]), alpha)
            eligible = mask & (prep.follow >= windows[k])
            cohort_n = int(eligible.sum())
            cohort_reached = int((prep.days[eligible, k] <= windows[k]).sum())
            cohort = (1.0, 1.0, 1.0) if k == 0 and cohort_n else _wilson(cohort_reached, cohort_n, alpha)
            records.append(
                {
                    "group": group,
                    "stage": stage.name,
                    "label": stage.label,
                    "order": k,
                    "n": n,
                    "n_implied": int(implied[mask, k].sum()),
                    "conv_prev": prev[0],
                    "conv_prev_lower": prev[1],
                    "conv_prev_upper": prev[2],
                    "conv_referral": from_referral[0],
                    "conv_referral_lower": from_referral[1],
                    "conv_referral_upper": from_referral[2],
                    "cohort_n": cohort_n,
                    "cohort_reached": cohort_reached,
                    "cohort_rate": cohort[0],
                    "cohort_lower": cohort[1],
                    "cohort_upper": cohort[2],
                    "cohort_window_days": windows[k],
                }
            )
    table = pd.DataFrame.from_records(records)
    last = table[(table["group"] == ALL) & (table["order"] == len(prep.stages) - 1)].iloc[0]
    rate = float(last["cohort_rate"])
    cohort_n = int(last["cohort_n"])
    return FunnelResult(
        term=f"{last['stage']} within {int(last['cohort_window_days'])} days of referral",
        estimate=rate,
        std_error=float(np.sqrt(rate * (1 - rate) / cohort_n)) if cohort_n else np.nan,
        ci_lower=float(last["cohort_lower"]),
        ci_upper=float(last["cohort_upper"]),
        n=cohort_n,
        alpha=alpha,
        method="Retention funnel (cohort rate of the last stage)",
        table=table,
        as_of=prep.as_of,
        stages=prep.stages,
        by=by,
        n_after_as_of=prep.n_after_as_of,
    )


# --------------------------------------------------------------------------- time to stage


@dataclass(frozen=True, kw_only=True, eq=False)
class TimeToStageResult(EstimateResult):
    """Days to each stage **among those who reached it** by ``as_of`` (conditional).

    These are not the time everyone would take: people still waiting, or who left,
    are not in them. For the unconditional picture use :func:`stage_survival`.
    ``table`` columns: group, stage, label, order, n (people who reached it),
    n_implied, from_referral_q1 / _median / _q3, median_ci_lower / _upper (distribution
    -free order-statistic interval for the median), from_previous_q1 / _median / _q3.
    Quartiles use linear interpolation (numpy's default).
    """

    table: pd.DataFrame
    as_of: pd.Timestamp
    stages: tuple[Stage, ...]
    by: str | None = None
    population: str = "among those who reached the stage by as_of (conditional)"

    def rows(self) -> list[dict]:
        table = self.table[self.table["order"] > 0]
        return [
            {
                "term": f"{_term(r['stage'], r['group'], self.by)}: median days from referral",
                "estimate": r["from_referral_median"],
                "std_error": np.nan,
                "ci_lower": r["median_ci_lower"],
                "ci_upper": r["median_ci_upper"],
                "n": int(r["n"]),
            }
            for r in table.to_dict("records")
        ]

    def summary(self) -> str:
        head = f"Days to each stage {self.population}, as known at {self.as_of.date()}"
        body = self.table.drop(columns=["label"]).to_string(index=False, float_format=lambda v: f"{v:.1f}")
        return f"{head}\n{body}"


def _median_ci(values: np.ndarray, alpha: float) -> tuple[float, float]:
    if len(values) == 0:
        return np.nan, np.nan
    ci = stats.quantile_test(values, q=float(np.median(values)), p=0.5).confidence_interval(
        confidence_level=1 - alpha
    )
    # scipy-stubs 1.17 type confidence_interval() as a float; it returns a ConfidenceInterval.
    return float(ci.low), float(ci.high)  # type: ignore[attr-defined]


def _quartiles(values: np.ndarray) -> tuple[float, float, float]:
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    q1, q2, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return float(q1), float(q2), float(q3)


def time_to_stage(
    frame: pd.DataFrame,
    *,
    stages: StageSpec,
    as_of: Any,
    by: str | None = None,
    alpha: float = 0.05,
) -> TimeToStageResult:
    """Median and quartiles of days from referral and from the previous stage.

    Computed among those who reached the stage by ``as_of``; implied stages are dated
    at the earliest later stage (module docstring), so an implied stage adds 0 days
    from the previous one.
    """
    alpha = _check_alpha(alpha)
    prep = _prepare(frame, stages, as_of, by, where="time_to_stage")
    records = []
    for group, mask in prep.groups():
        days = prep.days[mask]
        implied = ~np.isnan(days) & ~prep.recorded[mask]
        for k, stage in enumerate(prep.stages):
            hit = ~np.isnan(days[:, k])
            from_ref = days[hit, k]
            from_prev = days[hit, k] - days[hit, k - 1] if k else np.array([])
            q = _quartiles(from_ref)
            p = _quartiles(from_prev)
            lo, hi = _median_ci(from_ref, alpha) if k else (0.0, 0.0)
            records.append(
                {
                    "group": group,
                    "stage": stage.name,
                    "label": stage.label,
                    "order": k,
                    "n": int(hit.sum()),
                    "n_implied": int(implied[:, k].sum()),
                    "from_referral_q1": q[0],
                    "from_referral_median": q[1],
                    "from_referral_q3": q[2],
                    "median_ci_lower": lo,
                    "median_ci_upper": hi,
                    "from_previous_q1": p[0],
                    "from_previous_median": p[1],
                    "from_previous_q3": p[2],
                }
            )
    table = pd.DataFrame.from_records(records)
    last = table[(table["group"] == ALL) & (table["order"] == len(prep.stages) - 1)].iloc[0]
    return TimeToStageResult(
        term=f"{last['stage']}: median days from referral, among those who reached it",
        estimate=float(last["from_referral_median"]),
        std_error=np.nan,
        ci_lower=float(last["median_ci_lower"]),
        ci_upper=float(last["median_ci_upper"]),
        n=int(last["n"]),
        alpha=alpha,
        method="Time to stage among those who reached it (conditional)",
        table=table,
        as_of=prep.as_of,
        stages=prep.stages,
        by=by,
    )


# --------------------------------------------------------------------------- survival


def _loglog_interval(surv: float, se: float, alpha: float) -> tuple[float, float]:
    """Pointwise interval for S(t) on the log(-log) scale (Kalbfleisch & Prentice)."""
    if not np.isfinite(surv) or surv in (0.0, 1.0) or not np.isfinite(se) or se == 0:
        return surv, surv
    z = stats.norm.ppf(1 - alpha / 2)
    sigma = se / (surv * abs(np.log(surv)))
    return float(surv ** np.exp(z * sigma)), float(surv ** np.exp(-z * sigma))


def _km_steps(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier life table at every distinct observed time, fitted by statsmodels."""
    distinct, inverse = np.unique(time, return_inverse=True)
    n_total = np.bincount(inverse, minlength=len(distinct))
    n_event = np.bincount(inverse, weights=event, minlength=len(distinct)).astype(int)
    n_censor = n_total - n_event
    n_risk = np.cumsum(n_total[::-1])[::-1]
    surv = np.ones(len(distinct))
    se = np.zeros(len(distinct))
    if event.any():
        fit = SurvfuncRight(time, event.astype(int))
        idx = np.searchsorted(fit.surv_times, distinct, side="right") - 1
        has = idx >= 0
        surv[has] = fit.surv_prob[idx[has]]
        se[has] = np.nan_to_num(fit.surv_prob_se[idx[has]], nan=0.0)
    return pd.DataFrame(
        {
            "time_days": distinct,
            "at_risk": n_risk,
            "events": n_event,
            "censored": n_censor,
            "survival": surv,
            "survival_se": se,
        }
    )


def _evaluate_steps(
    steps: pd.DataFrame, stages: tuple[Stage, ...], weeks: float | Sequence[float] | np.ndarray, alpha: float
) -> pd.DataFrame:
    """Read each Kaplan-Meier life table at the given weeks since referral."""
    grid = np.atleast_1d(np.asarray(weeks, dtype=float))
    if (grid < 0).any() or np.isnan(grid).any():
        raise OptionError(f"weeks must be non-negative numbers, got {weeks!r}")
    records = []
    for (order, group), table in steps.groupby(["order", "group"], sort=False):
        times = table["time_days"].to_numpy()
        surv = table["survival"].to_numpy()
        se = table["survival_se"].to_numpy()
        at_risk = table["at_risk"].to_numpy()
        stage = stages[cast(int, order)]  # the stage's position, a column of integers
        for week in grid:
            t = 7.0 * week
            i = np.searchsorted(times, t, side="right") - 1
            s, s_se = (1.0, 0.0) if i < 0 else (float(surv[i]), float(se[i]))
            if t > times[-1] and s > 0:  # beyond the longest follow-up: undefined
                s, s_se = np.nan, np.nan
            lower, upper = _loglog_interval(s, s_se, alpha)
            j = np.searchsorted(times, t, side="left")
            records.append(
                {
                    "stage": stage.name,
                    "label": stage.label,
                    "order": order,
                    "group": group,
                    "week": week,
                    "probability": 1 - s,
                    "std_error": s_se,
                    "ci_lower": 1 - upper,
                    "ci_upper": 1 - lower,
                    "at_risk": int(at_risk[j]) if j < len(times) else 0,
                    "n": int(at_risk[0]),
                }
            )
    return pd.DataFrame.from_records(records)


@dataclass(frozen=True, kw_only=True, eq=False)
class SurvivalResult(EstimateResult):
    """Kaplan-Meier cumulative probability of reaching each stage by weeks since referral.

    ``steps`` is the aggregate Kaplan-Meier life table per stage and group (distinct
    days since referral with at-risk, events, censored, survival and its Greenwood
    SE); ``curves`` evaluates it weekly from 0 to ``horizon_weeks``. ``probability``
    is 1 - S(t); intervals are pointwise log(-log) intervals for S(t), flipped. Beyond
    the longest follow-up the curve is undefined (NaN) unless everyone had reached the
    stage. Censoring is administrative (``as_of``) or ``censor_column``; withdrawal is
    not censoring (module docstring). The headline is the last stage, all people, at
    the horizon.
    """

    curves: pd.DataFrame
    steps: pd.DataFrame
    as_of: pd.Timestamp
    stages: tuple[Stage, ...]
    by: str | None = None
    horizon_weeks: float = 52
    censor_column: str | None = None

    def at(self, weeks: float | Sequence[float]) -> pd.DataFrame:
        """Probability of reaching each stage by the given week(s), with intervals.

        Columns: stage, label, order, group, week, probability, std_error, ci_lower,
        ci_upper, at_risk (still under observation and not yet reached at that week),
        n (people in the group).
        """
        return _evaluate_steps(self.steps, self.stages, weeks, self.alpha)

    def rows(self) -> list[dict]:
        horizon = self.at(self.horizon_weeks)
        return [
            {
                "term": f"{_term(r['stage'], r['group'], self.by)} by week {r['week']:g}",
                "estimate": r["probability"],
                "std_error": r["std_error"],
                "ci_lower": r["ci_lower"],
                "ci_upper": r["ci_upper"],
                "n": int(r["n"]),
            }
            for r in horizon.to_dict("records")
        ]


def stage_survival(
    frame: pd.DataFrame,
    *,
    stages: StageSpec,
    as_of: Any,
    by: str | None = None,
    horizon_weeks: float = 52,
    alpha: float = 0.05,
    censor_column: str | None = None,
) -> SurvivalResult:
    """Kaplan-Meier probability of reaching each stage after referral by week.

    Time runs from the referral date. A person's time for a stage is the days to its
    effective date if reached by ``as_of`` (an event), else the days to ``as_of`` or
    to their ``censor_column`` date if earlier (censored; events after it are
    ignored). Withdrawn people are not censored at withdrawal: see the module
    docstring. Uses statsmodels ``SurvfuncRight``.
    """
    alpha = _check_alpha(alpha)
    if not np.isfinite(horizon_weeks) or horizon_weeks < 0:
        raise OptionError(f"horizon_weeks={horizon_weeks!r} must be a non-negative number")
    prep = _prepare(frame, stages, as_of, by, where="stage_survival", censor_column=censor_column)
    if len(prep.stages) < 2:
        raise OptionError("stage_survival needs at least one stage after referral")
    tables = []
    for group, mask in prep.groups():
        for k in range(1, len(prep.stages)):
            days = prep.days[mask, k]
            event = ~np.isnan(days)
            time = np.where(event, days, prep.follow[mask])
            steps = _km_steps(time, event)
            steps.insert(0, "group", group)
            steps.insert(0, "order", k)
            steps.insert(0, "stage", prep.stages[k].name)
            tables.append(steps)
    steps = pd.concat(tables, ignore_index=True)
    curves = _evaluate_steps(steps, prep.stages, np.arange(0, np.floor(horizon_weeks) + 1), alpha)
    head = _evaluate_steps(steps, prep.stages, horizon_weeks, alpha)
    last = head[(head["group"] == ALL) & (head["order"] == len(prep.stages) - 1)].iloc[0]
    return SurvivalResult(
        **headline_fields(last, term=f"{last['stage']} by week {horizon_weeks:g}", estimate="probability"),
        alpha=alpha,
        method="Kaplan-Meier cumulative probability of reaching the stage (administrative censoring)",
        curves=curves,
        steps=steps,
        as_of=prep.as_of,
        stages=prep.stages,
        by=by,
        horizon_weeks=horizon_weeks,
        censor_column=censor_column,
    )


# --------------------------------------------------------------------------- dropout


@dataclass(frozen=True, eq=False)
class DropoutResult:
    """Raw counts of withdrawals by reason as known at ``as_of`` (no disclosure control).

    ``table``: reason, n, share (of withdrawals by ``as_of``). Withdrawals without a
    reason are counted as 'Not recorded'; reasons without a withdrawal date are left
    out and counted in ``n_reason_without_date``.
    """

    table: pd.DataFrame
    as_of: pd.Timestamp
    n_withdrawn: int
    n_reason_without_date: int
    reason_column: str
    date_column: str | None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        head = f"Withdrawals by reason as known at {self.as_of.date()}: {self.n_withdrawn}"
        body = self.table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
        return f"{head}\n{body}"


def dropout_reasons(
    frame: pd.DataFrame,
    *,
    as_of: Any,
    reason_column: str = "withdrawal_reason",
    date_column: str | None = "withdrawn_date",
) -> DropoutResult:
    """Count withdrawals on or before ``as_of`` by reason.

    With ``date_column=None`` every recorded reason counts (no date cut).
    """
    stamp = _as_timestamp(as_of)
    _check_frame(
        frame,
        dates=[date_column] if date_column else [],
        others=[reason_column],
        where="dropout_reasons",
    )
    reason = frame[reason_column]
    if date_column:
        dates = frame[date_column]
        withdrawn = (dates.notna() & (dates <= stamp)).to_numpy()
        without_date = int((dates.isna() & reason.notna()).sum())
    else:
        withdrawn = reason.notna().to_numpy()
        without_date = 0
    labels = reason[withdrawn].astype(object).where(reason[withdrawn].notna(), NOT_RECORDED)
    counts = labels.astype(str).value_counts()
    table = pd.DataFrame({"reason": counts.index.astype(str), "n": counts.to_numpy(int)})
    table = table.sort_values(["n", "reason"], ascending=[False, True], ignore_index=True)
    total = int(withdrawn.sum())
    table["share"] = table["n"] / total if total else np.nan
    return DropoutResult(
        table=table,
        as_of=stamp,
        n_withdrawn=total,
        n_reason_without_date=without_date,
        reason_column=reason_column,
        date_column=date_column,
    )


__all__ = [
    "ALL",
    "DEFAULT_FOLLOW_UP_DAYS",
    "DropoutResult",
    "FunnelResult",
    "MISSING",
    "Stage",
    "SurvivalResult",
    "TimeToStageResult",
    "dropout_reasons",
    "follow_up_days",
    "funnel",
    "stage_survival",
    "time_to_stage",
]
