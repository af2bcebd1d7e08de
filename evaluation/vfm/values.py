"""Unit values for the social cost-benefit analysis, kept as data with their sources.

Every number the appraisal uses (Universal Credit rates, tax and National Insurance thresholds,
earnings, the value of a WELLBY, the GDP deflator, the discount rate, persistence) is a row of a
values file, never a constant in the code, so a reader can see where each came from and a user can
change it. A row has: key, description, value, unit, price_year (the financial year its prices
belong to, 2019 for 2019-20; blank for rates and points), source, url, date_checked (blank when
it could not be checked, and the source then says "unverified: why") and low and high (blank: the
same as the value). The GDP deflator has one `gdp_deflator` row per financial year.

The package ships `evaluation/data/unit_values.csv`. A user can replace it with a file of their own
(`load_values(path)`) or add rows to it (`load_values(overrides=path)`): a row with the key (and,
for the deflator, the year) of a shipped row replaces it. Licensed values, such as the HACT Social
Value Bank, belong in such a user file; the package must not ship them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd

from evaluation.errors import InputError
from evaluation.options import check_option

__all__ = [
    "CASES",
    "COLUMNS",
    "DEFLATOR_KEY",
    "Case",
    "UnitValue",
    "ValuesTable",
    "load_values",
    "read_values_file",
]

Case = Literal["low", "central", "high"]
CASES: tuple[Case, ...] = ("low", "central", "high")
COLUMNS = (
    "key",
    "description",
    "value",
    "unit",
    "price_year",
    "source",
    "url",
    "date_checked",
    "low",
    "high",
)
DEFLATOR_KEY = "gdp_deflator"
PACKAGE_FILE = "unit_values.csv"


@dataclass(frozen=True, kw_only=True)
class UnitValue:
    """One row of a values file: a number with its unit, price year, low and high, and source."""

    key: str
    description: str
    value: float
    unit: str
    price_year: int | None
    source: str
    url: str
    date_checked: str
    low: float
    high: float

    @property
    def status(self) -> str:
        """How far the number can be relied on: "checked", "unverified" or "assumption"."""
        source = self.source.strip().lower()
        if source.startswith("assumption"):
            return "assumption"
        if source.startswith("unverified") or not self.date_checked:
            return "unverified"
        return "checked"

    def at(self, case: Case) -> float:
        """The value in a case: `low`, `central` (the value itself) or `high`."""
        check_option("case", case, Case)
        return {"low": self.low, "central": self.value, "high": self.high}[case]


def _number(raw, what: str, *, blank: float | None = None) -> float:
    text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
    if not text:
        if blank is None:
            raise InputError(f"{what} is empty; it must be a number")
        return blank
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise InputError(f"{what} is {text!r}, which is not a number") from None
    if not math.isfinite(number):
        raise InputError(f"{what} is {text!r}; it must be a finite number")
    return number


def _year(raw, what: str) -> int | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or not str(raw).strip():
        return None
    try:
        number = float(str(raw).strip())
    except ValueError:
        number = float("nan")
    if not number.is_integer() or not 1900 <= number <= 2200:
        raise InputError(f"{what} is {raw!r}; it must be a year such as 2025 (for 2025-26), or blank")
    return int(number)


def _text(raw) -> str:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    return str(raw).strip()


def _row(record: dict, where: str) -> UnitValue:
    key = _text(record.get("key"))
    if not key:
        raise InputError(f"{where}: the key is empty")
    what = f"{where} ({key})"
    value = _number(record.get("value"), f"{what}: value")
    low = _number(record.get("low"), f"{what}: low", blank=value)
    high = _number(record.get("high"), f"{what}: high", blank=value)
    if not low <= value <= high:
        raise InputError(f"{what}: low {low:g}, value {value:g} and high {high:g} must be in that order")
    return UnitValue(
        key=key,
        description=_text(record.get("description")),
        value=value,
        unit=_text(record.get("unit")),
        price_year=_year(record.get("price_year"), f"{what}: price_year"),
        source=_text(record.get("source")),
        url=_text(record.get("url")),
        date_checked=_text(record.get("date_checked")),
        low=low,
        high=high,
    )


@dataclass(frozen=True)
class ValuesTable:
    """The unit values an appraisal draws on, with where they came from (`origin`).

    Look-ups raise `InputError` naming the missing key, so a user file that lacks a value the
    appraisal needs says which. Money is brought to a base year's prices with the GDP deflator
    rows (`real`); a value with no price year (a rate, a number of points) is used as it is.
    """

    rows: tuple[UnitValue, ...]
    origin: str = "package"

    def __post_init__(self) -> None:
        seen: set[tuple[str, int | None]] = set()
        for row in self.rows:
            ident = (row.key, row.price_year if row.key == DEFLATOR_KEY else None)
            if ident in seen:
                year = f" for {row.price_year}" if row.key == DEFLATOR_KEY else ""
                raise InputError(f"Values ({self.origin}): the key {row.key!r}{year} appears more than once")
            seen.add(ident)
            if row.key == DEFLATOR_KEY and (row.price_year is None or row.value <= 0):
                raise InputError(
                    f"Values ({self.origin}): every {DEFLATOR_KEY} row needs a price_year and a positive index"
                )

    def has(self, key: str) -> bool:
        return any(row.key == key for row in self.rows)

    def get(self, key: str) -> UnitValue:
        """The row of `key` (for the deflator, use `deflator`)."""
        for row in self.rows:
            if row.key == key:
                return row
        raise InputError(
            f"Values ({self.origin}) have no {key!r}; add a row with that key (see docs/value_for_money.md)"
        )

    def value(self, key: str, case: Case = "central") -> float:
        return self.get(key).at(case)

    def deflator(self, price_year: int) -> float:
        """The GDP deflator index of a financial year (2025 for 2025-26)."""
        for row in self.rows:
            if row.key == DEFLATOR_KEY and row.price_year == price_year:
                return row.value
        years = sorted(r.price_year for r in self.rows if r.key == DEFLATOR_KEY and r.price_year is not None)
        span = f"{years[0]} to {years[-1]}" if years else "none"
        raise InputError(
            f"Values ({self.origin}) have no {DEFLATOR_KEY} for {price_year} (years held: {span}); "
            "add the HM Treasury GDP deflator for that financial year"
        )

    def price_factor(self, from_year: int, to_year: int) -> float:
        """What one pound in `from_year` prices is in `to_year` prices: deflator ratio."""
        if from_year == to_year:
            return 1.0
        return self.deflator(to_year) / self.deflator(from_year)

    def real(self, key: str, case: Case, base_year: int) -> float:
        """The value of `key` in a case, in `base_year` prices when it has a price year."""
        row = self.get(key)
        amount = row.at(case)
        return amount if row.price_year is None else amount * self.price_factor(row.price_year, base_year)

    def updated(self, other: ValuesTable | Iterable[UnitValue], origin: str | None = None) -> ValuesTable:
        """This table with `other`'s rows added, replacing rows of the same key (and deflator year)."""
        extra = tuple(other.rows if isinstance(other, ValuesTable) else other)

        def ident(row: UnitValue) -> tuple[str, int | None]:
            return row.key, row.price_year if row.key == DEFLATOR_KEY else None

        replaced = {ident(row) for row in extra}
        kept = tuple(row for row in self.rows if ident(row) not in replaced)
        name = origin or (
            f"{self.origin} + {other.origin}" if isinstance(other, ValuesTable) else self.origin
        )
        return ValuesTable(kept + extra, origin=name)

    def to_frame(self) -> pd.DataFrame:
        """Every row, with its status (checked, unverified or assumption)."""
        records = [{c: getattr(row, c) for c in COLUMNS} | {"status": row.status} for row in self.rows]
        return pd.DataFrame(records, columns=[*COLUMNS, "status"])

    def select(self, keys: Iterable[str], price_years: Iterable[int] = ()) -> pd.DataFrame:
        """The rows of `keys` (in that order) and the deflator rows of `price_years`: the table of
        values an appraisal used, as the report prints it."""
        wanted = list(dict.fromkeys(keys))
        rows = [self.get(key) for key in wanted if key != DEFLATOR_KEY]
        for year in sorted(set(price_years)):
            self.deflator(year)  # raises when missing
            rows += [r for r in self.rows if r.key == DEFLATOR_KEY and r.price_year == year]
        frame = ValuesTable(tuple(rows), origin=self.origin).to_frame()
        return frame.astype({"price_year": "Int64"})


def read_values_file(path: str | Path) -> ValuesTable:
    """A values file (CSV with the `COLUMNS`), checked: numbers are numbers, low <= value <= high."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Values file {str(path)!r} does not exist")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"Values file {str(path)!r} could not be read as UTF-8 CSV: {error}") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"Values file {str(path)!r} lacks the column(s) {', '.join(missing)}")
    rows = tuple(
        _row(record, f"Values file {path.name}, line {i + 2}")
        for i, record in enumerate(frame.to_dict("records"))
    )
    return ValuesTable(rows, origin=str(path))


def _package_values() -> ValuesTable:
    resource = resources.files("evaluation") / "data" / PACKAGE_FILE
    with resources.as_file(resource) as path:
        table = read_values_file(path)
    return ValuesTable(table.rows, origin=f"package ({PACKAGE_FILE})")


def load_values(path: str | Path | None = None, *, overrides: str | Path | None = None) -> ValuesTable:
    """The values to appraise with: the package's file, or the file at `path` instead of it; then
    the rows of `overrides` (for example licensed values the package may not ship) on top."""
    table = _package_values() if path is None else read_values_file(path)
    if overrides is not None:
        table = table.updated(read_values_file(overrides))
    return table
