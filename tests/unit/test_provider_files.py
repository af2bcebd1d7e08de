"""Provider files as they arrive: ambiguous inputs refused, structural problems named.

Two files for one table are refused, naming both. A header below a title line or blank
rows, data on another sheet (or a workbook of several), a `;` or tab delimiter, headers that
differ from the contract's names only in case, spaces or punctuation, and blank rows at the
end are each detected and named (read with a warning where the reading is certain). Findings
come cause first, and `evaluation validate` prints its warnings whether or not the input passes.
"""

from __future__ import annotations

import contextlib
import warnings

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.errors import ContractError
from evaluation.programme import Programme, load_programme


@pytest.fixture(scope="module")
def clean(small_synthetic_folder) -> Programme:
    return load_programme(small_synthetic_folder)


def load_with_warnings(path) -> tuple[Programme, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        programme = load_programme(path)
    return programme, [str(w.message) for w in caught]


def refused(path) -> tuple[ContractError, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ContractError) as error:
            load_programme(path)
    return error.value, [str(w.message) for w in caught]


def one_containing(messages: list[str], *phrases: str) -> str:
    found = [m for m in messages if all(p in m for p in phrases)]
    assert found, (phrases, messages)
    return found[0]


def assert_same_table(programme: Programme, clean: Programme, table: str) -> None:
    pd.testing.assert_frame_equal(programme.tables[table], clean.tables[table], obj=table)


def excel_frame(folder, table: str) -> pd.DataFrame:
    """A CSV table with dates and numbers as Excel would hold them."""
    frame = folder.read(table).astype(object)
    for column in frame.columns:
        if column.endswith(("_date", "_start", "month")):
            frame[column] = pd.to_datetime(frame[column].replace("", None))
        else:
            with contextlib.suppress(ValueError):  # text (or blank cells) stays text
                frame[column] = pd.to_numeric(frame[column])
    return frame


# --- 8. two files for one table ----------------------------------------------------------


def test_two_files_for_one_table_are_refused_naming_both(small_input_copy):
    folder = small_input_copy
    frame = folder.read("spend")
    frame.to_excel(folder.path / "spend.xlsx", index=False)
    error, _ = refused(folder.path)
    (finding,) = [f for f in error.findings if f.table == "spend"]
    assert finding.rule == "one file per table"
    assert "spend.csv" in finding.advice and "spend.xlsx" in finding.advice


def test_two_files_are_refused_even_when_identical_in_content(small_input_copy):
    folder = small_input_copy
    folder.read("delivery_plan").to_parquet(folder.path / "delivery_plan.parquet", index=False)
    error, _ = refused(folder.path)
    assert any(f.rule == "one file per table" and "delivery_plan.parquet" in f.advice for f in error.findings)


# --- 9. header not on the first row ------------------------------------------------------


def test_a_title_line_above_the_csv_header_is_named_and_skipped(small_input_copy, clean):
    path = small_input_copy.file("spend")
    path.write_text("Spend returns, North East CA, October 2025\n" + path.read_text(encoding="utf-8"))
    programme, messages = load_with_warnings(small_input_copy.path)
    one_containing(messages, "spend.csv", "header is on line 2", "Spend returns, North East CA")
    assert_same_table(programme, clean, "spend")


def test_title_and_blank_lines_above_an_excel_header_are_named(small_input_copy, clean):
    folder = small_input_copy
    target = folder.path / "delivery_plan.xlsx"
    frame = excel_frame(folder, "delivery_plan")
    folder.remove("delivery_plan")
    with pd.ExcelWriter(target) as writer:
        pd.DataFrame([["Delivery plan 2025-26"]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=3)
    programme, messages = load_with_warnings(folder.path)
    one_containing(messages, "delivery_plan.xlsx", "header is on row 4", "Delivery plan 2025-26")
    assert_same_table(programme, clean, "delivery_plan")


def test_a_file_with_no_recognisable_header_is_read_as_before(small_input_copy):
    path = small_input_copy.file("spend")
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(["a,b,c", *lines[1:]]) + "\n", encoding="utf-8")
    error, _ = refused(small_input_copy.path)
    assert {f.column for f in error.findings if f.rule == "required column present"} >= {
        "activity_id",
        "month",
        "spend_gbp",
    }


# --- 9. sheets ---------------------------------------------------------------------------


def test_data_on_a_later_sheet_is_read_and_the_sheet_named(small_input_copy, clean):
    folder = small_input_copy
    frame = excel_frame(folder, "spend")
    folder.remove("spend")
    with pd.ExcelWriter(folder.path / "spend.xlsx") as writer:
        pd.DataFrame({"About": ["Spend returns from providers", "Pounds, by month"]}).to_excel(
            writer, sheet_name="Read me", index=False
        )
        frame.to_excel(writer, sheet_name="Returns", index=False)
    programme, messages = load_with_warnings(folder.path)
    one_containing(messages, "spend.xlsx", "2 sheets", "'Returns'", "'Read me'")
    assert_same_table(programme, clean, "spend")


def test_a_workbook_with_the_columns_on_two_sheets_is_refused_naming_them(small_input_copy):
    folder = small_input_copy
    frame = excel_frame(folder, "spend")
    folder.remove("spend")
    with pd.ExcelWriter(folder.path / "spend.xlsx") as writer:
        frame.to_excel(writer, sheet_name="2025", index=False)
        frame.iloc[:3].to_excel(writer, sheet_name="2026", index=False)
    error, _ = refused(folder.path)
    (finding,) = [f for f in error.findings if f.table == "spend"]
    assert finding.rule == "one sheet holds the table"
    assert "'2025'" in finding.advice and "'2026'" in finding.advice


def test_a_workbook_with_a_notes_sheet_after_the_data_says_which_was_read(small_input_copy, clean):
    folder = small_input_copy
    frame = excel_frame(folder, "spend")
    folder.remove("spend")
    with pd.ExcelWriter(folder.path / "spend.xlsx") as writer:
        frame.to_excel(writer, sheet_name="Data", index=False)
        pd.DataFrame({"Notes": ["checked by finance"]}).to_excel(writer, sheet_name="Notes", index=False)
    programme, messages = load_with_warnings(folder.path)
    one_containing(messages, "spend.xlsx", "read sheet 'Data'", "'Notes'")
    assert_same_table(programme, clean, "spend")


# --- 9. delimiters -----------------------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_semicolon_or_tab_delimited_csv_is_read_with_a_warning(small_input_copy, clean, delimiter, name):
    folder = small_input_copy
    frame = folder.read("participants")
    frame.to_csv(folder.file("participants"), index=False, sep=delimiter)
    programme, messages = load_with_warnings(folder.path)
    one_containing(messages, "participants.csv", f"separated by {name}")
    assert_same_table(programme, clean, "participants")


def test_a_decimal_comma_is_refused_not_read_as_a_thousands_separator(small_input_copy):
    folder = small_input_copy
    frame = folder.read("spend")
    frame.loc[2, "spend_gbp"] = "1234,5"
    frame.to_csv(folder.file("spend"), index=False, sep=";")
    error, _ = refused(folder.path)
    (finding,) = [f for f in error.findings if f.column == "spend_gbp"]
    assert finding.rule == "type: number" and finding.rows == (3,)
    assert "decimal point" in finding.advice


# --- 9. headers in another case, spacing or punctuation -----------------------------------


def test_headers_differing_in_case_spaces_or_punctuation_are_mapped_with_a_warning(small_input_copy, clean):
    renames = {"person_id": "Person ID", "referral_source": "Referral-Source", "age": "AGE"}
    small_input_copy.edit("participants", lambda f: f.rename(columns=renames))
    programme, messages = load_with_warnings(small_input_copy.path)
    message = one_containing(messages, "participants", "'Person ID' as 'person_id'")
    assert "'Referral-Source' as 'referral_source'" in message and "'AGE' as 'age'" in message
    assert_same_table(programme, clean, "participants")


def test_a_header_matching_two_ways_is_not_guessed(small_input_copy):
    small_input_copy.edit("spend", lambda f: f.assign(**{"Spend GBP": f["spend_gbp"]}))
    error, _ = refused(small_input_copy.path)
    assert any(f.column == "spend_gbp" and f.rule == "column appears once" for f in error.findings)


# --- 9. blank rows at the end ------------------------------------------------------------


def test_blank_rows_at_the_end_of_a_csv_are_ignored(small_input_copy, clean):
    path = small_input_copy.file("spend")
    path.write_text(path.read_text(encoding="utf-8") + ",,\n" * 4 + " , ,\n", encoding="utf-8")
    programme, _ = load_with_warnings(small_input_copy.path)
    assert_same_table(programme, clean, "spend")


def test_blank_rows_and_columns_at_the_end_of_a_workbook_are_ignored(small_input_copy, clean):
    folder = small_input_copy
    frame = excel_frame(folder, "spend")
    padded = pd.concat([frame, pd.DataFrame(None, index=range(5), columns=frame.columns)])
    padded[""] = None
    folder.remove("spend")
    padded.to_excel(folder.path / "spend.xlsx", index=False)
    programme, messages = load_with_warnings(folder.path)
    assert_same_table(programme, clean, "spend")
    assert not [m for m in messages if "spend" in m], messages


# --- 9. cause first ----------------------------------------------------------------------


def test_a_missing_column_comes_before_the_rows_it_breaks(small_input_copy, capsys):
    small_input_copy.edit("participants", lambda f: f.rename(columns={"person_id": "participant_ref"}))
    error, _ = refused(small_input_copy.path)
    rules = [(f.table, f.column, f.rule) for f in error.findings]
    cause = rules.index(("participants", "person_id", "required column present"))
    effect = rules.index(("outcomes_monthly", "person_id", "person_is_known"))
    assert cause < effect, rules
    assert "participants has no person_id column" in error.findings[effect].advice
    for command in (["validate"], ["run", "--out", str(small_input_copy.path.parent / "out")]):
        code = main([*command[:1], str(small_input_copy.path), *command[1:]])  # run and validate alike
        _, err = capsys.readouterr()
        assert code == 2
        assert err.index("participants.person_id: rule 'required column present'") < err.index(
            "outcomes_monthly.person_id: rule 'person_is_known'"
        ), command
        assert err.index("Table participants:") < err.index("Table outcomes_monthly:"), command


def test_structural_findings_of_every_table_come_before_cell_findings(small_input_copy):
    small_input_copy.edit("delivery_plan", lambda f: f.assign(budget_gbp="lots"))
    small_input_copy.edit("spend", lambda f: f.drop(columns=["spend_gbp"]))
    error, _ = refused(small_input_copy.path)
    rules = [f.rule for f in error.findings]
    assert rules.index("required column present") < rules.index("type: number"), rules


# --- validate prints its warnings ---------------------------------------------------------


def test_validate_prints_warnings_before_findings_when_the_input_fails(small_input_copy, capsys):
    small_input_copy.edit("participants", lambda f: f.assign(notes="x").drop(columns=["referral_source"]))
    code = main(["validate", str(small_input_copy.path)])
    _, err = capsys.readouterr()
    assert code == 2
    warning = "warning: participants: column 'notes' is not in the contract and was dropped"
    assert warning in err, err
    assert err.index(warning) < err.index("The input does not meet the data contracts")
