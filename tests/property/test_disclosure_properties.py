"""Invariants of disclosure control over random count tables (hypothesis).

For any table and any valid policy: (a) no published count lies between 1 and
threshold - 1; (b) every row or column with a published total holds 0 or at least 2
hidden cells; (c) the input is never mutated; (d) published counts are multiples of
the rounding base; plus: no hidden cell can be solved exactly from the totals
(GSS/ONS "Disclosure control guidance for tables produced from administrative
sources"), visible cells are the rounded true counts, and row order changes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.disclosure import (
    NOT_APPLICABLE,
    SUPPRESSED,
    DisclosurePolicy,
    find_disclosive_cells,
    must_suppress,
    protect_table,
    safe_count,
    safe_percent,
    suppress_rates,
)

POLICIES = [
    DisclosurePolicy(),
    DisclosurePolicy(threshold=5, rounding_base=5),
    DisclosurePolicy(threshold=3, rounding_base=1),
    DisclosurePolicy(threshold=10, rounding_base=10, suppress_zero=True),
    DisclosurePolicy(threshold=8, rounding_base=5, suppress_zero=True),
]

counts = st.one_of(st.integers(0, 12), st.integers(0, 150))


@st.composite
def tables(draw):
    n_rows = draw(st.integers(0, 6))
    n_cols = draw(st.integers(1, 4))
    values = draw(
        st.lists(st.lists(counts, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows)
    )
    columns = [f"c{q}" for q in range(n_cols)]
    frame = pd.DataFrame(
        np.array(values, dtype=np.int64).reshape(n_rows, n_cols),
        index=[f"r{p}" for p in range(n_rows)],
        columns=columns,
    )
    frame.insert(0, "label", [f"area {p}" for p in range(n_rows)])
    return frame, columns


def recoverable_count(published, columns, total_row, total_column, elsewhere):
    """How many hidden cells the totals pin down exactly, by matrix rank."""
    grid = published[columns].to_numpy(dtype=object)
    hidden = [(p, q) for p in range(grid.shape[0]) for q in range(grid.shape[1]) if grid[p, q] == SUPPRESSED]
    if not hidden:
        return 0
    where = {cell: k for k, cell in enumerate(hidden)}
    n_rows, n_cols = grid.shape
    equations = []
    if total_column is not None or elsewhere in ("row_totals", "both"):
        for p in range(n_rows):
            eq = np.zeros(len(hidden))
            for q in range(n_cols):
                if (p, q) in where:
                    eq[where[(p, q)]] = -1 if total_column is not None and q == n_cols - 1 else 1
            equations.append(eq)
    if total_row is not None or elsewhere in ("column_totals", "both"):
        for q in range(n_cols):
            eq = np.zeros(len(hidden))
            for p in range(n_rows):
                if (p, q) in where:
                    eq[where[(p, q)]] = -1 if total_row is not None and p == n_rows - 1 else 1
            equations.append(eq)
    if not equations:
        return 0
    a = np.array(equations)
    rank = np.linalg.matrix_rank(a)
    return sum(
        np.linalg.matrix_rank(np.vstack([a, np.eye(len(hidden))[k]])) == rank for k in range(len(hidden))
    )


@settings(max_examples=300, deadline=None)
@given(
    table=tables(),
    policy=st.sampled_from(POLICIES),
    total_row=st.sampled_from([None, "Total"]),
    total_column=st.sampled_from([None, "All"]),
    elsewhere=st.sampled_from(["none", "row_totals", "column_totals", "both"]),
)
def test_protect_table_invariants(table, policy, total_row, total_column, elsewhere):
    frame, columns = table
    before = frame.copy()
    published, log = protect_table(
        frame,
        count_columns=columns,
        policy=policy,
        total_row=total_row,
        total_column=total_column,
        published_elsewhere=elsewhere,
    )
    # (c) input never mutated
    pd.testing.assert_frame_equal(frame, before)

    shown = columns + ([total_column] if total_column else [])
    # (a) nothing published between 1 and threshold - 1 (nor 0 if zeros are hidden)
    assert find_disclosive_cells(published, policy, columns=shown) == ()

    grid = published[shown].to_numpy(dtype=object)
    hidden = grid == SUPPRESSED
    # (d) every published count is a whole multiple of the base
    for value in grid[~hidden]:
        assert type(value) is int and value % policy.rounding_base == 0

    # The log warns only when a line with a known total has a single cell, which that
    # total reveals whatever is hidden (for example an empty table's total of 0).
    row_known = total_column is not None or elsewhere in ("row_totals", "both")
    column_known = total_row is not None or elsewhere in ("column_totals", "both")
    if log.warnings:
        assert (row_known and grid.shape[1] == 1) or (column_known and grid.shape[0] == 1)
    else:
        # (b) lines with a published total hold 0 or >= 2 hidden cells (total included)
        if total_column is not None:
            assert all(k != 1 for k in hidden.sum(axis=1))
        if total_row is not None:
            assert all(k != 1 for k in hidden.sum(axis=0))
        # and no hidden cell can be solved for from the totals
        assert recoverable_count(published, shown, total_row, total_column, elsewhere) == 0

    # visible cells are the rounded true counts; every small count is hidden
    truth = frame[columns].to_numpy()
    if total_column is not None:
        truth = np.hstack([truth, truth.sum(axis=1, keepdims=True)])
    if total_row is not None:
        truth = np.vstack([truth, truth.sum(axis=0, keepdims=True)])
    for (p, q), value in np.ndenumerate(grid):
        n = int(truth[p, q])
        if must_suppress(n, policy):
            assert value == SUPPRESSED
        elif value != SUPPRESSED:
            assert value == policy.round_count(n)
    assert log.n_suppressed == int(hidden.sum())


@settings(max_examples=150, deadline=None)
@given(table=tables(), policy=st.sampled_from(POLICIES), data=st.data())
def test_row_order_changes_nothing(table, policy, data):
    frame, columns = table
    order = data.draw(st.permutations(list(frame.index)))
    first, _ = protect_table(frame, count_columns=columns, policy=policy, total_row="T", total_column="A")
    second, _ = protect_table(
        frame.loc[order], count_columns=columns, policy=policy, total_row="T", total_column="A"
    )
    pd.testing.assert_frame_equal(first, second.loc[first.index])


@given(n=st.integers(0, 10_000), policy=st.sampled_from(POLICIES))
def test_safe_count_rounds_or_suppresses(n, policy):
    result = safe_count(n, policy)
    if 0 < n < policy.threshold or (n == 0 and policy.suppress_zero):
        assert result == SUPPRESSED
    else:
        assert result % policy.rounding_base == 0
        assert abs(result - n) <= policy.rounding_base / 2
        assert result == 0 or result >= policy.threshold


@given(num=st.integers(0, 500), den=st.integers(0, 500), policy=st.sampled_from(POLICIES))
def test_safe_percent_never_reveals_a_small_count(num, den, policy):
    result = safe_percent(num, den, policy)
    if must_suppress(num, policy) or must_suppress(den, policy):
        assert result == SUPPRESSED
    elif den == 0:
        assert result == NOT_APPLICABLE
    else:
        assert abs(result - 100 * num / den) <= 0.5 * 10**-policy.percent_decimals + 1e-9


@given(
    pairs=st.lists(st.tuples(counts, counts), min_size=1, max_size=8),
    policy=st.sampled_from(POLICIES),
)
def test_suppress_rates_hides_every_rate_on_a_small_count(pairs, policy):
    frame = pd.DataFrame(pairs, columns=["num", "den"])
    frame["rate"] = [n / d if d else np.nan for n, d in pairs]
    before = frame.copy()
    out = suppress_rates(frame, numerator="num", denominator="den", rate_columns="rate", policy=policy)
    pd.testing.assert_frame_equal(frame, before)
    for (n, d), rate in zip(pairs, out["rate"], strict=True):
        if must_suppress(n, policy) or must_suppress(d, policy):
            assert rate == SUPPRESSED
        elif d == 0:
            assert rate == NOT_APPLICABLE
        else:
            assert rate == n / d
