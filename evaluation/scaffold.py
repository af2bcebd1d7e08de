"""`evaluation init FOLDER`: a blank, documented input folder, written from the data contracts.

The folder gets one CSV file per table holding only its header (every column, in contract order),
a `programme.json` template with every key the toolkit reads, and a README.md that describes each
table and column from its contract: what it holds, its type, whether the column must be present and
whether a value may be left blank, allowed values, ranges, date forms and the rules across rows and
tables. Nothing is ever overwritten: a folder that already holds anything is refused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from evaluation.contracts import DATE_FORMS, TABLES, ColumnSpec, Contract, contracts_dir, load_contracts
from evaluation.errors import OptionError
from evaluation.programme import METADATA_FILE, READERS

README_FILE = "README.md"

PROGRAMME_KEYS = {
    "name": "The programme's name, as the reports show it (without it: the folder's name).",
    "slug": (
        "A short name for the report folder, reports/<slug>/: letters, digits, '.', '-' or '_' "
        "(without it: the folder's name)."
    ),
    "as_of": (
        f"The date the data were extracted, written {DATE_FORMS}. Data dated after it are refused; "
        "left blank, the last day the data speak for is taken, with a warning."
    ),
    "targets": (
        "Programme-level targets, each counting people once across all activities: a whole number "
        "for any of {keys}. Leave it empty ({{}}) for none."
    ),
}
"""Every key of programme.json the toolkit reads, with what it means."""

TYPE_WORDS = {
    "string": "text",
    "category": "code",
    "integer": "whole number",
    "number": "number (decimal point; a comma only between thousands, as in 1,234.50)",
    "boolean": "1 or 0 (yes/no and true/false are also read)",
    "date": f"date, {DATE_FORMS}",
}


class FolderNotEmptyError(OptionError):
    """The folder given to `init` already holds something; nothing was written."""


def required_tables(folder: Path | None = None) -> dict[str, bool]:
    """Whether each table must be supplied: a contract's top-level `required` key (true unless
    it says false)."""
    found = {}
    for path in sorted(Path(folder or contracts_dir()).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[raw["table"]] = bool(raw.get("required", True))
    return found


def programme_targets() -> tuple[str, ...]:
    """What a programme-level target may count (the keys of programme.json's `targets`)."""
    from evaluation.report.summary import PROGRAMME_TARGETS  # the report layer reads the targets

    return tuple(PROGRAMME_TARGETS)


def programme_template(folder: Path) -> dict:
    """programme.json with every key: name and slug from the folder, as_of and targets empty."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", folder.name).strip("._-") or "programme"
    return {"name": folder.name or slug, "slug": slug, "as_of": "", "targets": {}}


def _ordered(contracts: Mapping[str, Contract]) -> list[Contract]:
    """The contracts in the toolkit's table order, any others after them."""
    names = [t for t in TABLES if t in contracts] + sorted(t for t in contracts if t not in TABLES)
    return [contracts[t] for t in names]


def _value(value) -> str:
    return str(value).replace("|", "\\|")


def _rule_words(spec: ColumnSpec) -> str:
    """Allowed values, range, pattern and what a date stands for, in words."""
    parts = []
    if spec.allowed is not None:
        parts.append("one of " + ", ".join(f"`{_value(v)}`" for v in spec.allowed))
    if spec.range is not None:
        low, high = spec.range
        parts.append(f"from {_value(low)} to {_value(high)}")
    if spec.pattern is not None:
        parts.append(f"matches the pattern `{_value(spec.pattern)}`")
    if spec.first_of_month:
        period = "quarter" if spec.time == "quarter" else "month"
        parts.append(f"the first day of the {period}")
    return "; ".join(parts) or "-"


def _column_row(spec: ColumnSpec) -> str:
    column = "required" if spec.required else "optional (may be left out)"
    blank = "may be blank" if spec.nullable else "must be filled in"
    description = " ".join(spec.description.split())
    return (
        f"| `{spec.name}` | {column} | {blank} | {TYPE_WORDS.get(spec.type, spec.type)} "
        f"| {_rule_words(spec)} | {_value(description)} |"
    )


def table_section(contract: Contract, required: bool) -> str:
    """The README section of one table: what it holds, its columns and its rules."""
    files = " or ".join(f"`{contract.table}{suffix}`" for suffix in READERS)
    need = "Required table" if required else "Optional table: leave its file out if you have no such data"
    lines = [
        f"## {contract.table}",
        "",
        f"**{need}.** File: {files} (one of them, not several).",
        "",
        " ".join(contract.description.split()),
        "",
    ]
    if contract.primary_key:
        keys = ", ".join(f"`{k}`" for k in contract.primary_key)
        lines += [f"Each row is unique on {keys}.", ""]
    required_columns = [c.name for c in contract.columns.values() if c.required]
    optional_columns = [c.name for c in contract.columns.values() if not c.required]
    lines += [f"Required columns: {', '.join(f'`{c}`' for c in required_columns) or 'none'}."]
    if optional_columns:
        lines += [f"Optional columns (may be left out): {', '.join(f'`{c}`' for c in optional_columns)}."]
    lines += [
        "",
        "| Column | Column in the file | Values | Type | Allowed values or range | Description |",
        "|---|---|---|---|---|---|",
        *(_column_row(spec) for spec in contract.columns.values()),
        "",
    ]
    if contract.stages:
        stages = ", ".join(f"{s.label} (`{s.column}`)" for s in contract.stages)
        lines += [f"Stages of support, in order: {stages}.", ""]
    if contract.rules:
        lines += ["Rules across rows and tables:", ""]
        lines += [f"- {' '.join(rule.description.split())}" for rule in contract.rules]
        lines.append("")
    return "\n".join(lines)


def readme(contracts: Mapping[str, Contract], required: Mapping[str, bool]) -> str:
    """The input folder's README.md: how to fill it in, programme.json, and a section per table."""
    ordered = _ordered(contracts)
    needed = [c.table for c in ordered if required.get(c.table, True)]
    optional = [c.table for c in ordered if not required.get(c.table, True)]
    targets = ", ".join(f"`{t}`" for t in programme_targets())
    keys = [
        f"- `{key}`: {words.format(keys=targets) if key == 'targets' else words}"
        for key, words in PROGRAMME_KEYS.items()
    ]
    lines = [
        "# Input folder",
        "",
        "This folder was written by `evaluation init`. Fill in one file per table; each CSV file here",
        "holds only its header row, with every column of the table's data contract in contract order.",
        "",
        f"- Required tables: {', '.join(f'`{t}`' for t in needed) or 'none'}.",
        f"- Optional tables: {', '.join(f'`{t}`' for t in optional) or 'none'}.",
        "- A table may be a `.csv` (UTF-8), `.parquet` or `.xlsx` file named after the table; keep one",
        "  file per table.",
        "- A required column must be in the file; an optional column may be left out. Where the table",
        "  below says a value may be blank, leave the cell empty (not NA, null or -).",
        f"- Dates are written {DATE_FORMS}: 2025-11-01 or 01/11/2025. Month-first dates",
        "  (11/01/2025 meaning 1 November) are refused.",
        "- Identifiers are pseudonymised: no names, addresses, NI numbers or full dates of birth.",
        "  Keep this folder outside any git repository.",
        "",
        "Then check the folder and render the reports:",
        "",
        "```",
        "evaluation validate FOLDER",
        "evaluation run FOLDER --out reports",
        "```",
        "",
        f"## {METADATA_FILE}",
        "",
        "What the toolkit reads about the programme as a whole (JSON):",
        "",
        *keys,
        "",
        'For example: `{"name": "North East CA Trailblazer", "slug": "ne_ca_trailblazer", '
        '"as_of": "2025-11-30", "targets": {"engaged": 1000, "job_outcomes": 400}}`.',
        "",
    ]
    sections = [table_section(c, required.get(c.table, True)) for c in ordered]
    return "\n".join(lines) + "\n" + "\n".join(sections)


def write_blank_folder(folder: str | Path) -> list[Path]:
    """Write a blank, documented input folder; returns the files written. Refuses (with
    FolderNotEmptyError, writing nothing) a folder that holds anything, or a path that is a file."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FolderNotEmptyError(
            f"{folder} is a file, not a folder: choose a new folder; nothing was written."
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise FolderNotEmptyError(
            f"{folder} is not empty: choose a new or empty folder (nothing is overwritten); nothing was written."
        )
    contracts = load_contracts()
    required = required_tables()
    files = {
        **{f"{c.table}.csv": _header_line(list(c.columns)) for c in _ordered(contracts)},
        METADATA_FILE: json.dumps(programme_template(folder.resolve()), indent=2) + "\n",
        README_FILE: readme(contracts, required),
    }
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        try:
            with open(path, "x", encoding="utf-8", newline="") as handle:  # "x": never overwrite
                handle.write(text)
        except FileExistsError:
            raise FolderNotEmptyError(
                f"{path} appeared while the folder was being written; it was left as it is."
            ) from None
        written.append(path)
    return written


def _header_line(columns: list[str]) -> str:
    """A CSV header row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(columns)
    return out.getvalue()
