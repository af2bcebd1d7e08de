"""The published spreadsheets open in LibreOffice Calc and keep their cells, and every workbook of
the session's run passes the structural checks of the Analysis Function's guidance on releasing
statistics in spreadsheets.

LibreOffice (`soffice`, headless) converts one report's XLSX to ODS and its ODS to XLSX; each
conversion must succeed (LibreOffice exits 0 even when it cannot load a file, so the converted
file must exist) and the converted cells must equal the cells we wrote. Without LibreOffice the
test fails and says how to install it (`make office-deps`), so the check is never skipped.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

REPORT = "summary"
"""The programme summary: intervals, money, percentages, shorthand and value for money in its tables,
whatever the run (an activity's impact report has no tables when it is too small to estimate)."""
META_SHEETS = ["Cover", "Contents", "Notes"]
SHEET_NAME = re.compile(r"^[A-Za-z0-9_]{1,31}$")


def _soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.fail("LibreOffice is not installed (no `soffice` on the PATH): run `make office-deps`")
    return found


def _convert(source: Path, to: str, out: Path, profile: Path) -> Path:
    """`source` converted by headless LibreOffice to the format `to` in `out`, with its own profile
    folder (so no LibreOffice already running, and no user settings, takes part)."""
    result = subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    converted = out / f"{source.stem}.{to}"
    assert result.returncode == 0 and converted.is_file(), (
        f"LibreOffice could not convert {source.name} to {to} (exit {result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return converted


def _rows(rows: list[list]) -> list[list]:
    """Rows without trailing empty cells, and without trailing empty rows."""
    trimmed = []
    for row in rows:
        row = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in row]
        while row and row[-1] is None:
            row.pop()
        trimmed.append(row)
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def _xlsx_cells(path: Path) -> dict[str, list[list]]:
    book = load_workbook(path)
    return {s.title: _rows([[c.value for c in row] for row in s.iter_rows()]) for s in book.worksheets}


def _ods_cells(path: Path) -> dict[str, list[list]]:
    sheets = pd.read_excel(path, engine="odf", sheet_name=None, header=None)
    return {name: _rows(frame.astype(object).values.tolist()) for name, frame in sheets.items()}


def _differences(got: dict[str, list[list]], expected: dict[str, list[list]]) -> list[str]:
    """Each cell that differs, as "sheet!row,column: got != expected" (numbers compared as numbers)."""
    if list(got) != list(expected):
        return [f"sheets {list(got)} != {list(expected)}"]
    found = []
    for name, rows in expected.items():
        if len(got[name]) != len(rows):
            found.append(f"{name}: {len(got[name])} rows != {len(rows)}")
            continue
        for r, (row_got, row_expected) in enumerate(zip(got[name], rows, strict=True), start=1):
            width = max(len(row_got), len(row_expected))
            row_got = row_got + [None] * (width - len(row_got))
            row_expected = row_expected + [None] * (width - len(row_expected))
            for c, (a, b) in enumerate(zip(row_got, row_expected, strict=True), start=1):
                if not _same(a, b):
                    found.append(f"{name}!R{r}C{c}: {a!r} != {b!r}")
    return found


def _same(a, b) -> bool:
    if isinstance(b, int | float) and not isinstance(b, bool):
        return isinstance(a, int | float) and not isinstance(a, bool) and math.isclose(a, b)
    return a == b


@pytest.fixture(scope="module")
def libreoffice(rendered_run, tmp_path_factory):
    """The report's own files, and LibreOffice's conversions of each into the other format."""
    folder = tmp_path_factory.mktemp("libreoffice")
    profile = folder / "profile"
    ours = {fmt: rendered_run.out_dir / f"{REPORT}.{fmt}" for fmt in ("xlsx", "ods")}
    assert all(path.is_file() for path in ours.values()), f"the run wrote no {REPORT} spreadsheets"
    return {
        "ours": ours,
        "ods": _convert(ours["xlsx"], "ods", folder / "from_xlsx", profile),
        "xlsx": _convert(ours["ods"], "xlsx", folder / "from_ods", profile),
    }


def test_libreoffice_opens_the_xlsx_and_keeps_every_cell(libreoffice):
    expected = _xlsx_cells(libreoffice["ours"]["xlsx"])
    assert len(expected) > len(META_SHEETS) + 5, "too few sheets to mean anything"
    assert _differences(_ods_cells(libreoffice["ods"]), expected) == []


def test_libreoffice_opens_the_ods_and_keeps_every_cell_and_link(libreoffice):
    expected = _xlsx_cells(libreoffice["ours"]["xlsx"])
    assert _differences(_xlsx_cells(libreoffice["xlsx"]), expected) == []
    book = load_workbook(libreoffice["xlsx"])
    links = [c.hyperlink.location for row in book["Contents"].iter_rows() for c in row if c.hyperlink]
    tables = book.sheetnames[len(META_SHEETS) :]
    assert [link.replace("'", "") for link in links] == [f"{name}!A1" for name in tables]
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges, f"{sheet.title} has merged cells in LibreOffice's copy"


def test_libreoffice_reads_numbers_as_numbers(libreoffice):
    """A number we wrote is a number to LibreOffice, not text that looks like one."""
    numbers = 0
    for name, rows in _xlsx_cells(libreoffice["xlsx"]).items():
        for row in rows[1:]:
            numbers += sum(isinstance(v, int | float) for v in row)
            assert not any(isinstance(v, str) and re.fullmatch(r"[+\-]?£?\d[\d,.]*%?", v) for v in row), (
                f"{name}: a number stored as text in {row}"
            )
    assert numbers > 50


# --------------------------------------------------------------------------- the guidance's structure


def _table_ref(sheet) -> tuple[int, int, int, int]:
    """The one table marked up on a sheet, as (first row, first column, last row, last column)."""
    refs = [t.ref for t in sheet.tables.values()]
    assert len(refs) == 1, f"{sheet.title}: {len(refs)} marked tables, the guidance asks for one"
    (first, last) = refs[0].split(":")
    sheet_cells = sheet[first], sheet[last]
    return sheet_cells[0].row, sheet_cells[0].column, sheet_cells[1].row, sheet_cells[1].column


def test_every_workbook_follows_the_guidances_structure(rendered_run):
    """For every workbook of the run: a cover, contents and notes first; sheet names without
    spaces; nothing hidden, merged or pictured; each sheet's title in A1 and any text above its
    table in column A only; one marked table per sheet with unique headers, no blank cell and
    nothing beside or below it; the contents listing and linking each table sheet once; the file's
    title the cover's."""
    workbooks = sorted(rendered_run.out_dir.glob("*.xlsx"))
    assert len(workbooks) >= 20, "too few workbooks to mean anything"
    for path in workbooks:
        book = load_workbook(path)
        assert book.sheetnames[:3] == META_SHEETS and len(book.sheetnames) > 3, path.name
        assert book.properties.title == book["Cover"]["A1"].value, path.name
        for sheet in book.worksheets:
            where = f"{path.name} {sheet.title}"
            assert SHEET_NAME.match(sheet.title), f"{where}: a sheet name with spaces or symbols"
            assert sheet.sheet_state == "visible", f"{where}: hidden"
            assert not sheet.merged_cells.ranges, f"{where}: merged cells"
            assert not sheet._images and not sheet._charts, f"{where}: a picture or chart"
            assert not any(d.hidden for d in sheet.row_dimensions.values()), f"{where}: hidden rows"
            assert not any(d.hidden for d in sheet.column_dimensions.values()), f"{where}: hidden columns"
            assert isinstance(sheet["A1"].value, str) and sheet["A1"].value.strip(), (
                f"{where}: no title in A1"
            )
            if sheet.title == "Cover":
                assert sheet.max_column == 1, f"{where}: the cover is one column of text"
                continue
            top, left, bottom, right = _table_ref(sheet)
            assert (left, bottom, right) == (1, sheet.max_row, sheet.max_column), (
                f"{where}: the table must start in column A with nothing beside or below it"
            )
            above = [[c.value for c in row] for row in sheet.iter_rows(max_row=top - 1)]
            assert all(v is None for row in above for v in row[1:]), f"{where}: text above the table beside A"
            header, *body = [[c.value for c in row] for row in sheet.iter_rows(min_row=top, max_row=bottom)]
            assert all(isinstance(h, str) and h.strip() for h in header), f"{where}: a blank header"
            assert len(set(header)) == len(header), f"{where}: repeated headers {header}"
            assert body, f"{where}: a table without rows"
            blanks = [(r, c) for r, row in enumerate(body) for c, v in enumerate(row) if v is None or v == ""]
            assert not blanks, f"{where}: blank cells (row, column) {blanks[:5]} (use shorthand such as [x])"
        contents = book["Contents"]
        top, _, bottom, _ = _table_ref(contents)
        listed = [contents.cell(row=r, column=1) for r in range(top + 1, bottom + 1)]
        assert [c.value for c in listed] == book.sheetnames[3:], path.name
        assert [c.hyperlink and c.hyperlink.location.replace("'", "") for c in listed] == [
            f"{name}!A1" for name in book.sheetnames[3:]
        ], path.name
