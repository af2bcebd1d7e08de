"""The fault catalogue: every kind of input fault we know of, each tested end to end.

Each fault corrupts a copy of the small synthetic input folder on disk and loads it with
`load_programme`. The outcome is one of two, never a traceback and never a silently dropped row:

* Rejected: a ContractError whose findings name the table, column, rule and (for cell faults)
  the 1-based data rows and the offending values;
* Repaired: a documented, lossless repair (with a warning where something is dropped); every
  row of every table is kept.

`docs/fault_catalogue.md` lists the same faults with their outcome; a test keeps the two in step.
The last tests run `evaluation validate` on a corrupted and a clean copy.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.errors import ContractError, Finding
from evaluation.programme import Programme, load_programme, read_raw_tables

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "fault_catalogue.md"
FUTURE = (pd.Timestamp(date.today()) + pd.DateOffset(years=1)).date().isoformat()
PERSON_ID = "format: ^[A-Za-z0-9_-]{4,64}$"
NO_FUTURE = "range: 2015-01-01 to today (no future dates)"
STAGES = [
    "referred_date",
    "engaged_date",
    "started_date",
    "job_start_date",
    "sustained_13w_date",
    "sustained_26w_date",
]


# --- outcomes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A finding that must be among the ContractError's findings."""

    table: str
    column: str | None
    rule: str
    rows: tuple[int, ...] | None = None  # 1-based data rows; None: not checked
    values: tuple | None = None
    advice: str = ""  # a phrase the advice must contain


@dataclass(frozen=True)
class Rejected:
    findings: tuple[Expect, ...]
    warning: str = ""  # a phrase one warning must contain ("" = no warning required)


@dataclass(frozen=True)
class Repaired:
    check: Callable[[Programme, Programme], None]  # (loaded, the clean folder loaded)
    warning: str = ""  # a phrase one warning must contain ("" = no warning required)


@dataclass(frozen=True)
class Fault:
    id: str
    title: str
    apply: Callable[..., Rejected | Repaired]


FAULTS: dict[str, Fault] = {}


def fault(fault_id: str, title: str):
    def register(apply):
        assert fault_id not in FAULTS
        FAULTS[fault_id] = Fault(fault_id, title, apply)
        return apply

    return register


def rejected(*findings: Expect, warning: str = "") -> Rejected:
    return Rejected(findings, warning)


# --- helpers to corrupt one table --------------------------------------------------------


def set_cells(folder, table: str, column: str, cells: dict[int, str]) -> tuple[int, ...]:
    """Write text into cells (0-based positions); return the 1-based rows a finding names."""

    def change(frame):
        for position, value in cells.items():
            frame.loc[position, column] = value

    folder.edit(table, change)
    return tuple(p + 1 for p in cells)


def rows_where(folder, table: str, mask: Callable[[pd.DataFrame], pd.Series], n: int = 2) -> list[int]:
    """The first n positions (after the first row) meeting a condition."""
    found = np.flatnonzero(mask(folder.read(table)).to_numpy())
    found = found[found > 0][:n]
    assert len(found) == n
    return [int(p) for p in found]


def given(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: frame[column].ne("")


def later_stages_blank(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    later = STAGES[STAGES.index(column) + 1 :]
    return lambda frame: frame[later].eq("").all(axis=1) & frame["withdrawn_date"].eq("")


def shift(day: str, days: int) -> str:
    return (pd.Timestamp(day) + pd.Timedelta(days=days)).date().isoformat()


# --- the catalogue -----------------------------------------------------------------------
# Columns and structure


@fault("missing-column", "A required column is missing")
def _(folder):
    folder.edit("participants", lambda f: f.drop(columns=["referral_source"]))
    return rejected(Expect("participants", "referral_source", "required column present", rows=()))


@fault("misspelt-column", "A column name is misspelt")
def _(folder):
    folder.edit("participants", lambda f: f.rename(columns={"referral_source": "referal_source"}))
    return rejected(
        Expect(
            "participants",
            "referral_source",
            "required column present",
            advice="Found 'referal_source': rename it to 'referral_source'",
        ),
        warning="column 'referal_source' is not in the contract and was dropped. Did you mean "
        "'referral_source'?",
    )


@fault("duplicate-column", "The same column appears twice")
def _(folder):
    folder.edit("participants", lambda f: pd.concat([f, f[["age"]]], axis=1))
    return rejected(Expect("participants", "age", "column appears once"))


@fault("extra-column", "An extra column the contract does not know")
def _(folder):
    folder.edit("participants", lambda f: f.assign(notes="called twice, no answer"))

    def check(programme, clean):
        assert "notes" not in programme.participants.columns

    return Repaired(check, warning="column 'notes' is not in the contract and was dropped")


@fault("header-spaces", "Spaces around a column name")
def _(folder):
    folder.edit("participants", lambda f: f.rename(columns={"age": " age "}))

    def check(programme, clean):
        assert "age" in programme.participants.columns

    return Repaired(check)


@fault("empty-table", "A required table with a header but no rows")
def _(folder):
    folder.edit("comparison_pool", lambda f: f.iloc[:0])
    return rejected(Expect("comparison_pool", None, "table is not empty"))


@fault("empty-optional-table", "An optional table with a header but no rows yet")
def _(folder):
    folder.edit("spend", lambda f: f.iloc[:0])

    def check(programme, clean):
        assert programme.has("spend") and programme.spend.empty and not clean.spend.empty

    return Repaired(check)


@fault("short-row", "A CSV row with its last cells missing")
def _(folder):
    path = folder.file("spend")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = ",".join(lines[4].split(",")[:2])  # data row 4: no spend_gbp, no trailing comma
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rejected(Expect("spend", "spend_gbp", "not blank", rows=(4,)))


# Files


@fault("missing-file", "A required table's file is missing")
def _(folder):
    folder.remove("comparison_pool")
    return rejected(
        Expect(
            "comparison_pool", None, "file present", advice="comparison_pool.csv or comparison_pool.parquet"
        )
    )


@fault("missing-optional-file", "An optional table's file is missing (no spend returns yet)")
def _(folder):
    folder.remove("spend")

    def check(programme, clean):
        assert not programme.has("spend") and programme.spend.empty and clean.has("spend")

    return Repaired(check)


@fault("empty-file", "An empty file (0 bytes)")
def _(folder):
    folder.write_bytes("spend", b"")
    return rejected(Expect("spend", None, "file can be read"))


@fault("wrong-encoding", "A CSV saved as Windows-1252 / Latin-1, not UTF-8")
def _(folder):
    text = folder.file("delivery_plan").read_text(encoding="utf-8")
    folder.write_bytes("delivery_plan", text.replace("Mayor's", "Mayor\u2019s £").encode("cp1252"))
    return rejected(Expect("delivery_plan", None, "file is UTF-8 text", advice="Save the file as UTF-8"))


@fault("byte-order-mark", "A UTF-8 CSV starting with a byte-order mark (Excel 'CSV UTF-8')")
def _(folder):
    data = folder.file("delivery_plan").read_bytes()
    folder.write_bytes("delivery_plan", b"\xef\xbb\xbf" + data)

    def check(programme, clean):
        assert programme.delivery_plan.columns[0] == "activity_id"

    return Repaired(check)


@fault("ragged-row", "A CSV row with more cells than the header")
def _(folder):
    path = folder.file("spend")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += ",extra,cells"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rejected(Expect("spend", None, "file can be read", advice="Expected 3 fields"))


@fault("unreadable-parquet", "A Parquet file that is not Parquet (corrupt or mislabelled)")
def _(folder):
    folder.write_bytes("spend", b"PAR1 this is not really parquet", suffix=".parquet")
    return rejected(Expect("spend", None, "file can be read", advice="spend.parquet"))


@fault("truncated-excel", "An Excel file cut short (copy interrupted)")
def _(folder):
    path = folder.write("spend", folder.read("spend"), suffix=".xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return rejected(Expect("spend", None, "file can be read", advice="spend.xlsx"))


@fault("two-files-one-table", "Two files for one table (participants.csv and participants.xlsx)")
def _(folder):
    folder.read("spend").to_excel(folder.path / "spend.xlsx", index=False)
    return rejected(Expect("spend", None, "one file per table", advice="spend.csv and spend.xlsx"))


@fault("title-above-header", "A title line above the header")
def _(folder):
    path = folder.file("spend")
    path.write_text("Spend returns to October\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return Repaired(_same_as_clean, warning="the header is on line 2, not the first")


@fault("semicolon-delimiter", "A CSV separated by semicolons (or tabs), not commas")
def _(folder):
    folder.read("participants").to_csv(folder.file("participants"), index=False, sep=";")
    return Repaired(_same_as_clean, warning="separated by semicolons, not commas")


@fault("decimal-comma", "A number written with a decimal comma")
def _(folder):
    rows = set_cells(folder, "spend", "spend_gbp", {2: "1234,5"})
    return rejected(Expect("spend", "spend_gbp", "type: number", rows, ("1234,5",), advice="decimal point"))


@fault("header-case-punctuation", "Headers differing from the contract's only in case, spaces or punctuation")
def _(folder):
    folder.edit("participants", lambda f: f.rename(columns={"person_id": "Person ID", "age": "AGE"}))
    return Repaired(_same_as_clean, warning="'Person ID' as 'person_id', 'AGE' as 'age'")


@fault("trailing-blank-rows", "Blank rows at the end of a file")
def _(folder):
    path = folder.file("spend")
    path.write_text(path.read_text(encoding="utf-8") + ",,\n" * 3, encoding="utf-8")
    return Repaired(_same_as_clean)


@fault("data-on-another-sheet", "A workbook with the table on a sheet other than the first")
def _(folder):
    frame = folder.read("spend")
    folder.remove("spend")
    with pd.ExcelWriter(folder.path / "spend.xlsx") as writer:
        pd.DataFrame({"About": ["Spend returns"]}).to_excel(writer, sheet_name="Read me", index=False)
        frame.to_excel(writer, sheet_name="Returns", index=False)
    return Repaired(_same_as_clean, warning="read sheet 'Returns'")


@fault("columns-on-two-sheets", "A workbook with the table's columns on two sheets")
def _(folder):
    frame = folder.read("spend")
    folder.remove("spend")
    with pd.ExcelWriter(folder.path / "spend.xlsx") as writer:
        frame.to_excel(writer, sheet_name="2025", index=False)
        frame.to_excel(writer, sheet_name="2026", index=False)
    return rejected(Expect("spend", None, "one sheet holds the table", advice="sheets '2025' and '2026'"))


# Types


@fault("text-in-integer-column", "Text in a whole-number column")
def _(folder):
    rows = set_cells(folder, "participants", "age", {3: "forty", 9: "40 years"})
    return rejected(Expect("participants", "age", "type: integer", rows=rows, values=("forty", "40 years")))


@fault("fraction-in-integer-column", "A fraction in a whole-number column")
def _(folder):
    rows = set_cells(folder, "delivery_plan", "target_participants", {2: "45.5"})
    return rejected(
        Expect("delivery_plan", "target_participants", "type: integer (whole number)", rows, ("45.5",))
    )


@fault("text-in-number-column", "Units or text in a number column")
def _(folder):
    rows = set_cells(folder, "spend", "spend_gbp", {5: "1200 GBP", 6: "£80"})
    return rejected(Expect("spend", "spend_gbp", "type: number", rows=rows, values=("1200 GBP", "£80")))


@fault("percent-sign", "A percentage written with a % sign")
def _(folder):
    rows = set_cells(folder, "area_panel", "employment_rate", {7: "71.5%"})
    return rejected(Expect("area_panel", "employment_rate", "type: number", rows, ("71.5%",)))


@fault("number-too-large", "A whole number too large to store (an identifier in a count column)")
def _(folder):
    rows = set_cells(folder, "area_panel", "claimant_count", {2: "99999999999999999999"})
    return rejected(
        Expect("area_panel", "claimant_count", "type: integer (too large)", rows, ("99999999999999999999",))
    )


@fault("thousands-separators", "Numbers written with thousands separators")
def _(folder):
    set_cells(folder, "delivery_plan", "budget_gbp", {0: "1,400,000"})
    set_cells(folder, "spend", "spend_gbp", {2: "1,234.50"})

    def check(programme, clean):
        assert programme.delivery_plan.loc[0, "budget_gbp"] == 1_400_000
        assert programme.spend.loc[2, "spend_gbp"] == 1234.5

    return Repaired(check)


@fault("boolean-words", "A 0/1 flag written as yes/no or true/false")
def _(folder):
    set_cells(folder, "participants", "disabled", {1: "yes", 2: "No", 3: "TRUE", 4: "n"})

    def check(programme, clean):
        assert programme.participants.loc[1:4, "disabled"].tolist() == [1, 0, 1, 0]

    return Repaired(check)


@fault("boolean-other-word", "A 0/1 flag with some other word")
def _(folder):
    rows = set_cells(folder, "outcomes_monthly", "employed", {10: "maybe", 11: "2"})
    return rejected(Expect("outcomes_monthly", "employed", "type: boolean (0 or 1)", rows, ("maybe", "2")))


@fault("surrounding-spaces", "Leading or trailing spaces around values")
def _(folder):
    people = folder.read("participants")
    set_cells(folder, "participants", "sex", {1: " female "})
    set_cells(folder, "participants", "person_id", {2: f"  {people.loc[2, 'person_id']} "})
    set_cells(folder, "participants", "age", {3: " 41"})

    def check(programme, clean):
        frame = programme.participants
        assert frame.loc[1, "sex"] == "female"
        assert frame.loc[2, "person_id"] == people.loc[2, "person_id"]
        assert frame.loc[3, "age"] == 41

    return Repaired(check)


# Dates


@fault("impossible-date", "A date that does not exist (30 February)")
def _(folder):
    rows = set_cells(folder, "participants", "referred_date", {4: "2025-02-30"})
    return rejected(Expect("participants", "referred_date", "type: date (YYYY-MM-DD)", rows, ("2025-02-30",)))


@fault("mixed-date-formats", "Some dates written day/month/year")
def _(folder):
    # Dates with slashes are read day first, as UK users mean them, whatever the day.
    people = folder.read("participants")
    uk = {p: pd.Timestamp(people.loc[p, "referred_date"]).strftime("%d/%m/%Y") for p in (5, 8)}
    set_cells(folder, "participants", "referred_date", uk)

    def check(programme, clean):
        pd.testing.assert_series_equal(
            programme.participants["referred_date"], clean.participants["referred_date"]
        )

    return Repaired(check)


@fault("text-after-date", "A date followed by a note")
def _(folder):
    rows = set_cells(folder, "delivery_plan", "planned_start", {3: "2025-07-01 (approx)"})
    return rejected(Expect("delivery_plan", "planned_start", "type: date (YYYY-MM-DD)", rows))


@fault("date-with-time", "A date with a time of day")
def _(folder):
    people = folder.read("participants")
    day = people.loc[1, "referred_date"]
    set_cells(
        folder,
        "participants",
        "referred_date",
        {1: f"{day} 00:00:00", 2: f"{people.loc[2, 'referred_date']}T09:30"},
    )

    def check(programme, clean):
        assert programme.participants.loc[1, "referred_date"] == pd.Timestamp(day)

    return Repaired(check)


@fault("excel-serial-dates", "Excel date serial numbers in a date column (CSV)")
def _(folder):
    rows = set_cells(folder, "delivery_plan", "planned_start", {1: "45839", 2: "45870"})
    return rejected(
        Expect(
            "delivery_plan",
            "planned_start",
            "type: date (YYYY-MM-DD)",
            rows,
            ("45839", "45870"),
            advice="Excel date serial numbers",
        )
    )


@fault("excel-serial-dates-xlsx", "Excel date serial numbers in a date column (Excel file)")
def _(folder):
    plan = folder.read("delivery_plan").astype(object)
    plan["planned_start"] = [
        (pd.Timestamp(d) - pd.Timestamp("1899-12-30")).days for d in plan["planned_start"]
    ]
    folder.write("delivery_plan", plan, suffix=".xlsx")
    return rejected(
        Expect(
            "delivery_plan",
            "planned_start",
            "type: date (YYYY-MM-DD)",
            rows=(1, 2, 3, 4, 5),
            advice="Excel date serial numbers",
        )
    )


@fault("placeholder-date", "A placeholder date such as 9999-12-31 for 'not yet'")
def _(folder):
    rows = set_cells(folder, "participants", "sustained_26w_date", {6: "9999-12-31"})
    return rejected(
        Expect(
            "participants",
            "sustained_26w_date",
            "type: date (YYYY-MM-DD)",
            rows,
            ("9999-12-31",),
            advice="leave an unknown date blank",
        )
    )


@fault("future-date", "A date in the future")
def _(folder):
    (row,) = rows_where(folder, "participants", later_stages_blank("referred_date"), n=1)
    rows = set_cells(folder, "participants", "referred_date", {row: FUTURE})
    return rejected(Expect("participants", "referred_date", NO_FUTURE, rows, (FUTURE,)))


@fault("month-not-first", "A month not written as its first day")
def _(folder):
    rows = set_cells(folder, "outcomes_monthly", "month", {20: "2025-03-15"})
    return rejected(Expect("outcomes_monthly", "month", "first day of a month", rows, ("2025-03-15",)))


@fault("stage-dates-out-of-order", "Stage dates out of order (job start before support started)")
def _(folder):
    (row,) = rows_where(folder, "participants", given("job_start_date"), n=1)
    people = folder.read("participants")
    rows = set_cells(
        folder, "participants", "job_start_date", {row: shift(people.loc[row, "started_date"], -1)}
    )
    return rejected(
        Expect("participants", ", ".join(STAGES), "stage_dates_in_order", rows=rows),
    )


@fault("withdrawal-before-referral", "Withdrawn before being referred")
def _(folder):
    (row,) = rows_where(folder, "participants", given("withdrawn_date"), n=1)
    people = folder.read("participants")
    rows = set_cells(
        folder, "participants", "withdrawn_date", {row: shift(people.loc[row, "referred_date"], -3)}
    )
    return rejected(
        Expect("participants", "referred_date, withdrawn_date", "withdrawal_after_referral", rows)
    )


@fault("sustained-too-soon", "In work 13 weeks recorded less than 91 days after the job start")
def _(folder):
    people = folder.read("participants")
    (row,) = rows_where(folder, "participants", given("sustained_13w_date"), n=1)
    sustained_26w = people.loc[row, "sustained_26w_date"]
    cells = {row: shift(people.loc[row, "job_start_date"], 60)}
    rows = set_cells(folder, "participants", "sustained_13w_date", cells)
    assert sustained_26w == "" or sustained_26w > cells[row]
    return rejected(
        Expect(
            "participants",
            "job_start_date, sustained_13w_date",
            "sustained_13w_after_13_weeks_in_work",
            rows,
            (60,),
        )
    )


# Values


@fault("blank-required-cell", "A blank cell in a required column")
def _(folder):
    rows = set_cells(folder, "participants", "sex", {6: ""})
    return rejected(Expect("participants", "sex", "not blank", rows=rows))


@fault("missing-value-words", "NA, null, - or N/A written in required columns")
def _(folder):
    name = set_cells(folder, "delivery_plan", "activity_name", {4: "NA"})
    sex = set_cells(folder, "participants", "sex", {7: "null"})
    age = set_cells(folder, "participants", "age", {8: "-"})
    spend = set_cells(folder, "spend", "spend_gbp", {9: "N/A"})
    return rejected(
        Expect("delivery_plan", "activity_name", "not blank", name, ("NA",), advice="missing value"),
        Expect("participants", "sex", "allowed values: female, male", sex, ("null",)),
        Expect("participants", "age", "type: integer", age, ("-",)),
        Expect("spend", "spend_gbp", "type: number", spend, ("N/A",)),
    )


@fault("category-wrong-case", "A category value in the wrong case or spelling")
def _(folder):
    rows = set_cells(folder, "participants", "sex", {2: "Female", 3: "F"})
    return rejected(Expect("participants", "sex", "allowed values: female, male", rows, ("Female", "F")))


@fault("age-out-of-range", "An age outside 16 to 66")
def _(folder):
    rows = set_cells(folder, "participants", "age", {1: "15", 2: "67"})
    return rejected(Expect("participants", "age", "range: 16 to 66", rows, (15, 67)))


@fault("negative-budget", "A negative (or zero) budget")
def _(folder):
    rows = set_cells(folder, "delivery_plan", "budget_gbp", {5: "-350000", 6: "0"})
    return rejected(Expect("delivery_plan", "budget_gbp", "range: 0.01 to 100000000", rows, (-350000.0, 0.0)))


@fault("negative-spend", "Negative spend in a month")
def _(folder):
    rows = set_cells(folder, "spend", "spend_gbp", {8: "-120.50"})
    return rejected(Expect("spend", "spend_gbp", "range: 0 to 100000000", rows, (-120.5,)))


@fault("invalid-person-id", "A person identifier with spaces or symbols")
def _(folder):
    rows = set_cells(folder, "comparison_pool", "person_id", {3: "P 0071", 4: "AB#12345"})
    return rejected(Expect("comparison_pool", "person_id", PERSON_ID, rows, ("P 0071", "AB#12345")))


@fault("invalid-la-code", "A local authority code that is not an English LA code")
def _(folder):
    rows = set_cells(folder, "participants", "la_code", {5: "W06000015", 6: "Sunderland"})
    return rejected(
        Expect("participants", "la_code", "format: ^E0[6-9][0-9]{6}$", rows, ("W06000015", "Sunderland"))
    )


@fault("withdrawal-reason-without-date", "A withdrawal reason without a withdrawal date")
def _(folder):
    (row,) = rows_where(folder, "participants", lambda f: f["withdrawn_date"].eq(""), n=1)
    rows = set_cells(folder, "participants", "withdrawal_reason", {row: "moved_away"})
    return rejected(
        Expect(
            "participants",
            "withdrawn_date, withdrawal_reason",
            "withdrawal_reason_given",
            rows,
            ("blank / moved_away",),
        )
    )


# Keys and other tables


@fault("duplicate-identifiers", "The same person twice in the comparison pool")
def _(folder):
    pool = folder.read("comparison_pool")
    set_cells(folder, "comparison_pool", "person_id", {10: pool.loc[2, "person_id"]})
    return rejected(Expect("comparison_pool", "person_id", "unique: person_id", rows=(3, 11)))


@fault("duplicate-rows", "A participant row repeated")
def _(folder):
    folder.edit("participants", lambda f: pd.concat([f, f.iloc[[5]]], ignore_index=True))
    n = len(folder.read("participants"))
    return rejected(
        Expect(
            "participants",
            "person_id + activity_id",
            "unique: person_id + activity_id",
            rows=(6, n),
        )
    )


@fault("unknown-activity", "A participant's activity is not in the delivery plan")
def _(folder):
    rows = set_cells(folder, "participants", "activity_id", {1: "local_infra", 2: "Women"})
    return rejected(
        Expect("participants", "activity_id", "activity_in_delivery_plan", rows, ("local_infra", "Women"))
    )


@fault("spend-unknown-activity", "Spend for an activity not in the delivery plan")
def _(folder):
    rows = set_cells(folder, "spend", "activity_id", {3: "marketing"})
    return rejected(Expect("spend", "activity_id", "activity_in_delivery_plan", rows, ("marketing",)))


@fault("participant-without-outcomes", "A participant with no outcome months")
def _(folder):
    person = folder.read("participants").loc[4, "person_id"]
    folder.edit("outcomes_monthly", lambda f: f[f["person_id"] != person])
    return rejected(Expect("participants", "person_id", "participant_has_outcomes", (5,), (person,)))


@fault("outcomes-for-unknown-person", "Outcomes for someone in neither participants nor pool")
def _(folder):
    rows = set_cells(folder, "outcomes_monthly", "person_id", {30: "STRANGER01"})
    return rejected(Expect("outcomes_monthly", "person_id", "person_is_known", rows, ("STRANGER01",)))


@fault("pool-overlaps-participants", "A participant also in the comparison pool")
def _(folder):
    person = folder.read("participants").loc[0, "person_id"]
    folder.edit("comparison_pool", lambda f: pd.concat([f, f.iloc[[0]].assign(person_id=person)]))
    n = len(folder.read("comparison_pool"))
    return rejected(Expect("comparison_pool", "person_id", "not_a_participant", (n,), (person,)))


@fault("area-start-not-constant", "An area's start period differs between rows")
def _(folder):
    panel = folder.read("area_panel")
    first = panel.index[panel["first_treated_period"].ne("")][0]
    same = panel.index[
        (panel["activity_id"] == panel.loc[first, "activity_id"])
        & (panel["la_code"] == panel.loc[first, "la_code"])
    ]
    set_cells(folder, "area_panel", "first_treated_period", {int(same[2]): "2026-01-01"})
    return rejected(
        Expect(
            "area_panel",
            "first_treated_period",
            "start_constant_within_area",
            rows=tuple(int(p) + 1 for p in same[:5]),
        )
    )


# Other formats that must work


@fault("excel-input", "Tables supplied as Excel workbooks, with real Excel dates and numbers")
def _(folder):
    for table in ("delivery_plan", "participants", "spend"):
        frame = folder.read(table).astype(object)
        for column in frame.columns:
            if column.endswith(("_date", "_start", "month")):
                frame[column] = pd.to_datetime(frame[column].replace("", None))
            else:
                with contextlib.suppress(ValueError):  # text (or blank cells) stays text
                    frame[column] = pd.to_numeric(frame[column])
        folder.write(table, frame, suffix=".xlsx")
    return Repaired(_same_as_clean)


@fault("parquet-input", "Tables supplied as Parquet with native types (floats, dates, booleans)")
def _(folder):
    people = folder.read("participants").astype(object)
    people["age"] = people["age"].astype(float)
    people["disabled"] = people["disabled"].eq("1")
    for column in [*STAGES, "withdrawn_date"]:
        people[column] = pd.to_datetime(people[column].replace("", None))
    folder.write("participants", people, suffix=".parquet")
    return Repaired(_same_as_clean)


def _same_as_clean(programme: Programme, clean: Programme) -> None:
    for name, frame in clean.tables.items():
        pd.testing.assert_frame_equal(programme.tables[name], frame, obj=name)


# --- tests -------------------------------------------------------------------------------


def _matches(finding: Finding, expected: Expect) -> bool:
    return (
        finding.table == expected.table
        and finding.column == expected.column
        and finding.rule == expected.rule
    )


def assert_found(findings: tuple[Finding, ...], expected: Expect) -> None:
    listed = "\n".join(f"  {f.describe()}" for f in findings)
    matching = [f for f in findings if _matches(f, expected)]
    assert matching, f"no finding {expected.table}.{expected.column} '{expected.rule}' in:\n{listed}"
    (found,) = matching
    if expected.rows is not None:
        assert found.rows == expected.rows, found
    if expected.values is not None:
        assert found.values == expected.values, found
    assert expected.advice in found.advice, found


@pytest.fixture(scope="module")
def clean(small_synthetic_folder) -> Programme:
    return load_programme(small_synthetic_folder)


@pytest.fixture
def folder(small_input_copy):
    return small_input_copy


@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_fault_is_rejected_or_repaired(fault_id, folder, clean):
    outcome = FAULTS[fault_id].apply(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if isinstance(outcome, Rejected):
            with pytest.raises(ContractError) as error:
                load_programme(folder.path)
        else:
            raw, _, problems = read_raw_tables(folder.path)
            assert not problems
            programme = load_programme(folder.path)
    messages = [str(w.message) for w in caught]
    assert not outcome.warning or any(outcome.warning in m for m in messages), messages
    if isinstance(outcome, Rejected):
        for expected in outcome.findings:
            assert_found(error.value.findings, expected)
        return
    # a repair never drops a row
    assert {t: len(f) for t, f in programme.tables.items()} == {t: len(f) for t, f in raw.items()}
    outcome.check(programme, clean)


def test_there_are_at_least_30_kinds_of_fault():
    assert len(FAULTS) >= 30


def test_catalogue_document_lists_every_fault():
    text = CATALOGUE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.MULTILINE))
    assert documented == set(FAULTS), {
        "undocumented": sorted(set(FAULTS) - documented),
        "not tested": sorted(documented - set(FAULTS)),
    }


def test_catalogue_documents_the_boolean_words_and_other_repairs():
    text = CATALOGUE.read_text(encoding="utf-8").lower()
    for phrase in ("yes", "no", "true", "false", "thousands", "byte-order mark", "dropped"):
        assert phrase in text


# --- the command line --------------------------------------------------------------------

CLI_FAULTS = ("unknown-activity", "age-out-of-range", "month-not-first", "negative-budget", "missing-file")


def test_validate_command_prints_every_fault_and_exits_2(folder, capsys):
    expected = [e for f in CLI_FAULTS for e in FAULTS[f].apply(folder).findings]
    code = main(["validate", str(folder.path)])
    out, err = capsys.readouterr()
    assert code == 2
    for finding in expected:
        where = f"{finding.table}.{finding.column}" if finding.column else finding.table
        assert f"{where}: rule '{finding.rule}'" in err, err
        for row in finding.rows or ():
            assert f"row {row} " in err
    assert "Traceback" not in out + err


def test_validate_command_passes_a_clean_folder(small_input_copy, capsys):
    code = main(["validate", str(small_input_copy.path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "all data-contract rules pass" in out
    assert "participants" in out


def test_validate_command_prints_repair_warnings_and_passes(folder, capsys):
    FAULTS["extra-column"].apply(folder)
    code = main(["validate", str(folder.path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "warning: participants: column 'notes' is not in the contract and was dropped" in err
    assert "all data-contract rules pass" in out


def test_validate_command_reports_a_missing_folder(tmp_path, capsys):
    code = main(["validate", str(tmp_path / "nowhere")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "Input folder not found" in err
