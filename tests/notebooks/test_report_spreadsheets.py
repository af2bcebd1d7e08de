"""The spreadsheets beside every rendered report (`evaluation.report.spreadsheets`), read back from
the session's run: linked from the page with their true sizes, laid out as the guidance on
releasing statistics in spreadsheets asks, and holding exactly the numbers and shorthand of the
page's tables (after disclosure control), as numbers."""

from __future__ import annotations

import math
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from .conftest import PLANTED

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

TOKEN = re.compile(r"\[[a-z]\]|[+\-−]?£?\d[\d,]*(?:\.\d+)?")
NUMBER_AS_TEXT = re.compile(r"^[+\-−]?£?\d[\d,]*(?:\.\d+)?%?$")
META_SHEETS = ["Cover", "Contents", "Notes"]


class _Page(HTMLParser):
    """Each table's caption and rows of cell text, and each link (href, text)."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.links: list[tuple[str, str]] = []
        self._cell: str | None = None
        self._caption: str | None = None
        self._href: str | None = None
        self._link_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("th", "td"):
            self._cell = ""
        elif tag == "a":
            self._href, self._link_text = attrs.get("href"), ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._caption is not None:
            self._caption += data
        if self._href is not None:
            self._link_text += data

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1] = (" ".join(self._caption.split()), self.tables[-1][1])
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None:
            self.tables[-1][1][-1].append(unescape(self._cell).strip())
            self._cell = None
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join(self._link_text.split())))
            self._href = None


def _pages(rendered_run) -> list[Path]:
    return sorted(p for p in rendered_run.out_dir.glob("*.html") if p.name != "index.html")


def _parse(page: Path) -> _Page:
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _tokens(value) -> list:
    """The numbers (as floats) and shorthand markers in a cell, in order. A cell the page leaves
    blank, or fills with a symbol, is published as [x] (the guidance allows no blank cells)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    if not re.search(r"[0-9A-Za-z]", str(value)):
        return ["[x]"]
    found = []
    for token in TOKEN.findall(str(value)):
        if token.startswith("["):
            found.append(token)
        else:
            found.append(float(token.replace("−", "-").replace("£", "").replace(",", "")))
    return found


def _runs(tokens: list) -> list:
    """Tokens with each run of one repeated marker counted once: a marker in an interval's cell
    fills each of the interval's columns in the spreadsheet ("[c]" becomes "[c]", "[c]", "[c]")."""
    return [t for i, t in enumerate(tokens) if not (isinstance(t, str) and i and tokens[i - 1] == t)]


def _sheet_rows(sheet) -> list[list]:
    (ref,) = [t.ref for t in sheet.tables.values()]
    return [[c.value for c in row] for row in sheet[ref]]


def test_every_report_links_its_spreadsheets_with_their_sizes(rendered_run):
    linked = 0
    for page in _pages(rendered_run):
        parsed = _parse(page)
        downloads = [(href, text) for href, text in parsed.links if href.endswith((".ods", ".xlsx"))]
        if not parsed.tables:
            assert not downloads and "no data to download" in page.read_text(encoding="utf-8")
            continue
        assert [href for href, _ in downloads] == [f"{page.stem}.ods", f"{page.stem}.xlsx"], page.name
        for href, text in downloads:
            size = (rendered_run.out_dir / href).stat().st_size
            fmt = href.rsplit(".", 1)[1].upper()
            assert text == f"Download the data for this report ({fmt}, {max(1, round(size / 1024)):,} KB)"
            linked += 1
    assert linked >= 20, "too few reports with spreadsheets to mean anything"


def test_each_workbook_holds_the_pages_tables_as_numbers_and_shorthand(rendered_run):
    checked = 0
    for page in _pages(rendered_run):
        parsed = _parse(page)
        if not parsed.tables:
            assert not (rendered_run.out_dir / f"{page.stem}.xlsx").exists()
            continue
        book = load_workbook(rendered_run.out_dir / f"{page.stem}.xlsx")
        assert book.sheetnames[:3] == META_SHEETS, page.name
        sheets = book.sheetnames[3:]
        assert len(sheets) == len(parsed.tables), f"{page.name}: one sheet per table on the page"
        for sheet_name, (caption, rows) in zip(sheets, parsed.tables, strict=True):
            sheet = book[sheet_name]
            assert not sheet.merged_cells.ranges
            title = re.sub(r"\s*(\[note \d+\])+$", "", sheet["A1"].value)
            assert " ".join(title.split()) == caption, f"{page.name} {sheet_name}"
            published = _sheet_rows(sheet)
            assert len(published) == len(rows), f"{page.name} {sheet_name}: rows"
            for shown, stored in zip(rows[1:], published[1:], strict=True):
                # Left out: the unit columns, and [x] in an interval's limits (a number the page
                # shows without its interval has limits "not available" in the spreadsheet).
                unit_columns = [i for i, h in enumerate(published[0]) if str(h).endswith(": unit")]
                limits = [
                    i for i, h in enumerate(published[0]) if re.search(r": (lower|upper) limit", str(h))
                ]
                values = [
                    v
                    for i, v in enumerate(stored)
                    if i not in unit_columns and not (i in limits and v == "[x]")
                ]
                assert _runs([t for v in values for t in _tokens(v)]) == _runs(
                    [t for c in shown for t in _tokens(c)]
                ), f"{page.name} {sheet_name}: {shown} != {stored}"
                assert not any(isinstance(v, str) and NUMBER_AS_TEXT.match(v) for v in values), (
                    f"{page.name} {sheet_name}: a number stored as text in {stored}"
                )
            checked += 1
        contents = [row[0] for row in _sheet_rows(book["Contents"])[1:]]
        assert contents == sheets
    assert checked > 100, "too few tables checked to mean anything"


def test_the_ods_files_hold_the_same_cells_and_no_identifier(rendered_run):
    spellings = [*PLANTED["person_ids"], PLANTED["referred_date"], "25 December 2025", "25/12/2025"]
    for xlsx in sorted(rendered_run.out_dir.glob("*.xlsx")):
        book = load_workbook(xlsx)
        cells = {
            sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in book.worksheets
        }
        texts = [str(v) for rows in cells.values() for row in rows for v in row if v is not None]
        for needle in spellings:
            assert not any(needle in text for text in texts), f"{needle!r} in {xlsx.name}"
        if xlsx.stem not in ("summary", "women_process", "women_impact"):
            continue  # the ODS reader is slow: three reports of each kind are enough
        ods = pd.read_excel(xlsx.with_suffix(".ods"), engine="odf", sheet_name=None, header=None)
        assert list(ods) == list(cells)
        for name, rows in cells.items():
            frame = ods[name].astype(object).where(ods[name].notna(), None)
            got = [row + [None] * (len(rows[0]) - len(row)) for row in frame.values.tolist()]
            assert len(got) == len(rows), f"{xlsx.stem}.ods {name}"
            for a, b in zip(got, rows, strict=True):
                assert all(_same(x, y) for x, y in zip(a, b, strict=True)), (
                    f"{xlsx.stem}.ods {name}: {a} != {b}"
                )


def _same(a, b) -> bool:
    if isinstance(b, int | float) and not isinstance(b, bool):
        return isinstance(a, int | float) and math.isclose(a, b)
    return a == b
