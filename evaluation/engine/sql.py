"""SQL generated from the data contracts: typed columns and every check, as DuckDB SQL.

A table arrives as text columns (`raw`) with its data rows numbered from 1 (`__row`). For each
contract column this module writes the expression that types it, the expression that says a
non-blank cell could not be typed, and the boolean expression of each rule it declares, with the
same readings as the pandas checks in `evaluation.contracts` (dates YYYY-MM-DD or DD/MM/YYYY day
first, booleans 1/0/yes/no, a comma only between thousands). The rules come from
`contracts.column_rules`, so the SQL and the pandas checks read one list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evaluation.contracts import (
    FALSE_WORDS,
    MISSING_WORDS,
    TRUE_WORDS,
    ColumnRule,
    ColumnSpec,
    column_rules,
)

# The characters Python's str.strip() takes off (RE2 has no such class of its own).
_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][0-9:.+\-Z]*)?$"
_UK = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T][0-9:.+\-Z]*)?$"
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
# What pandas.to_numeric reads: digits with a point and an exponent, or infinity.
_NUMBER = r"^[+-]?((\d+\.?\d*)|(\.\d+))([eE][+-]?\d+)?$|^(?i)[+-]?inf(inity)?$"
FIRST_YEAR, LAST_YEAR = 1678, 2261  # the years a datetime64[ns] holds


def quote(name: str) -> str:
    """A column or table name as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A Python value as an SQL literal."""
    if isinstance(value, pd.Timestamp):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _words(words: Iterable[str]) -> str:
    return ", ".join(literal(w) for w in sorted(words))


# The characters Python's str.strip() takes off, for SQL's trim().
_STRIPPED = (
    " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


def text(column: str) -> str:
    """The cell as Python reads it after strip(): NULL when blank."""
    cell = f"CAST({quote(column)} AS VARCHAR)"
    # Most cells start and end with a printable ASCII character, which strip() keeps: only the
    # others go through trim() with the whole set, which is slow.
    plain = f"ord(left({cell}, 1)) BETWEEN 33 AND 126 AND ord(right({cell}, 1)) BETWEEN 33 AND 126"
    return f"CASE WHEN {plain} THEN {cell} ELSE NULLIF(trim({cell}, {literal(_STRIPPED)}), '') END"


def blank(column: str) -> str:
    return f"({text(column)} IS NULL)"


def trimmed(name: str) -> str:
    """The name of a column's trimmed text in the typing query."""
    return quote("__t_" + name)


def _date_from_text(t: str) -> str:
    """A date from text in either accepted form; NULL otherwise. Plain YYYY-MM-DD, by far the
    commonest, the fast way; the rest through the patterns."""
    year = (
        f"COALESCE(NULLIF(regexp_extract({t}, '{_ISO}', 1), ''), NULLIF(regexp_extract({t}, '{_UK}', 3), ''))"
    )
    month = (
        f"COALESCE(NULLIF(regexp_extract({t}, '{_ISO}', 2), ''), NULLIF(regexp_extract({t}, '{_UK}', 2), ''))"
    )
    day = (
        f"COALESCE(NULLIF(regexp_extract({t}, '{_ISO}', 3), ''), NULLIF(regexp_extract({t}, '{_UK}', 1), ''))"
    )
    fast = f"try_strptime({t}, '%Y-%m-%d')"
    return (
        f"CASE WHEN {t} IS NULL THEN NULL "
        f"WHEN length({t}) = 10 AND substr({t}, 5, 1) = '-' AND {fast} IS NOT NULL "
        f"THEN CASE WHEN year({fast}) BETWEEN {FIRST_YEAR} AND {LAST_YEAR} THEN CAST({fast} AS TIMESTAMP) END "
        f"WHEN TRY_CAST({year} AS INTEGER) BETWEEN {FIRST_YEAR} AND {LAST_YEAR} "
        f"THEN CAST(try_strptime({year} || '-' || {month} || '-' || {day}, '%Y-%m-%d') AS TIMESTAMP) END"
    )


def _number_from_text(t: str) -> str:
    """A number from text as pandas.to_numeric reads it, a comma only between thousands; NULL
    otherwise (NaN too)."""
    plain = f"TRY_CAST({t} AS DOUBLE)"
    return (
        f"CASE WHEN {t} IS NULL THEN NULL "
        f"WHEN contains({t}, ',') THEN CASE WHEN regexp_matches({t}, '{_THOUSANDS}') "
        f"THEN TRY_CAST(replace({t}, ',', '') AS DOUBLE) END "
        f"WHEN {plain} IS NULL OR isnan({plain}) THEN NULL "
        f"WHEN regexp_matches({t}, '^[0-9.eE+-]+$') OR regexp_matches({t}, '{_NUMBER}') THEN {plain} END"
    )


@dataclass(frozen=True)
class TypedColumn:
    """How one contract column is typed in SQL from its trimmed text, and the checks on typing.

    The typing query reads `__t_<name>` (the trimmed text) and the column as read; the typed
    table it writes holds the typed value, `__u_<name>` (a non-blank cell that could not be
    typed) and, for whole numbers, `__n_<name>` (the cell read as any number)."""

    spec: ColumnSpec
    source_type: str  # the DuckDB type of the column as read (VARCHAR for text files)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def is_timestamp(self) -> bool:
        return self.spec.type == "date" and self.source_type.startswith(("TIMESTAMP", "DATE"))

    def typed(self) -> str:
        """The typed value: VARCHAR, TIMESTAMP, TINYINT (booleans), BIGINT or DOUBLE."""
        t, kind = trimmed(self.name), self.spec.type
        if kind in ("string", "category"):
            return t
        if kind == "date":
            return f"CAST({quote(self.name)} AS TIMESTAMP)" if self.is_timestamp else _date_from_text(t)
        if kind == "boolean":
            return (
                f"CASE WHEN lower({t}) IN ({_words(TRUE_WORDS)}) THEN CAST(1 AS TINYINT) "
                f"WHEN lower({t}) IN ({_words(FALSE_WORDS)}) THEN CAST(0 AS TINYINT) END"
            )
        if kind == "integer":
            n = quote("__n_" + self.name)
            return f"CASE WHEN abs({n}) < 9223372036854775808.0 AND {n} = round({n}) THEN CAST({n} AS BIGINT) END"
        return _number_from_text(t)

    def columns(self) -> list[str]:
        """The typed table's columns for this one, as SELECT items over the trimmed text (whole
        numbers read from `__n_` in an outer query: see `typing_query`)."""
        name, t = self.name, trimmed(self.name)
        if self.spec.type == "integer":
            return [
                f"{_number_from_text(t)} AS {quote('__n_' + name)}",
                f"{t} IS NULL AS {quote('__b_' + name)}",
            ]
        items = [f"{self.typed()} AS {quote(name)}"]
        if self.spec.type not in ("string", "category"):
            items.append(f"{t} IS NOT NULL AND ({self.typed()}) IS NULL AS {quote('__u_' + name)}")
        return items

    def coercion_checks(self) -> list[Check]:
        """Cells that cannot be typed, as findings name them (masks over the typed table)."""
        name, kind = self.name, self.spec.type
        if kind in ("string", "category"):
            if kind == "string" and not self.spec.nullable:
                mask = f"lower({quote(name)}) IN ({_words(MISSING_WORDS)})"
                return [Check(name, "not blank", mask, "raw", "placeholder")]
            return []
        bad = quote("__u_" + name)
        if kind == "date":
            return [Check(name, "type: date (YYYY-MM-DD)", bad, "raw", "date")]
        if kind == "boolean":
            return [Check(name, "type: boolean (0 or 1)", bad, "raw", "boolean")]
        if kind == "number":
            return [Check(name, "type: number", bad, "raw", "number")]
        n = quote("__n_" + name)
        huge = f"abs({n}) >= 9223372036854775808.0"
        return [
            Check(name, "type: integer", f"{bad} AND {n} IS NULL", "raw", "number"),
            Check(
                name,
                "type: integer (whole number)",
                f"{n} IS NOT NULL AND NOT ({huge}) AND {n} <> round({n})",
                "raw",
            ),
            Check(name, "type: integer (too large)", f"{n} IS NOT NULL AND {huge}", "raw"),
        ]


def typing_query(columns: list[TypedColumn], source: str, row: str) -> str:
    """The SELECT that writes the typed table from `source` (columns under their contract names)."""
    inner = ", ".join(
        [row]
        + [f"{text(col.name)} AS {trimmed(col.name)}" for col in columns]
        + [quote(col.name) for col in columns if col.is_timestamp]
    )
    middle = ", ".join([row] + [item for col in columns for item in col.columns()])
    outer = [row] + [
        quote(col.name) if col.spec.type != "integer" else f"{col.typed()} AS {quote(col.name)}"
        for col in columns
    ]
    for col in columns:
        if col.spec.type not in ("string", "category"):
            outer.append(
                quote("__u_" + col.name)
                if col.spec.type != "integer"
                else f"NOT {quote('__b_' + col.name)} AND ({col.typed()}) IS NULL AS {quote('__u_' + col.name)}"
            )
        if col.spec.type == "integer":
            outer.append(quote("__n_" + col.name))
    return f"SELECT {', '.join(outer)} FROM (SELECT {middle} FROM (SELECT {inner} FROM {source}))"


@dataclass(frozen=True)
class Check:
    """One check as SQL: findings for `column` under `rule` for the rows where `mask` is true.

    `values` says which value a finding shows as an example: the cell as read ("raw") or typed
    ("typed"); `advice` names how the advice is found ("" none, or a kind the engine knows)."""

    column: str
    rule: str
    mask: str
    values: str = "typed"
    advice: str = ""


def rule_mask(column: str, rule: ColumnRule) -> str:
    """Where a non-blank typed value breaks a declared column rule."""
    value = quote(column)
    if rule.kind == "allowed":
        return f"{value} IS NOT NULL AND {value} NOT IN ({', '.join(literal(v) for v in rule.allowed)})"
    if rule.kind == "range":
        assert rule.bounds is not None
        low, high = (literal(b) for b in rule.bounds)
        return f"{value} IS NOT NULL AND ({value} < {low} OR {value} > {high})"
    if rule.kind == "pattern":
        pattern = rule.pattern if rule.pattern.startswith("^") else "^(?:" + rule.pattern + ")"
        # Each distinct value is tested once (identifiers repeat on every month of a person).
        distinct = f"SELECT DISTINCT {value} AS v FROM {{relation}}"
        return f"{value} IN (SELECT v FROM ({distinct}) WHERE NOT regexp_matches(v, {literal(pattern)}))"
    return f"{value} IS NOT NULL AND day({value}) <> 1"


def column_checks(spec: ColumnSpec) -> list[Check]:
    """The checks on a typed column: blank where it may not be, then each declared rule."""
    checks = []
    if not spec.nullable:
        unparsed = "FALSE" if spec.type in ("string", "category") else quote("__u_" + spec.name)
        checks.append(Check(spec.name, "not blank", f"{quote(spec.name)} IS NULL AND NOT {unparsed}"))
    checks += [Check(spec.name, rule.label, rule_mask(spec.name, rule)) for rule in column_rules(spec)]
    return checks


def date_advice_flags(column: str) -> str:
    """Over the cells of a date column that could not be read: do some look month first, like
    Excel serial numbers, or fall outside the years a date can have? (One row of three booleans.)"""
    t = text(column)
    uk_day, uk_month, uk_year = (f"TRY_CAST(regexp_extract({t}, '{_UK}', {i}) AS INTEGER)" for i in (1, 2, 3))
    month_first = (
        f"regexp_matches({t}, '{_UK}') AND try_strptime({uk_year} || '-' || {uk_month} || '-' || {uk_day}, '%Y-%m-%d') IS NULL "
        f"AND try_strptime({uk_year} || '-' || {uk_day} || '-' || {uk_month}, '%Y-%m-%d') IS NOT NULL "
        f"AND {uk_year} BETWEEN {FIRST_YEAR} AND {LAST_YEAR}"
    )
    serial = f"regexp_matches({t}, '^\\d{{5}}(\\.0+)?$')"
    year = f"COALESCE(TRY_CAST(NULLIF(regexp_extract({t}, '{_ISO}', 1), '') AS INTEGER), {uk_year})"
    out_of_range = f"({year} < {FIRST_YEAR} OR {year} > {LAST_YEAR})"
    return f"bool_or(COALESCE({month_first}, FALSE)), bool_or(COALESCE({serial}, FALSE)), bool_or(COALESCE({out_of_range}, FALSE))"


def unread_comma(column: str) -> str:
    """True where a number's comma is not between thousands (a decimal comma, say)."""
    t = text(column)
    return f"(contains({t}, ',') AND NOT regexp_matches({t}, '{_THOUSANDS}'))"


__all__ = [
    "Check",
    "TypedColumn",
    "column_checks",
    "date_advice_flags",
    "literal",
    "quote",
    "text",
    "typing_query",
    "unread_comma",
]
