"""Matched comparison: propensity-score matching, its ATT, and odds weighting (IPW / AIPW).

`match` pairs participants with the nearest comparison people on the logit of an estimated
propensity score; `att` estimates the effect on the treated with the Abadie-Imbens variance;
`weighting` estimates the same ATT by odds weighting, optionally doubly robust.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from evaluation.errors import DesignError, InputError, OptionError
from evaluation.options import check_option, require_columns
from evaluation.results import EstimateResult, normal_interval

WeightingMethod = Literal["ipw", "aipw"]
CommonSupport = Literal["none", "treated", "control", "both"]
BalanceSD = Literal["pooled", "treated"]

WEIGHT_COLUMN = "_weight"
GROUP_COLUMN = "_match_group"
SMD_THRESHOLD = 0.1
VARIANCE_NEIGHBOURS = 2  # J in Abadie-Imbens (2006); Stata's teffects default nn(2)
PENALISED_C = 10.0  # inverse L2 strength on standardised covariates for the separation fallback
LOGIT_MAX_ITER = 100
SCORE_RESOLUTION = 1e-8  # logit scores closer than this (relative to their size) are equal
_FAR = np.iinfo(np.int64).max // 4  # distance sentinel: no candidate

__all__ = [
    "ATTResult",
    "MatchResult",
    "WeightingResult",
    "att",
    "balance_table",
    "match",
    "weighting",
]


# ---------------------------------------------------------------- validation


def _as_list(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_settings(*, ratio: int, caliper: float | None, alpha: float) -> None:
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise OptionError(f"ratio={ratio!r} must be a whole number of controls per treated, >= 1")
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise OptionError(f"caliper={caliper!r} must be a positive number of SDs, or None")
    _check_alpha(alpha)


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must lie strictly between 0 and 1")


def _check_index(frame: pd.DataFrame, where: str) -> None:
    if not frame.index.is_unique:
        n = int(frame.index.duplicated().sum())
        raise InputError(
            f"{where}: the frame's index has {n} duplicated label(s); results name rows by "
            "index label, so give every row its own (e.g. frame.reset_index(drop=True))"
        )


def _check_complete(frame: pd.DataFrame, columns: list[str], where: str) -> None:
    for column in columns:
        n_missing = int(frame[column].isna().sum())
        if n_missing:
            raise InputError(
                f"{where}: column {column!r} has {n_missing} row(s) with missing values; "
                "drop or impute those rows before calling"
            )


def _treatment_indicator(frame: pd.DataFrame, treatment: str, where: str) -> np.ndarray:
    """The 0/1 treatment column as booleans; raises naming the column and bad rows."""
    values = frame[treatment]
    numeric = pd.to_numeric(values, errors="coerce") if values.dtype != bool else values
    bad = ~numeric.isin([0, 1]) | values.isna()
    if bad.any():
        raise InputError(
            f"{where}: treatment column {treatment!r} must hold only 0 and 1; "
            f"{int(bad.sum())} row(s) hold something else (e.g. {values[bad].iloc[0]!r})"
        )
    treated = numeric.to_numpy(dtype=float) == 1
    if not treated.any():
        raise DesignError(f"{where}: no treated rows ({treatment} == 1)", "check the filter")
    if treated.all():
        raise DesignError(f"{where}: no control rows ({treatment} == 0)", "add a comparison pool")
    return treated


def _checked_treatment(frame, treatment, covariates, others, where) -> np.ndarray:
    if not covariates:
        raise OptionError(f"{where}: give at least one covariate")
    columns = {"treatment": treatment} | {f"covariates[{i}]": c for i, c in enumerate(covariates)}
    columns |= {f"column[{i}]": c for i, c in enumerate(others)}
    require_columns(frame, columns, where=where)
    _check_index(frame, where)
    treated = _treatment_indicator(frame, treatment, where)
    _check_complete(frame, covariates + others, where)
    return treated


def _numeric_outcome(frame: pd.DataFrame, outcome: str, where: str) -> np.ndarray:
    require_columns(frame, {"outcome": outcome}, where=where)
    _check_complete(frame, [outcome], where)
    values = frame[outcome]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise InputError(f"{where}: outcome column {outcome!r} must be numeric or 0/1")
    return values.to_numpy(dtype=float)


# ---------------------------------------------------------------- covariates


def _is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def encoded_covariates(
    frame: pd.DataFrame, covariates: list[str], drop_first: bool, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Covariates as float columns; text/categorical ones one-hot encoded ("col=level").

    With `drop_first` the first level that occurs among `rows` (all rows by default) is the
    reference and left out, so the other dummies are never collinear with the intercept.
    """
    parts = []
    for column in covariates:
        series = frame[column]
        if _is_categorical(series):
            dummies = pd.get_dummies(series, prefix=column, prefix_sep="=").astype(float)
            if drop_first:
                values = dummies.to_numpy() if rows is None else dummies.to_numpy()[rows]
                present = np.flatnonzero(values.any(axis=0))
                if present.size:
                    dummies = dummies.drop(columns=dummies.columns[present[0]])
            parts.append(dummies)
        else:
            parts.append(series.astype(float).to_frame(column))  # 8-bit ints would overflow
    return pd.concat(parts, axis=1)


def _standardised_design(
    frame, covariates, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Intercept plus covariates z-scored over `rows` (better conditioned; same fitted scores).

    The design covers every row of `frame`; columns constant over `rows` are left out. Returns
    the design, its `rows` (the same array when every row is fitted) and the notes. Built in
    place, without the copies that dominated its time; the values are the same, bit for bit.
    """
    encoded = encoded_covariates(frame, covariates, drop_first=True, rows=rows)
    values = encoded.to_numpy(dtype=float)
    every_row = bool(rows.all())
    fitted = values[rows]  # the mean and SD of these copies, as laid out, to the last bit
    sd = fitted.std(axis=0)
    keep = sd > 0
    notes = tuple(f"dropped constant covariate {c!r}" for c in encoded.columns[~keep])
    kept = values if keep.all() else values[:, keep]
    mean = fitted[:, keep].mean(axis=0)
    design = np.empty((len(frame), 1 + kept.shape[1]))
    design[:, 0] = 1.0
    np.subtract(kept, mean, out=design[:, 1:])
    np.divide(design[:, 1:], sd[keep], out=design[:, 1:])
    on_rows = design if every_row else design[rows]
    _check_full_rank(on_rows, ["const", *encoded.columns[keep]])
    return design, on_rows, notes


def _check_full_rank(design: np.ndarray, names: list[str]) -> None:
    gram = design.T @ design / len(design)
    if np.linalg.eigvalsh(gram).min() < 1e-10:
        raise DesignError(
            f"the covariates are perfectly collinear ({', '.join(names[1:])})",
            "drop a redundant column (e.g. one dummy per category or a sum of others)",
        )


# ---------------------------------------------------------------- separation checks


def _level_codes(series: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """Level codes and names of a discrete covariate (text levels or a 0/1 flag), else None."""
    if _is_categorical(series):
        codes, levels = pd.factorize(series, sort=True)
        return np.asarray(codes, dtype=np.int64), [str(level) for level in levels]
    values = series.to_numpy(dtype=float)
    if np.isin(values, (0.0, 1.0)).all():
        return values.astype(np.int64), ["0", "1"]
    return None


@dataclass(frozen=True)
class _Separation:
    """Rows a single covariate separates, found before any fitting.

    `side` per row: -1 propensity 0 (a level no treated row has), +1 propensity 1 (a level
    no control row has), 0 fitted by the logit. `complete` names a continuous covariate whose
    treated and control ranges do not overlap among the fitted rows ("" if none).
    """

    side: np.ndarray
    notes: tuple[str, ...]
    complete: str


def _separation(frame: pd.DataFrame, treated: np.ndarray, covariates: list[str]) -> _Separation:
    """Cheap checks for covariates that on their own (quasi-)separate treated from controls.

    A level of a discrete covariate held only by controls (no participant is a veteran)
    sends its logit coefficient to minus infinity: the maximum-likelihood limit gives those
    rows propensity 0 exactly and is the ordinary logit of the other rows, in which the
    level no longer occurs. So they are set aside with score 0 and never matched, instead of
    running Newton-Raphson to its iteration limit. A level held only by treated rows gives
    them propensity 1: no comparison is possible and they are discarded (off support).
    Repeated until no level separates, since setting rows aside can empty another level.
    """
    side = np.zeros(len(frame), dtype=np.int8)
    discrete = {}
    for column in covariates:
        found = _level_codes(frame[column])
        if found is not None:
            discrete[column] = found
    notes: list[str] = []
    changed = True
    while changed:
        changed = False
        active = side == 0
        for column, (codes, levels) in discrete.items():
            n_treated = np.bincount(codes[active & treated], minlength=len(levels))
            n_controls = np.bincount(codes[active & ~treated], minlength=len(levels))
            for level in np.flatnonzero((n_treated == 0) & (n_controls > 0)):
                side[active & (codes == level)] = -1
                notes.append(
                    f"{column}={levels[level]} is held by no treated row: its "
                    f"{n_controls[level]} control row(s) have propensity 0, are left out of "
                    "the logit and are never matched"
                )
            for level in np.flatnonzero((n_controls == 0) & (n_treated > 0)):
                side[active & (codes == level)] = 1
                notes.append(
                    f"{column}={levels[level]} is held by no control row: its "
                    f"{n_treated[level]} treated row(s) have propensity 1, are left out of "
                    "the logit and cannot be matched (off support)"
                )
            if (side[active] != 0).any():
                changed = True
                break
    return _Separation(side, tuple(notes), _complete_separation(frame, treated, covariates, side == 0))


def _complete_separation(frame, treated, covariates, rows) -> str:
    """A continuous covariate whose treated and control ranges do not overlap, else ""."""
    t, c = rows & treated, rows & ~treated
    if not t.any() or not c.any():
        return ""
    for column in covariates:
        series = frame[column]
        if _is_categorical(series):
            continue
        x = series.to_numpy(dtype=float)
        if x[t].min() > x[c].max():
            return f"every treated row has a higher {column} than every control row"
        if x[t].max() < x[c].min():
            return f"every treated row has a lower {column} than every control row"
    return ""


# ---------------------------------------------------------------- propensity score


@dataclass(frozen=True)
class _Propensity:
    design: np.ndarray
    linear: np.ndarray  # logit of the score, x'gamma; -inf / +inf where a level separates
    score: np.ndarray
    method: str
    notes: tuple[str, ...]

    @property
    def usable(self) -> np.ndarray:
        """Rows with a finite logit score: the only ones that can be matched or compared."""
        return np.isfinite(self.linear)


def _fit_propensity(frame, treated: np.ndarray, covariates: list[str]) -> _Propensity:
    """Logit by Newton-Raphson (statsmodels); penalised logit only on (quasi-)separation.

    Covariates that separate on their own are found first (`_separation`) and handled
    without iterating: rows of a level only one group has get propensity 0 or 1 and the logit
    is fitted to the rest; a continuous covariate that separates completely goes straight to
    the penalised logit. Other (multivariate) separation is caught by the Newton fit.
    """
    separation = _separation(frame, treated, covariates)
    rows = separation.side == 0
    if not (rows & treated).any() or not (rows & ~treated).any():
        raise DesignError(
            "the covariates separate treated from control rows completely: " + "; ".join(separation.notes),
            "no comparison is possible on these covariates; check the comparison pool",
        )
    design, on_rows, dropped = _standardised_design(frame, covariates, rows)
    notes = (*separation.notes, *dropped)
    if separation.complete:
        params = _fit_penalised_logit(on_rows, treated[rows])
        method = (
            f"penalised logit (scikit-learn, L2, C={PENALISED_C:g}) after perfect separation "
            f"({separation.complete})"
        )
    else:
        params, problem = _fit_logit(on_rows, treated[rows])
        method = "logit (statsmodels, Newton-Raphson)"
        if problem:
            params = _fit_penalised_logit(on_rows, treated[rows])
            method = f"penalised logit (scikit-learn, L2, C={PENALISED_C:g}) after {problem}"
    linear = _linear_predictor(design, params)
    linear[separation.side < 0] = -np.inf
    linear[separation.side > 0] = np.inf
    return _Propensity(design, linear, expit(linear), method, notes)


def _linear_predictor(design: np.ndarray, params: np.ndarray) -> np.ndarray:
    """x'gamma column by column, so identical rows get bit-identical scores wherever they sit."""
    linear = np.full(len(design), params[0])
    for j in range(1, len(params)):
        linear += design[:, j] * params[j]
    return linear


def _score_keys(linear: np.ndarray) -> tuple[np.ndarray, float]:
    """Logit scores as integers on a fine grid, so distance ties are exact and symmetric.

    Infinite scores (separated rows, never matched) get key 0; callers leave them out.
    """
    finite = np.isfinite(linear)
    largest = float(np.abs(linear[finite]).max()) if finite.any() else 0.0
    resolution = SCORE_RESOLUTION * max(1.0, largest)
    return np.round(np.where(finite, linear, 0.0) / resolution).astype(np.int64), resolution


def _fit_logit(design: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, str]:
    """Logit coefficients, or an empty array and the reason the fit is unusable.

    Newton-Raphson from zero takes 13 or so passes over every row when participants are a
    small share of the rows (a stacked pool); started from `_warm_start` it reaches the same
    maximum (to about 1e-13) in 4 or 5. Any problem on the warm path refits from zero, so
    separation is found exactly as before.
    """
    start = _warm_start(design, treated)
    if start is not None:
        params, problem = _newton_logit(design, treated, start)
        if not problem:
            return params, ""
    return _newton_logit(design, treated, None)


WARM_START_ROWS = 20_000
"""Fits on more rows than this start from `_warm_start` (smaller ones from zero, as before)."""

WARM_START_EVERY = 8
"""`_warm_start` keeps every participant and one comparison row in this many."""


def _warm_start(design: np.ndarray, treated: np.ndarray) -> np.ndarray | None:
    """Starting values for a large logit: the logit of every treated row and every
    `WARM_START_EVERY`-th other row, its intercept moved by log(`WARM_START_EVERY`) (sampling
    the controls multiplies the odds by that much; the slopes are unchanged). None for a small
    fit, or when the sample's own fit fails."""
    if len(design) <= WARM_START_ROWS:
        return None
    kept = treated | (np.arange(len(design)) % WARM_START_EVERY == 0)
    params, problem = _newton_logit(design[kept], treated[kept], None)
    if problem:
        return None
    params[0] -= np.log(WARM_START_EVERY)
    return params


def _newton_logit(design: np.ndarray, treated: np.ndarray, start) -> tuple[np.ndarray, str]:
    model = sm.Logit(treated.astype(float), design, check_rank=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow while diverging
        try:
            fit = model.fit(method="newton", maxiter=LOGIT_MAX_ITER, disp=False, start_params=start)
        except PerfectSeparationWarning:
            return np.empty(0), "perfect separation"
        except np.linalg.LinAlgError:
            return np.empty(0), "a singular information matrix (quasi-separation)"
    params = np.array(fit.params, dtype=float)
    if not fit.mle_retvals.get("converged", False) or not np.all(np.isfinite(params)):
        return np.empty(0), "non-convergence (quasi-separation)"
    return params, ""


def _fit_penalised_logit(design: np.ndarray, treated: np.ndarray) -> np.ndarray:
    model = LogisticRegression(C=PENALISED_C, max_iter=1000)
    model.fit(design[:, 1:], treated)
    return np.concatenate([model.intercept_, model.coef_.ravel()])


# ---------------------------------------------------------------- ties and strata


def _label_order(index: pd.Index) -> np.ndarray:
    try:
        return np.asarray(index.argsort(), dtype=np.int64)
    except TypeError:  # mixed label types: order by their text
        return np.argsort(index.astype(str).to_numpy(), kind="stable")


def _tie_priority(index: pd.Index, seed: int | None) -> np.ndarray:
    """Rank used to break distance ties: sorted index labels, shuffled when a seed is given.

    It depends on the labels and the seed only, never on row positions, so reordering the
    rows of the input cannot change which of two equidistant controls is chosen.
    """
    rank = np.empty(len(index), dtype=np.int64)
    rank[_label_order(index)] = np.arange(len(index))
    if seed is None:
        return rank
    return np.random.default_rng(seed).permutation(len(index))[rank]


def _strata_codes(frame: pd.DataFrame, exact: list[str]) -> np.ndarray:
    if not exact:
        return np.zeros(len(frame), dtype=np.int64)
    return frame.groupby(exact, sort=True, observed=True).ngroup().to_numpy(dtype=np.int64)


# ---------------------------------------------------------------- nearest neighbours


@dataclass(frozen=True)
class _SortedPool:
    """Reference units of one stratum sorted by (score, tie priority)."""

    score: np.ndarray
    priority: np.ndarray
    position: np.ndarray  # row positions in the input frame

    @classmethod
    def of(cls, positions: np.ndarray, score: np.ndarray, priority: np.ndarray) -> _SortedPool:
        order = np.lexsort((priority[positions], score[positions]))
        chosen = positions[order]
        return cls(score[chosen], priority[chosen], chosen)

    def block_starts(self) -> np.ndarray:
        """For each unit, the first position holding the same score."""
        new_value = np.concatenate([[True], self.score[1:] != self.score[:-1]])
        starts = np.flatnonzero(new_value)
        return starts[np.cumsum(new_value) - 1]


def _k_nearest(query: np.ndarray, pool: _SortedPool, k: int, exclude: np.ndarray | None = None):
    """The k nearest pool units to each query score, ties to the lower priority.

    Vectorised: around each query's insertion point, the k nearest distinct score values on
    either side, and the k lowest-priority units at each value, always contain the answer.
    `exclude` gives each query's own row position (never its own neighbour). Returns pool
    indices (-1 where fewer than k exist) and integer distances (_FAR there).
    """
    k_search = k + (exclude is not None)
    starts = np.flatnonzero(np.concatenate([[True], pool.score[1:] != pool.score[:-1]]))
    counts = np.diff(np.append(starts, len(pool.score)))
    values = pool.score[starts]
    centre = np.searchsorted(values, query)
    value_at = centre[:, None] + np.arange(-k_search, k_search)[None, :]
    in_range = (value_at >= 0) & (value_at < len(values))
    value_at = np.clip(value_at, 0, len(values) - 1)
    within = np.arange(k_search)[None, None, :]
    candidate = starts[value_at][:, :, None] + within
    valid = in_range[:, :, None] & (within < counts[value_at][:, :, None])
    candidate = np.where(valid, candidate, 0).reshape(len(query), -1)
    distance = np.abs(query[:, None] - pool.score[candidate])
    distance[~valid.reshape(len(query), -1)] = _FAR
    if exclude is not None:
        distance[pool.position[candidate] == exclude[:, None]] = _FAR
    best = np.lexsort((pool.priority[candidate], distance), axis=-1)[:, :k]
    chosen = np.take_along_axis(candidate, best, axis=1)
    chosen_distance = np.take_along_axis(distance, best, axis=1)
    return np.where(chosen_distance < _FAR, chosen, -1), chosen_distance


def _pairs_with_replacement(treated_at, pool: _SortedPool, key, k, width):
    nearest, distance = _k_nearest(key[treated_at], pool, k)
    keep = distance <= width
    rows = np.broadcast_to(treated_at[:, None], nearest.shape)
    return rows[keep], pool.position[nearest[keep]], distance[keep]


class _Availability:
    """Which pool units are still free, with path-compressed next/previous-free look-ups."""

    def __init__(self, n: int):
        self.right = np.arange(n + 1)  # right[j]: candidate free unit >= j (n: none)
        self.left = np.arange(n + 1)  # left[j + 1]: candidate free unit <= j (stored +1)

    @staticmethod
    def _find(parent: np.ndarray, j: int) -> int:
        root = j
        while parent[root] != root:
            root = parent[root]
        while parent[j] != root:
            parent[j], j = root, parent[j]
        return root

    def next_free(self, j: int) -> int:
        return self._find(self.right, j)

    def previous_free(self, j: int) -> int:
        return self._find(self.left, j + 1) - 1

    def take(self, j: int) -> None:
        self.right[j] = j + 1
        self.left[j + 1] = j


def _pairs_greedy(treated_at, pool: _SortedPool, key, priority, k, width):
    """Greedy matching without replacement, treated taken in descending score order."""
    order = np.lexsort((priority[treated_at], -key[treated_at]))
    free = _Availability(len(pool.score))
    block_start = pool.block_starts()
    rows, controls, distances = [], [], []
    for row in treated_at[order]:
        for j, gap in _take_nearest_free(int(key[row]), pool, free, block_start, k, width):
            rows.append(row)
            controls.append(pool.position[j])
            distances.append(gap)
    as_array = (np.array(v, dtype=np.int64) for v in (rows, controls, distances))
    return tuple(as_array)


def _take_nearest_free(score, pool: _SortedPool, free: _Availability, block_start, k, width):
    n = len(pool.score)
    insert = int(np.searchsorted(pool.score, score))
    taken = []
    for _ in range(k):
        right = free.next_free(insert)
        left = free.previous_free(insert - 1)
        if left >= 0:  # lowest-priority free unit sharing the left candidate's score
            left = free.next_free(int(block_start[left]))
        gap_right = int(pool.score[right]) - score if right < n else _FAR
        gap_left = score - int(pool.score[left]) if left >= 0 else _FAR
        use_left = gap_left < gap_right or (
            gap_left == gap_right and left >= 0 and pool.priority[left] < pool.priority[right]
        )
        j, gap = (left, gap_left) if use_left else (right, gap_right)
        if gap >= _FAR or gap > width:
            break
        free.take(j)
        taken.append((j, gap))
    return taken


# ---------------------------------------------------------------- balance


def _weighted_moments(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and variances (dividing by the sum of weights) of each column."""
    used = weights > 0
    if not used.all():
        values, weights = values[used], weights[used]
    total = weights.sum()
    if total <= 0:
        return np.full(values.shape[1], np.nan), np.full(values.shape[1], np.nan)
    mean = weights @ values / total
    variance = weights @ (values - mean) ** 2 / total
    return mean, variance


def _resolve_weights(frame: pd.DataFrame, weights) -> np.ndarray:
    if weights is None:
        return np.ones(len(frame))
    values = frame[weights] if isinstance(weights, str) else weights
    values = np.asarray(values, dtype=float)
    if values.shape != (len(frame),) or not np.all(np.isfinite(values)) or (values < 0).any():
        raise OptionError("balance_table: weights must be finite, non-negative, one per row")
    return values


def balance_table(
    frame: pd.DataFrame,
    *,
    treatment: str,
    covariates: list[str],
    weights: str | np.ndarray | pd.Series | None = None,
    balance_sd: BalanceSD = "pooled",
) -> pd.DataFrame:
    """Covariate balance: (weighted) means, standardised mean difference, variance ratio.

    SMD = (mean_treated - mean_control) / sqrt((var_treated + var_control) / 2), where the
    means are weighted but the two variances are always the unweighted ones of the frame as
    passed (Austin 2009; Stuart 2010). With `balance_sd="treated"` the denominator is the
    treated group's SD instead, MatchIt's default for the ATT (see `_smd_scale`). Pass the
    full, unmatched sample with zero weight for unmatched rows so that "before" and "after"
    SMDs share one denominator. Variances divide by the sum of weights, so a binary
    covariate's variance is exactly p(1 - p). The variance ratio is weighted var_treated /
    weighted var_control. Text and categorical covariates appear as one 0/1 row per level
    ("column=level").
    """
    check_option("balance_sd", balance_sd, BalanceSD)
    covariates = _as_list(covariates)
    treated = _checked_treatment(frame, treatment, covariates, [], "balance_table")
    encoded = encoded_covariates(frame, covariates, drop_first=False)
    values = encoded.to_numpy(dtype=float)
    scale = _pooled_sd(values, treated) if balance_sd == "pooled" else _smd_scale(values, treated, balance_sd)
    table = _weighted_balance(values, treated, _resolve_weights(frame, weights), scale)
    return pd.DataFrame({"covariate": encoded.columns.astype(str), **table})


def _pooled_sd(values: np.ndarray, treated: np.ndarray) -> np.ndarray:
    _, var_t = _weighted_moments(values[treated], np.ones(int(treated.sum())))
    _, var_c = _weighted_moments(values[~treated], np.ones(int((~treated).sum())))
    return np.sqrt((var_t + var_c) / 2)


def _smd_scale(values: np.ndarray, treated: np.ndarray, balance_sd: str) -> np.ndarray:
    """SMD denominator of each column, from the whole (unmatched, unweighted) sample.

    "pooled": sqrt((var_t + var_c) / 2), variances dividing by n (MatchIt's "pooled" divides
    continuous ones by n - 1, a relative difference under 1 / (2n)). "treated": the treated
    group's SD exactly as MatchIt's s.d.denom="treated" (its default for the ATT): sqrt(p(1 - p))
    for a 0/1 column, else the sample SD (n - 1); where that is 0 the pooled SD is used, as
    MatchIt falls back to a pooled SD.
    """
    pooled = _pooled_sd(values, treated)
    if balance_sd == "pooled":
        return pooled
    rows = values[treated]
    binary = np.isin(values, (0.0, 1.0)).all(axis=0)
    mean = rows.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sample_var = rows.var(axis=0, ddof=1) if len(rows) > 1 else np.full(values.shape[1], np.nan)
    sd = np.sqrt(np.where(binary, mean * (1 - mean), sample_var))
    usable = np.isfinite(sd) & (sd >= np.sqrt(np.finfo(float).eps))
    return np.where(usable, sd, pooled)


def _weighted_balance(values, treated, weights, scale) -> dict[str, np.ndarray]:
    return _compare(
        _weighted_moments(values[treated], weights[treated]),
        _weighted_moments(values[~treated], weights[~treated]),
        scale,
    )


def _compare(moments_treated, moments_control, scale) -> dict[str, np.ndarray]:
    (mean_t, var_t), (mean_c, var_c) = moments_treated, moments_control
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = mean_t - mean_c
        smd = np.where(difference == 0, 0.0, difference / scale)
        ratio = var_t / var_c
    return {
        "mean_treated": mean_t,
        "mean_control": mean_c,
        "smd": smd,
        "variance_ratio": ratio,
    }


_BALANCE_COLUMNS = [
    "covariate",
    "smd_before",
    "smd_after",
    "variance_ratio_before",
    "variance_ratio_after",
    "balanced_after",
]


def _before_after(frame, treated, covariates, weights, threshold, balance_sd="pooled") -> pd.DataFrame:
    """Balance of the whole sample, then weighted, sharing the unweighted SMD denominator
    (`_smd_scale`: pooled, or the treated group's SD)."""
    encoded = encoded_covariates(frame, covariates, drop_first=False)
    values = encoded.to_numpy(dtype=float)
    values_t, values_c = values[treated], values[~treated]
    whole_t = _weighted_moments(values_t, np.ones(len(values_t)))
    whole_c = _weighted_moments(values_c, np.ones(len(values_c)))
    if balance_sd == "pooled":
        scale = np.sqrt((whole_t[1] + whole_c[1]) / 2)
    else:
        scale = _smd_scale(values, treated, balance_sd)
    before = _compare(whole_t, whole_c, scale)
    after = _compare(
        _weighted_moments(values_t, weights[treated]),
        _weighted_moments(values_c, weights[~treated]),
        scale,
    )
    return pd.DataFrame(
        {
            "covariate": encoded.columns.astype(str),
            "smd_before": before["smd"],
            "smd_after": after["smd"],
            "variance_ratio_before": before["variance_ratio"],
            "variance_ratio_after": after["variance_ratio"],
            "balanced_after": np.abs(after["smd"]) < threshold,
        }
    )


# ---------------------------------------------------------------- match


@dataclass(frozen=True, kw_only=True)
class MatchResult:
    """A matched sample and how it was made (no estimate: pass it to `att`).

    `matched` holds the input rows of matched treated people and used controls plus
    `_weight` (treated 1; a control sum_i 1/k_i over the treated i it serves, k_i being
    i's number of matches, so control weights sum to `n_matched`) and `_match_group`
    (the treated row's index label; with replacement a control serving several treated
    people names the first of them, and `pairs` lists every pair). `data` is the frame
    passed to `match` (not copied); `att` reads outcomes from it. `common_support` is the
    rule that discarded people off common support (MatchIt's `discard=`): treated people
    discarded count in `discarded["support"]`, comparison people in `n_controls_discarded`.
    `balance_sd` says which SD standardises the balance table's mean differences.
    """

    matched: pd.DataFrame = field(repr=False, compare=False)
    pairs: pd.DataFrame = field(repr=False, compare=False)
    propensity: pd.Series = field(repr=False, compare=False)
    logit_propensity: pd.Series = field(repr=False, compare=False)
    balance: pd.DataFrame = field(repr=False, compare=False)
    data: pd.DataFrame = field(repr=False, compare=False)
    treatment: str
    covariates: tuple[str, ...]
    n_treated: int
    n_matched: int
    n_discarded: int
    n_controls_used: int
    discarded: dict[str, int] = field(compare=False)
    caliper_width: float
    propensity_method: str
    propensity_notes: tuple[str, ...] = ()
    threshold: float = SMD_THRESHOLD
    ratio: int = 1
    caliper: float | None = 0.2
    replace: bool = True
    exact: tuple[str, ...] = ()
    seed: int | None = None
    alpha: float = 0.05
    common_support: str = "treated"
    balance_sd: str = "pooled"
    n_controls_discarded: int = 0

    def summary(self) -> str:
        unbalanced = self.balance.loc[~self.balance["balanced_after"], "covariate"].tolist()
        return (
            f"Propensity-score matching 1:{self.ratio} "
            f"({'with' if self.replace else 'without'} replacement, "
            f"caliper {self.caliper} SD of the logit score): "
            f"{self.n_matched} of {self.n_treated} treated matched to {self.n_controls_used} "
            f"controls; discarded {self.discarded}. "
            f"Covariates with |SMD| >= {self.threshold} after matching: {unbalanced or 'none'}."
        ) + self._options_note()

    def _options_note(self) -> str:
        """What non-default support and balance settings did (empty for the defaults)."""
        notes = []
        if self.common_support != "treated":
            notes.append(
                f" Common support rule '{self.common_support}' (MatchIt discard=): "
                f"{self.n_controls_discarded} comparison people discarded off support."
            )
        if self.balance_sd != "pooled":
            notes.append(f" Standardised mean differences use the {self.balance_sd} group's SD.")
        return "".join(notes)


def match(
    frame: pd.DataFrame,
    *,
    treatment: str,
    covariates: list[str],
    exact: list[str] | None = None,
    ratio: int = 1,
    caliper: float | None = 0.2,
    replace: bool = True,
    seed: int | None = None,
    alpha: float = 0.05,
    common_support: CommonSupport = "treated",
    balance_sd: BalanceSD = "pooled",
    balance: bool = True,
) -> MatchResult:
    """Nearest-neighbour matching on the logit of a propensity score, for the ATT.

    The score comes from a logit of `treatment` on `covariates` (text or categorical columns
    one-hot encoded, first level dropped; statsmodels Newton-Raphson). Before fitting, a
    level of a text covariate or 0/1 flag held by one group only (no participant is a
    veteran) is found by counting: those rows get propensity exactly 0 (controls: never
    matched) or 1 (treated: discarded as off support), the maximum-likelihood limit, and the
    logit is fitted to the other rows; `propensity_notes` records each case and every
    covariate thereby left constant and dropped. If the data are still (quasi-)separated the
    logit is refitted as a lightly penalised scikit-learn logit, which `propensity_method`
    records. Each treated person gets the `ratio` nearest controls on the logit score within
    the same `exact` stratum. Treated people outside the range of
    all controls' scores, in a stratum without controls, or with no control within `caliper`
    pooled SDs of the logit score (Austin 2011: sqrt((var_t + var_c) / 2), 0.2 by default;
    None for no caliper) are discarded. Without replacement, treated people are matched
    greedily in descending score order and each control is used once.

    Ties: equidistant controls (and equal-score treated in the greedy order) are taken in
    the order of the frame's sorted index labels, shuffled by `seed` when one is given, so
    results depend on labels and seed but never on row order. `alpha` travels to `att`.

    `common_support` is MatchIt's `discard=` on the score: "treated" (the default) discards
    treated people outside the range of all comparison people's scores; "control" drops
    comparison people outside the treated range from the pool; "both" does both (everyone
    outside the overlap of the two ranges); "none" discards nobody (the caliper still
    applies). The caliper's SD is always that of everyone with a finite score.
    `balance_sd` picks the SMD denominator of the balance table: "pooled" (the default), or
    "treated", the treated group's SD as MatchIt's summary() uses for the ATT (`_smd_scale`).
    `balance` False skips the balance table (left empty, no rows), for callers that show none.
    """
    covariates, exact = _as_list(covariates), _as_list(exact)
    _check_settings(ratio=ratio, caliper=caliper, alpha=alpha)
    check_option("common_support", common_support, CommonSupport)
    check_option("balance_sd", balance_sd, BalanceSD)
    _check_reserved(frame)
    treated = _checked_treatment(frame, treatment, covariates, exact, "match")
    propensity = _fit_propensity(frame, treated, covariates)
    strata = _strata_codes(frame, exact)
    priority = _tie_priority(frame.index, seed)
    usable = propensity.usable
    width = _caliper_width(propensity.linear[usable], treated[usable], caliper)
    key, resolution = _score_keys(propensity.linear)
    keep_treated, keep_controls = _common_support(key, treated, usable, common_support)
    rows, controls, distances, discarded = _match_all(
        key,
        treated,
        (keep_treated, keep_controls),
        strata,
        priority,
        ratio,
        np.floor(width / resolution),
        replace,
    )
    pairs = _pairs_frame(frame.index, rows, controls, distances * resolution, priority)
    weights = _match_weights(len(frame), rows, controls)
    matched = _matched_frame(frame, weights, pairs)
    table = (
        _before_after(frame, treated, covariates, weights, SMD_THRESHOLD, balance_sd)
        if balance
        else pd.DataFrame(columns=_BALANCE_COLUMNS)
    )
    return MatchResult(
        matched=matched,
        pairs=pairs,
        propensity=pd.Series(propensity.score, index=frame.index, name="propensity"),
        logit_propensity=pd.Series(propensity.linear, index=frame.index, name="logit"),
        balance=table,
        data=frame,
        treatment=treatment,
        covariates=tuple(covariates),
        n_treated=int(treated.sum()),
        n_matched=int(np.unique(rows).size),
        n_discarded=int(sum(discarded.values())),
        n_controls_used=int(np.unique(controls).size),
        discarded=discarded,
        caliper_width=float(width),
        propensity_method=propensity.method,
        propensity_notes=propensity.notes,
        ratio=int(ratio),
        caliper=caliper,
        replace=bool(replace),
        exact=tuple(exact),
        seed=seed,
        alpha=alpha,
        common_support=common_support,
        balance_sd=balance_sd,
        n_controls_discarded=int((~treated & usable & ~keep_controls).sum()),
    )


def _check_reserved(frame: pd.DataFrame) -> None:
    clash = [c for c in (WEIGHT_COLUMN, GROUP_COLUMN) if c in frame.columns]
    if clash:
        raise InputError(f"match: the frame already has column(s) {clash}; rename them first")


def _caliper_width(linear: np.ndarray, treated: np.ndarray, caliper: float | None) -> float:
    if caliper is None:
        return np.inf
    pooled = np.sqrt((linear[treated].var(ddof=1) + linear[~treated].var(ddof=1)) / 2)
    return caliper * pooled if np.isfinite(pooled) else np.inf


def _common_support(key, treated, usable, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Treated rows that may be matched and comparison rows that may be used, by MatchIt's
    `discard=` rule on the score (see `match`); rows without a finite score are never kept."""
    keep_treated, keep_controls = treated & usable, ~treated & usable
    if rule in ("treated", "both"):
        low, high = key[keep_controls].min(), key[keep_controls].max()
        keep_treated = keep_treated & (key >= low) & (key <= high)
    if rule in ("control", "both"):
        low, high = key[treated & usable].min(), key[treated & usable].max()
        keep_controls = keep_controls & (key >= low) & (key <= high)
    return keep_treated, keep_controls


def _match_all(key, treated, support, strata, priority, ratio, width, replace):
    """Pairs (treated row, control row, key distance) over all strata, plus discard counts.

    Only rows kept by `support` (treated, controls: see `_common_support`) take part; other
    treated rows count as off support.
    """
    on_support, candidates = support
    discarded = {"support": int((treated & ~on_support).sum()), "no_controls": 0, "caliper": 0}
    pieces = []
    for stratum in np.unique(strata[treated]):
        in_stratum = strata == stratum
        treated_at = np.flatnonzero(in_stratum & on_support)
        control_at = np.flatnonzero(in_stratum & candidates)
        if len(treated_at) == 0:
            continue
        if len(control_at) == 0:
            discarded["no_controls"] += len(treated_at)
            continue
        pool = _SortedPool.of(control_at, key, priority)
        if replace:
            found = _pairs_with_replacement(treated_at, pool, key, ratio, width)
        else:
            found = _pairs_greedy(treated_at, pool, key, priority, ratio, width)
        discarded["caliper"] += len(treated_at) - np.unique(found[0]).size
        pieces.append(found)
    rows, controls, distances = (
        (np.concatenate(p) for p in zip(*pieces, strict=True))
        if pieces
        else (np.empty(0, dtype=np.int64),) * 3
    )
    if rows.size == 0:
        raise DesignError(
            f"match: no treated person could be matched (discarded: {discarded})",
            "check common support, widen the caliper, or relax `exact`",
        )
    return rows, controls, distances, discarded


def _pairs_frame(index, rows, controls, distances, priority) -> pd.DataFrame:
    label_rank = np.empty(len(index), dtype=np.int64)
    label_rank[_label_order(index)] = np.arange(len(index))
    order = np.lexsort((priority[controls], distances, label_rank[rows]))
    return pd.DataFrame(
        {
            "treated_index": index[rows[order]],
            "control_index": index[controls[order]],
            "distance": distances[order],
        }
    )


def _match_weights(n_rows: int, rows: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Treated 1; each control the sum over its treated of 1/k_i (zero when unused)."""
    matches_per_treated = np.bincount(rows, minlength=n_rows)
    weights = np.bincount(controls, weights=1.0 / matches_per_treated[rows], minlength=n_rows)
    weights[np.unique(rows)] = 1.0
    return weights


def _matched_frame(frame: pd.DataFrame, weights: np.ndarray, pairs: pd.DataFrame):
    """Rows with positive weight, plus `_weight` and `_match_group` (see MatchResult)."""
    used = weights > 0
    matched = frame.loc[used].copy()
    matched[WEIGHT_COLUMN] = weights[used]
    first_treated = pairs.drop_duplicates("control_index").set_index("control_index")
    group = first_treated["treated_index"].reindex(matched.index).to_numpy(dtype=object)
    is_treated = matched.index.isin(pairs["treated_index"])
    matched[GROUP_COLUMN] = np.where(is_treated, matched.index.to_numpy(dtype=object), group)
    return matched


# ---------------------------------------------------------------- att


@dataclass(frozen=True, kw_only=True)
class ATTResult(EstimateResult):
    """Matched ATT with the Abadie-Imbens (2006) conditional variance.

    `n` counts the matched treated plus the distinct controls used; `mean_control` is the
    matched (counterfactual) mean; `balance` is the matching's balance table.
    """

    n_treated: int
    n_controls: int
    n_discarded: int
    mean_treated: float
    mean_control: float
    variance_method: str
    std_error_regression: float
    balance: pd.DataFrame = field(repr=False, compare=False)


def att(matched: MatchResult, *, outcome: str, alpha: float | None = None) -> ATTResult:
    """Average effect on the matched treated, mean(Y_treated) - sum_j w_j Y_j / n_matched.

    Standard error: Abadie & Imbens (2006, Econometrica 74(1), Theorem 7), the variance
    conditional on the covariates (for the sample ATT),
    V = (1 / N1^2) [sum_treated s2_i + sum_controls w_j^2 s2_j],
    with w_j = K_M(j) / M when every treated person has M = `ratio` matches (in general the
    match weight sum_i 1/k_i), and s2 = J / (J + 1) (Y - mean of the J = 2 nearest units of
    the same treatment group on the logit score, within the exact stratum; across strata
    for a unit alone in its own). The propensity score is treated as known (no
    Abadie-Imbens 2016 adjustment). `std_error_regression` is the HC1 standard error of a
    weighted regression of the outcome on treatment in the matched sample, a diagnostic.
    `alpha` defaults to the one given to `match`.
    """
    alpha = matched.alpha if alpha is None else alpha
    _check_alpha(alpha)
    data = matched.data
    y = _numeric_outcome(data, outcome, "att")
    rows = data.index.get_indexer(pd.Index(matched.pairs["treated_index"]))
    controls = data.index.get_indexer(pd.Index(matched.pairs["control_index"]))
    weights = _match_weights(len(data), rows, controls)
    treated_at, control_at = np.unique(rows), np.unique(controls)
    mean_treated = float(y[treated_at].mean())
    mean_control = float(weights[control_at] @ y[control_at] / len(treated_at))
    estimate = mean_treated - mean_control
    variance = _abadie_imbens_variance(matched, y, weights, treated_at, control_at)
    std_error = float(np.sqrt(variance))
    low, high = normal_interval(estimate, std_error, alpha)
    return ATTResult(
        term="att",
        estimate=estimate,
        std_error=std_error,
        ci_lower=low,
        ci_upper=high,
        n=int(len(treated_at) + len(control_at)),
        alpha=alpha,
        method=f"Propensity-score matching 1:{matched.ratio} "
        f"({'with' if matched.replace else 'without'} replacement), ATT",
        n_treated=int(len(treated_at)),
        n_controls=int(len(control_at)),
        n_discarded=matched.n_discarded,
        mean_treated=mean_treated,
        mean_control=mean_control,
        variance_method=f"Abadie-Imbens (2006) conditional, J={VARIANCE_NEIGHBOURS} "
        "same-group neighbours on the logit score",
        std_error_regression=_regression_se(y, weights, treated_at, control_at),
        balance=matched.balance,
    )


def _abadie_imbens_variance(matched: MatchResult, y, weights, treated_at, control_at) -> float:
    data = matched.data
    treated = _treatment_indicator(data, matched.treatment, "att")
    linear = matched.logit_propensity.to_numpy()
    usable = np.isfinite(linear)  # separated rows (score 0 or 1) are nobody's neighbour
    key, _ = _score_keys(linear)
    strata = _strata_codes(data, list(matched.exact))
    priority = _tie_priority(data.index, matched.seed)
    s2_treated = _conditional_variance(treated_at, treated & usable, y, key, strata, priority)
    s2_control = _conditional_variance(control_at, ~treated & usable, y, key, strata, priority)
    total = s2_treated.sum() + (weights[control_at] ** 2 @ s2_control)
    return float(total / len(treated_at) ** 2)


def _conditional_variance(units, group, y, key, strata, priority) -> np.ndarray:
    """J/(J+1) (Y_i - mean of i's J nearest same-group neighbours)^2 for each unit."""
    s2 = np.full(len(units), np.nan)
    for stratum in np.unique(strata[units]):
        here = strata[units] == stratum
        members = np.flatnonzero(group & (strata == stratum))
        s2[here] = _neighbour_variance(units[here], members, y, key, priority)
    alone = np.isnan(s2)
    if alone.any():
        s2[alone] = _neighbour_variance(units[alone], np.flatnonzero(group), y, key, priority)
    if np.isnan(s2).any():
        raise DesignError("att: a treatment group has a single person", "more data is needed")
    return s2


def _nearest_members(units, members, key, priority, k: int) -> np.ndarray:
    """Row positions of each unit's k nearest `members` on the key, itself excluded.

    Ties go to the lower tie priority; -1 where fewer than k other members exist.
    """
    pool = _SortedPool.of(members, key, priority)
    nearest, _ = _k_nearest(key[units], pool, k, exclude=units)
    return np.where(nearest >= 0, pool.position[np.maximum(nearest, 0)], -1)


def _neighbour_variance(units, members, y, key, priority) -> np.ndarray:
    nearest = _nearest_members(units, members, key, priority, VARIANCE_NEIGHBOURS)
    found = nearest >= 0
    count = found.sum(axis=1)
    neighbour_y = np.where(found, y[np.maximum(nearest, 0)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = neighbour_y.sum(axis=1) / count
        return np.where(count > 0, count / (count + 1) * (y[units] - mean) ** 2, np.nan)


def _regression_se(y, weights, treated_at, control_at) -> float:
    """HC1 s.e. of the treated coefficient in a weighted regression on the matched sample."""
    at = np.concatenate([treated_at, control_at])
    if len(at) <= 2:
        return float("nan")
    is_treated = np.r_[np.ones(len(treated_at)), np.zeros(len(control_at))]
    design = np.column_stack([np.ones(len(at)), is_treated])
    fit = sm.WLS(y[at], design, weights=weights[at]).fit(cov_type="HC1")
    return float(fit.bse[1])


# ---------------------------------------------------------------- weighting


@dataclass(frozen=True, kw_only=True)
class WeightingResult(EstimateResult):
    """ATT by odds weighting (IPW) or doubly robust odds weighting (AIPW)."""

    n_treated: int
    n_controls: int
    n_trimmed: int
    mean_treated: float
    mean_control: float
    ess_controls: float
    max_weight: float
    propensity_method: str
    balance: pd.DataFrame = field(repr=False, compare=False)


def weighting(
    frame: pd.DataFrame,
    *,
    treatment: str,
    covariates: list[str],
    outcome: str,
    method: WeightingMethod = "ipw",
    alpha: float = 0.05,
    trim: float | None = None,
) -> WeightingResult:
    """ATT by normalised (Hajek) odds weighting, or its doubly robust version.

    "ipw": mean(Y_treated) - sum_c w_c Y_c / sum_c w_c with w_c = p_c / (1 - p_c) from the
    same logit as `match`. "aipw": the doubly robust ATT of Sant'Anna & Zhao (2020; their
    panel DR-DiD estimator with the outcome Y in place of its change): an OLS outcome model
    m0(X) fitted on controls, then the same odds weighting applied to Y - m0(X). Standard
    errors come from the influence function, including the estimation of the logit (and of
    m0 for "aipw"). `trim` = a keeps only rows with a <= p <= 1 - a (Crump et al. 2009),
    changing the estimand to the trimmed population's ATT; the logit is fitted on all rows.
    A level of a covariate held only by controls gives them propensity 0 (weight 0); one held
    only by treated rows gives them propensity 1, and they are left out like trimmed rows
    (counted in `n_trimmed`), since nobody is comparable (see `match`). `max_weight` is the largest control weight once control weights are scaled to sum to
    the number of treated people; `ess_controls` is Kish's (sum w)^2 / sum w^2.
    """
    check_option("method", method, WeightingMethod)
    _check_alpha(alpha)
    if trim is not None and not 0 < trim < 0.5:
        raise OptionError(f"trim={trim!r} must lie strictly between 0 and 0.5, or be None")
    covariates = _as_list(covariates)
    treated = _checked_treatment(frame, treatment, covariates, [outcome], "weighting")
    y = _numeric_outcome(frame, outcome, "weighting")
    propensity = _fit_propensity(frame, treated, covariates)
    # treated rows of a level no control has (propensity 1) have no comparison: left out
    kept = _trim_mask(propensity.score, trim) & ~(treated & (propensity.linear == np.inf))
    if not (kept & treated).any() or not (kept & ~treated).any():
        raise DesignError(
            "weighting: trimming removed every treated or every control row", "use a smaller `trim`"
        )
    fit = _odds_weighting(y, treated, kept, propensity, augmented=method == "aipw")
    return _weighting_result(frame, covariates, treated, kept, propensity, fit, method, alpha)


def _trim_mask(score: np.ndarray, trim: float | None) -> np.ndarray:
    if trim is None:
        return np.ones(len(score), dtype=bool)
    return (score >= trim) & (score <= 1 - trim)


@dataclass(frozen=True)
class _WeightingFit:
    estimate: float
    influence: np.ndarray
    control_weights: np.ndarray  # odds weights, zero for treated and trimmed rows
    mean_treated: float
    mean_control: float


def _odds_weighting(y, treated, kept, propensity: _Propensity, augmented: bool) -> _WeightingFit:
    """Hajek odds-weighted ATT and its influence function (logit and OLS steps included)."""
    x, p = propensity.design, propensity.score
    w1 = (treated & kept).astype(float)
    w0 = np.zeros(len(y))
    controls = ~treated & kept
    w0[controls] = np.exp(propensity.linear[controls])  # odds p / (1 - p)
    ols_if, fitted = _ols_on_controls(x, y, w0 > 0) if augmented else (np.zeros_like(x), np.zeros(len(y)))
    residual = y - fitted
    eta1 = w1 @ residual / w1.sum()
    eta0 = w0 @ residual / w0.sum()
    logit_if = _logit_influence(x, treated, p)
    if_treated = (w1 * (residual - eta1) - ols_if @ (w1 @ x / len(y))) / w1.mean()
    moment_gamma = (w0 * (residual - eta0)) @ x / len(y)
    if_control = (w0 * (residual - eta0) + logit_if @ moment_gamma - ols_if @ (w0 @ x / len(y))) / w0.mean()
    mean_treated = float(w1 @ y / w1.sum())
    estimate = float(eta1 - eta0)
    return _WeightingFit(estimate, if_treated - if_control, w0, mean_treated, mean_treated - estimate)


def _logit_influence(x: np.ndarray, treated: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each row's influence on the logit coefficients: (X'WX / n)^-1 x_i (d_i - p_i)."""
    information = (x * (p * (1 - p))[:, None]).T @ x / len(x)
    return (x * (treated - p)[:, None]) @ np.linalg.inv(information)


def _ols_on_controls(x: np.ndarray, y: np.ndarray, controls: np.ndarray):
    """Influence of the control-group OLS coefficients, and fitted values for all rows."""
    xc = x[controls]
    beta, *_ = np.linalg.lstsq(xc, y[controls], rcond=None)
    fitted = x @ beta
    gram = xc.T @ xc / len(x)
    score = x * (controls * (y - fitted))[:, None]
    return score @ np.linalg.pinv(gram), fitted


def _weighting_result(frame, covariates, treated, kept, propensity, fit, method, alpha) -> WeightingResult:
    std_error = float(np.sqrt(np.mean(fit.influence**2) / len(fit.influence)))
    low, high = normal_interval(fit.estimate, std_error, alpha)
    n_treated = int((treated & kept).sum())
    w0 = fit.control_weights
    scaled = w0 * n_treated / w0.sum()
    balance_weights = np.where(treated & kept, 1.0, scaled)
    balance = _before_after(frame, treated, covariates, balance_weights, SMD_THRESHOLD)
    label = {
        "ipw": "inverse-probability (odds) weighting",
        "aipw": "doubly robust odds weighting (AIPW)",
    }[method]
    return WeightingResult(
        term="att",
        estimate=fit.estimate,
        std_error=std_error,
        ci_lower=low,
        ci_upper=high,
        n=int(kept.sum()),
        alpha=alpha,
        method=f"ATT by {label}",
        n_treated=n_treated,
        n_controls=int((~treated & kept).sum()),
        n_trimmed=int((~kept).sum()),
        mean_treated=fit.mean_treated,
        mean_control=float(fit.mean_control),
        ess_controls=float(w0.sum() ** 2 / (w0**2).sum()),
        max_weight=float(scaled.max()),
        propensity_method=propensity.method,
        balance=balance,
    )
