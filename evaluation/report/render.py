"""Turn an executed notebook into a self-contained, accessible HTML page with the code hidden."""

from __future__ import annotations

import html
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
:root { --text: #0b0c0c; --muted: #3d3d3d; --link: #12436D; --border: #b1b4b6; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: var(--text); background: #fff;
       max-width: 60rem; margin: 0 auto; padding: 1rem; line-height: 1.5; font-size: 1.05rem; }
a { color: var(--link); }
a:focus { outline: 3px solid #F46A25; background: #fff2cc; }
.skip-link { position: absolute; left: -999px; }
.skip-link:focus { left: 1rem; top: 1rem; }
.banner { color: var(--muted); border-bottom: 4px solid #12436D; padding-bottom: .3rem; }
h1 { font-size: 2rem; } h2 { font-size: 1.5rem; margin-top: 2rem; } h3 { font-size: 1.2rem; }
.headline { border-left: 8px solid #12436D; padding: .5rem 1rem; background: #f3f2f1; font-size: 1.15rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .95rem; max-width: 100%; display: block;
        overflow-x: auto; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--border); padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid var(--text); }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-weight: bold; }
.subtitle { color: var(--muted); font-weight: normal; display: block; }
.note { color: var(--muted); font-size: .9rem; }
.warning { border-left: 8px solid #801650; padding: .5rem 1rem; background: #f9eef3; }
footer { margin-top: 3rem; border-top: 1px solid var(--border); color: var(--muted); font-size: .85rem; }
dl.provenance dt { font-weight: bold; } dl.provenance dd { margin: 0 0 .4rem 0; word-break: break-all; }
@media (max-width: 40rem) { body { padding: .5rem; } h1 { font-size: 1.6rem; } }
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
    return body


def _without_streams(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop printed text and warnings: reports show only what the package chose to display."""
    clean = nbformat.from_dict(notebook)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]
    return clean


def page(*, title: str, body: str, banner: str = "", footer: str = "") -> str:
    """A complete accessible HTML page around `body`."""
    return PAGE.format(
        title=html.escape(title), css=CSS, body=body, banner=html.escape(banner), footer=html.escape(footer)
    )


def render_notebook(notebook_path: Path, html_path: Path, *, title: str, banner: str = "") -> Path:
    """Write the executed notebook at `notebook_path` as an HTML report at `html_path`."""
    notebook = nbformat.read(notebook_path, as_version=4)
    footer = "Produced by the evaluation toolkit. Aggregates only; counts pass disclosure control."
    html_path.write_text(
        page(title=title, body=notebook_body(notebook), banner=banner, footer=footer), encoding="utf-8"
    )
    return html_path
