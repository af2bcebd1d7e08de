"""The tables behind a report as spreadsheets to publish: `<report>.xlsx` and `<report>.ods`.

Every table a report shows (and the data under each chart) is kept by the report's `Numbering`
as the page shows it, after disclosure control. The report's last cell writes them beside the
HTML page, laid out as the Analysis Function's guidance on releasing statistics in spreadsheets
asks: a cover sheet (title, what the tables are, source, data date, disclosure control,
shorthand, contact), a contents sheet linking every table, a notes sheet, then one table per
sheet with its title in A1, no merged cells, plain column headers with units, and shorthand such
as `[c]` as text in its own cell. Numbers are stored as numbers: "£12,345" becomes 12345 in a
column headed "(£)", "42%" becomes 42 in a column headed "(%)", and an interval such as
"+3.2 (-1.0 to +7.4)" becomes three columns (estimate, lower limit, upper limit).

The XLSX file is written by `gptables` (the Analysis Function's own package). gptables writes
XLSX only, so the ODS file is a cell-for-cell copy of that workbook written with `odfpy`: the
same sheets, cells, links, bold headings and number formats. Both files are written atomically
(a temporary file, then a rename), so a reader never sees half a file, and byte for byte the
same for the same report (fixed creation dates), so two identical runs give identical files.

The report links both files near its top ("Download the data"): `download_links(ctx)` shows the
links and `write(ctx)`, the report's last step, writes the files and adds their sizes to the
links' text.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from evaluation.disclosure import MARKERS, SHORTHAND_NOTE
from evaluation.errors import OptionError
from evaluation.report.display import ShownTable, escape

__all__ = [
    "FORMATS",
    "Cell",
    "SheetTable",
    "download_links",
    "file_names",
    "report_stem",
    "report_title",
    "sheet_table",
    "workbook_xlsx",
    "write",
    "write_files",
    "write_ods",
]

FORMATS = ("ods", "xlsx")
"""The spreadsheet formats written for every report, in the order the report links them."""
FORMAT_NAMES = {"ods": "ODS", "xlsx": "XLSX"}
MIN_COLUMN_WIDTH = 10  # characters
FIXED_TIME = dt.datetime(2000, 1, 1)
"""Zip entry times of the ODS file (the XLSX writer fixes its own), so equal workbooks are equal bytes."""

_NUMBER = r"[+\-−]?£?\d(?:[\d,]*\d)?(?:\.\d+)?%?"
NUMBER = re.compile(rf"^{_NUMBER}$")
INTERVAL = re.compile(rf"^(?P<estimate>{_NUMBER}) \((?P<lower>{_NUMBER}) to (?P<upper>{_NUMBER})\)$")
RANGE = re.compile(rf"^(?P<lower>{_NUMBER}) to (?P<upper>{_NUMBER})$")
INTERVAL_NAME = re.compile(r"\s*\((?P<name>[^()]*\b(?:CI|interval|band|range)\b[^()]*)\)\s*$", re.I)
UNIT_WORDS = {"%": re.compile(r"%|per ?cent", re.I), "£": re.compile(r"£|pounds", re.I)}
UNIT_NAMES = {"%": "per cent", "£": "pounds", "": "number"}
DISCLOSURE_NOTE = "disclosure"
STAGING_PREFIX = ".staging-"
"""As `evaluation.runner.STAGING_PREFIX` (not imported: the runner pulls in papermill and zmq)."""


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Cell:
    """One cell as published: a number (with the unit its text carried, "£", "%" or ""), or text."""

    value: float | int | str
    unit: str = ""
    decimals: int = 0


def parse_number(text: str) -> Cell | None:
    """ "£12,345" -> Cell(12345, "£"), "-3.25%" -> Cell(-3.25, "%", 2), "+46" -> Cell(46); None for
    anything else (words, markers, intervals)."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    unit = "£" if "£" in text else "%" if text.endswith("%") else ""
    digits = text.replace("−", "-").replace("£", "").replace("%", "").replace(",", "").replace("+", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    value: float | int = float(digits) if decimals else int(digits)
    return Cell(value, unit, decimals)


def page_value(value: object) -> object:
    """A frame's value as the page shows it (`display._cell`): missing is [x], a float to one
    decimal place, so no cell holds more precision than the report published."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return MARKER_NOT_AVAILABLE
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 1)
    text = str(value).strip()
    # A blank or symbol-only cell is not published: the guidance asks for shorthand instead.
    return text if re.search(r"[0-9A-Za-z]", text) else MARKER_NOT_AVAILABLE


MARKER_NOT_AVAILABLE = "[x]"
MARKER = re.compile(r"^\[(?:" + "|".join(m.strip("[]") for m in MARKERS) + r")\]$")


@dataclass(frozen=True)
class SheetTable:
    """A report table as its worksheet holds it: the cells, and how to write them."""

    frame: pd.DataFrame
    decimals: dict[str, int]
    """Decimal places of each numeric column (its number format)."""
    markers: tuple[str, ...]
    """The shorthand markers its cells use, in `MARKERS` order."""


def sheet_table(frame: pd.DataFrame) -> SheetTable:
    """A shown table's cells as a spreadsheet publishes them (see the module's docstring).

    A column whose cells are all numbers, intervals or ranges (besides shorthand) is split and
    converted; one holding words stays as the page shows it, except cells that are plain numbers.
    A column whose numbers carry different units ("£925,000" and "84%") is followed by a unit
    column naming each row's unit."""
    columns: dict[str, list] = {}
    decimals: dict[str, int] = {}
    names = _unique_headers(frame.columns)
    for position, name in enumerate(names):
        cells = [page_value(v) for v in frame.iloc[:, position]]
        if not cells:  # a table without rows: one row saying so, as the guidance allows no empty table
            cells = [MARKER_NOT_AVAILABLE]
        for header, values, places in _columns(name, cells, first=position == 0):
            header = _unique_headers([*columns, header])[-1]  # a made header may repeat a shown one
            columns[header] = values
            if places is not None:
                decimals[header] = places
    out = pd.DataFrame(columns, dtype=object).reset_index(drop=True)
    used = {v for values in columns.values() for v in values if isinstance(v, str) and MARKER.match(v)}
    return SheetTable(out, decimals, tuple(m for m in MARKERS if m in used))


def _unique_headers(columns: Iterable) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        text = " ".join(str(part) for part in column) if isinstance(column, tuple) else str(column)
        text = text.strip() or "Row"
        seen[text] = seen.get(text, 0) + 1
        names.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return names


def _kind(cell: object) -> str:
    if not isinstance(cell, str):
        return "number"
    if MARKER.match(cell):
        return "marker"
    if parse_number(cell):
        return "number"
    if INTERVAL.match(cell):
        return "interval"
    if RANGE.match(cell):
        return "range"
    return "text"


def _columns(name: str, cells: list, *, first: bool) -> list[tuple[str, list, int | None]]:
    """The worksheet columns (header, values, decimal places or None for text) of one shown column."""
    kinds = {_kind(c) for c in cells} - {"marker"}
    if first or "text" in kinds or len(kinds - {"number"}) > 1 or not kinds or kinds == {"range", "number"}:
        # Row labels and columns of words stay as shown, but a plain number is still a number.
        values = cells if first else [_number_or_text(c) for c in cells]
        return [(name, values, None)]
    if kinds == {"number"}:
        return _with_unit([(name, [_as_cell(c) for c in cells])])
    parts = ("estimate", "lower", "upper") if "interval" in kinds else ("lower", "upper")
    pattern = INTERVAL if "interval" in kinds else RANGE
    split: dict[str, list] = {part: [] for part in parts}
    for cell in cells:
        match = pattern.match(cell) if isinstance(cell, str) else None
        for part in parts:
            if match is None and part != "estimate" and not (isinstance(cell, str) and MARKER.match(cell)):
                split[part].append(Cell(MARKER_NOT_AVAILABLE))  # a number shown without its interval
            elif match is None:  # a marker fills every part; a lone number is the estimate
                split[part].append(_as_cell(cell))
            else:
                found = parse_number(match.group(part))
                assert found is not None  # the pattern matched a number
                split[part].append(found)
    base, interval = _interval_name(name)
    headers = {
        "estimate": base,
        "lower": f"{base}: lower limit{f' of {interval}' if interval else ''}",
        "upper": f"{base}: upper limit{f' of {interval}' if interval else ''}",
    }
    if pattern is RANGE:
        headers = {"lower": f"{name}: from", "upper": f"{name}: to"}
    return _with_unit(
        [(headers[part], split[part]) for part in parts], named=base, unit_header=f"{base}: unit"
    )


def _interval_name(name: str) -> tuple[str, str]:
    """ "Cohort rate (95% CI)" -> ("Cohort rate", "95% CI"); a header without one is kept whole."""
    match = INTERVAL_NAME.search(name)
    if not match:
        return name, ""
    return name[: match.start()].strip(), match.group("name").strip()


def _as_cell(value: object) -> Cell:
    if isinstance(value, str):
        return parse_number(value) or Cell(value)
    if isinstance(value, float):
        return Cell(value, "", 0 if value.is_integer() else 1)
    return Cell(value)  # type: ignore[arg-type]


def _number_or_text(value: object) -> object:
    if isinstance(value, str):
        found = parse_number(value)
        return found.value if found is not None and not found.unit else value
    return value


def _with_unit(
    columns: list[tuple[str, list[Cell]]], *, named: str | None = None, unit_header: str | None = None
) -> list[tuple[str, list, int | None]]:
    """Columns of cells sharing one unit (one column, or the parts of a split interval), with the
    unit in each header (unless `named`, by default the header, already says it), or followed by
    one unit column naming each row's unit when their numbers carry different units."""
    numbers = [c for _, cells in columns for c in cells if not isinstance(c.value, str)]
    units = {c.unit for c in numbers}
    out: list[tuple[str, list, int | None]] = []
    for header, cells in columns:
        places = max((c.decimals for c in cells if not isinstance(c.value, str)), default=0)
        unit = next(iter(units), "")
        if len(units) == 1 and unit and not UNIT_WORDS[unit].search(header if named is None else named):
            header = f"{header} ({unit})"
        out.append((header, [c.value for c in cells], places))
    if len(units) > 1:
        rows = zip(*(cells for _, cells in columns), strict=True)
        unit_column = [_row_unit(row) for row in rows]
        out.append((unit_header or f"{columns[0][0]}: unit", unit_column, None))
    return out


def _row_unit(cells: tuple[Cell, ...]) -> str:
    """A row's unit in words ("pounds"), or its shorthand when it holds no number."""
    numbers = [c for c in cells if not isinstance(c.value, str)]
    return UNIT_NAMES[numbers[0].unit] if numbers else str(cells[0].value)


# --------------------------------------------------------------------------- the report


def report_kind(ctx) -> str:
    """'process', 'impact' or 'summary': which report `ctx` builds."""
    from evaluation.report.context import ActivityContext, ImpactContext, SummaryContext

    if isinstance(ctx, SummaryContext):
        return "summary"
    if isinstance(ctx, ImpactContext):
        return "impact"
    if isinstance(ctx, ActivityContext):
        return "process"
    raise OptionError(f"spreadsheets are written for report contexts only, not {type(ctx).__name__}")


def report_stem(ctx) -> str:
    """The report's file name without extension, as the runner names its HTML page:
    'summary', or '<activity id>_<process|impact>'."""
    kind = report_kind(ctx)
    stem = kind if kind == "summary" else f"{ctx.activity_id}_{kind}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", stem) or ".." in stem:
        raise OptionError(
            f"The activity id {ctx.activity_id!r} cannot name a spreadsheet file: use the delivery "
            "plan's activity ids (letters, digits, '.', '-' or '_')."
        )
    return stem


def report_title(ctx) -> str:
    """The report's title, as its page heading gives it."""
    kind = report_kind(ctx)
    if kind == "summary":
        return f"Programme summary: {ctx.programme.name}"
    return f"{kind.capitalize()} evaluation: {ctx.name}"


def file_names(ctx) -> dict[str, str]:
    """{'ods': 'women_impact.ods', 'xlsx': 'women_impact.xlsx'}: where `write` puts the files."""
    stem = report_stem(ctx)
    return {fmt: f"{stem}.{fmt}" for fmt in FORMATS}


def _size_text(size: int) -> str:
    return f"{max(1, round(size / 1024)):,} KB"


def links_html(ctx, sizes: dict[str, int] | None = None, *, tables: int | None = None) -> HTML:
    """The "Download the data" box: one link per format, named for what it downloads."""
    names = file_names(ctx)
    if tables == 0:
        return HTML(
            '<div class="downloads" role="note"><p>This report shows no tables, so there is no data to download.</p></div>'
        )
    items = []
    for fmt in FORMATS:
        size = f", {_size_text(sizes[fmt])}" if sizes and fmt in sizes else ""
        items.append(
            f'<li><a href="{escape(names[fmt])}" download>Download the data for this report '
            f"({FORMAT_NAMES[fmt]}{size})</a></li>"
        )
    what = (
        "Every table in this report, and the data behind each chart, as a spreadsheet: one table per "
        "sheet, with a cover sheet, contents and notes. ODS opens in LibreOffice and most spreadsheet "
        "programs; XLSX in Microsoft Excel."
    )
    return HTML(
        f'<div class="downloads"><h2 id="download-the-data">Download the data</h2><p>{escape(what)}</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def download_links(ctx) -> None:
    """Show the report's "Download the data" links (near its top); `write` later adds the files'
    sizes to them. The notebook's cell is one call: `spreadsheets.download_links(ctx)`."""
    ctx.numbering.download = display(links_html(ctx), display_id=True)


def write(ctx) -> None:
    """Write the report's tables as `<report>.xlsx` and `<report>.ods` in its output folder (the
    report's last step) and update its download links with the files' sizes. Nothing is written
    without an output folder or for a report that shows no table. The notebook's last cell is
    this one call: `spreadsheets.write(ctx)`."""
    write_files(ctx)


def write_files(ctx) -> dict[str, Path]:
    """`write`, returning where each file went ({format: path}; empty when nothing was written)."""
    shown = list(ctx.numbering.shown)
    handle = ctx.numbering.download
    if not ctx.output_dir or not shown:
        if handle is not None and not shown:
            handle.update(links_html(ctx, tables=0))
        return {}
    folder = Path(ctx.output_dir)
    names = file_names(ctx)
    about = cover_text(ctx)
    # Named as the runner names its staging folders (`runner.STAGING_PREFIX` and this process's
    # id), so one left by a kernel killed mid-write is removed by the next run.
    with tempfile.TemporaryDirectory(dir=folder, prefix=f"{STAGING_PREFIX}{os.getpid()}-") as temporary:
        xlsx = Path(temporary) / names["xlsx"]
        workbook_xlsx(xlsx, shown, **about)
        ods = Path(temporary) / names["ods"]
        write_ods(xlsx, ods, title=about["title"])
        written = {}
        for fmt, path in (("xlsx", xlsx), ("ods", ods)):
            target = folder / names[fmt]
            os.replace(path, target)
            written[fmt] = target
    if handle is not None:
        handle.update(links_html(ctx, {fmt: p.stat().st_size for fmt, p in written.items()}))
    return written


def cover_text(ctx) -> dict:
    """The cover sheet's title and text, from the report's context (nothing depends on the time
    of the run, so the files are the same for the same report)."""
    from evaluation.report.formatting import and_list, long_date
    from evaluation.report.process import update_label

    title = report_title(ctx)
    stem = report_stem(ctx)
    programme = ctx.programme
    intro = [
        f"The tables behind the report “{title}” ({stem}.html), one table per worksheet, exactly "
        "as the report shows them after disclosure control, with the data behind each chart.",
        f"{update_label(programme, ctx.interim)}. Programme: {programme.name}.",
        "The Contents worksheet lists and links every table; the Notes worksheet explains the notes "
        "that titles refer to as [note 1] and so on.",
    ]
    supplied = [name.replace("_", " ") for name in programme.tables]
    about = [
        f"Source: the data supplied for {programme.name} ({and_list(supplied)}), checked against the "
        "toolkit's data contracts; the report's 'About this report' section lists the input files with "
        "their SHA-256 hashes.",
        f"Data as of: {long_date(ctx.as_of)}.",
        "Numbers are stored as numbers. Money is in pounds (£) and percentages in per cent (%), stated "
        "in the column headers, or in a unit column where the unit changes from row to row; an estimate "
        "shown with its interval has a column each for the estimate, its lower limit and its upper limit.",
        "Shorthand in cells: "
        + "; ".join(f"{marker} {meaning}" for marker, meaning in MARKERS.items())
        + ".",
        ctx.policy.describe(),
    ]
    if ctx.interim:
        about.append("This is an interim update: figures are provisional and will change.")
    contact = [
        f"The evaluation team for {programme.name}, who ran the evaluation toolkit on the programme's "
        "data, answers questions about these tables.",
    ]
    return {
        "title": f"{title}: data tables",
        "intro": intro,
        "about": about,
        "contact": contact,
        "created": dt.datetime.combine(pd.Timestamp(ctx.as_of).date(), dt.time()),
        "policy_note": ctx.policy.describe(),
    }


# --------------------------------------------------------------------------- XLSX (gptables)


def _sheet_name(table: ShownTable) -> str:
    return table.label.replace(" ", "_")


def sheet_title(table: ShownTable) -> str:
    """ "Table 3: Reach against target", or "Data for figure 2: ..." for a chart's data."""
    if table.label.startswith("Figure"):
        return f"Data for {table.label.lower()}: {table.title}"
    return f"{table.label}: {table.title}"


def _note_text(note: str) -> str:
    """A table's note without the shorthand paragraph (each sheet explains its own shorthand)."""
    return " ".join(note.replace(SHORTHAND_NOTE, "").split())


def workbook_xlsx(
    path: str | Path,
    shown: Sequence[ShownTable],
    *,
    title: str,
    intro: list[str],
    about: list[str],
    contact: list[str],
    created: dt.datetime,
    policy_note: str,
) -> Path:
    """Write the tables as an XLSX workbook with gptables: cover, contents, notes, one table a sheet."""
    import gptables as gpt  # type: ignore[import-untyped]

    notes: dict[str, str] = {DISCLOSURE_NOTE: policy_note}
    sheets = {}
    for table in shown:
        published = sheet_table(table.frame)
        references = f"$${DISCLOSURE_NOTE}$$"
        text = _note_text(table.note)
        if text:
            key = next((k for k, v in notes.items() if v == text), f"note{len(notes)}")
            notes[key] = text
            references += f"$${key}$$"
        legend = [f"{marker} = {MARKERS[marker]}" for marker in published.markers]
        instructions = "This worksheet contains one table. Some cells refer to notes, which can be found on the Notes worksheet."
        if legend:
            instructions += " Some cells hold shorthand, explained below."
        formatting = [
            {"column": {"columns": [column], "format": {"num_format": _num_format(places)}}}
            for column, places in published.decimals.items()
        ]
        sheets[_sheet_name(table)] = gpt.GPTable(
            table=published.frame,
            table_name=_sheet_name(table).lower(),
            title=f"{sheet_title(table)} {references}",
            instructions=instructions,
            legend=legend,
            index_columns={2: 0},
            additional_formatting=formatting,
        )
    notes_table = pd.DataFrame({"reference": list(notes), "Note text": list(notes.values())})
    cover = gpt.Cover(title=title, intro=intro, about=about, contact=contact)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gptables' own notices (unreferenced notes: none are)
        workbook = gpt.produce_workbook(
            filename=str(path),
            sheets=sheets,
            cover=cover,
            contentsheet_label="Contents",
            contentsheet_options={"column_names": ["Sheet name", "Table title"], "title": "Contents"},
            notes_table=notes_table,
            notesheet_options={"title": "Notes"},
            workbook_options={
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        workbook.set_properties({"title": title, "created": created, "author": "", "comments": ""})
        workbook.close()
    return Path(path)


def _num_format(places: int) -> str:
    return "#,##0" if places <= 0 else "#,##0." + "0" * places


# --------------------------------------------------------------------------- ODS (odfpy)


def write_ods(xlsx: str | Path, path: str | Path, *, title: str) -> Path:
    """Copy an XLSX workbook into an ODS file cell for cell: the same sheets, cells (numbers as
    numbers, text as text), number formats, bold, links and column widths. No merged cells."""
    from odf import dc, number, style, table, text  # type: ignore[import-untyped]
    from odf.opendocument import OpenDocumentSpreadsheet  # type: ignore[import-untyped]
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    source = load_workbook(xlsx)
    document = OpenDocumentSpreadsheet()
    document.meta.addElement(dc.Title(text=title))
    bold = style.Style(name="bold", family="table-cell")
    bold.addElement(style.TextProperties(fontweight="bold"))
    heading = style.Style(name="heading", family="table-cell")
    heading.addElement(style.TextProperties(fontweight="bold", fontsize="16pt"))
    wrap = style.Style(name="wrap", family="table-cell")
    wrap.addElement(style.TableCellProperties(wrapoption="wrap", verticalalign="top"))
    for item in (bold, heading, wrap):
        document.automaticstyles.addElement(item)
    data_styles: dict[int, number.NumberStyle] = {}
    number_styles: dict[tuple[int, bool], style.Style] = {}

    def number_style(places: int, is_bold: bool) -> style.Style:
        """The cell style showing a number with `places` decimals and thousands separators."""
        if places not in data_styles:
            shape = number.NumberStyle(name=f"N{places}")
            shape.addElement(number.Number(decimalplaces=places, minintegerdigits=1, grouping="true"))
            document.automaticstyles.addElement(shape)
            data_styles[places] = shape
        if (places, is_bold) not in number_styles:
            made = style.Style(
                name=f"number{places}{'bold' if is_bold else ''}",
                family="table-cell",
                datastylename=f"N{places}",
            )
            if is_bold:
                made.addElement(style.TextProperties(fontweight="bold"))
            document.automaticstyles.addElement(made)
            number_styles[(places, is_bold)] = made
        return number_styles[(places, is_bold)]

    column_styles: dict[float, style.Style] = {}
    for sheet in source.worksheets:
        sheet_table_ = table.Table(name=sheet.title)
        widths = {}
        for letter, dimension in sheet.column_dimensions.items():
            if dimension.width:
                widths[letter] = dimension.width
        for index in range(1, (sheet.max_column or 1) + 1):
            width = round(
                max(MIN_COLUMN_WIDTH, widths.get(get_column_letter(index), MIN_COLUMN_WIDTH)) * 0.19, 2
            )
            if width not in column_styles:
                column_style = style.Style(name=f"column{len(column_styles) + 1}", family="table-column")
                column_style.addElement(style.TableColumnProperties(columnwidth=f"{width}cm"))
                document.automaticstyles.addElement(column_style)
                column_styles[width] = column_style
            sheet_table_.addElement(table.TableColumn(stylename=column_styles[width]))
        for row in sheet.iter_rows():
            ods_row = table.TableRow()
            for cell in row:
                ods_row.addElement(_ods_cell(cell, text, table, bold, heading, wrap, number_style))
            sheet_table_.addElement(ods_row)
        document.spreadsheet.addElement(sheet_table_)
    buffer = io.BytesIO()
    _every_namespace_in_order()
    document.write(buffer)
    Path(path).write_bytes(_fixed_times(buffer.getvalue()))
    return Path(path)


def _ods_cell(cell, text, table, bold, heading, wrap, number_style):
    value = cell.value
    is_bold = bool(cell.font is not None and cell.font.b)
    if value is None:
        return table.TableCell()
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        places = _places(cell.number_format)
        shown = f"{value:,.{places}f}"
        made = table.TableCell(valuetype="float", value=value, stylename=number_style(places, is_bold))
        made.addElement(text.P(text=shown))
        return made
    words = str(value)
    big = cell.font is not None and (cell.font.sz or 0) >= 14 and is_bold
    made = table.TableCell(valuetype="string", stylename=heading if big else bold if is_bold else wrap)
    link = cell.hyperlink
    for number_, line in enumerate(words.split("\n")):
        paragraph = text.P()
        if link is not None and number_ == 0:
            target = (
                f"#{link.location.replace('!', '.').replace(chr(39), '')}" if link.location else link.target
            )
            paragraph.addElement(text.A(href=target, text=line))
        else:
            paragraph.addText(line)
        made.addElement(paragraph)
    return made


def _every_namespace_in_order() -> None:
    """odfpy declares, on each file's root, the namespaces its process has met so far, in the order
    it met them (one dict shared by every element): make it every known namespace in a fixed order,
    so a file's bytes do not depend on what the process wrote before (kernels are reused)."""
    from odf.element import Element  # type: ignore[import-untyped]
    from odf.namespaces import nsdict  # type: ignore[import-untyped]

    known = {**Element.namespaces, **nsdict}
    Element.namespaces.clear()
    Element.namespaces.update(sorted(known.items(), key=lambda item: (item[1], item[0])))


def _places(number_format: str | None) -> int:
    found = re.search(r"\.(0+)", number_format or "")
    return len(found.group(1)) if found else 0


def _fixed_times(data: bytes) -> bytes:
    """The zip `data` with every entry's time fixed (`FIXED_TIME`) and `mimetype` first, stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
