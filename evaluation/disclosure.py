"""Statistical disclosure control for every count, percentage and rate the toolkit publishes.

Reports go to programme teams and may be published, so no figure may let a reader
identify a person or learn something about a small group. The rules follow the
GSS/ONS "Disclosure control guidance for tables produced from administrative
sources" and are configurable through `DisclosurePolicy`:

* counts from 1 to ``threshold - 1`` are suppressed (shown as ``[c]``); true zeros are
  shown unless ``suppress_zero=True`` (the guidance allows zeros where they do not
  reveal anything, for example "no participants in this area");
* every other count is rounded to the nearest ``rounding_base``, halves rounded up
  (12 -> 10, 13 -> 15 with a base of 5), so small differences between tables cannot
  be exploited;
* totals and percentages are calculated from the unrounded figures and rounded
  afterwards, so rounded cells need not add up to the rounded total;
* a percentage is suppressed when its numerator or denominator is suppressed, and
  shown as ``[z]`` (not applicable) when the denominator is zero. The same holds for
  every rate published as a proportion (an employment rate, a cohort rate, a
  Kaplan-Meier estimate): the people behind it, rate x group size, are a count, so
  "8% of 75 participants in work" is hidden because it publishes 6 people
  (`safe_rate`);
* a per cent of a target and an amount per person (spend per person) are worked out
  from the rounded count, not the exact one: the target and the spend are published
  exactly, so dividing by the exact count would give it back (75 shown, "77% of a
  target of 100" reveals 77). See `percent_of_target` and `per_person`;
* secondary suppression hides further cells so that no suppressed cell can be worked
  out by subtraction from a published row or column total (checked exactly, not only
  by the "two per line" rule; see `protect_table`).

Markers follow the Analysis Function guidance "Symbols in tables": shorthand in
square brackets, never ``*`` or ``..``.
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from evaluation.errors import InputError, OptionError
from evaluation.options import check_option, require_columns

SUPPRESSED = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
LOW_RELIABILITY = "[u]"
PROVISIONAL = "[p]"

MARKERS: Mapping[str, str] = MappingProxyType(
    {
        SUPPRESSED: "confidential: hidden to protect the people counted",
        NOT_AVAILABLE: "not available",
        NOT_APPLICABLE: "not applicable",
        LOW_RELIABILITY: "low reliability",
        PROVISIONAL: "provisional",
    }
)

SHORTHAND_NOTE = (
    "Shorthand used in tables: [c] means the figure is confidential. It has been hidden "
    "because it is a small number, or because it could be used to work out a small number "
    "from the totals. [x] means the figure is not available. [z] means the figure does not "
    "apply, for example a percentage of nobody. [u] means the figure has low reliability "
    "and should be used with caution. [p] means the figure is provisional and may change."
)

PublishedElsewhere = Literal["none", "row_totals", "column_totals", "both"]
"""Which totals of a table are published somewhere else (for example in a headline)."""


# --------------------------------------------------------------------------- policy


def _is_whole(value: Any) -> bool:
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _round_half_up(n: int, base: int) -> int:
    """Round a non-negative integer to the nearest multiple of `base`, halves up."""
    return (2 * n + base) // (2 * base) * base


@dataclass(frozen=True)
class DisclosurePolicy:
    """The disclosure-control settings applied to everything published.

    Defaults: suppress counts below 10, round the rest to the nearest 5, require 60
    treated people for an impact estimate (MoJ Justice Data Lab minimum), and show
    whole-number percentages. Zeros are shown unless `suppress_zero` is True.
    """

    threshold: int = 10
    rounding_base: int = 5
    min_impact_n: int = 60
    percent_decimals: int = 0
    suppress_zero: bool = False

    def __post_init__(self) -> None:
        for name in ("threshold", "rounding_base", "min_impact_n"):
            value = getattr(self, name)
            if not _is_whole(value) or value < 1:
                raise OptionError(
                    f"DisclosurePolicy.{name} must be a whole number of at least 1, got {value!r}"
                )
        if not _is_whole(self.percent_decimals) or not 0 <= self.percent_decimals <= 6:
            raise OptionError(
                "DisclosurePolicy.percent_decimals must be a whole number from 0 to 6, "
                f"got {self.percent_decimals!r}"
            )
        if not isinstance(self.suppress_zero, bool):
            raise OptionError(
                f"DisclosurePolicy.suppress_zero must be True or False, got {self.suppress_zero!r}"
            )
        lowest = _round_half_up(self.threshold, self.rounding_base)
        if lowest < self.threshold:
            raise OptionError(
                f"DisclosurePolicy: a count of {self.threshold} would be rounded to {lowest}, "
                f"below the threshold of {self.threshold}, so published figures could look "
                "like small counts. Choose a threshold that is a multiple of rounding_base "
                "or rounds up to one."
            )

    def round_count(self, n: int) -> int:
        """Round a count to the nearest `rounding_base`, halves rounded up."""
        return _round_half_up(n, self.rounding_base)

    def describe(self) -> str:
        """Plain-English statement of the rules, for a report's methods section."""
        zeros = (
            "Zeros are also hidden."
            if self.suppress_zero
            else "Zeros are shown, because a true zero does not identify anyone."
        )
        rounding = (
            ""
            if self.rounding_base == 1
            else f"Other counts are rounded to the nearest {self.rounding_base} (halves rounded "
            "up), so figures may not add up to the totals shown. "
        )
        return (
            f"To protect the people counted, counts from 1 to {self.threshold - 1} are hidden "
            f"and shown as {SUPPRESSED}. {zeros} {rounding}Totals and percentages are "
            "calculated before rounding. A percentage or rate is hidden when the number of people "
            f"behind it, or in the group it is a share of, is below {self.threshold}. "
            + (
                ""
                if self.rounding_base == 1
                else "Per cent of a target and spend per person are worked out from the rounded "
                "count, because the target and the spend are shown in full and would otherwise give "
                "the exact count away. "
            )
            + "Where a hidden count could be worked out from a total, further cells are hidden. "
            f"Impact is estimated only where at least {self.min_impact_n} people took part."
        )


DEFAULT_POLICY = DisclosurePolicy()


# --------------------------------------------------------------------------- scalars


def _as_count(value: Any) -> int | None:
    """`value` as a Python int if it is a whole, non-negative number, else None."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Integral):
        n = int(value)
    elif isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x) or not x.is_integer():
            return None
        n = int(x)
    else:
        return None
    return n if n >= 0 else None


def _check_count(value: Any, name: str) -> int:
    n = _as_count(value)
    if n is None:
        raise OptionError(f"{name} must be a whole, non-negative count, got {value!r}")
    return n


def must_suppress(n: Any, policy: DisclosurePolicy = DEFAULT_POLICY) -> bool:
    """True when the count `n` may not be published under `policy`."""
    count = _check_count(n, "count")
    return 0 < count < policy.threshold or (count == 0 and policy.suppress_zero)


def safe_count(n: Any, policy: DisclosurePolicy = DEFAULT_POLICY) -> int | str:
    """Publishable form of a count: `SUPPRESSED` if small, else rounded to the base.

    >>> safe_count(7), safe_count(12), safe_count(13), safe_count(0)
    ('[c]', 10, 15, 0)
    """
    count = _check_count(n, "count")
    if must_suppress(count, policy):
        return SUPPRESSED
    return policy.round_count(count)


def _round_percent(value: Fraction, decimals: int) -> int | float:
    """Round an exact fraction half up; an int when `decimals` is 0."""
    scale = 10**decimals
    rounded = math.floor(value * scale + Fraction(1, 2))
    return int(rounded) if decimals == 0 else float(Fraction(rounded, scale))


def safe_percent(
    numerator: Any, denominator: Any, policy: DisclosurePolicy = DEFAULT_POLICY
) -> int | float | str:
    """Publishable percentage computed from the unrounded counts.

    `SUPPRESSED` if the numerator or denominator must be suppressed; `NOT_APPLICABLE`
    if the denominator is zero; otherwise rounded half up to `policy.percent_decimals`
    (an int when that is 0). A numerator above the denominator is allowed (for example
    reach as a percentage of a target).
    """
    num = _check_count(numerator, "numerator")
    den = _check_count(denominator, "denominator")
    marker = rate_marker(num, den, policy)
    if marker is not None:
        return marker
    return _round_percent(Fraction(100 * num, den), policy.percent_decimals)


# --------------------------------------------------------------------------- rates


def rate_marker(numerator: Any, denominator: Any, policy: DisclosurePolicy = DEFAULT_POLICY) -> str | None:
    """Why a rate of `numerator` people out of `denominator` may not be published, or None.

    The one rule for every published percentage, proportion and rate (GSS/ONS "Disclosure
    control guidance for tables produced from administrative sources": a percentage is
    disclosive when the count it is based on is): `SUPPRESSED` when the people behind the
    rate or the group it is a share of must be suppressed, `NOT_APPLICABLE` when the group
    is empty.

    >>> rate_marker(6, 75), rate_marker(30, 75), rate_marker(0, 0)
    ('[c]', None, '[z]')
    """
    num = _check_count(numerator, "numerator")
    den = _check_count(denominator, "denominator")
    if must_suppress(num, policy) or must_suppress(den, policy):
        return SUPPRESSED
    if den == 0:
        return NOT_APPLICABLE
    return None


def people_behind(rate: Any, denominator: Any) -> int | None:
    """The number of people a proportion of `denominator` people stands for.

    ``rate * denominator`` to the nearest whole person: what a reader works out from a
    rate and the group size published beside it, even when the group size is rounded
    ("8% of about 75" leaves only 6). None when `rate` is not a finite number.

    >>> people_behind(6 / 75, 75), people_behind(0.4, 75), people_behind(float("nan"), 75)
    (6, 30, None)
    """
    den = _check_count(denominator, "denominator")
    if isinstance(rate, bool | np.bool_) or not isinstance(rate, numbers.Real):
        return None
    x = float(rate)
    if not math.isfinite(x):
        return None
    return max(0, math.floor(x * den + 0.5))


def safe_rate(
    rate: Any,
    denominator: Any,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    numerator: Any = None,
) -> float | str:
    """A proportion of `denominator` people (0.08 for 8%), or the marker to publish instead.

    The rate is published only when the people behind it pass the threshold, and the
    group too (`rate_marker`). The people behind it are `numerator` when given (for
    example the people who reached a stage by a week, behind a Kaplan-Meier estimate),
    otherwise ``rate * denominator`` (`people_behind`), so a rate computed anywhere
    (a mean of a 0/1 outcome, a cohort rate) is checked the same way as `safe_percent`
    checks a count. Returns the rate unchanged (a float, for the caller to format),
    `SUPPRESSED`, `NOT_APPLICABLE` (nobody in the group) or `NOT_AVAILABLE` (the rate
    is not a number).

    >>> safe_rate(6 / 75, 75), safe_rate(30 / 75, 75), safe_rate(0.0, 75)
    ('[c]', 0.4, 0.0)
    >>> safe_rate(0.12, 80, numerator=7), safe_rate(float("nan"), 80)
    ('[c]', '[x]')
    """
    den = _check_count(denominator, "denominator")
    if den == 0:
        return rate_marker(0, den, policy) or NOT_APPLICABLE
    behind = people_behind(rate, den)
    if behind is None:
        return NOT_AVAILABLE
    num = behind if numerator is None else _check_count(numerator, "numerator")
    marker = rate_marker(num, den, policy)
    return float(rate) if marker is None else marker


def percent_of_target(n: Any, target: Any, policy: DisclosurePolicy = DEFAULT_POLICY) -> int | float | str:
    """Per cent of a target, worked out from the published (rounded) count.

    A target is published exactly, so a per cent of it worked out from the exact count
    gives the count back: 75 people shown, "77% of a target of 100" reveals 77. Worked
    out from the rounded count it reveals nothing the rounded count does not (GSS/ONS
    guidance: no published figure may undo the rounding). `SUPPRESSED` when the count
    is hidden, `NOT_APPLICABLE` for a target of zero; otherwise rounded half up to
    `policy.percent_decimals`.

    >>> percent_of_target(77, 100), safe_percent(77, 100), percent_of_target(7, 100)
    (75, 77, '[c]')
    """
    shown = safe_count(n, policy)
    base = _check_count(target, "target")
    if shown == SUPPRESSED:
        return SUPPRESSED
    if base == 0:
        return NOT_APPLICABLE
    return _round_percent(Fraction(100 * int(shown), base), policy.percent_decimals)


def per_person(amount: Any, n: Any, policy: DisclosurePolicy = DEFAULT_POLICY) -> float | str:
    """An amount per person (spend per person), divided by the published (rounded) count.

    Spend is published to the pound, so spend divided by the exact count would give the
    count back (£77,000 spent and £1,000 per person reveal 77 people behind a published
    75). Returns the amount per rounded person, `SUPPRESSED` when the count is hidden,
    `NOT_APPLICABLE` when there is nobody, `NOT_AVAILABLE` when the amount is not a number.

    >>> per_person(77_000, 77), per_person(77_000, 7), per_person(77_000, 0)
    (1026.6666666666667, '[c]', '[z]')
    """
    shown = safe_count(n, policy)
    if shown == SUPPRESSED:
        return SUPPRESSED
    if shown == 0:
        return NOT_APPLICABLE
    if isinstance(amount, bool | np.bool_) or not isinstance(amount, numbers.Real):
        return NOT_AVAILABLE
    value = float(amount)
    return value / int(shown) if math.isfinite(value) else NOT_AVAILABLE


def impact_allowed(n_treated: Any, policy: DisclosurePolicy = DEFAULT_POLICY) -> tuple[bool, str]:
    """Whether an impact estimate may be made for `n_treated` people, with the reason.

    The reason never states `n_treated`, so it can be published as it is.
    """
    n = _check_count(n_treated, "n_treated")
    minimum = policy.min_impact_n
    if n < minimum:
        return False, (
            f"Fewer than {minimum} participants: too few for a reliable impact estimate "
            "(Justice Data Lab minimum)"
        )
    return True, (
        f"At least {minimum} participants: enough for an impact estimate (Justice Data Lab minimum)"
    )


# --------------------------------------------------------------------------- frames


def _count_column(frame: pd.DataFrame, column: Hashable, where: str) -> list[int]:
    """Values of `column` as Python ints; ValueError naming the bad rows otherwise."""
    values = frame[column].tolist()
    counts = [_as_count(v) for v in values]
    bad = [i for i, c in enumerate(counts) if c is None]
    if bad:
        shown = ", ".join(f"{frame.index[i]!r} ({values[i]!r})" for i in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InputError(
            f"{where}: column {column!r} must hold whole, non-negative counts; "
            f"{len(bad)} bad value(s) in row(s) {shown}{more}. "
            "Fix or drop those rows before publishing."
        )
    return counts  # type: ignore[return-value]


def _check_frame(frame: Any, where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}")


def _column_list(columns: Any, name: str, where: str) -> list[Hashable]:
    listed = [columns] if isinstance(columns, str) else list(columns)
    if not listed:
        raise OptionError(f"{where}: {name} is empty; name at least one column")
    if len(set(listed)) != len(listed):
        raise OptionError(f"{where}: {name} names a column more than once: {listed!r}")
    return listed


@dataclass(frozen=True)
class SuppressedCell:
    """One hidden cell: where it is, whether primary or secondary, and why."""

    row: Hashable
    column: Hashable
    kind: Literal["primary", "secondary"]
    reason: str


@dataclass(frozen=True)
class ProtectionLog:
    """What `protect_table` hid and why; holds no counts, so it can be shown as it is."""

    policy: DisclosurePolicy
    cells: tuple[SuppressedCell, ...]
    n_cells: int
    protected_lines: tuple[str, ...]
    secondary_applied: bool
    warnings: tuple[str, ...] = ()

    @property
    def n_primary(self) -> int:
        return sum(c.kind == "primary" for c in self.cells)

    @property
    def n_secondary(self) -> int:
        return sum(c.kind == "secondary" for c in self.cells)

    @property
    def n_suppressed(self) -> int:
        return len(self.cells)

    def is_suppressed(self, row: Hashable, column: Hashable) -> bool:
        """True if the cell at (`row`, `column`) was hidden."""
        return any(c.row == row and c.column == column for c in self.cells)

    def to_frame(self) -> pd.DataFrame:
        """One row per hidden cell: row, column, kind, reason."""
        return pd.DataFrame(
            [(c.row, c.column, c.kind, c.reason) for c in self.cells],
            columns=["row", "column", "kind", "reason"],
        )

    def summary(self) -> str:
        """Plain-English account of the suppression, for a table's footnote or QA log."""
        if not self.cells:
            text = f"No cells hidden out of {self.n_cells}."
        else:
            text = (
                f"{self.n_suppressed} of {self.n_cells} cells hidden: {self.n_primary} "
                f"because the count was below {self.policy.threshold}"
                + (" or zero" if self.policy.suppress_zero else "")
                + f", {self.n_secondary} more so that hidden counts cannot be worked out "
                "from the totals."
            )
        return " ".join([text, *self.warnings])


def _sort_key(label: object) -> tuple[str, str]:
    """An order that depends on a label alone, so row order never changes the result."""
    return type(label).__name__, str(label)


def _recoverable(mask: np.ndarray, row_eq: bool, col_eq: bool) -> list[tuple[int, int]]:
    """Hidden cells that the published totals pin down exactly.

    With row and/or column totals known the cells obey "each line sums to its total".
    Hidden cells are edges of a graph whose nodes are the lines with a known total
    (lines without one merge into a single free node); a hidden cell is determined
    exactly if and only if its edge is a bridge, that is lies on no cycle.
    """
    n_rows, n_cols = mask.shape
    edges = []
    for p, q in zip(*np.nonzero(mask), strict=True):
        u = int(p) if row_eq else -1
        v = n_rows + int(q) if col_eq else -1
        edges.append((int(p), int(q), u, v))
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for e, (_, _, u, v) in enumerate(edges):
        adjacency.setdefault(u, []).append((v, e))
        adjacency.setdefault(v, []).append((u, e))
    found = []
    for e, (p, q, u, v) in enumerate(edges):
        if u == v:
            continue
        seen, queue = {u}, deque([u])
        while queue and v not in seen:
            node = queue.popleft()
            for nbr, f in adjacency[node]:
                if f != e and nbr not in seen:
                    seen.add(nbr)
                    queue.append(nbr)
        if v not in seen:
            found.append((p, q))
    return found


def _secondary_suppression(
    values: np.ndarray,
    primary: np.ndarray,
    is_margin: np.ndarray,
    *,
    row_eq: bool,
    col_eq: bool,
) -> tuple[np.ndarray, dict[tuple[int, int], str], list[tuple[str, int]]]:
    """Hide extra cells until no hidden cell can be recovered from the totals.

    First the GSS rule: every line with a known total holds 0 or at least 2 hidden
    cells, adding the smallest visible cell (ordinary cells before totals, positive
    before zero, then position) until stable in both directions. Then an exact check:
    a hidden cell still determined by combining several totals gets a rectangle of
    further hidden cells, chosen at least cost, which puts it on a cycle.
    Returns the mask, the reason for each added cell, and lines that could not be
    protected (a line whose only cell is hidden).
    """
    mask = primary.copy()
    n_rows, n_cols = mask.shape
    reasons: dict[tuple[int, int], str] = {}
    stuck: list[tuple[str, int]] = []

    def rank(cell: tuple[int, int]) -> tuple[bool, bool, int, tuple[int, int]]:
        return bool(is_margin[cell]), int(values[cell]) == 0, int(values[cell]), cell

    lines = []
    if row_eq:
        lines += [("row", p, [(p, q) for q in range(n_cols)]) for p in range(n_rows)]
    if col_eq:
        lines += [("column", q, [(p, q) for p in range(n_rows)]) for q in range(n_cols)]
    changed = True
    while changed:
        changed = False
        for kind, k, cells in lines:
            if sum(bool(mask[c]) for c in cells) != 1:
                continue
            visible = [c for c in cells if not mask[c]]
            if not visible:
                if (kind, k) not in stuck:
                    stuck.append((kind, k))
                continue
            chosen = min(visible, key=rank)
            mask[chosen] = True
            reasons[chosen] = (
                f"secondary: stops the other hidden cell in this {kind} being worked out "
                f"by subtraction from the {kind} total"
            )
            changed = True

    if row_eq and col_eq and n_rows >= 2 and n_cols >= 2:
        while bridges := _recoverable(mask, row_eq, col_eq):
            i, j = bridges[0]
            best: tuple[Any, ...] | None = None
            for r in range(n_rows):
                for c in range(n_cols):
                    if r == i or c == j:
                        continue
                    new = [x for x in ((i, c), (r, c), (r, j)) if not mask[x]]
                    cost = (
                        sum(bool(is_margin[x]) for x in new),
                        sum(int(values[x]) for x in new),
                        len(new),
                        r,
                        c,
                        new,
                    )
                    if best is None or cost[:5] < best[:5]:
                        best = cost
            if best is None:  # unreachable: n_rows, n_cols >= 2 give a rectangle
                break
            for x in best[5]:
                mask[x] = True
                reasons[x] = (
                    "secondary: stops a hidden cell being worked out by combining "
                    "several row and column totals"
                )
    return mask, reasons, stuck


def protect_table(
    frame: pd.DataFrame,
    *,
    count_columns: Sequence[Hashable] | str,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    total_row: Hashable | None = None,
    total_column: Hashable | None = None,
    secondary: bool = True,
    published_elsewhere: PublishedElsewhere = "none",
) -> tuple[pd.DataFrame, ProtectionLog]:
    """Publishable copy of a table of counts, and a log of what was hidden and why.

    `frame` holds one row per category (unique index, no total row) and counts in
    `count_columns`; other columns pass through untouched. `total_row` (a label) adds
    a row of column totals and `total_column` (a name) a column of row totals, both
    summed from the unrounded counts. Small counts (and totals) are hidden as `[c]`
    and the rest rounded (see `DisclosurePolicy`).

    With `secondary=True`, each line whose total is published here, or elsewhere as
    declared by `published_elsewhere` ("row_totals", "column_totals", "both"), ends
    with 0 or at least 2 hidden cells, and no hidden cell can be recovered exactly by
    combining the totals. A single column of counts with `total_row` is the
    one-dimensional case. Choices depend on labels, not row order, so the same data
    sorted differently is hidden the same way. Published count columns hold Python
    ints and marker strings (object dtype).
    """
    where = "protect_table"
    _check_frame(frame, where)
    if not isinstance(policy, DisclosurePolicy):
        raise TypeError(f"{where}: policy must be a DisclosurePolicy, got {type(policy).__name__}")
    check_option("published_elsewhere", published_elsewhere, PublishedElsewhere)
    cols = _column_list(count_columns, "count_columns", where)
    require_columns(frame, {f"count_columns[{i}]": c for i, c in enumerate(cols)}, where=where)
    if not frame.index.is_unique:
        raise InputError(
            f"{where}: the frame's index has repeated labels; give each row a unique label "
            "(for example with set_index on the category column)"
        )
    if not frame.columns.is_unique:
        raise InputError(f"{where}: the frame has repeated column names")
    if total_column is not None and total_column in frame.columns:
        raise OptionError(f"{where}: total_column={total_column!r} is already a column")
    if total_row is not None and total_row in frame.index:
        raise OptionError(f"{where}: total_row={total_row!r} is already a row label")

    n_rows, n_cols = len(frame), len(cols)
    interior = np.zeros((n_rows, n_cols), dtype=np.int64)
    for q, column in enumerate(cols):
        interior[:, q] = _count_column(frame, column, where)

    values = interior
    if total_column is not None:
        values = np.hstack([values, values.sum(axis=1, keepdims=True)])
    if total_row is not None:
        values = np.vstack([values, values.sum(axis=0, keepdims=True)])
    ext_rows, ext_cols = values.shape
    is_margin = np.zeros(values.shape, dtype=bool)
    if total_column is not None:
        is_margin[:, -1] = True
    if total_row is not None:
        is_margin[-1, :] = True

    row_eq = total_column is not None or published_elsewhere in ("row_totals", "both")
    col_eq = total_row is not None or published_elsewhere in ("column_totals", "both")

    # Work in an order fixed by the labels so that row and column order change nothing.
    row_perm = sorted(range(n_rows), key=lambda p: _sort_key(frame.index[p]))
    row_perm += list(range(n_rows, ext_rows))
    col_perm = sorted(range(n_cols), key=lambda q: _sort_key(cols[q]))
    col_perm += list(range(n_cols, ext_cols))
    grid = np.ix_(row_perm, col_perm)
    c_values, c_margin = values[grid], is_margin[grid]

    primary_c = ((c_values > 0) & (c_values < policy.threshold)) | ((c_values == 0) & policy.suppress_zero)
    if secondary:
        mask_c, reasons_c, stuck_c = _secondary_suppression(
            c_values, primary_c, c_margin, row_eq=row_eq, col_eq=col_eq
        )
    else:
        mask_c, reasons_c, stuck_c = primary_c.copy(), {}, []
    mask = np.zeros_like(mask_c)
    mask[grid] = mask_c
    primary = np.zeros_like(primary_c)
    primary[grid] = primary_c

    def row_label(p: int) -> Hashable:
        return frame.index[p] if p < n_rows else total_row

    def col_label(q: int) -> Hashable:
        return cols[q] if q < n_cols else total_column

    small = f"a count between 1 and {policy.threshold - 1}, below the threshold of {policy.threshold}"
    cells = []
    for p in range(ext_rows):
        for q in range(ext_cols):
            if not mask[p, q]:
                continue
            if primary[p, q]:
                reason = "primary: " + (small if values[p, q] else "a zero count (this policy hides zeros)")
                cells.append(SuppressedCell(row_label(p), col_label(q), "primary", reason))
            else:
                reason = reasons_c[(row_perm.index(p), col_perm.index(q))]
                cells.append(SuppressedCell(row_label(p), col_label(q), "secondary", reason))

    warnings = []
    for kind, k in stuck_c:
        label = row_label(row_perm[k]) if kind == "row" else col_label(col_perm[k])
        warnings.append(
            f"Warning: {kind} {label!r} has a single cell, so its published total reveals it; "
            "hide that total wherever it is published."
        )
    leaks = _recoverable(mask, row_eq, col_eq)
    if leaks:
        why = "secondary suppression was switched off" if not secondary else "of the above"
        warnings.append(
            f"Warning: {len(leaks)} hidden cell(s) can be worked out from the totals because {why}."
        )

    def publish(p: int, q: int) -> int | str:
        return SUPPRESSED if mask[p, q] else policy.round_count(int(values[p, q]))

    published = frame.copy()
    for q, column in enumerate(cols):
        published[column] = pd.Series([publish(p, q) for p in range(n_rows)], index=frame.index, dtype=object)
    if total_column is not None:
        published[total_column] = pd.Series(
            [publish(p, ext_cols - 1) for p in range(n_rows)], index=frame.index, dtype=object
        )
    if total_row is not None:
        row: dict[Hashable, Any] = {}
        first_label_column = True
        for column in published.columns:
            if column in cols:
                row[column] = publish(ext_rows - 1, cols.index(column))
            elif column == total_column:
                row[column] = publish(ext_rows - 1, ext_cols - 1)
            else:
                row[column] = total_row if first_label_column else ""
                first_label_column = False
        index: pd.Index
        if isinstance(frame.index, pd.MultiIndex):
            label = (total_row,) + ("",) * (frame.index.nlevels - 1)
            index = pd.MultiIndex.from_tuples([label], names=frame.index.names)
        else:
            index = pd.Index([total_row], name=frame.index.name)
        extra = pd.DataFrame([row], index=index, columns=published.columns, dtype=object)
        published = pd.concat([published.astype(object), extra])

    lines = tuple(name for name, on in (("rows", row_eq), ("columns", col_eq)) if on)
    log = ProtectionLog(
        policy=policy,
        cells=tuple(cells),
        n_cells=int(values.size),
        protected_lines=lines if secondary else (),
        secondary_applied=secondary,
        warnings=tuple(warnings),
    )
    return published, log


def suppress_rates(
    frame: pd.DataFrame,
    *,
    numerator: Hashable,
    denominator: Hashable,
    rate_columns: Sequence[Hashable] | str,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    protection_log: ProtectionLog | None = None,
) -> pd.DataFrame:
    """Copy of `frame` with rate and interval columns hidden where they would disclose.

    In each row, every column in `rate_columns` becomes `SUPPRESSED` when the
    numerator or denominator count must be suppressed, or when `protection_log` (from
    `protect_table` on the same rows) hid either count; `NOT_APPLICABLE` when the
    denominator is zero. Rates must already be computed from the unrounded counts.
    The count columns themselves are left as they are: publish them with
    `protect_table`. Rate columns come back with object dtype.
    """
    where = "suppress_rates"
    _check_frame(frame, where)
    rates = _column_list(rate_columns, "rate_columns", where)
    named = {"numerator": numerator, "denominator": denominator}
    named |= {f"rate_columns[{i}]": c for i, c in enumerate(rates)}
    require_columns(frame, named, where=where)
    overlap = {numerator, denominator} & set(rates)
    if overlap:
        raise OptionError(
            f"{where}: rate_columns include the count column(s) {sorted(overlap, key=_sort_key)!r}"
        )
    nums = _count_column(frame, numerator, where)
    dens = _count_column(frame, denominator, where)

    markers = []
    for label, num, den in zip(frame.index, nums, dens, strict=True):
        logged = protection_log is not None and (
            protection_log.is_suppressed(label, numerator) or protection_log.is_suppressed(label, denominator)
        )
        markers.append(SUPPRESSED if logged else rate_marker(num, den, policy))

    published = frame.copy()
    for column in rates:
        values = published[column].tolist()
        published[column] = pd.Series(
            [v if m is None else m for v, m in zip(values, markers, strict=True)],
            index=frame.index,
            dtype=object,
        )
    return published


@dataclass(frozen=True)
class DisclosiveCell:
    """A published cell holding a number that the policy says must be hidden."""

    row: Hashable
    column: Hashable
    value: Any


def _as_number(value: Any) -> float | None:
    """A cell's numeric value (numbers and numeric strings), else None."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real):
        x = float(value)
    elif isinstance(value, str):
        try:
            x = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return x if math.isfinite(x) else None


def find_disclosive_cells(
    published_frame: pd.DataFrame,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    columns: Sequence[Hashable] | None = None,
) -> tuple[DisclosiveCell, ...]:
    """Cells of a published table showing a count the policy forbids.

    Flags any number (or numeric string such as "7" or "1,000") above 0 and below the
    threshold, and zeros when the policy suppresses zeros. Check only count columns
    via `columns`, since a percentage of 5 is not a count of 5.
    """
    where = "find_disclosive_cells"
    _check_frame(published_frame, where)
    chosen = list(published_frame.columns) if columns is None else _column_list(columns, "columns", where)
    require_columns(published_frame, {f"columns[{i}]": c for i, c in enumerate(chosen)}, where=where)
    found = []
    for column in chosen:
        for label, value in zip(published_frame.index, published_frame[column].tolist(), strict=True):
            x = _as_number(value)
            if x is None:
                continue
            if 0 < x < policy.threshold or (x == 0 and policy.suppress_zero):
                found.append(DisclosiveCell(label, column, value))
    return tuple(found)


__all__ = [
    "DEFAULT_POLICY",
    "LOW_RELIABILITY",
    "MARKERS",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "PROVISIONAL",
    "SHORTHAND_NOTE",
    "SUPPRESSED",
    "DisclosiveCell",
    "DisclosurePolicy",
    "ProtectionLog",
    "PublishedElsewhere",
    "SuppressedCell",
    "find_disclosive_cells",
    "impact_allowed",
    "must_suppress",
    "people_behind",
    "per_person",
    "percent_of_target",
    "protect_table",
    "rate_marker",
    "safe_count",
    "safe_percent",
    "safe_rate",
    "suppress_rates",
]
