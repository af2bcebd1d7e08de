"""Monthly outcome matrices and the employment and benefit histories used for matching.

Why detailed histories: in labour-market programmes most of the selection bias a matching
estimator can remove is removed by detailed employment and benefit histories, and little by
demographics alone (Lechner & Wunsch 2013; Caliendo, Mahlstedt & Mitnik 2017). People are
often referred after a fall in employment in the last few months (Ashenfelter's dip;
Heckman & Smith 1999), so the last months enter one by one, not only as a share.

`history_features` describes each person's history relative to an anchor month (their
referral month, or the cohort month a comparison person is compared at):

- `employed_m1` .. `employed_m6` and `benefit_m1` .. `benefit_m6`: the state in each of the
  6 months before the anchor;
- `employed_share_7_12`, `employed_share_13_24` (and the benefit shares): the share of those
  months in that state, over the months the data hold (the contracts ask for up to 24
  months before referral, 12 at least; a window with no month in the data is left out for
  everyone and reported in `HistoryFeatures.months_available`);
- `log_months_since_in_work`: log(1 + months since last in work within the history; the
  history length + 1 if not in work in it);
- `recent_job_loss`: in work in some month 2-6 months before the anchor, out of work in
  the month before it; `recent_benefit_start`: the same for starting out-of-work benefit.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

NO_MONTH = -(10**9)
"""Month code of a missing date."""

RECENT_MONTHS = 6
"""The months before the anchor entered one by one."""

RECENT_FEATURES = (
    *(f"{state}_m{k}" for state in ("employed", "benefit") for k in range(1, RECENT_MONTHS + 1)),
    "recent_job_loss",
    "recent_benefit_start",
)
"""The features describing only the last `RECENT_MONTHS` months (`RECENT_HISTORY` in impact)."""

SHARE_WINDOWS = ((7, 12), (13, 24))
"""Windows (months before the anchor, inclusive) entered as shares."""

MAX_HISTORY = 24
"""The longest history used (months before the anchor)."""

MIN_HISTORY = 12
"""The shortest history the contracts accept before referral (months)."""


def month_codes(dates: pd.Series) -> np.ndarray:
    """Calendar months as integers (year * 12 + month - 1); NaT -> `NO_MONTH`."""
    values = pd.to_datetime(dates)
    codes = values.dt.year.to_numpy(dtype=float) * 12 + values.dt.month.to_numpy(dtype=float) - 1
    return np.where(np.isnan(codes), NO_MONTH, codes).astype(np.int64)


def month_start(code: int) -> pd.Timestamp:
    """The first day of the month with integer code `code`."""
    return pd.Timestamp(year=int(code) // 12, month=int(code) % 12 + 1, day=1)


@dataclass(frozen=True)
class Outcomes:
    """Outcome matrix people x months (NaN where not observed) and its month codes."""

    wide: np.ndarray
    row_of: pd.Index  # person ids, position = row in `wide`
    first: int  # month code of column 0
    csum: np.ndarray  # cumulative sums of observed values, with a leading zero column
    ccount: np.ndarray  # cumulative counts of observed months, with a leading zero column

    @property
    def n_months(self) -> int:
        return self.wide.shape[1]

    def window_mean(self, rows: np.ndarray, anchor_col: np.ndarray, months: int) -> np.ndarray:
        """Mean over the `months` months before the anchor that lie in the data (`window_share`)."""
        return window_share(self, rows, anchor_col, 1, months)

    def relative(self, rows: np.ndarray, anchor_col: np.ndarray, events: np.ndarray) -> np.ndarray:
        """Outcomes at anchor + e for every e in `events` (NaN outside the data)."""
        cols = anchor_col[:, None] + events[None, :]
        inside = (cols >= 0) & (cols < self.n_months)
        values = self.wide[rows[:, None], np.clip(cols, 0, self.n_months - 1)]
        return np.where(inside, values, np.nan)


def outcome_matrix(outcomes, person_ids, *, person, month, outcome, last_code, first_code=None) -> Outcomes:
    """People x months matrix of `outcome` for `person_ids`, up to month code `last_code`."""
    return OutcomeRecords.of(outcomes, person_ids, person=person, month=month, last_code=last_code).matrix(
        outcome, first_code
    )


@dataclass(eq=False)
class OutcomeRecords:
    """The long outcome table's records of some people up to a month, located once.

    Each record's row (its person's position in `people`) and month code are found once; every
    outcome column's matrix (`matrix`) is then filled from them and kept. `OutcomeRecords.of`
    gives back the records it located last when asked again for the same table object, the same
    people, columns and last month (the headline, its candidates, the placebo referrals and the
    secondary outcomes of one activity ask for the same ones), and locates them anew otherwise.
    It keeps only the last table's records, and only while that table exists (a weak reference),
    so nothing is shared across runs. Tables are never changed in place by the toolkit; a
    matrix is rebuilt if its column's values changed.
    """

    people: pd.Index
    last_code: int
    positions: np.ndarray  # records of the table kept (people listed, months up to last_code)
    rows: np.ndarray  # each kept record's row in `people`
    codes: np.ndarray  # each kept record's month code
    source: weakref.ReferenceType[pd.DataFrame]
    key: tuple
    built: dict = field(default_factory=dict)

    @classmethod
    def of(
        cls, outcomes: pd.DataFrame, person_ids, *, person: str, month: str, last_code: int
    ) -> OutcomeRecords:
        people = pd.Index(pd.unique(np.asarray(person_ids, dtype=object)))
        key = (person, month, int(last_code), len(outcomes))
        last = _LAST_RECORDS[0] if _LAST_RECORDS else None
        if last is not None and last.source() is outcomes and last.key == key and last.people.equals(people):
            return last
        rows = people.get_indexer(outcomes[person])
        listed = np.flatnonzero(rows >= 0)
        codes = month_codes(outcomes[month].take(listed))
        keep = (codes <= last_code) & (codes > NO_MONTH)
        found = cls(
            people=people,
            last_code=int(last_code),
            positions=listed[keep],
            rows=rows[listed[keep]],
            codes=codes[keep],
            source=weakref.ref(outcomes),
            key=key,
        )
        _LAST_RECORDS[:] = [found]
        weakref.finalize(outcomes, _forget, id(found))
        return found

    def matrix(self, outcome: str, first_code: int | None = None) -> Outcomes:
        """People x months matrix of `outcome` (NaN where no record), from `first_code` (default:
        the first month of these people's records) to the last month."""
        outcomes = self.source()
        if outcomes is None:
            raise RuntimeError("OutcomeRecords.matrix: the outcome table no longer exists")
        series: pd.Series = outcomes[outcome].take(self.positions)
        column = pd.to_numeric(series, errors="coerce")
        values = column.to_numpy(dtype=float, na_value=np.nan)
        check = (float(np.nansum(values)), int(np.isnan(values).sum()))
        first = (
            first_code
            if first_code is not None
            else (int(self.codes.min()) if len(self.codes) else self.last_code)
        )
        known = self.built.get((outcome, first))
        if known is not None and known[0] == check:
            return known[1]
        inside = self.codes >= first
        wide = np.full((len(self.people), self.last_code - first + 1), np.nan)
        wide[self.rows[inside], self.codes[inside] - first] = values[inside]
        observed = np.isfinite(wide)
        zero = np.zeros((len(self.people), 1))
        csum = np.hstack([zero, np.cumsum(np.where(observed, wide, 0.0), axis=1)])
        ccount = np.hstack([zero, np.cumsum(observed, axis=1)])
        found = Outcomes(wide, self.people, first, csum, ccount)
        self.built[(outcome, first)] = (check, found)
        return found


_LAST_RECORDS: list[OutcomeRecords] = []
"""The records `OutcomeRecords.of` located last (at most one; see its docstring)."""


def _forget(records_id: int) -> None:
    """Drop the kept records once their table is gone."""
    if _LAST_RECORDS and id(_LAST_RECORDS[0]) == records_id:
        _LAST_RECORDS.clear()


@dataclass(frozen=True)
class HistoryFeatures:
    """History covariates, one row per (person, anchor), and how much history there was."""

    frame: pd.DataFrame
    months_available: int  # fewest months of history before any anchor, capped at MAX_HISTORY
    windows_dropped: tuple[str, ...]


def _states(prefix: str, data: Outcomes, rows, anchor_col) -> dict[str, np.ndarray]:
    recent = data.relative(rows, anchor_col, -np.arange(1, RECENT_MONTHS + 1))
    out = {f"{prefix}_m{k}": recent[:, k - 1] for k in range(1, RECENT_MONTHS + 1)}
    for start, end in SHARE_WINDOWS:
        out[f"{prefix}_share_{start}_{end}"] = window_share(data, rows, anchor_col, start, end)
    return out


def window_share(data: Outcomes, rows, anchor_col, start: int, end: int) -> np.ndarray:
    """Share of the months start..end before the anchor in the state, over those in the data."""
    lo = np.clip(anchor_col - end, 0, data.n_months)
    hi = np.clip(anchor_col - start + 1, 0, data.n_months)
    hi = np.maximum(hi, lo)
    total = data.csum[rows, hi] - data.csum[rows, lo]
    count = data.ccount[rows, hi] - data.ccount[rows, lo]
    complete = (count == hi - lo) & (count > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(complete, total / np.maximum(count, 1), np.nan)


def history_features(
    employed: Outcomes,
    benefit: Outcomes | None,
    rows: np.ndarray,
    anchor_col: np.ndarray,
    *,
    index=None,
    months_available: int | None = None,
) -> HistoryFeatures:
    """Employment (and benefit, when given) history before each row's anchor column.

    `rows` index the people in both matrices (the same people in the same order); `anchor_col`
    is each row's anchor as a column of `employed`. `months_available` (default: the fewest
    months of data before any row's anchor) sets which windows exist. A share window with no month inside the
    data for some anchor is dropped for everyone (listed in `windows_dropped`): comparing a
    share over different spans would not be like with like.
    """
    rows = np.asarray(rows, dtype=np.int64)
    anchor_col = np.asarray(anchor_col, dtype=np.int64)
    columns = _states("employed", employed, rows, anchor_col)
    if benefit is not None:
        columns |= _states("benefit", benefit, rows, anchor_col)
    if months_available is None:
        history = np.clip(anchor_col, 0, None)
        months_available = int(min(history.min(initial=MAX_HISTORY), MAX_HISTORY)) if len(rows) else 0
    months_available = int(min(months_available, MAX_HISTORY))
    dropped = []
    for start, end in SHARE_WINDOWS:
        if months_available < start:
            dropped.append(f"{start}-{end}")
            for prefix in ("employed", "benefit"):
                columns.pop(f"{prefix}_share_{start}_{end}", None)
    span = min(months_available, MAX_HISTORY)
    window = (
        employed.relative(rows, anchor_col, -np.arange(1, span + 1)) if span else np.zeros((len(rows), 0))
    )
    in_work = np.nan_to_num(window, nan=0.0) > 0.5
    first_in_work = np.argmax(in_work, axis=1) + 1 if span else np.zeros(len(rows), dtype=np.int64)
    since = np.where(in_work.any(axis=1), first_in_work, span + 1)
    columns["log_months_since_in_work"] = np.log1p(since).astype(float)
    recent = employed.relative(rows, anchor_col, -np.arange(1, RECENT_MONTHS + 1))
    earlier = recent[:, 1:]
    columns["recent_job_loss"] = np.where(
        np.isnan(recent).any(axis=1), np.nan, (recent[:, 0] == 0) & (earlier == 1).any(axis=1)
    ).astype(float)
    if benefit is not None:
        ben = benefit.relative(rows, anchor_col, -np.arange(1, RECENT_MONTHS + 1))
        columns["recent_benefit_start"] = np.where(
            np.isnan(ben).any(axis=1), np.nan, (ben[:, 0] == 1) & (ben[:, 1:] == 0).any(axis=1)
        ).astype(float)
    frame = pd.DataFrame(columns, index=index)
    return HistoryFeatures(frame=frame, months_available=months_available, windows_dropped=tuple(dropped))


__all__ = [
    "MAX_HISTORY",
    "MIN_HISTORY",
    "RECENT_MONTHS",
    "SHARE_WINDOWS",
    "HistoryFeatures",
    "OutcomeRecords",
    "Outcomes",
    "history_features",
    "month_codes",
    "month_start",
    "outcome_matrix",
    "window_share",
]
