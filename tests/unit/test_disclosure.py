"""Disclosure control worked by hand.

Sources of the rules:
- GSS/ONS, "Disclosure control guidance for tables produced from administrative
  sources": suppress small counts, round the rest, calculate totals before rounding,
  and apply secondary suppression so that a suppressed cell cannot be found by
  subtraction from a published total.
- Analysis Function, "Symbols in tables" guidance: [c] confidential, [x] not
  available, [z] not applicable, [u] low reliability, [p] provisional.
- MoJ Justice Data Lab: at least 60 participants for an impact analysis.
Defaults used here: suppress 1-9, round to the nearest 5 with halves up, show zeros.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evaluation.disclosure import (
    DEFAULT_POLICY,
    LOW_RELIABILITY,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    PROVISIONAL,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    find_disclosive_cells,
    impact_allowed,
    must_suppress,
    protect_table,
    safe_count,
    safe_percent,
    suppress_rates,
)

C = SUPPRESSED


def recoverable_cells(published, *, count_columns, total_row, total_column, elsewhere="none"):
    """Hidden cells pinned down exactly by the published totals (independent check).

    Writes the table's additivity equations (each line sums to its total) over the
    hidden cells only; a hidden cell is determined when its unit vector lies in the
    row space of those equations, tested by matrix rank.
    """
    columns = list(count_columns) + ([total_column] if total_column is not None else [])
    grid = published[columns].to_numpy(dtype=object)
    hidden = [(p, q) for p in range(grid.shape[0]) for q in range(grid.shape[1]) if grid[p, q] == C]
    if not hidden:
        return []
    position = {cell: k for k, cell in enumerate(hidden)}
    n_rows, n_cols = grid.shape
    equations = []
    if total_column is not None or elsewhere in ("row_totals", "both"):
        for p in range(n_rows):
            eq = np.zeros(len(hidden))
            for q in range(n_cols):
                if (p, q) in position:
                    margin = total_column is not None and q == n_cols - 1
                    eq[position[(p, q)]] = -1 if margin else 1
            equations.append(eq)
    if total_row is not None or elsewhere in ("column_totals", "both"):
        for q in range(n_cols):
            eq = np.zeros(len(hidden))
            for p in range(n_rows):
                if (p, q) in position:
                    margin = total_row is not None and p == n_rows - 1
                    eq[position[(p, q)]] = -1 if margin else 1
            equations.append(eq)
    if not equations:
        return []
    a = np.array(equations)
    rank = np.linalg.matrix_rank(a)
    found = []
    for cell, k in position.items():
        unit = np.zeros(len(hidden))
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append((published.index[cell[0]], columns[cell[1]]))
    return found


# ----------------------------------------------------------------- policy and markers


def test_default_policy_values():
    assert (
        DisclosurePolicy(
            threshold=10, rounding_base=5, min_impact_n=60, percent_decimals=0, suppress_zero=False
        )
        == DEFAULT_POLICY
    )


def test_policy_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.threshold = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0},
        {"threshold": 2.5},
        {"rounding_base": 0},
        {"min_impact_n": True},
        {"percent_decimals": -1},
        {"suppress_zero": "no"},
        # 12 would round to 10 with base 5: a published 10 would look like a small count.
        {"threshold": 12, "rounding_base": 5},
    ],
)
def test_policy_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError, match="DisclosurePolicy"):
        DisclosurePolicy(**kwargs)


def test_markers_are_analysis_function_shorthand():
    # Analysis Function "Symbols in tables": letters in square brackets.
    assert (SUPPRESSED, NOT_AVAILABLE, NOT_APPLICABLE, LOW_RELIABILITY, PROVISIONAL) == (
        "[c]",
        "[x]",
        "[z]",
        "[u]",
        "[p]",
    )
    for marker in ("[c]", "[x]", "[z]", "[u]", "[p]"):
        assert marker in SHORTHAND_NOTE
    assert "*" not in SHORTHAND_NOTE and ".." not in SHORTHAND_NOTE


def test_policy_describe_is_plain_english():
    text = DEFAULT_POLICY.describe()
    assert "counts from 1 to 9 are hidden" in text
    assert "nearest 5" in text and "[c]" in text and "60" in text


# ----------------------------------------------------------------- safe_count


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, 0),  # a true zero is shown (GSS guidance allows zeros that reveal nothing)
        (1, C),
        (9, C),
        (10, 10),
        (12, 10),  # 12 is 2 from 10, 3 from 15
        (13, 15),
        (17, 15),
        (18, 20),
        (22, 20),
        (23, 25),
        (np.int64(47), 45),
        (48.0, 50),  # a float holding a whole number is accepted
    ],
)
def test_safe_count_default(n, expected):
    result = safe_count(n)
    assert result == expected
    assert type(result) in (int, str)


def test_safe_count_rounds_halves_up():
    # Base 10: 25 -> 30 and 15 -> 20 (Python's round() would give 20 and 20).
    policy = DisclosurePolicy(threshold=10, rounding_base=10)
    assert [safe_count(n, policy) for n in (14, 15, 25, 35)] == [10, 20, 30, 40]


def test_safe_count_can_suppress_zero():
    policy = DisclosurePolicy(suppress_zero=True)
    assert safe_count(0, policy) == C
    assert must_suppress(0, policy) and not must_suppress(0)


@pytest.mark.parametrize("bad", [-1, 2.5, float("nan"), "3", None, True])
def test_safe_count_rejects_non_counts(bad):
    with pytest.raises(ValueError, match="whole, non-negative count"):
        safe_count(bad)


# ----------------------------------------------------------------- safe_percent


def test_percent_from_unrounded_values():
    # 12 of 37 = 32.4% -> 32. From the rounded counts 10 of 35 it would be 28.6% -> 29.
    assert safe_percent(12, 37) == 32


def test_percent_suppressed_when_numerator_suppressed():
    # 4 of 50: the numerator 4 is suppressed, so 8% would reveal it (8% of ~50 = 4).
    assert safe_percent(4, 50) == C


def test_percent_suppressed_when_denominator_suppressed():
    assert safe_percent(0, 8) == C


def test_percent_of_zero_is_not_applicable():
    assert safe_percent(0, 0) == NOT_APPLICABLE
    # If zeros are suppressed, the zero denominator is itself hidden.
    assert safe_percent(0, 0, DisclosurePolicy(suppress_zero=True)) == C


def test_percent_zero_numerator_is_shown():
    assert safe_percent(0, 40) == 0


def test_percent_rounds_half_up_and_decimals():
    # 25 of 200 = 12.5% exactly -> 13 (round half up; Python's round() gives 12).
    assert safe_percent(25, 200) == 13
    one_dp = DisclosurePolicy(percent_decimals=1)
    assert safe_percent(20, 30, one_dp) == 66.7
    assert safe_percent(10, 30, one_dp) == 33.3


def test_percent_rejects_bad_input():
    with pytest.raises(ValueError, match="denominator"):
        safe_percent(10, -5)


# ----------------------------------------------------------------- impact_allowed


def test_impact_allowed():
    assert impact_allowed(60) == (
        True,
        "At least 60 participants: enough for an impact estimate (Justice Data Lab minimum)",
    )
    assert impact_allowed(59) == (
        False,
        "Fewer than 60 participants: too few for a reliable impact estimate (Justice Data Lab minimum)",
    )
    ok, reason = impact_allowed(30, DisclosurePolicy(min_impact_n=25))
    assert ok and "25" in reason
    with pytest.raises(ValueError, match="n_treated"):
        impact_allowed(-1)


# ----------------------------------------------------------------- protect_table


def two_way_frame():
    return pd.DataFrame(
        {"men": [25, 30, 40], "women": [4, 18, 22]},
        index=pd.Index(["A", "B", "C"], name="local_authority"),
    )


def test_two_way_secondary_suppression_worked_by_hand():
    # Unrounded table with totals:
    #              men  women  Total
    #   A           25      4     29
    #   B           30     18     48
    #   C           40     22     62
    #   Total       95     44    139
    # Primary: A/women = 4 (1-9). Alone it is recoverable: 29 - 25 = 4 from row A,
    # and 44 - 18 - 22 = 4 from the women column.
    # Secondary, rows first then columns, smallest visible ordinary cell each time:
    #   row A has one hidden cell -> hide A/men (25, smaller than the total 29);
    #   column men now has one -> hide B/men (30); column women has one -> hide
    #   B/women (18). Every row and column now has 0 or 2 hidden cells, and the four
    #   hidden cells form a rectangle, so none can be solved for.
    # Rounding (nearest 5, halves up), totals from unrounded values:
    #   29 -> 30, 48 -> 50, 62 -> 60, 40 -> 40, 22 -> 20, 95, 44 -> 45, 139 -> 140.
    frame = two_way_frame()
    published, log = protect_table(
        frame, count_columns=["men", "women"], total_row="Total", total_column="Total"
    )
    expected = pd.DataFrame(
        {"men": [C, C, 40, 95], "women": [C, C, 20, 45], "Total": [30, 50, 60, 140]},
        index=pd.Index(["A", "B", "C", "Total"], name="local_authority"),
        dtype=object,
    )
    pd.testing.assert_frame_equal(published, expected)
    assert (log.n_primary, log.n_secondary, log.n_cells) == (1, 3, 12)
    assert [(c.row, c.column, c.kind) for c in log.cells] == [
        ("A", "men", "secondary"),
        ("A", "women", "primary"),
        ("B", "men", "secondary"),
        ("B", "women", "secondary"),
    ]
    assert log.protected_lines == ("rows", "columns")
    assert "1 because the count was below 10" in log.summary()
    assert (
        recoverable_cells(published, count_columns=["men", "women"], total_row="Total", total_column="Total")
        == []
    )


def test_without_secondary_the_small_cell_is_recoverable():
    # Same table with secondary=False: A/women is hidden alone and the independent
    # check finds it can be solved from the row and column totals; the log warns.
    published, log = protect_table(
        two_way_frame(),
        count_columns=["men", "women"],
        total_row="Total",
        total_column="Total",
        secondary=False,
    )
    assert published.loc["A", "women"] == C and published.loc["A", "men"] == 25
    assert recoverable_cells(
        published, count_columns=["men", "women"], total_row="Total", total_column="Total"
    ) == [("A", "women")]
    assert log.n_secondary == 0 and not log.secondary_applied
    assert any("switched off" in w for w in log.warnings)


def test_one_dimensional_with_total_worked_by_hand():
    # One column of participants by area with a published total:
    #   A 15, B 7, C 32, D 11; total 65.
    # Primary: B = 7. Alone it is recoverable: 65 - 15 - 32 - 11 = 7.
    # Secondary: hide the smallest other cell, D = 11.
    # Published: A 15, B [c], C 30 (32 rounds down), D [c], Total 65.
    frame = pd.DataFrame({"area": ["A", "B", "C", "D"], "participants": [15, 7, 32, 11]})
    published, log = protect_table(frame, count_columns=["participants"], total_row="Total")
    assert published["participants"].tolist() == [15, C, 30, C, 65]
    # The total row is labelled in the index and in the first label column.
    assert published.index[-1] == "Total" and published["area"].tolist()[-1] == "Total"
    assert (log.n_primary, log.n_secondary) == (1, 1)
    assert [(c.row, c.kind) for c in log.cells] == [(1, "primary"), (3, "secondary")]


def test_total_published_elsewhere_one_dimensional():
    # No total row here, but the headline elsewhere gives the total of 65: the same
    # second cell (D = 11) must be hidden.
    frame = pd.DataFrame({"participants": [15, 7, 32, 11]}, index=["A", "B", "C", "D"])
    published, log = protect_table(frame, count_columns="participants", published_elsewhere="column_totals")
    assert published["participants"].tolist() == [15, C, 30, C]
    assert log.protected_lines == ("columns",)
    # Without any known total only the primary cell is hidden.
    published, _ = protect_table(frame, count_columns="participants")
    assert published["participants"].tolist() == [15, C, 30, 10]


def test_totals_come_from_unrounded_values():
    # Four areas of 11: each publishes as 10, which would sum to 40, but the total is
    # 44 -> 45. Three areas of 12, 13, 14 publish as 10, 15, 15 (sum 40) and the true
    # total 39 also rounds to 40; 12, 12, 12 publish as 10 each (sum 30) against a
    # true total of 36 -> 35.
    frame = pd.DataFrame({"a": [11, 11, 11, 11], "b": [12, 13, 14, 0], "c": [12, 12, 12, 0]})
    published, log = protect_table(frame, count_columns=["a", "b", "c"], total_row="Total")
    assert published["a"].tolist() == [10, 10, 10, 10, 45]
    assert published["b"].tolist() == [10, 15, 15, 0, 40]
    assert published["c"].tolist() == [10, 10, 10, 0, 35]
    assert log.n_suppressed == 0


def test_secondary_prefers_a_positive_cell_to_a_zero():
    # Row: 3, 0, 20; total 23. The 3 must be hidden; hiding the 0 as its partner
    # would reveal that the two hidden cells add to 23 - 20 = 3, so the 20 is hidden.
    frame = pd.DataFrame({"x": [3], "y": [0], "z": [20]}, index=["A"])
    published, log = protect_table(frame, count_columns=["x", "y", "z"], total_column="Total")
    assert published.loc["A"].tolist() == [C, 0, C, 25]
    assert log.n_secondary == 1


def test_exact_check_catches_what_the_two_per_line_rule_misses():
    # Hidden cells (all counts 2-7) form two rectangles joined by one cell, r0/c2:
    #          c0  c1  c2  c3  c4
    #     r0    3   4   7  45  50
    #     r1    5   6  44  50  50
    #     r2   31  40   2   3  50
    #     r3   41  42   4   5  50
    #     r4   50  50  50  50  50
    # Every row and column holds 0 or at least 2 hidden cells, yet r0/c2 is
    # recoverable: (hidden part of columns c2 + c3) - (hidden part of rows r2 + r3)
    # = r0/c2, and each bracket is a published total minus published cells.
    # The cheapest fix that puts r0/c2 on a cycle of hidden cells is hiding one
    # more cell: candidates r2/c0 (31), r1/c2 (44), r0/c3 (45), r2/c1 (40), ...;
    # the smallest is r2/c0 = 31, closing r0/c2 -> r2/c2 -> r2/c0 -> r0/c0.
    values = [
        [3, 4, 7, 45, 50],
        [5, 6, 44, 50, 50],
        [31, 40, 2, 3, 50],
        [41, 42, 4, 5, 50],
        [50, 50, 50, 50, 50],
    ]
    columns = [f"c{i}" for i in range(5)]
    frame = pd.DataFrame(values, index=[f"r{i}" for i in range(5)], columns=columns)
    published, log = protect_table(frame, count_columns=columns, total_row="Total", total_column="Total")
    secondary = [(c.row, c.column) for c in log.cells if c.kind == "secondary"]
    assert secondary == [("r2", "c0")]
    assert "combining several row and column totals" in log.cells[5].reason
    assert log.n_primary == 9
    assert recoverable_cells(published, count_columns=columns, total_row="Total", total_column="Total") == []


def test_small_total_is_suppressed_and_protected():
    # Unrounded, with totals:
    #            x   y   Total
    #   A       20  15      35
    #   B        4   0       4
    #   Total   24  15      39
    # Primary: B/x = 4 and B/Total = 4 (row B already has two hidden cells).
    # Secondary: column x has one hidden cell -> A/x (20, an ordinary cell before the
    # total 24); column Total has one -> A/Total (35, both candidates are totals,
    # 35 < 39). Rows A and B and columns x and Total now hold two hidden cells each.
    # Published: 24 -> 25, 39 -> 40; the zero in B/y is shown.
    frame = pd.DataFrame({"x": [20, 4], "y": [15, 0]}, index=["A", "B"])
    published, log = protect_table(frame, count_columns=["x", "y"], total_row="Total", total_column="Total")
    expected = pd.DataFrame(
        {"x": [C, C, 25], "y": [15, 0, 15], "Total": [C, C, 40]},
        index=["A", "B", "Total"],
        dtype=object,
    )
    pd.testing.assert_frame_equal(published, expected)
    assert (log.n_primary, log.n_secondary) == (2, 2)
    assert (
        recoverable_cells(published, count_columns=["x", "y"], total_row="Total", total_column="Total") == []
    )
    assert find_disclosive_cells(published, columns=["x", "y", "Total"]) == ()


def test_suppress_zero_policy_in_table():
    policy = DisclosurePolicy(suppress_zero=True)
    frame = pd.DataFrame({"n": [0, 25, 30]}, index=["A", "B", "C"])
    published, log = protect_table(frame, count_columns="n", policy=policy, total_row="Total")
    assert published["n"].tolist() == [C, C, 30, 55]
    assert "zero" in log.cells[0].reason


def test_row_order_changes_nothing():
    frame = pd.DataFrame({"x": [12, 12, 3, 12], "y": [20, 20, 20, 20]}, index=["D", "B", "A", "C"])
    first, _ = protect_table(frame, count_columns=["x", "y"], total_row="T", total_column="T")
    shuffled = frame.loc[["C", "A", "D", "B"]]
    second, _ = protect_table(shuffled, count_columns=["x", "y"], total_row="T", total_column="T")
    pd.testing.assert_frame_equal(first, second.loc[first.index])


def test_single_row_with_column_totals_elsewhere_warns():
    # Each column has one cell, so a column total published elsewhere reveals it.
    frame = pd.DataFrame({"x": [5], "y": [20]}, index=["A"])
    _, log = protect_table(frame, count_columns=["x", "y"], published_elsewhere="column_totals")
    assert any("column 'x' has a single cell" in w for w in log.warnings)


def test_input_not_mutated_and_other_columns_pass_through():
    frame = pd.DataFrame(
        {"area": ["A", "B"], "n": [4, 30], "m": [50, 60], "note": [1.5, 2.5]},
    )
    before = frame.copy()
    published, _ = protect_table(frame, count_columns=["n", "m"], total_column="all")
    pd.testing.assert_frame_equal(frame, before)
    assert published["area"].tolist() == ["A", "B"]
    assert published["note"].tolist() == [1.5, 2.5]
    # Row A: 4 hidden, partner m=50 hidden; row total 54 -> 55.
    assert published["n"].tolist() == [C, 30]
    assert published["m"].tolist() == [C, 60]
    assert published["all"].tolist() == [55, 90]


def test_multiindex_total_row():
    frame = pd.DataFrame(
        {"n": [15, 20]},
        index=pd.MultiIndex.from_tuples([("A", "x"), ("A", "y")], names=["la", "ward"]),
    )
    published, _ = protect_table(frame, count_columns="n", total_row="Total")
    assert published.index[-1] == ("Total", "")
    assert published["n"].tolist() == [15, 20, 35]


def test_empty_table():
    frame = pd.DataFrame({"n": pd.Series([], dtype="int64")})
    published, log = protect_table(frame, count_columns="n", total_row="Total")
    assert published["n"].tolist() == [0]
    assert log.n_suppressed == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([10, -3, 12], r"column 'n' .* row\(s\) 1 \(-3\)"),
        ([10, 2.5, 12], r"column 'n' .* row\(s\) 1 \(2\.5\)"),
        ([10, None, 12], r"column 'n' .* row\(s\) 1 \(nan\)"),
        (["10", "a", "12"], r"column 'n' .* 3 bad value\(s\) in row\(s\) 0 \('10'\)"),
    ],
)
def test_bad_counts_raise_value_error_naming_column_and_rows(values, message):
    frame = pd.DataFrame({"n": values})
    with pytest.raises(ValueError, match=message):
        protect_table(frame, count_columns=["n"])


def test_bad_arguments():
    frame = pd.DataFrame({"n": [10, 12]}, index=["A", "B"])
    with pytest.raises(KeyError, match="missing"):
        protect_table(frame, count_columns=["missing"])
    with pytest.raises(ValueError, match="already a column"):
        protect_table(frame, count_columns=["n"], total_column="n")
    with pytest.raises(ValueError, match="already a row label"):
        protect_table(frame, count_columns=["n"], total_row="A")
    with pytest.raises(ValueError, match="published_elsewhere"):
        protect_table(frame, count_columns=["n"], published_elsewhere="rows")
    with pytest.raises(ValueError, match="repeated labels"):
        protect_table(frame.set_axis(["A", "A"]), count_columns=["n"])
    with pytest.raises(ValueError, match="empty"):
        protect_table(frame, count_columns=[])
    with pytest.raises(TypeError, match="DataFrame"):
        protect_table([1, 2], count_columns=["n"])


# ----------------------------------------------------------------- suppress_rates


def rates_frame():
    return pd.DataFrame(
        {
            "started": [4, 20, 25, 0, 0],
            "referred": [50, 8, 100, 0, 40],
            "rate": [0.08, 2.5, 0.25, np.nan, 0.0],
            "ci_lower": [0.02, 1.0, 0.17, np.nan, 0.0],
        },
        index=["A", "B", "C", "D", "E"],
    )


def test_suppress_rates():
    # A: numerator 4 hidden; B: denominator 8 hidden; C: kept; D: 0 of 0 -> [z];
    # E: 0 of 40 is shown (zero is not suppressed by default).
    frame = rates_frame()
    before = frame.copy()
    out = suppress_rates(
        frame, numerator="started", denominator="referred", rate_columns=["rate", "ci_lower"]
    )
    pd.testing.assert_frame_equal(frame, before)
    assert out["rate"].tolist() == [C, C, 0.25, NOT_APPLICABLE, 0.0]
    assert out["ci_lower"].tolist() == [C, C, 0.17, NOT_APPLICABLE, 0.0]
    assert out["started"].tolist() == [4, 20, 25, 0, 0]  # counts left for protect_table


def test_suppress_rates_follows_secondary_suppression():
    # Counts 12 of 40 and 4 of 60 under a published total: protect_table hides 4
    # (primary) and, as its partner, 12 (secondary). The rate 30% for row A would
    # give 12 back from its denominator, so it is hidden too.
    frame = pd.DataFrame(
        {"started": [12, 4, 30], "referred": [40, 60, 90], "rate": [0.3, 4 / 60, 1 / 3]},
        index=["A", "B", "C"],
    )
    _, log = protect_table(frame, count_columns=["started"], total_row="Total")
    assert log.is_suppressed("A", "started")
    out = suppress_rates(
        frame,
        numerator="started",
        denominator="referred",
        rate_columns="rate",
        protection_log=log,
    )
    assert out["rate"].tolist() == [C, C, 1 / 3]


def test_suppress_rates_bad_input():
    frame = rates_frame()
    with pytest.raises(ValueError, match="rate_columns include the count"):
        suppress_rates(frame, numerator="started", denominator="referred", rate_columns="started")
    frame.loc["B", "referred"] = -1
    with pytest.raises(ValueError, match=r"column 'referred' .* 'B' \(-1"):
        suppress_rates(frame, numerator="started", denominator="referred", rate_columns="rate")


# ----------------------------------------------------------------- find_disclosive_cells


def test_find_disclosive_cells():
    frame = pd.DataFrame(
        {"n": [C, 7, "3", 10, 0, "1,000"], "pct": [5, 5, 5, 5, 5, 5]},
        index=list("abcdef"),
    )
    found = find_disclosive_cells(frame, columns=["n"])
    assert [(c.row, c.column, c.value) for c in found] == [("b", "n", 7), ("c", "n", "3")]
    assert len(find_disclosive_cells(frame)) == 8  # percentages flagged if not excluded
    zeros = find_disclosive_cells(frame, DisclosurePolicy(suppress_zero=True), columns="n")
    assert ("e", "n", 0) in [(c.row, c.column, c.value) for c in zeros]
