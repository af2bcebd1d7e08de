"""Data contracts: load the YAML contracts, coerce raw tables to their types, validate them.

A contract (one YAML file per table in `evaluation/data_contracts/`, shipped with the package and
linked from the repository's `data_contracts/`) declares every column's type, whether it may be
blank, allowed values or range, uniqueness and cross-table rules.
Column rules are listed once (`column_rules`) and checked here in pandas or as SQL by the engines
(`evaluation.engine`). Every broken rule becomes a
`Finding` naming table, column, rule, number of rows and the first offending rows, where
rows are numbered from 1 at the first data row (in a CSV file, line = row + 1).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from evaluation.errors import ContractError, Finding, InputError
from evaluation.resources import CONTRACTS, package_folder

ColumnType = Literal["string", "integer", "number", "boolean", "date", "category"]
# What a date column's value says about time (the contract's `time:` key), and so when a row is
# known: an `event` on its date; a `month` or `quarter` (the value is the period's first day) once
# the period has ended, on its last day; a `period` on the date in its `period_end` column.
TimeKind = Literal["event", "month", "quarter", "period"]
TIME_KINDS = ("event", "month", "quarter", "period")
PERIOD_MONTHS = {"month": 1, "quarter": 3}
TABLES = (
    "delivery_plan",
    "participants",
    "comparison_pool",
    "outcomes_monthly",
    "area_panel",
    "spend",
)
MAX_EXAMPLES = 5
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"0", "false", "no", "n"}
# Text that stands for a missing value; in a required text column it is reported as blank.
MISSING_WORDS = {"na", "n/a", "#n/a", "nan", "null", "none", "-"}
# Findings about a table's shape (its file, its columns): causes, listed before the cell and
# cross-table findings they may bring with them.
STRUCTURAL_RULES = ("table is not empty", "column appears once", "required column present")
# A number whose commas group thousands (1,234,567.5); any other comma is not read.
PLACEHOLDER_ADVICE = "Values such as NA, null or - stand for a missing value: fill in the real value."
BOOLEAN_ADVICE = "Use 1 for yes and 0 for no."
KEY_ADVICE = "Each combination may appear once; remove or merge the repeated rows."
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def column_key(name: Any) -> str:
    """A column name reduced to its lower-case letters and digits: 'Person ID', 'person-id' and
    'PERSON_ID' share the key 'personid'."""
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


def contracts_dir() -> Path:
    """Folder of contract YAML files: $EVALUATION_CONTRACTS or the package's own data_contracts/."""
    override = os.environ.get("EVALUATION_CONTRACTS")
    return Path(override) if override else package_folder(CONTRACTS)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: ColumnType
    description: str
    nullable: bool = False
    required: bool = True
    allowed: tuple[str, ...] | None = None
    range: tuple[Any, Any] | None = None
    pattern: str | None = None
    first_of_month: bool = False
    time: TimeKind | None = None
    period_end: str | None = None

    def bounds(self) -> tuple[Any, Any] | None:
        """The range with dates parsed and 'today' resolved."""
        if self.range is None:
            return None
        low, high = self.range
        if self.type != "date":
            return low, high
        return _date_bound(low), _date_bound(high)


def _date_bound(value: Any) -> pd.Timestamp:
    return pd.Timestamp(date.today()) if value == "today" else parse_date(value)


# --- dates ------------------------------------------------------------------------------
#
# One reading of a written date everywhere (data files, programme.json, the command line):
# YYYY-MM-DD, or DD/MM/YYYY read day first as in the UK; a time of day after either is ignored.
# Nothing else is guessed, so 10/31/2025 (month first) is refused rather than reinterpreted.

DATE_FORMS = "YYYY-MM-DD or DD/MM/YYYY (day first)"
_TIME_TAIL = r"(?:[ T][0-9:.+\-Z]*)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME_TAIL)
_UK = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME_TAIL)
_FIRST_DAY, _LAST_DAY = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


def _dates_from_parts(parts: pd.DataFrame) -> pd.Series:
    """Timestamps from year, month and day text columns; NaT where the parts make no date."""
    numbers = parts.apply(pd.to_numeric, errors="coerce")
    # Only the years a datetime64[ns] can hold (1678 to 2261) make dates here.
    valid = numbers.notna().all(axis=1) & numbers[0].between(_FIRST_DAY.year, _LAST_DAY.year)
    out = pd.Series(pd.NaT, index=parts.index, dtype="datetime64[ns]")
    if valid.any():
        found = pd.to_datetime(
            numbers[valid].astype("int64").rename(columns={0: "year", 1: "month", 2: "day"}),
            errors="coerce",
        )
        out[valid] = found
    return out


def _parse_text_dates(text: pd.Series) -> pd.Series:
    """Dates from text in either accepted form; NaT for anything else (blank included)."""
    text = text.astype("string").str.strip()
    # Plain YYYY-MM-DD, by far the commonest, the fast way; the rest through the patterns.
    fast = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    fast = fast.where(fast.between(_FIRST_DAY, _LAST_DAY)).astype("datetime64[ns]")
    rest = fast.isna() & text.ne("").fillna(False)
    if rest.any():
        iso = text[rest].str.extract(f"^{_ISO.pattern}$")
        uk = text[rest].str.extract(f"^{_UK.pattern}$")[[2, 1, 0]].set_axis([0, 1, 2], axis=1)
        fast[rest] = _dates_from_parts(iso.where(iso[0].notna(), uk))
    return fast


def looks_month_first(text: pd.Series) -> pd.Series:
    """Text in the DD/MM/YYYY shape that is no date day first but would be one month first
    (10/31/2025): an American-style date, refused rather than reinterpreted."""
    uk = text.astype("string").str.strip().str.extract(f"^{_UK.pattern}$")
    day_first = _dates_from_parts(uk[[2, 1, 0]].set_axis([0, 1, 2], axis=1))
    month_first = _dates_from_parts(uk[[2, 0, 1]].set_axis([0, 1, 2], axis=1))
    return (day_first.isna() & month_first.notna()).fillna(False).astype(bool)


def parse_date(value: Any) -> pd.Timestamp:
    """One date, read as everywhere else: YYYY-MM-DD or DD/MM/YYYY (day first); a date or
    timestamp object is taken as it is. Raises InputError (a ValueError) with a plain message otherwise."""
    if isinstance(value, (date, pd.Timestamp)) and not pd.isna(value):
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize(None) if stamp.tz is not None else stamp).normalize()
    text = pd.Series([value if isinstance(value, str) else None], dtype="string")
    parsed = _parse_text_dates(text).iloc[0]
    if pd.notna(parsed):
        return pd.Timestamp(parsed)
    uk = _UK.fullmatch(value.strip()) if isinstance(value, str) else None
    if uk and looks_month_first(text).iloc[0]:
        month, day, year = (int(part) for part in uk.groups())
        raise InputError(
            f"'{value}' is not a date: dates are read day first (DD/MM/YYYY, as in the UK), and "
            f"there is no month {day}. It looks like month/day/year: write "
            f"{year:04d}-{month:02d}-{day:02d} or {day:02d}/{month:02d}/{year:04d}."
        )
    raise InputError(
        f"{value!r} is not a date: write it as {DATE_FORMS}, for example 2025-11-01 or 01/11/2025."
    )


def known_on(frame: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    """For each row, the day from which it is known, from the column's declared `time`: an event
    on its date; a month or quarter (given as its first day) on its last day, once it has ended;
    a period on the date in its `period_end` column. NaT where the column is blank."""
    values = pd.to_datetime(frame[spec.name])
    if spec.time == "event":
        return values
    if spec.time in PERIOD_MONTHS:
        return values + pd.DateOffset(months=PERIOD_MONTHS[spec.time]) - pd.Timedelta(days=1)
    if spec.time == "period":
        return pd.to_datetime(frame[spec.period_end])
    raise ValueError(f"column '{spec.name}' declares no time kind")


@dataclass(frozen=True)
class Stage:
    """One step of the retention funnel, as declared in the participants contract."""

    name: str
    column: str
    label: str


@dataclass(frozen=True)
class RuleSpec:
    name: str
    kind: str
    columns: tuple[str, ...]
    description: str
    references: Mapping[str, Any] | None = None
    days: int | None = None
    group: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    table: str
    description: str
    columns: Mapping[str, ColumnSpec]
    primary_key: tuple[str, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    stages: tuple[Stage, ...] = ()
    required: bool = True  # False: a folder may lack the table; reports say what is missing

    def empty_frame(self) -> pd.DataFrame:
        """The table with its columns and no rows, as the loader reads a file (text cells)."""
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in self.columns})

    @property
    def time_columns(self) -> tuple[ColumnSpec, ...]:
        """The date columns that place a row in time (events and periods), as declared by `time:`."""
        return tuple(c for c in self.columns.values() if c.time is not None)

    @property
    def n_rules(self) -> int:
        """Number of checkable rules: column rules plus uniqueness plus cross-table rules."""
        per_column = sum(
            1
            + (not c.nullable)
            + (c.allowed is not None)
            + (c.range is not None)
            + (c.pattern is not None)
            + c.first_of_month
            + c.required
            for c in self.columns.values()
        )
        return per_column + bool(self.primary_key) + len(self.rules)


def load_contract(path: Path) -> Contract:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    columns = {
        name: ColumnSpec(
            name=name,
            type=spec["type"],
            description=spec.get("description", ""),
            nullable=spec.get("nullable", False),
            required=spec.get("required", True),
            allowed=tuple(spec["allowed"]) if "allowed" in spec else None,
            range=tuple(spec["range"]) if "range" in spec else None,
            pattern=spec.get("pattern"),
            first_of_month=spec.get("first_of_month", False),
            time=spec.get("time"),
            period_end=spec.get("period_end"),
        )
        for name, spec in raw["columns"].items()
    }
    _check_time_declarations(Path(path).name, columns)
    rules = tuple(
        RuleSpec(
            name=r["name"],
            kind=r["kind"],
            columns=tuple(r["columns"]),
            description=r.get("description", ""),
            references=r.get("references"),
            days=r.get("days"),
            group=tuple(r.get("group", ())),
        )
        for r in raw.get("rules", [])
    )
    stages = tuple(Stage(**s) for s in raw.get("stages", []))
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise ValueError(f"{Path(path).name}: 'required' must be true or false, got {required!r}.")
    return Contract(
        table=raw["table"],
        required=required,
        description=raw.get("description", "").strip(),
        columns=columns,
        primary_key=tuple(raw.get("primary_key", ())),
        rules=rules,
        stages=stages,
    )


def _check_time_declarations(source: str, columns: Mapping[str, ColumnSpec]) -> None:
    """A contract's `time:` keys must be complete: a kind we know, on a date column, and a
    `period` names the date column holding each period's last day."""
    for spec in columns.values():
        where = f"{source}: column '{spec.name}'"
        if spec.time is None:
            if spec.period_end is not None:
                raise ValueError(f"{where} gives period_end without 'time: period'.")
            continue
        if spec.time not in TIME_KINDS:
            raise ValueError(f"{where} has time '{spec.time}'; use one of {', '.join(TIME_KINDS)}.")
        if spec.type != "date":
            raise ValueError(f"{where} declares time '{spec.time}' but is not a date column.")
        if spec.time == "period":
            end = columns.get(spec.period_end) if spec.period_end else None
            if end is None or end.type != "date":
                raise ValueError(
                    f"{where} has 'time: period': name the date column holding each period's last "
                    "day in period_end."
                )
        elif spec.period_end is not None:
            raise ValueError(f"{where} gives period_end, which only a 'time: period' column takes.")


def load_contracts(folder: Path | None = None) -> dict[str, Contract]:
    """Every contract in the folder, keyed by table name."""
    folder = Path(folder) if folder else contracts_dir()
    contracts = {c.table: c for c in map(load_contract, sorted(folder.glob("*.yaml")))}
    missing = [t for t in TABLES if t not in contracts]
    if missing:
        raise FileNotFoundError(f"No contract for table(s) {missing} in {folder}")
    return contracts


# --- findings helpers -------------------------------------------------------------------


def _finding(table, column, rule, mask, values=None, advice="") -> Finding | None:
    """A Finding for the rows selected by a boolean mask, or None if no row is selected."""
    flags = pd.Series(mask).astype("boolean").fillna(False).to_numpy(dtype=bool)
    return _finding_at(table, column, rule, np.flatnonzero(flags), values, advice)


def _finding_at(table, column, rule, positions, values=None, advice="") -> Finding | None:
    """A Finding for rows at the given 0-based positions; rows are reported 1-based."""
    positions = np.unique(np.asarray(positions, dtype=int))
    if len(positions) == 0:
        return None
    shown = positions[:MAX_EXAMPLES]
    examples = tuple(_example(values.iloc[p]) for p in shown) if values is not None else ()
    return Finding(table, column, rule, len(positions), tuple(int(p) + 1 for p in shown), examples, advice)


def _example(value: Any) -> Any:
    """A readable example value; a row of several columns is shown as 'a / b / c'."""
    if isinstance(value, pd.Series):
        return " / ".join("blank" if pd.isna(v) else str(_plain(v)) for v in value)
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- coercion ---------------------------------------------------------------------------


def _blank(raw: pd.Series) -> pd.Series:
    """True where a raw value is missing or an empty string."""
    return raw.isna() | raw.astype("string").str.strip().eq("").fillna(True)


def _coerce_column(raw: pd.Series, spec: ColumnSpec, table: str):
    """The typed column, its findings, and a mask of non-blank cells that could not be converted."""
    blank = _blank(raw)
    typed, findings = _convert(raw, blank, spec, table)
    return typed, findings, (typed.isna() & ~blank).to_numpy(dtype=bool)


def _convert(
    raw: pd.Series, blank: pd.Series, spec: ColumnSpec, table: str
) -> tuple[pd.Series, list[Finding | None]]:
    """The typed column and its findings, with None where a check found nothing."""
    text = raw.astype("string").str.strip()
    findings: list[Finding | None] = []
    if spec.type in ("string", "category"):
        if spec.type == "string" and not spec.nullable:
            placeholder = text.str.lower().isin(MISSING_WORDS).fillna(False)
            findings.append(_finding(table, spec.name, "not blank", placeholder, raw, PLACEHOLDER_ADVICE))
        return text.where(~blank).astype(object).where(~blank, None), findings  # blank: <NA>, then None
    if spec.type == "date":
        parsed = _parse_dates(raw, text)
        bad = parsed.isna() & ~blank
        findings.append(
            _finding(table, spec.name, "type: date (YYYY-MM-DD)", bad, raw, _date_advice(text[bad]))
        )
        return parsed, findings
    if spec.type == "boolean":
        lowered = text.str.lower()
        parsed = pd.Series(
            np.where(lowered.isin(TRUE_WORDS), 1, np.where(lowered.isin(FALSE_WORDS), 0, -1)), index=raw.index
        )
        bad = (parsed == -1) & ~blank
        findings.append(_finding(table, spec.name, "type: boolean (0 or 1)", bad, raw, BOOLEAN_ADVICE))
        return parsed.where(~blank & ~bad).astype("Int8"), findings  # NaN becomes <NA>
    # A comma is read only as a thousands separator (1,234.50); 12,5 is no number here.
    grouped = text.str.fullmatch(_THOUSANDS.pattern).fillna(False)
    unread = text.str.contains(",", regex=False).fillna(False) & ~grouped
    numbers = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype("float64")
    numbers = numbers.where(~unread)
    bad = numbers.isna() & ~blank
    advice = number_advice(bool((unread & ~blank).any()))
    findings.append(_finding(table, spec.name, f"type: {spec.type}", bad, raw, advice))
    if spec.type == "integer":
        huge = numbers.abs() >= 2**63  # beyond a 64-bit integer (or infinite)
        fractional = numbers.notna() & (numbers % 1 != 0) & ~huge
        findings.append(_finding(table, spec.name, "type: integer (whole number)", fractional, raw))
        findings.append(_finding(table, spec.name, "type: integer (too large)", huge, raw))
        return numbers.where(~fractional & ~huge).round().astype("Int64"), findings
    return numbers, findings


def _date_advice(bad: pd.Series) -> str:
    """How to write the dates that could not be read (`bad`: their text)."""
    if bad.empty:
        return date_advice(False, False, False)
    year = bad.str.extract(f"^{_ISO.pattern}$")[0].fillna(bad.str.extract(f"^{_UK.pattern}$")[2])
    years = pd.to_numeric(year, errors="coerce")
    return date_advice(
        bool(looks_month_first(bad).any()),
        bool(bad.str.fullmatch(r"\d{5}(\.0+)?").fillna(False).any()),
        bool(((years < _FIRST_DAY.year) | (years > _LAST_DAY.year)).fillna(False).any()),
    )


def date_advice(month_first: bool, excel_serial: bool, out_of_range: bool) -> str:
    """The advice for dates that could not be read, from what some of them look like."""
    advice = f"Write dates as {DATE_FORMS}."
    if month_first:
        advice += (
            " Some values look like month/day/year (such as 10/31/2025): dates are read day first "
            "as in the UK, so check every date in this column written with slashes."
        )
    if excel_serial:
        advice += (
            " Some values look like Excel date serial numbers: format the column as a date before export."
        )
    if out_of_range:
        advice += (
            " Dates must fall in the years 1678 to 2261: leave an unknown date blank rather than 9999-12-31."
        )
    return advice


def number_advice(decimal_comma: bool) -> str:
    """The advice for numbers that could not be read (some with a comma not between thousands)."""
    advice = "Use digits only, without units or text."
    if decimal_comma:
        advice += (
            " Write decimals with a decimal point (1234.50): a comma is read only between "
            "thousands (1,234.50)."
        )
    return advice


def _parse_dates(raw: pd.Series, text: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw).dt.tz_localize(None)
    else:
        as_objects = raw.map(lambda v: pd.Timestamp(v) if isinstance(v, (date, pd.Timestamp)) else pd.NaT)
        # YYYY-MM-DD or DD/MM/YYYY, optionally followed by a time (ignored); nothing else.
        written = _parse_text_dates(text)
        parsed = as_objects.where(as_objects.notna(), written)
    # Dates a datetime64[ns] cannot hold (such as 9999-12-31) are not dates here.
    in_range = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return parsed.where(in_range).astype("datetime64[ns]")


def coerce_table(raw: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame, list[Finding]]:
    """Convert a raw table to the contract's types; report columns missing, unknown or mistyped."""
    typed, findings, _ = _coerce_table(raw, contract)
    return typed, findings


def _coerce_table(raw: pd.DataFrame, contract: Contract):
    """As coerce_table, plus per column a mask of the non-blank cells that could not be converted."""
    table = contract.table
    findings: list[Finding | None] = []
    if len(raw) == 0 and contract.required:  # an optional table may have no rows yet
        findings.append(
            Finding(table, None, "table is not empty", 0, advice="The file has a header but no rows.")
        )
    names, header_findings = resolve_columns(list(raw.columns), contract)
    findings += header_findings
    raw = raw.set_axis(names, axis=1).loc[:, ~pd.Index(names).duplicated()]
    typed, unparsed = {}, {}
    for name, spec in contract.columns.items():
        if name not in raw.columns:
            continue
        typed[name], column_findings, unparsed[name] = _coerce_column(
            raw[name].reset_index(drop=True), spec, table
        )
        findings += column_findings
    return pd.DataFrame(typed), [f for f in findings if f is not None], unparsed


def resolve_columns(headers: list, contract: Contract) -> tuple[list[str], list[Finding]]:
    """The name each header is read as (a contract column's, where it differs only in case,
    spaces or punctuation), and the findings about the headers: a column repeated, a required
    column missing. Columns not in the contract are named in a warning; the first of repeated
    columns is the one read."""
    table = contract.table
    findings = []
    names = [str(c).strip() for c in headers]
    names = [_unmangled(c, names) for c in names]
    names = _contract_names(names, contract)
    unknown = [c for c in names if c not in contract.columns]
    for name in unknown:
        close = difflib.get_close_matches(name, contract.columns, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        warnings.warn(f"{table}: column '{name}' is not in the contract and was dropped.{hint}", stacklevel=4)
    for name in pd.Index(names)[pd.Index(names).duplicated()].unique():
        advice = (
            "Remove the repeated column (headers differing only in case, spaces or punctuation count as one)."
        )
        findings.append(Finding(table, name, "column appears once", 0, advice=advice))
    for name, spec in contract.columns.items():
        if name not in names and spec.required:
            close = difflib.get_close_matches(name, unknown, n=1)
            advice = f"Found '{close[0]}': rename it to '{name}'." if close else spec.description
            findings.append(Finding(table, name, "required column present", 0, advice=advice))
    return names, findings


def _contract_names(names: list[str], contract: Contract) -> list[str]:
    """The headers with each one that differs from a contract column only in case, spaces or
    punctuation ('Person ID', 'referral-source') read as that column, with a warning. A header
    is mapped only where nothing else could be meant: no header already has the column's exact
    name and no other header maps to it (two would be reported as a repeated column)."""
    keys: dict[str, list[str]] = {}
    for column in contract.columns:
        keys.setdefault(column_key(column), []).append(column)
    targets = {
        name: keys[column_key(name)][0]
        for name in names
        if name not in contract.columns and len(keys.get(column_key(name), ())) == 1
    }
    claims = pd.Series(list(targets.values()), dtype=object).value_counts()
    mapped = {name: column for name, column in targets.items() if column not in names and claims[column] == 1}
    repeated = {name: column for name, column in targets.items() if name not in mapped}
    if mapped:
        listed = ", ".join(f"'{name}' as '{column}'" for name, column in mapped.items())
        warnings.warn(
            f"{contract.table}: column names differ from the contract's only in case, spaces or "
            f"punctuation and were read as the contract's: {listed}. Rename them in the file to "
            "silence this warning.",
            stacklevel=4,
        )
    for name, column in repeated.items():
        warnings.warn(
            f"{contract.table}: column '{name}' differs from the contract's '{column}' only in case, "
            "spaces or punctuation, but another column is also read as it: both are reported as "
            "one column repeated.",
            stacklevel=4,
        )
    # Two headers meaning one column: both are named after it, and reported as a repeated column.
    return [mapped.get(name, repeated.get(name, name)) for name in names]


def _unmangled(name: str, names) -> str:
    """The header as written: pandas reads a repeated column 'age' as 'age.1'."""
    match = re.fullmatch(r"(.+)\.\d+", name)
    return match.group(1) if match and match.group(1) in names else name


# --- column rules ---------------------------------------------------------------------------
#
# Each rule a column declares (allowed values, range, format, first day of a month) is one
# `ColumnRule` with the label findings show. The pandas checks below and the SQL the engines run
# (`evaluation.engine.sql`) are both generated from this list, so the two cannot drift apart.


@dataclass(frozen=True)
class ColumnRule:
    """One declared check on a column's non-blank typed values: `kind` is allowed, range,
    pattern or first_of_month; `label` is the rule's name in findings."""

    kind: Literal["allowed", "range", "pattern", "first_of_month"]
    label: str
    allowed: tuple[Any, ...] = ()
    bounds: tuple[Any, Any] | None = None
    pattern: str = ""


def column_rules(spec: ColumnSpec) -> list[ColumnRule]:
    """The column's declared checks, in the order findings list them."""
    rules = []
    if spec.allowed is not None:
        rules.append(
            ColumnRule("allowed", f"allowed values: {', '.join(spec.allowed)}", allowed=spec.allowed)
        )
    if (bounds := spec.bounds()) is not None:
        low, high = bounds
        shown = f"{_plain(low)} to {_plain(high)}" if spec.type == "date" else f"{low} to {high}"
        if spec.range and spec.range[1] == "today":
            shown = f"{_plain(low)} to today (no future dates)"
        rules.append(ColumnRule("range", f"range: {shown}", bounds=(low, high)))
    if spec.pattern:
        rules.append(ColumnRule("pattern", f"format: {spec.pattern}", pattern=spec.pattern))
    if spec.first_of_month:
        rules.append(ColumnRule("first_of_month", "first day of a month"))
    return rules


def _breaks(values: pd.Series, rule: ColumnRule) -> pd.Series:
    """True where a non-blank value breaks the rule (blank values break none)."""
    present = values.notna()
    if rule.kind == "allowed":
        broken = ~values.isin(list(rule.allowed))
    elif rule.kind == "range":
        assert rule.bounds is not None
        low, high = rule.bounds
        broken = (values < low) | (values > high)
    elif rule.kind == "pattern":
        # As re.match: the pattern must match at the start of the value.
        broken = ~values.astype("string").str.match(rule.pattern).fillna(False).astype(bool)
    else:
        broken = values.dt.day != 1
    return (present & pd.Series(broken, index=values.index).fillna(False).astype(bool)).astype(bool)


def _column_findings(frame: pd.DataFrame, contract: Contract, unparsed=None) -> list[Finding]:
    """Per column present: blanks where the contract forbids them (cells already reported as the
    wrong type excepted), then each declared rule broken."""
    findings: list[Finding | None] = []
    for name, spec in contract.columns.items():
        if name not in frame:
            continue
        values = frame[name]
        advice = spec.description
        if not spec.nullable:
            blank = values.isna().to_numpy(dtype=bool).copy()
            if unparsed is not None and name in unparsed:
                blank &= ~unparsed[name]
            findings.append(_finding(contract.table, name, "not blank", blank, values, advice))
        for rule in column_rules(spec):
            findings.append(_finding(contract.table, name, rule.label, _breaks(values, rule), values, advice))
    return [f for f in findings if f is not None]


def _key_findings(frame: pd.DataFrame, contract: Contract) -> list[Finding]:
    key = [c for c in contract.primary_key if c in frame]
    if not key or len(key) < len(contract.primary_key):
        return []
    repeated = frame.duplicated(key, keep=False)
    label = " + ".join(key)
    finding = _finding(
        contract.table,
        label,
        f"unique: {label}",
        repeated,
        frame[key],
        KEY_ADVICE,
    )
    return [finding] if finding else []


# --- cross-table rules ------------------------------------------------------------------


def _rule_findings(
    rule: RuleSpec, table: str, frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame]
) -> list[Finding]:
    if any(c not in frame for c in (*rule.columns, *rule.group)):
        return []
    check = RULE_CHECKS[rule.kind]
    found = check(rule, frame, tables)
    if found is None:
        return []
    mask, values = found
    advice = rule.description + _unchecked_references(rule, tables)
    finding = _finding(table, ", ".join(rule.columns), rule.name, mask, values, advice)
    return [finding] if finding else []


def _unchecked_references(rule: RuleSpec, tables: Mapping[str, pd.DataFrame]) -> str:
    """For a rule looking values up in other tables, the tables it could not look in (a missing
    column or file, reported earlier): the likely cause of the rows it reports."""
    if rule.kind not in ("foreign_key", "covered_by") or not rule.references:
        return ""
    names = rule.references["table"]
    column = rule.references["columns"][0]
    lacking = [
        f"{name} has no {column} column" if name in tables else f"{name} was not read"
        for name in ([names] if isinstance(names, str) else names)
        if name not in tables or column not in tables[name]
    ]
    if not lacking:
        return ""
    return (
        f" Fix the cause reported above first: {'; '.join(lacking)}, so these rows were checked without it."
    )


def _references(rule: RuleSpec) -> Mapping[str, Any]:
    """The table(s) and columns a foreign_key, disjoint or covered_by rule looks values up in."""
    if rule.references is None:
        raise ValueError(
            f"Rule '{rule.name}' ({rule.kind}) names no table to look values up in (references)."
        )
    return rule.references


def _reference_values(rule: RuleSpec, tables: Mapping[str, pd.DataFrame]) -> pd.Series | None:
    names = _references(rule)["table"]
    names = [names] if isinstance(names, str) else names
    column = _references(rule)["columns"][0]
    present = [tables[n][column] for n in names if n in tables and column in tables[n]]
    return pd.concat(present, ignore_index=True) if present else None


def _check_foreign_key(rule, frame, tables):
    known = _reference_values(rule, tables)
    if known is None:
        return None
    column = frame[rule.columns[0]]
    return (~column.isin(set(known.dropna())) & column.notna()).to_numpy(), column


def _check_disjoint(rule, frame, tables):
    other = _reference_values(rule, tables)
    if other is None:
        return None
    column = frame[rule.columns[0]]
    return column.isin(set(other.dropna())).to_numpy(), column


def _check_covered_by(rule, frame, tables):
    """Rows of the referenced table whose key never appears here (reported against that table)."""
    other = _reference_values(rule, tables)
    if other is None:
        return None
    missing = ~other.isin(set(frame[rule.columns[0]]))
    return missing.to_numpy(), other


def _check_dates_in_order(rule, frame, tables):
    dates = frame[list(rule.columns)]
    running = dates.iloc[:, 0]
    bad = pd.Series(False, index=frame.index)
    for name in rule.columns[1:]:
        later = dates[name]
        bad |= (later < running).fillna(False)
        running = running.where(later.isna() | (running > later), later).where(running.notna(), later)
    return bad.to_numpy(), dates


def _check_min_gap(rule, frame, tables):
    start, end = (frame[c] for c in rule.columns)
    gap = (end - start).dt.days
    bad = (gap < rule.days).fillna(False)
    return bad.to_numpy(), gap


def _check_required_together(rule, frame, tables):
    present = frame[list(rule.columns)].notna()
    bad = present.any(axis=1) & ~present.all(axis=1)
    return bad.to_numpy(), frame[list(rule.columns)]


def _check_constant_within(rule, frame, tables):
    column = rule.columns[0]
    counts = frame.groupby(list(rule.group), dropna=False)[column].transform(
        lambda s: s.nunique(dropna=False)
    )
    return (counts > 1).to_numpy(), frame[column]


# --- identifiers that are not pseudonyms ----------------------------------------------------
#
# A person identifier must be a pseudonym. One that looks like a national insurance number, an
# e-mail address or a name (two or more capitalised words) is refused, and such values are shown
# masked in every finding (QQ****56C, j***@***, J*** S****), never in full.

_NI_NUMBER = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s/]+@[^@\s/]+\.[A-Za-z]{2,}")
_NAME_WORD = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*"
_NAME = re.compile(rf"\b{_NAME_WORD}(?:(?:, |[ ._])+{_NAME_WORD})+\b")


def looks_personal(value: Any) -> bool:
    """True for text that looks like a national insurance number, an e-mail address or a name."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return any(p.fullmatch(text) for p in (_NI_NUMBER, _EMAIL, _NAME))


def mask_personal(value: Any) -> Any:
    """The value with every part that looks personal masked; anything else unchanged."""
    if not isinstance(value, str):
        return value

    def ni(match: re.Match) -> str:
        compact = re.sub(r"\s", "", match.group(0))
        return f"{compact[:2]}****{compact[-3:]}"

    def name(match: re.Match) -> str:
        return " ".join(w[0] + "*" * (len(w) - 1) for w in re.split(r"(?:, |[ ._])+", match.group(0)))

    masked = _NI_NUMBER.sub(ni, value)
    masked = _EMAIL.sub(lambda m: f"{m.group(0)[0]}***@***", masked)
    return _NAME.sub(name, masked)


def _check_pseudonymised(rule, frame, tables):
    column = frame[rule.columns[0]]
    return column.map(looks_personal).to_numpy(dtype=bool), column.map(mask_personal)


def _masked_findings(findings: list[Finding], contracts: Mapping[str, Contract]) -> list[Finding]:
    """Findings with personal-looking values masked wherever they name a pseudonymised column."""
    guarded = {
        (name, column)
        for name, contract in contracts.items()
        for rule in contract.rules
        if rule.kind == "pseudonymised"
        for column in rule.columns
    }

    def masked(finding: Finding) -> Finding:
        columns = re.split(r" \+ |, ", finding.column or "")
        if not any((finding.table, c) in guarded for c in columns):
            return finding
        return dataclasses.replace(finding, values=tuple(mask_personal(v) for v in finding.values))

    return [masked(f) for f in findings]


RULE_CHECKS = {
    "foreign_key": _check_foreign_key,
    "disjoint": _check_disjoint,
    "covered_by": _check_covered_by,
    "dates_in_order": _check_dates_in_order,
    "min_gap_days": _check_min_gap,
    "required_together": _check_required_together,
    "constant_within": _check_constant_within,
    "pseudonymised": _check_pseudonymised,
}


def _rule_table(rule: RuleSpec, table: str) -> str:
    """covered_by rules report rows of the referenced table."""
    return _references(rule)["table"] if rule.kind == "covered_by" else table


# --- public entry points ----------------------------------------------------------------


def validate_table(frame: pd.DataFrame, contract: Contract, *, unparsed=None) -> list[Finding]:
    """Column and uniqueness findings for one typed table.

    `unparsed` (column -> boolean mask, from coercion) marks cells already reported as the wrong
    type; they are not reported again as blank.
    """
    return _column_findings(frame, contract, unparsed) + _key_findings(frame, contract)


def validate_tables(tables: Mapping[str, pd.DataFrame], contracts: Mapping[str, Contract]) -> list[Finding]:
    """Cross-table findings over a set of typed tables."""
    findings = []
    for name, frame in tables.items():
        for rule in contracts[name].rules:
            findings += _rule_findings(rule, _rule_table(rule, name), frame, tables)
    return findings


def check_tables(
    raw_tables: Mapping[str, pd.DataFrame], contracts: Mapping[str, Contract] | None = None
) -> dict[str, pd.DataFrame]:
    """Coerce and validate raw tables; return typed tables or raise one ContractError with every finding."""
    contracts = contracts or load_contracts()
    # Cause first: every table's structural findings (a missing column), then the cells, then
    # the cross-table rules whose thousands of rows a missing column can break.
    structural: list[Finding] = []
    cells: list[Finding] = []
    typed = {}
    for name, raw in raw_tables.items():
        frame, coercion, unparsed = _coerce_table(raw, contracts[name])
        structural += [f for f in coercion if f.rule in STRUCTURAL_RULES]
        cells += [f for f in coercion if f.rule not in STRUCTURAL_RULES]
        cells += validate_table(frame, contracts[name], unparsed=unparsed)
        typed[name] = frame
    findings = structural + cells + validate_tables(typed, contracts)
    if findings:
        raise ContractError(_masked_findings(findings, contracts))
    return typed


__all__ = [
    "ColumnSpec",
    "Contract",
    "ContractError",
    "RuleSpec",
    "Stage",
    "TABLES",
    "TIME_KINDS",
    "check_tables",
    "coerce_table",
    "load_contract",
    "load_contracts",
    "known_on",
    "parse_date",
    "validate_table",
    "validate_tables",
]
