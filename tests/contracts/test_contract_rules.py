"""Every rule in every data contract is enforced, one fixture per rule.

The list of rules is read from the YAML files in `data_contracts/`: for each column its type,
not blank (unless nullable), allowed values, range, pattern, first day of a month and presence
(unless `required: false`); each table's primary key; and each cross-table rule. Test ids
are the rule ids, for example `participants.age.range` or `participants.stage_dates_in_order`.

Each fixture starts from the valid synthetic tables (as read from CSV, all text), breaks
exactly one rule, and checks that `check_tables` raises a ContractError with a single
finding naming that table, column and rule, with the right 1-based rows and offending values.

Column fixtures are declared per column in COLUMN_FIXTURES (the bad values and where they go);
keys and cross-table rules have a hand-written fixture each in TABLE_FIXTURES. A rule in the
YAML without a fixture (or a fixture without a rule) fails `test_every_contract_rule_has_a_fixture`.

Two kinds of rule cannot be broken: the type of a `string` or `category` column (any text is
text; category values are then checked by `allowed`). Their fixture checks instead that a
number in such a column is read as text without a type finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest
import yaml

from evaluation.contracts import check_tables, coerce_table, contracts_dir, load_contracts
from evaluation.errors import ContractError, Finding

Tables = dict[str, pd.DataFrame]
FUTURE = (pd.Timestamp(date.today()) + pd.DateOffset(years=1)).replace(day=1).date().isoformat()
STAGES = [
    "referred_date",
    "engaged_date",
    "started_date",
    "job_start_date",
    "sustained_13w_date",
    "sustained_26w_date",
]


# --- the rules, read from the YAML ------------------------------------------------------


def _yaml_contracts() -> list[dict]:
    return [
        yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(contracts_dir().glob("*.yaml"))
    ]


def contract_rule_ids() -> list[str]:
    """One id per checkable rule, straight from the YAML (not through evaluation.contracts)."""
    ids = []
    for spec in _yaml_contracts():
        table = spec["table"]
        for column, col in spec["columns"].items():
            ids.append(f"{table}.{column}.type")
            if not col.get("nullable", False):
                ids.append(f"{table}.{column}.not_blank")
            ids += [f"{table}.{column}.{key}" for key in ("allowed", "range", "pattern") if key in col]
            if col.get("first_of_month", False):
                ids.append(f"{table}.{column}.first_of_month")
            if col.get("required", True):
                ids.append(f"{table}.{column}.required")
        if spec.get("primary_key"):
            ids.append(f"{table}.primary_key")
        ids += [f"{table}.{rule['name']}" for rule in spec.get("rules", [])]
    return ids


CONTRACTS = load_contracts()


# --- expectations -----------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The one finding a fixture must produce."""

    table: str
    column: str | None
    rule: Callable[[str], bool]
    rows: tuple[int, ...]
    values: tuple
    n_rows: int | None = None  # defaults to len(rows)


@dataclass(frozen=True)
class Case:
    """A fixture: which tables to check, and how to break them (returns the expectation)."""

    tables: tuple[str, ...]
    build: Callable[[Tables], Expected | None]  # None: the input must be accepted


def _is_missing(value) -> bool:
    return np.ndim(value) == 0 and bool(pd.isna(value))


def _same(found: tuple, expected: tuple) -> bool:
    """Equal values, where any missing value (None, NaN, NaT, NA) equals any other."""
    return len(found) == len(expected) and all(
        _is_missing(a) if _is_missing(b) else a == b for a, b in zip(found, expected, strict=True)
    )


def _describe(findings) -> str:
    return "\n".join(f"  {f!r}" for f in findings)


def assert_one_finding(findings: tuple[Finding, ...], expected: Expected) -> None:
    """Exactly one finding, and it is the expected one (table, column, rule, rows, values)."""
    matching = [
        f
        for f in findings
        if f.table == expected.table and f.column == expected.column and expected.rule(f.rule)
    ]
    assert len(matching) == 1, f"expected one matching finding, got:\n{_describe(findings)}"
    assert len(findings) == 1, f"the fixture broke more than one rule:\n{_describe(findings)}"
    found = matching[0]
    assert found.rows == expected.rows, found
    n_rows = len(expected.rows) if expected.n_rows is None else expected.n_rows
    assert found.n_rows == n_rows, found
    assert _same(found.values, expected.values), (found.values, expected.values)


# --- column fixtures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """How to break each rule of one column. Each bad value goes into its own row.

    type/allowed/pattern/range/first_of_month: raw text values that break that rule.
    blank: put blank cells in (not blank); drop: remove the column (required column present).
    text_type: the column's type is string/category, which cannot be broken (see module doc).
    rows: which rows may be changed without breaking another rule (default: any).
    group: change every row of a group at once (for columns constant within a group).
    """

    type: tuple[str, ...] = ()
    text_type: bool = False
    blank: bool = False
    allowed: tuple[str, ...] = ()
    range: tuple[str, ...] = ()
    pattern: tuple[str, ...] = ()
    first_of_month: tuple[str, ...] = ()
    drop: bool = False
    rows: Callable[[pd.DataFrame], pd.Series] | None = None
    group: tuple[str, ...] = ()


TEXT = Bad(text_type=True, blank=True, drop=True)  # a required, non-blank text column
CATEGORY_BAD = ("unknown_value",)
FLAG = Bad(type=("maybe", "2"), blank=True, drop=True)
PERSON_ID = Bad(text_type=True, blank=True, pattern=("bad id!", "abc"), drop=True)
LA_CODE = Bad(text_type=True, blank=True, pattern=("W06000001", "E0800002"), drop=True)
AGE = Bad(type=("forty", "4O"), blank=True, range=("15", "67"), drop=True)
MONTHS = Bad(type=("six", "5 months"), blank=True, range=("-1", "601"), drop=True)
# Not dates: 30 February, and month/day/year (dates with slashes are read day first, as in the UK).
DATE_TYPE = ("2025-02-30", "01/31/2025")


def _category(**kwargs) -> Bad:
    return Bad(text_type=True, blank=True, allowed=CATEGORY_BAD, drop=True, **kwargs)


def _blank(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: frame[column].str.strip().eq("")


def _later_stages_blank(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Rows where no later stage date is given, so a future date here keeps stages in order."""
    later = STAGES[STAGES.index(column) + 1 :]
    return lambda frame: frame[later].apply(lambda c: c.str.strip().eq("")).all(axis=1)


def _stage(column: str) -> Bad:
    # A date before 2015 would also be before the referral (out of order): only the future is tested.
    return Bad(type=DATE_TYPE, range=(FUTURE,), drop=True, rows=_later_stages_blank(column))


def _withdrawn(frame: pd.DataFrame) -> pd.Series:
    return frame["withdrawn_date"].str.strip().ne("")


PERSON = {
    "age": AGE,
    "sex": _category(),
    "ethnic_group": _category(),
    "health_condition": _category(),
    "disabled": FLAG,
    "carer": FLAG,
    "parent": FLAG,
    "neurodivergent": FLAG,
    "veteran": FLAG,
    "social_housing": FLAG,
    "benefit_status": _category(),
    "months_since_last_worked": MONTHS,
    "la_code": LA_CODE,
}

COLUMN_FIXTURES: dict[str, dict[str, Bad]] = {
    "delivery_plan": {
        "activity_id": Bad(text_type=True, blank=True, pattern=("Local Infra", "a-b"), drop=True),
        "activity_name": TEXT,
        "priority": TEXT,
        "budget_gbp": Bad(type=("a million", "£5"), blank=True, range=("0", "100000001"), drop=True),
        "target_participants": Bad(type=("lots", "ten"), range=("-1", "1000001"), drop=True),
        "target_participants_stage": Bad(text_type=True, allowed=CATEGORY_BAD),
        "target_job_outcomes": Bad(type=("some",), range=("-5", "2000000")),
        "geography": TEXT,
        "planned_start": Bad(type=DATE_TYPE, blank=True, range=("2014-12-31", "2036-01-01"), drop=True),
        "actual_start": Bad(type=DATE_TYPE, range=("2014-12-31", "2036-01-01")),
        "impact_design": _category(),
        "support_type": Bad(text_type=True, allowed=CATEGORY_BAD),
        "description": Bad(text_type=True),
    },
    "participants": {
        "person_id": PERSON_ID,
        "activity_id": TEXT,
        **PERSON,
        "referral_source": _category(),
        "referred_date": Bad(
            type=DATE_TYPE,
            blank=True,
            range=("2014-12-31", FUTURE),
            drop=True,
            rows=lambda f: _later_stages_blank("referred_date")(f) & ~_withdrawn(f),
        ),
        **{column: _stage(column) for column in STAGES[1:]},
        "withdrawn_date": Bad(type=DATE_TYPE, drop=True, rows=lambda f: ~_withdrawn(f)),
        "withdrawn_date.range": Bad(range=(FUTURE,), rows=_withdrawn),
        "withdrawal_reason": Bad(text_type=True, allowed=CATEGORY_BAD, drop=True, rows=_withdrawn),
    },
    "comparison_pool": {"person_id": PERSON_ID, **PERSON},
    "outcomes_monthly": {
        "person_id": PERSON_ID,
        "month": Bad(
            type=("2025-02-30",),
            blank=True,
            range=("2009-12-01", FUTURE),
            first_of_month=("2025-03-15", "2024-12-31"),
            drop=True,
        ),
        "employed": FLAG,
        "on_out_of_work_benefit": FLAG,
        "earnings_gbp": Bad(type=("1k", "12 pounds"), range=("-0.01", "1000001")),
        "economically_active": Bad(type=("maybe", "2")),
    },
    "area_panel": {
        "activity_id": TEXT,
        "la_code": LA_CODE,
        "period": Bad(
            type=("2025-02-30",),
            blank=True,
            range=("1999-10-01", FUTURE),
            first_of_month=("2023-01-15", "2024-06-30"),
            drop=True,
        ),
        "economic_inactivity_rate": Bad(type=("high", "20%"), blank=True, range=("-0.5", "100.5"), drop=True),
        "employment_rate": Bad(type=("n/a", "70 pc"), blank=True, range=("-1", "101"), drop=True),
        "claimant_count": Bad(type=("many", "-"), range=("-1", "10000001")),
        "first_treated_period": Bad(
            type=DATE_TYPE,
            range=("1999-12-31", "2036-01-01"),
            drop=True,
            group=("activity_id", "la_code"),
        ),
    },
    "spend": {
        "activity_id": TEXT,
        "month": Bad(
            type=("2025-02-30",),
            blank=True,
            range=("2014-12-01", FUTURE),
            first_of_month=("2025-03-15", "2025-11-30"),
            drop=True,
        ),
        "spend_gbp": Bad(type=("ten", "£100"), blank=True, range=("-0.01", "100000001"), drop=True),
    },
}

TYPE_RULES = {
    "integer": "type: integer",
    "number": "type: number",
    "boolean": "type: boolean (0 or 1)",
    "date": "type: date (YYYY-MM-DD)",
}


def _rule_name(kind: str, spec) -> Callable[[str], bool]:
    """What the finding's rule must say for one kind of column rule."""
    exact = {
        "type": TYPE_RULES.get(spec.type),
        "not_blank": "not blank",
        "allowed": f"allowed values: {', '.join(spec.allowed or ())}",
        "pattern": f"format: {spec.pattern}",
        "first_of_month": "first day of a month",
        "required": "required column present",
    }
    if kind == "range":
        today = spec.range[1] == "today"
        return lambda rule: rule.startswith("range: ") and rule.endswith("(no future dates)") == today
    return lambda rule: rule == exact[kind]


def _typed(value: str, kind: str):
    """The value a finding shows for a cell once converted to the column's type."""
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    return value.strip()


def _positions(frame: pd.DataFrame, bad: Bad, n: int) -> list[int]:
    """n rows to change: spread over the table, away from the first row, meeting `bad.rows`."""
    allowed = np.flatnonzero(bad.rows(frame).to_numpy()) if bad.rows else np.arange(len(frame))
    assert len(allowed) >= n, "not enough rows to place the fixture"
    picks = np.linspace(1, len(allowed) - 1, n + 1).astype(int)[:n]
    return [int(allowed[p]) for p in picks]


def _set_cells(table: str, column: str, bad: Bad, values: tuple, kind: str) -> Case:
    spec = CONTRACTS[table].columns[column]

    def build(tables: Tables) -> Expected:
        frame = tables[table].astype(object)
        if bad.group:
            groups = list(frame.groupby(list(bad.group), sort=False).indices.values())
            chosen = [groups[i] for i in np.linspace(1, len(groups) - 1, len(values)).astype(int)]
            for rows, value in zip(chosen, values, strict=True):
                frame.loc[rows, column] = value
            positions = sorted(p for rows in chosen for p in rows)
        else:
            positions = _positions(frame, bad, len(values))
            for position, value in zip(positions, values, strict=True):
                frame.loc[position, column] = value
        tables[table] = frame
        shown = positions[:5]
        cells = frame.loc[shown, column]
        if kind == "type":
            expected_values = tuple(cells)
        elif kind == "not_blank":
            expected_values = (pd.NA,) * len(shown)
        else:
            expected_values = tuple(_typed(v, spec.type) for v in cells)
        return Expected(
            table,
            column,
            _rule_name(kind, spec),
            tuple(p + 1 for p in shown),
            expected_values,
            len(positions),
        )

    return Case((table,), build)


def _drop(table: str, column: str) -> Case:
    def build(tables: Tables) -> Expected:
        tables[table] = tables[table].drop(columns=[column])
        return Expected(table, column, _rule_name("required", CONTRACTS[table].columns[column]), (), (), 0)

    return Case((table,), build)


def _number_as_text(table: str, column: str) -> Case:
    """string/category type: a number in the column is read as text, with no type finding."""

    def build(tables: Tables) -> None:
        frame = tables[table].astype(object)
        frame.loc[3, column] = 12345
        typed, findings = coerce_table(frame, CONTRACTS[table])
        assert typed.loc[3, column] == "12345"
        assert not [f for f in findings if f.column == column and f.rule.startswith("type")]
        return None

    return Case((table,), build)


def column_cases() -> dict[str, Case]:
    cases = {}
    for table, columns in COLUMN_FIXTURES.items():
        for key, bad in columns.items():
            column = key.split(".")[0]
            kind_of = CONTRACTS[table].columns[column].type
            key_column = column in CONTRACTS[table].primary_key
            rid = f"{table}.{column}"
            if bad.text_type:
                cases[f"{rid}.type"] = _number_as_text(table, column)
            if bad.blank:
                blanks = ("",) if key_column else ("", "   ")
                cases[f"{rid}.not_blank"] = _set_cells(table, column, bad, blanks, "not_blank")
            if bad.drop:
                cases[f"{rid}.required"] = _drop(table, column)
            assert bad.text_type == (kind_of in ("string", "category")) or not bad.drop, rid
            for kind in ("type", "allowed", "range", "pattern", "first_of_month"):
                if values := getattr(bad, kind):
                    cases[f"{rid}.{kind}"] = _set_cells(table, column, bad, values, kind)
    return cases


# --- primary keys and cross-table rules --------------------------------------------------


def _rule(name: str) -> Callable[[str], bool]:
    return lambda rule: rule == name


def _duplicate_row(table: str, position: int) -> Case:
    key = CONTRACTS[table].primary_key
    label = " + ".join(key)

    def build(tables: Tables) -> Expected:
        frame = tables[table]
        tables[table] = pd.concat([frame, frame.iloc[[position]]], ignore_index=True)
        shown = " / ".join(frame.loc[position, list(key)])
        return Expected(
            table, label, _rule(f"unique: {label}"), (position + 1, len(frame) + 1), (shown, shown)
        )

    return Case((table,), build)


def _unknown_activity(table: str) -> Case:
    def build(tables: Tables) -> Expected:
        frame = tables[table].copy()
        frame.loc[[2, 7], "activity_id"] = ["no_such_activity", "local_infra"]
        tables[table] = frame
        return Expected(
            table,
            "activity_id",
            _rule("activity_in_delivery_plan"),
            (3, 8),
            ("no_such_activity", "local_infra"),
        )

    return Case((table, "delivery_plan"), build)


def _stage_dates_in_order(tables: Tables) -> Expected:
    frame = tables["participants"].copy()
    started = np.flatnonzero(frame["started_date"].ne(""))
    engaged_early, started_early = int(started[3]), int(started[10])
    # An engagement before the referral; a support start before the engagement.
    frame.loc[engaged_early, "engaged_date"] = "2015-01-01"
    frame.loc[started_early, "started_date"] = frame.loc[started_early, "engaged_date"]
    frame.loc[started_early, "engaged_date"] = _shift(frame.loc[started_early, "started_date"], 1)
    tables["participants"] = frame
    rows = sorted([engaged_early, started_early])
    values = tuple(" / ".join(v or "blank" for v in frame.loc[r, STAGES]) for r in rows)
    return Expected(
        "participants", ", ".join(STAGES), _rule("stage_dates_in_order"), _one_based(rows), values
    )


def _withdrawal_after_referral(tables: Tables) -> Expected:
    frame = tables["participants"].copy()
    rows = [int(r) for r in np.flatnonzero(frame["withdrawn_date"].ne(""))[[2, 9]]]
    for row in rows:
        frame.loc[row, "withdrawn_date"] = _shift(frame.loc[row, "referred_date"], -1)
    tables["participants"] = frame
    values = tuple(f"{frame.loc[r, 'referred_date']} / {frame.loc[r, 'withdrawn_date']}" for r in rows)
    return Expected(
        "participants",
        "referred_date, withdrawn_date",
        _rule("withdrawal_after_referral"),
        _one_based(rows),
        values,
    )


def _min_gap(sustained: str, days: int, gaps: tuple[int, int]) -> Callable[[Tables], Expected]:
    """Sustainment dates too soon after the job start (but still after earlier stages)."""

    def build(tables: Tables) -> Expected:
        frame = tables["participants"].copy()
        later = STAGES[STAGES.index(sustained) + 1 :]
        ok = frame[sustained].ne("") & frame[later].eq("").all(axis=1)
        rows = [int(r) for r in np.flatnonzero(ok)[[0, 2]]]
        for row, gap in zip(rows, gaps, strict=True):
            frame.loc[row, sustained] = _shift(frame.loc[row, "job_start_date"], gap)
        tables["participants"] = frame
        return Expected(
            "participants",
            f"job_start_date, {sustained}",
            _rule(f"{sustained.removesuffix('_date')}_after_{days // 7}_weeks_in_work"),
            _one_based(rows),
            gaps,
        )

    return build


def _withdrawal_reason_given(tables: Tables) -> Expected:
    frame = tables["participants"].copy()
    withdrawn = np.flatnonzero(frame["withdrawn_date"].ne(""))
    stayed = np.flatnonzero(frame["withdrawn_date"].eq(""))
    no_reason, no_date = int(withdrawn[4]), int(stayed[6])
    frame.loc[no_reason, "withdrawal_reason"] = ""
    frame.loc[no_date, "withdrawal_reason"] = "moved_away"
    tables["participants"] = frame
    rows = sorted([no_reason, no_date])
    values = tuple(
        " / ".join(v or "blank" for v in frame.loc[r, ["withdrawn_date", "withdrawal_reason"]]) for r in rows
    )
    return Expected(
        "participants",
        "withdrawn_date, withdrawal_reason",
        _rule("withdrawal_reason_given"),
        _one_based(rows),
        values,
    )


def _not_a_participant(tables: Tables) -> Expected:
    pool = tables["comparison_pool"].copy()
    taken = tables["participants"]["person_id"].iloc[[0, 5]].tolist()
    pool.loc[[4, 40], "person_id"] = taken
    tables["comparison_pool"] = pool
    return Expected("comparison_pool", "person_id", _rule("not_a_participant"), (5, 41), tuple(taken))


def _person_is_known(tables: Tables) -> Expected:
    outcomes = tables["outcomes_monthly"].copy()
    outcomes.loc[[3, 300], "person_id"] = ["UNKNOWN0001", "UNKNOWN0002"]
    tables["outcomes_monthly"] = outcomes
    return Expected(
        "outcomes_monthly",
        "person_id",
        _rule("person_is_known"),
        (4, 301),
        ("UNKNOWN0001", "UNKNOWN0002"),
    )


def _participant_has_outcomes(tables: Tables) -> Expected:
    people = tables["participants"]["person_id"]
    lost = people.iloc[[2, 20]].tolist()
    outcomes = tables["outcomes_monthly"]
    tables["outcomes_monthly"] = outcomes[~outcomes["person_id"].isin(lost)].reset_index(drop=True)
    # covered_by findings are reported against the referenced table (participants).
    return Expected("participants", "person_id", _rule("participant_has_outcomes"), (3, 21), tuple(lost))


def _start_constant_within_area(tables: Tables) -> Expected:
    panel = tables["area_panel"].copy()
    treated = panel[panel["first_treated_period"].ne("")]
    group = treated.groupby(["activity_id", "la_code"], sort=False).indices
    positions = sorted(int(treated.index[r]) for r in list(group.values())[1])
    panel.loc[positions[3], "first_treated_period"] = "2026-01-01"
    tables["area_panel"] = panel
    return Expected(
        "area_panel",
        "first_treated_period",
        _rule("start_constant_within_area"),
        _one_based(positions[:5]),
        tuple(panel.loc[positions[:5], "first_treated_period"]),
        len(positions),
    )


def _personal_ids(table: str) -> Case:
    """Identifiers that look like an NI number and a name (in the id format): refused, masked."""

    def build(tables: Tables) -> Expected:
        frame = tables[table].copy().astype(object)
        frame.loc[[6, 60], "person_id"] = ["QQ123456C", "John_Smith"]
        tables[table] = frame
        return Expected(
            table, "person_id", _rule("person_id_pseudonymised"), (7, 61), ("QQ****56C", "J*** S****")
        )

    return Case((table,), build)


def _shift(day: str, days: int) -> str:
    return (pd.Timestamp(day) + pd.Timedelta(days=days)).date().isoformat()


def _one_based(positions) -> tuple[int, ...]:
    return tuple(int(p) + 1 for p in positions)


PEOPLE = ("participants", "comparison_pool", "outcomes_monthly")


def _optional_column_number_as_text(table: str, column: str) -> Case:
    """As `_number_as_text`, for an optional column the synthetic tables do not carry: add it blank first."""
    inner = _number_as_text(table, column)

    def build(tables: Tables) -> None:
        tables[table] = tables[table].assign(**{column: ""})
        return inner.build(tables)

    return Case((table,), build)


TABLE_FIXTURES: dict[str, Case] = {
    "delivery_plan.target_participants_stage.type": _optional_column_number_as_text(
        "delivery_plan", "target_participants_stage"
    ),
    "delivery_plan.primary_key": _duplicate_row("delivery_plan", 4),
    "participants.primary_key": _duplicate_row("participants", 10),
    "comparison_pool.primary_key": _duplicate_row("comparison_pool", 100),
    "outcomes_monthly.primary_key": _duplicate_row("outcomes_monthly", 1000),
    "area_panel.primary_key": _duplicate_row("area_panel", 50),
    "spend.primary_key": _duplicate_row("spend", 20),
    "participants.activity_in_delivery_plan": _unknown_activity("participants"),
    "participants.stage_dates_in_order": Case(("participants",), _stage_dates_in_order),
    "participants.withdrawal_after_referral": Case(("participants",), _withdrawal_after_referral),
    "participants.sustained_13w_after_13_weeks_in_work": Case(
        ("participants",), _min_gap("sustained_13w_date", 91, (90, 30))
    ),
    "participants.sustained_26w_after_26_weeks_in_work": Case(
        ("participants",), _min_gap("sustained_26w_date", 182, (181, 100))
    ),
    "participants.withdrawal_reason_given": Case(("participants",), _withdrawal_reason_given),
    "comparison_pool.not_a_participant": Case(("participants", "comparison_pool"), _not_a_participant),
    "outcomes_monthly.person_is_known": Case(PEOPLE, _person_is_known),
    "outcomes_monthly.participant_has_outcomes": Case(PEOPLE, _participant_has_outcomes),
    "area_panel.activity_in_delivery_plan": _unknown_activity("area_panel"),
    "area_panel.start_constant_within_area": Case(("area_panel",), _start_constant_within_area),
    "spend.activity_in_delivery_plan": _unknown_activity("spend"),
    **{f"{table}.person_id_pseudonymised": _personal_ids(table) for table in PEOPLE},
}

CASES: dict[str, Case] = {**column_cases(), **TABLE_FIXTURES}


# --- tests -------------------------------------------------------------------------------


def test_every_contract_rule_has_a_fixture():
    rules = contract_rule_ids()
    assert len(rules) == len(set(rules)), "rule ids must be unique"
    missing = sorted(set(rules) - set(CASES))
    stale = sorted(set(CASES) - set(rules))
    assert not missing, f"contract rules without a fixture in this file: {missing}"
    assert not stale, f"fixtures for rules no contract declares: {stale}"


def test_rule_count_matches_the_package():
    """The YAML enumeration here and Contract.n_rules count the same rules."""
    assert len(contract_rule_ids()) == sum(c.n_rules for c in CONTRACTS.values())


def test_the_synthetic_tables_meet_every_contract(raw_tables, small_raw_tables):
    for tables in (raw_tables, small_raw_tables):  # the fixtures below start from the subset
        typed = check_tables(dict(tables), CONTRACTS)
        assert {name: len(frame) for name, frame in typed.items()} == {
            name: len(frame) for name, frame in tables.items()
        }


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_rule_is_enforced(rule_id, small_raw_tables):
    case = CASES[rule_id]
    tables = {name: small_raw_tables[name].copy() for name in case.tables}
    expected = case.build(tables)
    if expected is None:
        return  # string/category type: the fixture checked the value is read as text
    with pytest.raises(ContractError) as caught:
        check_tables(tables, CONTRACTS)
    assert_one_finding(caught.value.findings, expected)


def test_rule_ids_name_real_rules():
    """Each id names a table, and a column or rule of that table."""
    for rule_id in contract_rule_ids():
        table, name, *_ = rule_id.split(".")
        contract = CONTRACTS[table]
        names = set(contract.columns) | {r.name for r in contract.rules} | {"primary_key"}
        assert name in names, rule_id
