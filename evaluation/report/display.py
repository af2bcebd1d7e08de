"""Building blocks for report pages: headline, numbered tables and charts with alt text, notes.

Each function returns an `IPython.display.HTML` object, so a notebook cell shows it and the
HTML renderer keeps it as it is. Charts are embedded as base64 PNG inside a <figure> with alt
text, so the page is self-contained and accessible.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from IPython.display import HTML  # noqa: E402


def escape(value: object) -> str:
    return html.escape(str(value))


def headline(text: str) -> HTML:
    """The report's plain-English headline finding."""
    return HTML(f'<div class="headline"><p>{escape(text)}</p></div>')


def paragraph(*texts: str, css_class: str = "") -> HTML:
    attribute = f' class="{css_class}"' if css_class else ""
    return HTML("".join(f"<p{attribute}>{escape(t)}</p>" for t in texts))


def bullets(items: list[str]) -> HTML:
    return HTML("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")


def warning(text: str) -> HTML:
    return HTML(f'<div class="warning" role="note"><p>{escape(text)}</p></div>')


@dataclass
class Numbering:
    """Numbers tables and figures in the order a report shows them."""

    tables: int = 0
    figures: int = 0
    captions: list = field(default_factory=list)

    def table(self, frame: pd.DataFrame, *, title: str, note: str = "", index: bool = False) -> HTML:
        self.tables += 1
        return HTML(table_html(frame, caption=f"Table {self.tables}: {title}", note=note, index=index))

    def figure(self, fig, *, title: str, subtitle: str, alt: str) -> HTML:
        self.figures += 1
        return HTML(figure_html(fig, title=f"Figure {self.figures}: {title}", subtitle=subtitle, alt=alt))


def table_html(frame: pd.DataFrame, *, caption: str, note: str = "", index: bool = False) -> str:
    """An accessible HTML table: caption, column headers with scope, first column as row headers."""
    shown = frame.reset_index() if index else frame
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False):
        cells = [f'<th scope="row">{escape(_cell(row[0]))}</th>']
        cells += [f"<td>{escape(_cell(v))}</td>" for v in row[1:]]
        body.append(f"<tr>{''.join(cells)}</tr>")
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note_html}"
    )


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "[x]"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def figure_html(fig, *, title: str, subtitle: str, alt: str) -> str:
    """A matplotlib figure as an embedded PNG with alt text, title and subtitle; closes the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><figcaption>{escape(title)}<span class="subtitle">{escape(subtitle)}</span></figcaption>'
        f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}"></figure>'
    )


def definition_list(items: dict, css_class: str = "provenance") -> HTML:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items.items())
    return HTML(f'<dl class="{css_class}">{rows}</dl>')
