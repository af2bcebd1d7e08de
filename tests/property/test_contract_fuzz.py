"""Fuzzing the contract checks with hypothesis.

Random corruptions of the participants and outcomes tables (a cell replaced by random text,
a number or a blank; rows duplicated; columns dropped or renamed) must always end in either a
clean load or a ContractError, never another exception. The input frames are never changed,
a clean load keeps every row, and every finding points at rows that exist.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.contracts import check_tables, load_contracts
from evaluation.errors import ContractError

CONTRACTS = load_contracts()
FUZZED = ("participants", "outcomes_monthly")
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Cell values: anything at all, plus the values real files contain when they go wrong.
TRICKY = [
    "",
    " ",
    "NA",
    "null",
    "-",
    "N/A",
    "nan",
    "None",
    "yes",
    "TRUE",
    " 1 ",
    "1,000",
    "1e400",
    "-0",
    "99999999999999999999",
    "45839",
    "2025-02-30",
    "31/12/2025",
    "9999-12-31",
    "0001-01-01",
    "2025-07-01 00:00:00",
    "2025-07-01T10:00Z",
    "female",
    "P0071234567",
    "E08000021",
]
cell_values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=15),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
)
tables = st.sampled_from(FUZZED)
index = st.integers(0, 10**6)
corruptions = st.one_of(
    st.tuples(st.just("cell"), tables, index, index, cell_values),
    st.tuples(st.just("duplicate_row"), tables, index),
    st.tuples(st.just("drop_column"), tables, index),
    st.tuples(st.just("rename_column"), tables, index, st.text(max_size=12)),
)


@pytest.fixture(scope="module")
def base(small_raw_tables) -> dict[str, pd.DataFrame]:
    """About 40 participants with their outcomes, plus the delivery plan: valid as they are."""
    people = small_raw_tables["participants"].iloc[::6].reset_index(drop=True)
    outcomes = small_raw_tables["outcomes_monthly"]
    outcomes = outcomes[outcomes["person_id"].isin(people["person_id"])].reset_index(drop=True)
    return {
        "delivery_plan": small_raw_tables["delivery_plan"],
        "participants": people,
        "outcomes_monthly": outcomes,
    }


def corrupt(frames: dict[str, pd.DataFrame], steps) -> dict[str, pd.DataFrame]:
    """New frames with the corruptions applied (the given frames are left alone)."""
    out = dict(frames)
    for step in steps:
        kind, table = step[0], step[1]
        frame = out[table].astype(object)
        if frame.shape[1] == 0:
            continue
        if kind == "cell" and len(frame):
            frame.iloc[step[2] % len(frame), step[3] % frame.shape[1]] = step[4]
        elif kind == "duplicate_row" and len(frame):
            frame = pd.concat([frame, frame.iloc[[step[2] % len(frame)]]], ignore_index=True)
        elif kind == "drop_column":
            frame = frame.drop(columns=frame.columns[step[2] % frame.shape[1]])
        elif kind == "rename_column":
            names = list(frame.columns)
            names[step[2] % len(names)] = step[3]
            frame.columns = names
        out[table] = frame
    return out


def check(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame] | ContractError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown columns warn; that is tested elsewhere
        try:
            return check_tables(frames, CONTRACTS)
        except ContractError as error:
            return error


def test_the_fuzzing_base_is_valid(base):
    typed = check(base)
    assert isinstance(typed, dict)
    assert len(base["participants"]) >= 30


@SETTINGS
@given(steps=st.lists(corruptions, max_size=4))
def test_corrupted_tables_load_cleanly_or_raise_contract_error(base, steps):
    frames = corrupt(base, steps)
    before = {name: frame.copy() for name, frame in frames.items()}

    result = check(frames)  # any exception but ContractError fails the test

    for name, frame in frames.items():  # the input is never changed
        pd.testing.assert_frame_equal(frame, before[name], obj=name)
    if isinstance(result, ContractError):
        assert result.findings
        for finding in result.findings:
            assert finding.table in frames
            assert finding.n_rows >= len(finding.rows)
            assert list(finding.rows) == sorted(set(finding.rows))
            assert all(1 <= row <= len(frames[finding.table]) for row in finding.rows), finding
            assert not finding.values or len(finding.values) == len(finding.rows)
            assert finding.describe()
    else:  # a clean load keeps every row
        assert {name: len(frame) for name, frame in result.items()} == {
            name: len(frame) for name, frame in frames.items()
        }


@SETTINGS
@given(table=tables, row=index, column=index, value=cell_values)
def test_a_bad_cell_is_reported_at_its_row(base, table, row, column, value):
    """One changed cell either still meets the contract or is named by a finding on its table
    that lists its row."""
    frames = corrupt(base, [("cell", table, row, column, value)])
    result = check(frames)
    if isinstance(result, ContractError):
        row_number = row % len(base[table]) + 1
        assert any(f.table == table and row_number in f.rows for f in result.findings), [
            f.describe() for f in result.findings
        ]


@pytest.mark.parametrize("table", FUZZED)
def test_row_order_does_not_change_the_verdict(base, table):
    shuffled = dict(base)
    shuffled[table] = base[table].sample(frac=1, random_state=1).reset_index(drop=True)
    typed = check(shuffled)
    assert isinstance(typed, dict)
    assert len(typed[table]) == len(base[table])
