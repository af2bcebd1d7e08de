"""Identifiers that look like national insurance numbers, e-mail addresses or names are refused
with advice to pseudonymise, and the offending values are never shown in full."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.contracts import check_tables, load_contracts
from evaluation.errors import ContractError

CONTRACTS = load_contracts()
PEOPLE = ("participants", "comparison_pool", "outcomes_monthly")
PERSONAL = {
    "QQ123456C": "QQ****56C",
    "ab123456d": "ab****56d",
    "John_Smith": "J*** S****",
    "Mary_Ann_Jones": "M*** A** J****",
}
# Break the person_id format too (a space, an @ or a dot): shown masked all the same.
OFF_FORMAT = {
    "QQ 12 34 56 C": "QQ****56C",
    "John Smith": "J*** S****",
    "jo@nhs.net": "j***@***",
    "john.smith@example.org": "j***@***",
}
PSEUDONYMS = ("P9990000123", "a1b2c3d4e5", "NE-000123", "person_00017", "AB12345", "XY-2024-0001")


def _with_ids(tables, table: str, values) -> dict[str, pd.DataFrame]:
    frame = tables[table].copy().astype(object)
    rows = [3 + 7 * i for i in range(len(values))]
    frame.loc[rows, "person_id"] = list(values)
    return {table: frame}


def _findings(tables) -> tuple:
    with pytest.raises(ContractError) as caught:
        check_tables(tables, CONTRACTS)
    return caught.value


@pytest.mark.parametrize("table", PEOPLE)
def test_personal_identifiers_are_refused_with_advice_and_masked(table, small_raw_tables):
    error = _findings(_with_ids(small_raw_tables, table, PERSONAL))
    (finding,) = error.findings
    assert finding.table == table and finding.column == "person_id"
    assert finding.rule == "person_id_pseudonymised"
    assert finding.n_rows == len(PERSONAL)
    assert finding.rows == tuple(4 + 7 * i for i in range(len(PERSONAL)))
    assert finding.values == tuple(PERSONAL.values())
    assert "pseudonym" in finding.advice
    text = str(error)
    for value in PERSONAL:
        assert value not in text


@pytest.mark.parametrize("table", PEOPLE)
def test_values_breaking_the_format_too_are_masked(table, small_raw_tables):
    error = _findings(_with_ids(small_raw_tables, table, OFF_FORMAT))
    rules = {f.rule for f in error.findings}
    assert "person_id_pseudonymised" in rules and len(error.findings) == 2
    for finding in error.findings:
        assert set(finding.values) == set(OFF_FORMAT.values())
    for value in OFF_FORMAT:
        assert value not in str(error)


def test_a_repeated_personal_identifier_is_masked_in_the_key_finding(small_raw_tables):
    frame = small_raw_tables["participants"].copy().astype(object)
    frame.loc[[5, 9], "person_id"] = "QQ123456C"
    frame.loc[[5, 9], "activity_id"] = frame.loc[5, "activity_id"]
    error = _findings({"participants": frame})
    assert "QQ123456C" not in str(error)
    assert "QQ****56C" in str(error)


@pytest.mark.parametrize("table", PEOPLE)
def test_pseudonyms_pass(table, small_raw_tables):
    tables = _with_ids(small_raw_tables, table, PSEUDONYMS)
    check_tables(tables, CONTRACTS)


def test_validate_never_prints_the_identifier(small_input_copy, capsys):
    people = small_input_copy.read("participants")["person_id"]
    first = people.iloc[4]

    def plant(table: str, frame: pd.DataFrame) -> None:
        frame.loc[frame["person_id"] == first, "person_id"] = "QQ123456C"

    for table in PEOPLE:
        small_input_copy.edit(table, lambda frame, table=table: plant(table, frame))
    assert main(["validate", str(small_input_copy.path)]) != 0
    printed = capsys.readouterr()
    assert "QQ123456C" not in printed.out + printed.err
    assert "QQ****56C" in printed.err
    assert "pseudonym" in printed.err
