"""The spreadsheets behind a report (`evaluation.report.spreadsheets`): cells as the guidance on
releasing statistics in spreadsheets asks (numbers as numbers with units in the headers,
shorthand as text, intervals split into columns), and workbooks with a cover, contents, notes and
one table per sheet, no merged cells, the same cells in XLSX and ODS, the same bytes every time."""

from __future__ import annotations

import datetime as dt
import math
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from evaluation.disclosure import SHORTHAND_NOTE
from evaluation.errors import OptionError
from evaluation.report import spreadsheets
from evaluation.report.context import activity_context
from evaluation.report.display import Numbering, ShownTable
from evaluation.report.spreadsheets import Cell, parse_number, sheet_table

COVER = {
    "title": "Process evaluation: Test activity: data tables",
    "intro": ["The tables behind a test report."],
    "about": ["Source: hand-built frames."],
    "contact": ["The test team."],
    "created": dt.datetime(2026, 10, 31),
    "policy_note": "Counts from 1 to 9 are hidden.",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£12,345", Cell(12345, "£", 0)),
        ("-£648,468", Cell(-648468, "£", 0)),
        ("42%", Cell(42, "%", 0)),
        ("+3.2", Cell(3.2, "", 1)),
        ("−1.0", Cell(-1.0, "", 1)),  # the typographic minus
        ("0.190", Cell(0.19, "", 3)),
        ("1,234", Cell(1234, "", 0)),
    ],
)
def test_a_number_as_the_page_writes_it_becomes_a_number_and_its_unit(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text", ["[c]", "not estimated", "+3.2 (-1.0 to +7.4)", "8 to 18", "2 May 2026", "12,34,"]
)
def test_anything_else_is_not_a_number(text):
    assert parse_number(text) is None


def test_cells_are_published_as_the_guidance_asks():
    shown = pd.DataFrame(
        {
            "Stage": ["Referred", "Engaged", "Started a job"],
            "People": [55, 45, "[c]"],
            "Spend": ["£1,200", "-£35", "[x]"],
            "Per cent": ["81%", "[z]", "[c]"],
            "Rate (95% CI)": ["81% (69% to 90%)", "[c]", "100% (100% to 100%)"],
            "Middle half (days)": ["8 to 18", "27 to 40", "[c]"],
            "Value": ["£925,000", "84%", "12"],
            "Verdict": ["not significant", "12", "+1.5"],
            "Ratio": [0.4149, np.nan, 2.25],
            "Blank": ["", "—", "ok"],
        }
    )
    published = sheet_table(shown)
    expected = pd.DataFrame(
        {
            "Stage": ["Referred", "Engaged", "Started a job"],
            "People": [55, 45, "[c]"],
            "Spend (£)": [1200, -35, "[x]"],
            "Per cent": [81, "[z]", "[c]"],
            "Rate (%)": [81, "[c]", 100],
            "Rate: lower limit of 95% CI (%)": [69, "[c]", 100],
            "Rate: upper limit of 95% CI (%)": [90, "[c]", 100],
            "Middle half (days): from": [8, 27, "[c]"],
            "Middle half (days): to": [18, 40, "[c]"],
            "Value": [925000, 84, 12],
            "Value: unit": ["pounds", "per cent", "number"],
            "Verdict": ["not significant", 12, 1.5],
            "Ratio": [0.4, "[x]", 2.2],  # as the page shows it: one decimal place (2.25 -> 2.2, as f"{:.1f}")
            "Blank": ["[x]", "[x]", "ok"],
        },
        dtype=object,
    )
    assert list(published.frame.columns) == list(expected.columns)
    for column in expected:
        assert published.frame[column].tolist() == expected[column].tolist(), column
        for got, want in zip(published.frame[column], expected[column], strict=True):
            assert type(got) is type(want), (column, got, want)  # numbers stay numbers, markers text
    assert published.markers == ("[c]", "[x]", "[z]")
    assert published.decimals["Ratio"] == 1 and published.decimals["People"] == 0


def test_an_interval_column_of_different_units_gets_one_unit_column():
    shown = pd.DataFrame(
        {
            "Outcome": ["In work", "Earnings in the month", "Few people"],
            "Effect (95% interval)": ["+18.9 (+8.6 to +29.1)", "+£205 (+£70 to +£341)", "[c]"],
        }
    )
    published = sheet_table(shown).frame
    assert published.to_dict("list") == {
        "Outcome": ["In work", "Earnings in the month", "Few people"],
        "Effect": [18.9, 205, "[c]"],
        "Effect: lower limit of 95% interval": [8.6, 70, "[c]"],
        "Effect: upper limit of 95% interval": [29.1, 341, "[c]"],
        "Effect: unit": ["number", "pounds", "[c]"],
    }


def test_a_number_shown_without_its_interval_gets_no_made_up_limits():
    shown = pd.DataFrame({"Row": ["a", "b"], "Effect (95% CI)": ["+1.0 (-0.5 to +2.5)", "0.0"]})
    published = sheet_table(shown)
    assert published.frame.to_dict("list") == {
        "Row": ["a", "b"],
        "Effect": [1.0, 0.0],
        "Effect: lower limit of 95% CI": [-0.5, "[x]"],
        "Effect: upper limit of 95% CI": [2.5, "[x]"],
    }
    assert published.markers == ("[x]",)  # explained on the sheet, as every marker used
    ranged = pd.DataFrame({"Row": ["a", "b"], "Middle half": ["8 to 18", "12"]})
    assert sheet_table(ranged).frame["Middle half"].tolist() == ["8 to 18", 12]  # no range to split


def test_a_shown_float_keeps_the_pages_precision_and_no_more():
    """The page prints floats to one decimal place (`display._cell`); a spreadsheet must not
    publish more than the page did (an exact rate could give a count away)."""
    values = [0.04, 0.05, 0.15, 12.34567, -0.26]
    published = sheet_table(pd.DataFrame({"Row": list("abcde"), "x": values}))
    assert published.frame["x"].tolist() == [float(f"{v:.1f}") for v in values]


def test_headers_are_made_unique_and_text():
    frame = pd.DataFrame([[1, 2, 3]], columns=[6, 6, ("a", "b")])
    assert list(sheet_table(frame).frame.columns) == ["6", "6 (2)", "a b"]
    made = pd.DataFrame({"Row": ["a"], "Spend": ["£5"], "Spend (£)": [5]})
    assert list(sheet_table(made).frame.columns) == ["Row", "Spend (£)", "Spend (£) (2)"]


def test_a_table_without_rows_is_published_as_one_row_of_x():
    published = sheet_table(pd.DataFrame({"Group": [], "People": []}))
    assert published.frame.to_dict("list") == {"Group": ["[x]"], "People": ["[x]"]}
    assert published.markers == ("[x]",)


# --------------------------------------------------------------------------- workbooks


def _shown() -> list[ShownTable]:
    numbering = Numbering()
    numbering.table(
        pd.DataFrame({"Measure": ["Referred", "Engaged"], "People": [55, "[c]"]}).set_index("Measure"),
        title="Reach to 31 October 2026",
        index=True,
        note="Counts rounded to the nearest 5. " + SHORTHAND_NOTE,
    )
    numbering.table(
        pd.DataFrame(
            {"Estimate": ["Headline"], "Points (95% CI)": ["+1.0 (-0.7 to +2.6)"], "Text": ["=1+1"]}
        ),
        title="Estimated effect",
        note="Counts rounded to the nearest 5.",
    )
    numbering.figure(
        _figure(),
        title="Spend by month",
        subtitle="s",
        alt="a",
        data=pd.DataFrame({"Month": ["July 2025", "August 2025"], "Spend (£)": ["29,358", "69,123"]}),
    )
    return numbering.shown


def _figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    return fig


def _table(sheet) -> list[list]:
    """A table sheet's marked table (header row first), as openpyxl reads it."""
    (ref,) = [t.ref for t in sheet.tables.values()]
    return [[c.value for c in row] for row in sheet[ref]]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbook")
    xlsx = spreadsheets.workbook_xlsx(folder / "report.xlsx", _shown(), **COVER)
    ods = spreadsheets.write_ods(xlsx, folder / "report.ods", title=COVER["title"])
    return xlsx, ods


def test_cover_contents_notes_then_one_table_per_sheet(workbook):
    xlsx, _ = workbook
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Table_1", "Table_2", "Figure_1"]
    cover = [row[0] for row in book["Cover"].iter_rows(values_only=True)]
    assert cover[0] == COVER["title"]
    for line in (*COVER["intro"], *COVER["about"], *COVER["contact"]):
        assert line in cover
    contents = _table(book["Contents"])
    assert contents[0] == ["Sheet name", "Table title"]
    assert [row[0] for row in contents[1:]] == ["Table_1", "Table_2", "Figure_1"]
    assert [row[1].strip() for row in contents[1:]] == [
        "Table 1: Reach to 31 October 2026",
        "Table 2: Estimated effect",
        "Data for figure 1: Spend by month",
    ]
    links = [book["Contents"].cell(row=r, column=1).hyperlink for r in range(1, 20)]
    assert [link.location for link in links if link is not None] == [
        "'Table_1'!A1",
        "'Table_2'!A1",
        "'Figure_1'!A1",
    ]
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges, f"{sheet.title} has merged cells"


def test_notes_are_numbered_and_referred_to_from_the_titles(workbook):
    book = load_workbook(workbook[0])
    notes = {row[0]: row[1] for row in _table(book["Notes"])[1:]}
    assert notes == {
        1: COVER["policy_note"],
        2: "Counts rounded to the nearest 5.",  # the shorthand paragraph is explained on each sheet instead
    }
    assert book["Table_1"]["A1"].value == "Table 1: Reach to 31 October 2026 [note 1][note 2]"
    assert book["Table_2"]["A1"].value == "Table 2: Estimated effect [note 1][note 2]"  # the same note once
    assert book["Figure_1"]["A1"].value == "Data for figure 1: Spend by month [note 1]"
    assert book["Table_1"]["A2"].value.startswith("This worksheet contains one table.")
    # Shorthand used on a sheet is explained above its table, and only that shorthand.
    above = [book["Table_1"].cell(row=r, column=1).value for r in range(3, 5)]
    assert "[c] = confidential: hidden to protect the people counted" in above
    assert not any("[x]" in str(v) for v in above)


def test_cells_hold_numbers_and_shorthand_text(workbook):
    book = load_workbook(workbook[0])
    assert _table(book["Table_1"]) == [["Measure", "People"], ["Referred", 55], ["Engaged", "[c]"]]
    assert _table(book["Table_2"]) == [
        [
            "Estimate",
            "Points",
            "Points: lower limit of 95% CI",
            "Points: upper limit of 95% CI",
            "Text",
        ],
        ["Headline", 1.0, -0.7, 2.6, "=1+1"],  # text that looks like a formula stays text
    ]
    (ref,) = [t.ref for t in book["Table_2"].tables.values()]
    assert {c.data_type for row in book["Table_2"][ref] for c in row if c.value == "=1+1"} == {"s"}
    assert _table(book["Figure_1"]) == [["Month", "Spend (£)"], ["July 2025", 29358], ["August 2025", 69123]]
    # Numbers are shown with thousands separators and the page's decimal places.
    (ref,) = [t.ref for t in book["Figure_1"].tables.values()]
    assert {c.number_format for row in book["Figure_1"][ref][1:] for c in row[1:]} == {"#,##0"}
    (ref,) = [t.ref for t in book["Table_2"].tables.values()]
    assert {c.number_format for row in book["Table_2"][ref][1:] for c in row[1:4]} == {"#,##0.0"}


def test_the_ods_file_holds_the_same_cells(workbook):
    xlsx, ods = workbook
    book = load_workbook(xlsx)
    sheets = pd.read_excel(ods, engine="odf", sheet_name=None, header=None)
    assert list(sheets) == book.sheetnames
    for sheet in book.worksheets:
        expected = [[c.value for c in row] for row in sheet.iter_rows()]
        got = sheets[sheet.title].astype(object).where(sheets[sheet.title].notna(), None).values.tolist()
        got = [row + [None] * (len(expected[0]) - len(row)) for row in got]
        assert _same(got, expected), sheet.title
    content = zipfile.ZipFile(ods).read("content.xml").decode()
    assert "number-columns-spanned" not in content and "number-rows-spanned" not in content
    assert 'office:value-type="float" office:value="29358"' in content  # a number, not text
    assert 'xlink:href="#Table_1.A1"' in content  # the contents link to each sheet
    first = zipfile.ZipFile(ods).infolist()[0]  # as the OpenDocument package format requires
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert zipfile.ZipFile(ods).read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    meta = zipfile.ZipFile(ods).read("meta.xml").decode()
    assert f"<dc:title>{COVER['title']}</dc:title>" in meta


def _same(got: list[list], expected: list[list]) -> bool:
    for row_got, row_expected in zip(got, expected, strict=True):
        for a, b in zip(row_got, row_expected, strict=True):
            if isinstance(b, int | float) and not isinstance(b, bool):
                if not (isinstance(a, int | float) and math.isclose(a, b)):
                    return False
            elif a != b:
                return False
    return True


def test_the_same_tables_give_the_same_bytes(tmp_path, workbook):
    """Two runs of the same report give identical files (fixed creation dates and zip times, and
    odfpy's namespace declarations in a fixed order whatever the process wrote before)."""
    xlsx = spreadsheets.workbook_xlsx(tmp_path / "again.xlsx", _shown(), **COVER)
    ods = spreadsheets.write_ods(xlsx, tmp_path / "again.ods", title=COVER["title"])
    assert xlsx.read_bytes() == workbook[0].read_bytes()
    assert ods.read_bytes() == workbook[1].read_bytes()


# --------------------------------------------------------------------------- a report's files


@pytest.fixture(scope="module")
def context(synthetic_folder, tmp_path_factory):
    return activity_context(
        str(synthetic_folder), "women", output_dir=str(tmp_path_factory.mktemp("reports"))
    )


def test_a_report_writes_both_files_beside_its_page_and_links_them(context, capsys):
    context.numbering = Numbering()
    spreadsheets.download_links(context)
    before = context.numbering.download
    for table in _shown():
        context.numbering.shown.append(table)
    written = spreadsheets.write_files(context)
    assert {fmt: path.name for fmt, path in written.items()} == {
        "xlsx": "women_process.xlsx",
        "ods": "women_process.ods",
    }
    folder = written["xlsx"].parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "women_process.ods",
        "women_process.xlsx",
    ]  # no temporary left
    assert before is context.numbering.download
    html = spreadsheets.links_html(context, {f: p.stat().st_size for f, p in written.items()}).data
    size = round(written["ods"].stat().st_size / 1024)
    assert (
        f'<a href="women_process.ods" download>Download the data for this report (ODS, {max(1, size)} KB)</a>'
        in html
    )
    assert 'href="women_process.xlsx"' in html
    book = load_workbook(written["xlsx"])
    cover = [row[0] for row in book["Cover"].iter_rows(values_only=True)]
    assert cover[0] == f"Process evaluation: {context.name}: data tables"
    assert f"Data as of: {context.as_of:%d %B %Y}.".replace(": 0", ": ") in cover
    (source,) = [line for line in cover if str(line).startswith("Source: ")]
    assert "(delivery plan, participants, comparison pool, outcomes monthly, area panel and spend)" in source
    assert not any("interim update" in str(line) for line in cover)  # a full update
    assert context.policy.describe() in cover


def test_a_temporary_folder_left_by_a_killed_kernel_is_one_the_runner_removes():
    from evaluation import runner

    assert spreadsheets.STAGING_PREFIX == runner.STAGING_PREFIX


def test_a_new_reports_numbering_starts_empty(context, tmp_path):
    """A report's tables live in its own context, so the next report (even in the same kernel)
    writes only its own tables."""
    first = Numbering()
    first.table(pd.DataFrame({"a": ["x"], "b": [1]}), title="First report's table")
    context.numbering = Numbering()
    context.numbering.table(pd.DataFrame({"a": ["y"], "b": [2]}), title="Second report's table")
    context.output_dir = str(tmp_path)
    written = spreadsheets.write_files(context)
    book = load_workbook(written["xlsx"])
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Table_1"]
    assert book["Table_1"]["A1"].value.startswith("Table 1: Second report's table")


def test_a_report_without_tables_writes_nothing_and_says_so(context, tmp_path):
    context.numbering = Numbering()
    context.output_dir = str(tmp_path)
    assert spreadsheets.write_files(context) == {}
    assert list(tmp_path.iterdir()) == []
    assert "no data to download" in spreadsheets.links_html(context, tables=0).data


def test_an_activity_id_that_cannot_name_a_file_is_refused(context):
    context.activity_id = "../elsewhere"
    try:
        with pytest.raises(OptionError, match="cannot name a spreadsheet file"):
            spreadsheets.report_stem(context)
    finally:
        context.activity_id = "women"


@pytest.mark.notebook
def test_a_reused_kernel_never_carries_one_reports_tables_into_the_next(synthetic_folder, tmp_path):
    """Two reports run one after the other in one warm kernel (as the runner runs them): the
    second report's spreadsheet holds its own table only."""
    import nbformat
    import papermill

    from evaluation.kernels import ReportKernelManager, WarmKernel
    from evaluation.runner import KERNEL, KERNEL_START_TIMEOUT

    def report(name: str, activity: str, tables: int):
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
        notebook.cells = [
            nbformat.v4.new_code_cell(
                "import pandas as pd\n"
                "from evaluation.report.context import activity_context\n"
                "from evaluation.report import spreadsheets\n"
                f"ctx = activity_context({str(synthetic_folder)!r}, {activity!r}, output_dir={str(tmp_path)!r})\n"
                "spreadsheets.download_links(ctx)"
            ),
            nbformat.v4.new_code_cell(
                f"for n in range({tables}):\n"
                f"    ctx.numbering.table(pd.DataFrame({{'Row': ['a'], 'People': [10 * (n + 1)]}}), title=f'{name} {{n}}')"
            ),
            nbformat.v4.new_code_cell("spreadsheets.write(ctx)"),
        ]
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(notebook, path)
        papermill.execute_notebook(
            str(path), str(path), kernel_name=KERNEL, progress_bar=False, km=kernel.manager()
        )
        kernel.reset()
        return nbformat.read(path, as_version=4)

    kernel = WarmKernel(ReportKernelManager, kernel_name=KERNEL, start_timeout=KERNEL_START_TIMEOUT)
    try:
        report("first", "women", 3)
        second = report("second", "lmi_hub", 1)
    finally:
        kernel.close()
    first_book = load_workbook(tmp_path / "women_process.xlsx")
    second_book = load_workbook(tmp_path / "lmi_hub_process.xlsx")
    assert first_book.sheetnames[3:] == ["Table_1", "Table_2", "Table_3"]
    assert second_book.sheetnames[3:] == ["Table_1"]
    assert second_book["Table_1"]["A1"].value.startswith("Table 1: second 0")
    # The links shown at the top were updated in place with the sizes (the last cell shows nothing).
    links = second.cells[0].outputs[0]["data"]["text/html"]
    size = round((tmp_path / "lmi_hub_process.ods").stat().st_size / 1024)
    assert f"Download the data for this report (ODS, {max(1, size)} KB)" in links
    assert second.cells[2].outputs == []
