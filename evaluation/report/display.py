"""Building blocks for report pages: headings, headline, numbered tables and charts with alt text, notes.

Each function returns an `IPython.display.HTML` object, so a notebook cell shows it and the
HTML renderer keeps it as it is. Charts are embedded as base64 PNG inside a <figure> with alt
text, so the page is self-contained and accessible. Tables sit in a scrollable region that can
be reached by keyboard (WCAG 2.1.1 and 1.4.10: the page reflows at 320 px, wide tables scroll
inside their own box).
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from IPython.display import HTML  # noqa: E402


def escape(value: object) -> str:
    return html.escape(str(value))


def slug(text: str, limit: int = 60) -> str:
    """A lower-case, hyphenated identifier from `text` (for element ids)."""
    words = re.sub(r"[^0-9a-zA-Z]+", "-", str(text)).strip("-").lower()
    return words[:limit].rstrip("-") or "section"


def heading(text: str, level: int = 2, anchor: str | None = None) -> HTML:
    """A section heading with an id, so a report can be linked to by section."""
    if level not in (2, 3, 4):
        raise ValueError(f"heading level must be 2, 3 or 4 (the page has one h1), got {level!r}")
    return HTML(f'<h{level} id="{escape(anchor or slug(text))}">{escape(text)}</h{level}>')


def headline(text: str, *more: str) -> HTML:
    """The report's plain-English headline finding (one or more paragraphs)."""
    paragraphs = "".join(f"<p>{escape(t)}</p>" for t in (text, *more) if t)
    return HTML(f'<div class="headline">{paragraphs}</div>')


def paragraph(*texts: str, css_class: str = "") -> HTML:
    attribute = f' class="{css_class}"' if css_class else ""
    return HTML("".join(f"<p{attribute}>{escape(t)}</p>" for t in texts if t))


def bullets(items: list[str]) -> HTML:
    return HTML("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items if i) + "</ul>")


def warning(text: str) -> HTML:
    return HTML(f'<div class="warning" role="note"><p>{escape(text)}</p></div>')


@dataclass(frozen=True)
class ShownTable:
    """A table as a report showed it (after disclosure control), for its spreadsheet.

    `label` is "Table 3" or "Figure 2" (the data under a chart); `frame` holds the cells as the
    page shows them, with the row labels as its first column."""

    label: str
    title: str
    note: str
    frame: pd.DataFrame


@dataclass
class Numbering:
    """Numbers tables and figures in the order a report shows them, and keeps each table it
    shows (`shown`) for the report's spreadsheets (`evaluation.report.spreadsheets`).

    One `Numbering` belongs to one report's context, so a report's tables never reach another
    report, even in a kernel reused from report to report."""

    tables: int = 0
    figures: int = 0
    captions: list = field(default_factory=list)
    shown: list[ShownTable] = field(default_factory=list)
    download: object = None
    """The display handle of the report's "Download the data" links, updated once the files exist."""

    def table(self, frame: pd.DataFrame, *, title: str, note: str = "", index: bool = False) -> HTML:
        self.tables += 1
        caption = f"Table {self.tables}: {title}"
        self.captions.append(caption)
        self._keep(f"Table {self.tables}", title, note, frame, index)
        return HTML(
            table_html(frame, caption=caption, note=note, index=index, table_id=f"table-{self.tables}")
        )

    def figure(
        self,
        fig,
        *,
        title: str,
        subtitle: str,
        alt: str,
        data: pd.DataFrame | None = None,
        data_index: bool = False,
        data_note: str = "",
    ) -> HTML:
        """A numbered chart; `data` (optional) is shown as a table under a 'Show the data' toggle.

        Give `data` when no numbered table nearby already holds the chart's numbers.
        """
        self.figures += 1
        caption = f"Figure {self.figures}: {title}"
        self.captions.append(caption)
        body = figure_html(fig, title=caption, subtitle=subtitle, alt=alt)
        if data is not None:
            self._keep(f"Figure {self.figures}", title, data_note, data, data_index)
            body += data_details(
                data,
                caption=f"Data for figure {self.figures}: {title}",
                table_id=f"figure-{self.figures}-data",
                index=data_index,
                note=data_note,
            )
        return HTML(body)

    def _keep(self, label: str, title: str, note: str, frame: pd.DataFrame, index: bool) -> None:
        shown = frame.reset_index() if index else frame
        self.shown.append(ShownTable(label, title, note, shown.copy()))


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str,
    note: str = "",
    index: bool = False,
    table_id: str | None = None,
) -> str:
    """An accessible HTML table: caption, column headers with scope, first column as row headers.

    The table sits in a keyboard-focusable region named by its caption, so a wide table
    scrolls inside its own box instead of making the whole page scroll sideways.
    """
    shown = frame.reset_index() if index else frame
    identifier = table_id or f"table-{slug(caption)}"
    text = [is_text_column(shown.iloc[:, i]) for i in range(shown.shape[1])]
    head = "".join(f'<th scope="col"{_align(text[i])}>{escape(c)}</th>' for i, c in enumerate(shown.columns))
    body = []
    for row in shown.itertuples(index=False):
        cells = [f'<th scope="row">{escape(_cell(row[0]))}</th>']
        cells += [f"<td{_align(text[i + 1])}>{escape(_cell(v))}</td>" for i, v in enumerate(row[1:])]
        body.append(f"<tr>{''.join(cells)}</tr>")
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f'<div class="table-wrap" role="region" aria-labelledby="{identifier}-caption" tabindex="0">'
        f'<table id="{identifier}"><caption id="{identifier}-caption">{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{note_html}"
    )


def data_details(
    frame: pd.DataFrame, *, caption: str, table_id: str, index: bool = False, note: str = ""
) -> str:
    """A chart's data as a table inside a <details> toggle (keyboard operable, no script)."""
    return (
        f'<details class="chart-data"><summary>Show the data for this chart</summary>'
        f"{table_html(frame, caption=caption, note=note, index=index, table_id=table_id)}</details>"
    )


_MARKER_OR_NUMBER = re.compile(r"\[[cxzup]\]|\bto\b|[\d\s.,+\-−£%()]")


def is_text_column(values: pd.Series) -> bool:
    """True when a column holds words rather than numbers (it is then left-aligned).

    Numbers, intervals such as "+3.2 (-1.0 to +7.4)", money and the shorthand markers count as
    numbers; anything with other letters is text.
    """
    return any(isinstance(value, str) and _MARKER_OR_NUMBER.sub("", value).strip() for value in values)


def _align(text: bool) -> str:
    return ' class="text"' if text else ""


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "[x]"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header."""
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def figure_html(fig, *, title: str, subtitle: str, alt: str) -> str:
    """A matplotlib figure as an embedded PNG with alt text, title and subtitle; closes the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    raw = buffer.getvalue()
    width, height = _png_size(raw)
    data = base64.b64encode(raw).decode("ascii")
    return (
        f'<figure><figcaption>{escape(title)}<span class="subtitle">{escape(subtitle)}</span></figcaption>'
        f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}" width="{width}" height="{height}">'
        "</figure>"
    )


def link_list(links: list[tuple[str, str]]) -> HTML:
    """A list of links (href, text) to other reports in the same folder."""
    items = "".join(f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for href, text in links)
    return HTML(f"<ul>{items}</ul>") if items else HTML("")
