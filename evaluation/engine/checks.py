"""Type and check tables inside an engine (DuckDB or Spark), with the same findings as pandas.

A table read by the engine (`evaluation.engine.engines`) stays there: every cell is typed and
every contract rule checked by SQL generated from the contracts (`evaluation.engine.sql`), so a
28-million-row table is never turned into Python objects to be checked; only the first rows of
each finding, and at the end the typed tables, come back into pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from evaluation import contracts as c
from evaluation.contracts import Contract, RuleSpec
from evaluation.engine.sql import (
    Check,
    TypedColumn,
    column_checks,
    date_advice_flags,
    literal,
    quote,
    text,
    typing_query,
    unread_comma,
)
from evaluation.errors import Finding

ROW = "__row"


@dataclass(frozen=True)
class RawTable:
    """A table DuckDB has read: its text (or typed, for Parquet) columns under their positions."""

    table: str
    relation: str  # the DuckDB table holding the rows as read, columns c0, c1, ...
    headers: tuple[str, ...]  # the file's header, one per column
    types: tuple[str, ...]  # the DuckDB type of each column as read


# --- typing and checking one table ---------------------------------------------------------------


def _kept_rows(con, raw: RawTable, positions: list[int]) -> int:
    """How many rows to keep: blank rows at the end of a file carry nothing and are dropped."""
    if not positions:
        return 0
    filled = " OR ".join(f"NOT {_blank_at(raw, i)}" for i in positions)
    (last,) = con.row(f"SELECT max({con.rowid}) FROM {raw.relation} WHERE {filled}")
    return 0 if last is None else int(last) + 1


def _blank_at(raw: RawTable, i: int) -> str:
    return f"({text(f'c{i}')} IS NULL)"


def type_table(con, raw: RawTable, contract: Contract) -> tuple[list[str], list[Finding], dict[str, str]]:
    """Type the table into `typed_<table>` and return the columns typed, the findings on its
    headers and cells, and each column's DuckDB source type."""
    headers = list(raw.headers)
    unnamed = [i for i, h in enumerate(headers) if h is None or str(h).strip() == ""]
    named = [f"Unnamed: {i}" if i in unnamed else str(h) for i, h in enumerate(headers)]
    n_rows = _kept_rows(con, raw, list(range(len(headers))))
    # A column without a header and without a value is a spreadsheet's empty margin: dropped.
    empty = [
        i
        for i in unnamed
        if con.row(
            f"SELECT count(*) FROM {raw.relation} WHERE {con.rowid} < {n_rows} AND NOT {_blank_at(raw, i)}"
        )[0]
        == 0
    ]
    positions = [i for i in range(len(headers)) if i not in empty]
    names, findings = c.resolve_columns([named[i] for i in positions], contract)
    table = contract.table
    if n_rows == 0 and contract.required:
        findings.insert(
            0, Finding(table, None, "table is not empty", 0, advice="The file has a header but no rows.")
        )
    first: dict[str, int] = {}
    for name, i in zip(names, positions, strict=True):
        first.setdefault(name, i)
    present = [name for name in contract.columns if name in first]
    source = {name: raw.types[first[name]] for name in present}
    listed = ", ".join(f"c{first[name]} AS {quote(name)}" for name in present)
    con.view(
        f"named_{table}",
        f"SELECT {con.rowid} + 1 AS {ROW}{', ' if listed else ''}{listed} FROM {raw.relation} WHERE {con.rowid} < {n_rows}",
    )
    columns = [TypedColumn(contract.columns[name], source[name]) for name in present]
    con.table(f"typed_{table}", typing_query(columns, f"named_{table}", ROW))
    cell_checks = [check for col in columns for check in col.coercion_checks()]
    found = _run_checks(con, table, f"typed_{table}", cell_checks, contract)
    checks = [check for col in columns for check in column_checks(col.spec)]
    found += _run_checks(con, table, f"typed_{table}", checks, contract)
    found += _key_finding(con, table, contract, present)
    return present, findings + found, source


def _run_checks(con, table: str, relation: str, checks: list[Check], contract: Contract) -> list[Finding]:
    """One scan counting every check's rows; examples fetched only for the checks that fail."""
    if not checks:
        return []
    checks = [replace(check, mask=check.mask.replace("{relation}", relation)) for check in checks]
    counts = con.row(
        "SELECT "
        + ", ".join(f"count_if(COALESCE({check.mask}, FALSE))" for check in checks)
        + f" FROM {relation}"
    )
    findings = []
    for check, n in zip(checks, counts, strict=True):
        if n:
            findings.append(_finding(con, table, relation, check, int(n), contract))
    return findings


def _finding(con, table: str, relation: str, check: Check, n: int, contract: Contract) -> Finding:
    """The finding of a failing check, with its first rows and their values (as read, for a
    cell that could not be typed, from the table's named view)."""
    spec = contract.columns[check.column]
    value = quote(check.column)
    shown = con.rows(
        f"SELECT {ROW}, {value} FROM {relation} WHERE COALESCE({check.mask}, FALSE) ORDER BY {ROW} LIMIT {c.MAX_EXAMPLES}"
    )
    rows = tuple(int(r) for r, _ in shown)
    if check.values == "raw":
        listed = ", ".join(str(r) for r in rows)
        raw = dict(con.rows(f"SELECT {ROW}, {value} FROM named_{table} WHERE {ROW} IN ({listed})"))
        values = tuple(_python(raw[r], "raw") for r in rows)
    else:
        values = tuple(_python(v, spec.type) for _, v in shown)
    return Finding(table, check.column, check.rule, n, rows, values, _advice(con, table, check, spec))


def _advice(con, table: str, check: Check, spec: c.ColumnSpec) -> str:
    """A finding's advice; for cells that could not be typed, from what they look like."""
    relation = f"named_{table}"
    if check.advice == "placeholder":
        return c.PLACEHOLDER_ADVICE
    if check.advice == "boolean":
        return c.BOOLEAN_ADVICE
    if check.advice == "number":
        (comma,) = con.row(f"SELECT bool_or(COALESCE({unread_comma(check.column)}, FALSE)) FROM {relation}")
        return c.number_advice(bool(comma))
    if check.advice == "date":
        bad = f"WHERE {ROW} IN (SELECT {ROW} FROM typed_{table} WHERE {check.mask})"
        flags = con.row(f"SELECT {date_advice_flags(check.column)} FROM {relation} {bad}")
        return c.date_advice(*(bool(f) for f in flags))
    if check.values == "raw":
        return ""
    return spec.description


_NULLS: dict[str, Any] = {"date": pd.NaT, "number": float("nan"), "integer": pd.NA, "boolean": pd.NA}


def _python(value: Any, kind: str) -> Any:
    """A value from DuckDB as the pandas checks show it in a finding."""
    if value is None:
        return _NULLS.get(kind)
    if kind == "date" or hasattr(value, "isoformat") and not isinstance(value, str):
        return c._plain(pd.Timestamp(value))
    return c._plain(value)


def _key_finding(con, table: str, contract: Contract, present: list[str]) -> list[Finding]:
    key = list(contract.primary_key)
    if not key or any(k not in present for k in key):
        return []
    listed = ", ".join(quote(k) for k in key)
    (n,) = con.row(
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM typed_{table} GROUP BY {listed} HAVING count(*) > 1)"
    )
    if not n:
        return []
    repeated = f"count(*) OVER (PARTITION BY {listed}) > 1"
    shown = con.rows(
        f"SELECT {ROW}, {listed} FROM (SELECT {ROW}, {listed}, {repeated} AS r FROM typed_{table}) "
        f"WHERE r ORDER BY {ROW} LIMIT {c.MAX_EXAMPLES}"
    )
    label = " + ".join(key)
    values = tuple(_row_text(row[1:], [contract.columns[k].type for k in key]) for row in shown)
    return [
        Finding(
            table, label, f"unique: {label}", int(n), tuple(int(r[0]) for r in shown), values, c.KEY_ADVICE
        )
    ]


def _row_text(values, kinds) -> str:
    """Several columns' values as one example, 'a / b / blank'."""
    return " / ".join(
        "blank" if v is None else str(_python(v, k)) for v, k in zip(values, kinds, strict=True)
    )


# --- tables typed by pandas ------------------------------------------------------------------------


def register_typed(con, table: str, frame: pd.DataFrame) -> None:
    """A table typed by the pandas reader, as `typed_<table>` for the cross-table rules."""
    view = frame.copy()
    for name in view.columns:
        if str(view[name].dtype) in ("Int8", "Int64"):
            view[name] = view[name].astype("float64")
    view.insert(0, ROW, np.arange(1, len(view) + 1))
    con.register(f"typed_{table}", view)


def typed_frame(
    con, table: str, contract: Contract, present: list[str], rows: tuple[int, int] | None = None
) -> pd.DataFrame:
    """The typed table as the pandas checks return it (text as objects, dates as datetime64[ns],
    booleans as Int8, whole numbers as Int64, numbers as float64), rows in file order; with
    `rows` (first, end), only the rows at those positions in the file."""
    if not present:
        return pd.DataFrame(index=pd.RangeIndex(0))
    listed = ", ".join(quote(name) for name in present)
    where = f" WHERE {ROW} >= {int(rows[0])} AND {ROW} < {int(rows[1])}" if rows else ""
    frame = con.frame(f"SELECT {listed} FROM typed_{table}{where} ORDER BY {ROW}")
    for name in present:
        kind = contract.columns[name].type
        column = frame[name]
        if kind in ("string", "category"):
            frame[name] = column.astype(object).where(column.notna(), None)
        elif kind == "date":
            frame[name] = column.astype("datetime64[ns]")
        elif kind == "boolean":
            frame[name] = column.astype("Int8")
        elif kind == "integer":
            frame[name] = column.astype("Int64")
        else:
            frame[name] = column.astype("float64")
    return frame


# --- cross-table rules -------------------------------------------------------------------------------


def rule_findings(
    con, table: str, rule: RuleSpec, columns: Mapping[str, list[str]], contracts: Mapping[str, Contract]
) -> list[Finding]:
    """The findings of one cross-table rule over the typed tables (`columns`: each table's typed
    columns). Nothing when the table lacks a column the rule needs (reported earlier)."""
    if any(name not in columns[table] for name in (*rule.columns, *rule.group)):
        return []
    first = quote(rule.columns[0])
    relation = f"typed_{table}"
    kinds = [contracts[table].columns[name].type for name in rule.columns]
    if rule.kind in ("foreign_key", "disjoint", "covered_by"):
        refs = c._references(rule)
        names = [refs["table"]] if isinstance(refs["table"], str) else list(refs["table"])
        column = refs["columns"][0]
        present = [n for n in names if n in columns and column in columns[n]]
        if not present:
            return []
        union = " UNION ALL ".join(f"SELECT {quote(column)} AS v FROM typed_{n}" for n in present)
        if rule.kind == "foreign_key":
            mask = f"{first} IS NOT NULL AND {first} NOT IN (SELECT v FROM ({union}) WHERE v IS NOT NULL)"
        elif rule.kind == "disjoint":
            mask = f"{first} IN (SELECT v FROM ({union}) WHERE v IS NOT NULL)"
        else:  # rows of the referenced table whose key never appears here
            (other,) = present
            here = f"SELECT {first} AS v FROM {relation}"
            value = quote(column)
            mask = (
                f"({value} IS NOT NULL AND {value} NOT IN (SELECT v FROM ({here}) WHERE v IS NOT NULL)) OR "
                f"({value} IS NULL AND NOT EXISTS (SELECT 1 FROM ({here}) WHERE v IS NULL))"
            )
            return _rule_finding(
                con, other, f"typed_{other}", rule, mask, value, ["string"], columns, contracts
            )
        return _rule_finding(con, table, relation, rule, mask, first, kinds[:1], columns, contracts)
    if rule.kind == "dates_in_order":
        parts = [quote(n) for n in rule.columns]
        # The latest date so far; greatest() skips blanks, as the running maximum in pandas does.
        so_far = [parts[0]] + [f"greatest({', '.join(parts[: k + 1])})" for k in range(1, len(parts))]
        later = [f"COALESCE({parts[k]} < {so_far[k - 1]}, FALSE)" for k in range(1, len(parts))]
        return _rule_finding(
            con, table, relation, rule, " OR ".join(later), ", ".join(parts), kinds, columns, contracts
        )
    if rule.kind == "min_gap_days":
        start, end = (quote(n) for n in rule.columns)
        gap = f"date_diff('day', {start}, {end})"
        return _rule_finding(
            con, table, relation, rule, f"{gap} < {int(rule.days or 0)}", gap, ["gap"], columns, contracts
        )
    if rule.kind == "required_together":
        present_count = " + ".join(f"CAST({quote(n)} IS NOT NULL AS INTEGER)" for n in rule.columns)
        mask = f"({present_count}) BETWEEN 1 AND {len(rule.columns) - 1}"
        listed = ", ".join(quote(n) for n in rule.columns)
        return _rule_finding(con, table, relation, rule, mask, listed, kinds, columns, contracts)
    if rule.kind == "constant_within":
        group = ", ".join(quote(g) for g in rule.group)
        joined = " AND ".join(f"t.{quote(g)} IS NOT DISTINCT FROM g.{quote(g)}" for g in rule.group)
        counted = (
            f"(SELECT t.*, g.n FROM {relation} t JOIN (SELECT {group}, count(DISTINCT {first}) + "
            f"max(CAST({first} IS NULL AS INTEGER)) AS n FROM {relation} GROUP BY {group}) g ON {joined})"
        )
        return _rule_finding(con, table, counted, rule, "n > 1", first, kinds[:1], columns, contracts)
    if rule.kind == "pseudonymised":
        patterns = [c._NI_NUMBER, c._EMAIL, c._NAME]
        flags = ["(?i)" if p.flags & 2 else "" for p in patterns]  # re.IGNORECASE is 2
        personal = " OR ".join(
            f"regexp_matches(trim(v), {literal(flag + '^(?:' + p.pattern + ')$')})"
            for flag, p in zip(flags, patterns, strict=True)
        )
        # Each distinct identifier is tested once (a person has a row per month).
        mask = f"{first} IN (SELECT v FROM (SELECT DISTINCT {first} AS v FROM {relation}) WHERE {personal})"
        return _rule_finding(con, table, relation, rule, mask, first, ["personal"], columns, contracts)
    raise ValueError(f"rule '{rule.name}' has a kind no engine checks: {rule.kind}")


def _rule_finding(con, table, relation, rule, mask, values, kinds, columns, contracts) -> list[Finding]:
    (n,) = con.row(f"SELECT count_if(COALESCE({mask}, FALSE)) FROM {relation}")
    if not n:
        return []
    shown = con.rows(
        f"SELECT {ROW}, {values} FROM {relation} WHERE COALESCE({mask}, FALSE) ORDER BY {ROW} LIMIT {c.MAX_EXAMPLES}"
    )
    examples: tuple[Any, ...]
    if kinds == ["gap"]:  # pandas shows whole days as floats once any gap in the column is blank
        (missing,) = con.row(f"SELECT count_if(({values}) IS NULL) FROM {relation}")
        examples = tuple(float(v) if missing else int(v) for _, v in shown)
    elif kinds == ["personal"]:
        examples = tuple(c.mask_personal(v) for _, v in shown)
    elif len(kinds) > 1:
        examples = tuple(_row_text(row[1:], kinds) for row in shown)
    else:
        examples = tuple(_python(v, kinds[0]) for _, v in shown)
    tables = {name: pd.DataFrame(columns=cols) for name, cols in columns.items()}
    advice = rule.description + c._unchecked_references(rule, tables)
    label = ", ".join(rule.columns)
    return [Finding(table, label, rule.name, int(n), tuple(int(r[0]) for r in shown), examples, advice)]


__all__ = [
    "RawTable",
    "register_typed",
    "rule_findings",
    "type_table",
    "typed_frame",
]
