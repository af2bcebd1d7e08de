"""Turn an executed notebook into a self-contained, accessible HTML page with the code hidden."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header role="banner"><p class="banner">{banner}</p></header>
<main id="main">
{body}
</main>
<footer role="contentinfo"><p>{footer}</p></footer>
</body>
</html>
"""

CSS = """
:root { --text: #0b0c0c; --muted: #3d3d3d; --link: #12436D; --border: #b1b4b6; --focus: #F46A25; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: var(--text); background: #fff;
       max-width: 60rem; margin: 0 auto; padding: 1rem; line-height: 1.5; font-size: 1.05rem;
       overflow-wrap: break-word; }
a { color: var(--link); }
a:focus, summary:focus, .table-wrap:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
a:focus { background: #fff2cc; }
.skip-link { position: absolute; left: -999px; }
.skip-link:focus { left: 1rem; top: 1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
                   white-space: nowrap; }
.banner { color: var(--muted); border-bottom: 4px solid #12436D; padding-bottom: .3rem; }
h1 { font-size: 2rem; line-height: 1.25; } h2 { font-size: 1.5rem; margin-top: 2.5rem; }
h3 { font-size: 1.2rem; }
.headline { border-left: 8px solid #12436D; padding: .5rem 1rem; background: #f3f2f1; font-size: 1.15rem; }
.headline p { margin: .4rem 0; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 1rem 0; position: relative; }
table { border-collapse: collapse; font-size: .95rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--border); padding: .3rem .6rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child, th.text, td.text { text-align: left; }
thead th { border-bottom: 2px solid var(--text); vertical-align: bottom; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-weight: bold; margin-bottom: .4rem; }
.subtitle { color: var(--muted); font-weight: normal; display: block; }
details.chart-data { margin: -.5rem 0 1.5rem 0; }
details.chart-data summary { color: var(--link); cursor: pointer; text-decoration: underline; }
.note { color: var(--muted); font-size: .9rem; }
.warning { border-left: 8px solid #801650; padding: .5rem 1rem; background: #f9eef3; }
footer { margin-top: 3rem; border-top: 1px solid var(--border); color: var(--muted); font-size: .85rem; }
dl.provenance dt { font-weight: bold; } dl.provenance dd { margin: 0 0 .4rem 0; word-break: break-all; }
code { overflow-wrap: anywhere; }
@media (max-width: 40rem) { body { padding: .5rem; } h1 { font-size: 1.6rem; } th, td { padding: .25rem .4rem; } }
"""


def notebook_body(notebook: nbformat.NotebookNode) -> str:
    """The notebook's outputs as HTML, with code, prompts and stderr left out."""
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_output_stdin = True
    notebook = _without_streams(notebook)
    body, _ = exporter.from_notebook_node(notebook)
    return without_anchor_links(body)


ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="#[^"]*">[^<]*</a>')
BARE_TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)  # tables from table_html carry an id


def without_anchor_links(body: str) -> str:
    """Remove the '¶' links nbconvert adds to markdown headings.

    A screen reader would announce each as a link called "pilcrow"; the headings keep their
    ids, so sections can still be linked to.
    """
    return ANCHOR_LINK.sub("", body)


def wrap_bare_tables(body: str) -> str:
    """Put any table not made by `display.table_html` in a scrollable region, so the page reflows."""
    counter = iter(range(1, 10_000))

    def wrap(match: re.Match) -> str:
        table = match.group(0)
        n = next(counter)
        caption = re.search(r"<caption>", table)
        if caption:
            table = table.replace("<caption>", f'<caption id="wrapped-table-{n}-caption">', 1)
            label = f'aria-labelledby="wrapped-table-{n}-caption"'
        else:
            label = 'aria-label="Table"'
        return f'<div class="table-wrap" role="region" {label} tabindex="0">{table}</div>'

    return BARE_TABLE.sub(wrap, body)


def _without_streams(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop printed text and warnings, and code cells left with nothing to show (such as the
    parameters papermill injects, whose cell id is random): reports show only what the package
    chose to display, and the same inputs give the same page."""
    clean = nbformat.from_dict(notebook)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]
    clean.cells = [c for c in clean.cells if c.cell_type != "code" or c.outputs]
    return clean


def page(*, title: str, body: str, banner: str = "", footer: str = "") -> str:
    """A complete accessible HTML page around `body`."""
    return PAGE.format(
        title=html.escape(title),
        css=CSS,
        body=wrap_bare_tables(body),
        banner=html.escape(banner),
        footer=html.escape(footer),
    )


def render_notebook(notebook_path: Path, html_path: Path, *, title: str, banner: str = "") -> Path:
    """Write the executed notebook at `notebook_path` as an HTML report at `html_path`."""
    notebook = nbformat.read(notebook_path, as_version=4)
    footer = "Produced by the evaluation toolkit. Aggregates only; counts pass disclosure control."
    html_path.write_text(
        page(title=title, body=notebook_body(notebook), banner=banner, footer=footer), encoding="utf-8"
    )
    return html_path
