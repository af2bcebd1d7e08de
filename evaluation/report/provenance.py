"""Provenance footer: where a report's numbers came from, so it can be checked and rerun."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from evaluation.report.display import escape, heading

# Parameters naming folders on the machine that ran the report: never shown (the input files are
# named, with their hashes, instead).
PATH_PARAMETERS = ("programme_path", "output_dir")
DEPENDENCIES = ("pandas", "numpy", "statsmodels", "linearmodels", "scikit-learn", "matplotlib", "papermill")


def git_commit() -> str:
    """The toolkit's git commit, or 'not available' outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "not available"
    return out.stdout.strip() or "not available"


def versions() -> dict[str, str]:
    found = {"evaluation": metadata.version("evaluation")}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def provenance_record(programme, parameters: dict) -> dict:
    """Input hashes, versions, commit, parameters and run time as plain data."""
    return {
        "input_files": dict(programme.input_hashes),
        "versions": versions(),
        "git_commit": git_commit(),
        "parameters": {k: v for k, v in parameters.items() if k not in PATH_PARAMETERS},
        "data_as_of": programme.as_of.date().isoformat(),
        "generated": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }


def provenance(programme, *, parameters: dict) -> HTML:
    """A provenance footer for a report page."""
    record = provenance_record(programme, parameters)
    files = "".join(
        f"<li>{escape(name)}: <code>{escape(digest[:16])}…</code></li>"
        for name, digest in record["input_files"].items()
    )
    versions_text = ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    params = ", ".join(f"{k} = {v!r}" for k, v in record["parameters"].items())
    return HTML(
        '<section aria-label="Provenance"><dl class="provenance">'
        f"<dt>Input files (SHA-256)</dt><dd><ul>{files}</ul></dd>"
        f"<dt>Software</dt><dd>{escape(versions_text)}; toolkit commit {escape(record['git_commit'])}</dd>"
        f"<dt>Parameters</dt><dd>{escape(params)}</dd>"
        f"<dt>Data as of</dt><dd>{escape(record['data_as_of'])}</dd>"
        f"<dt>Generated</dt><dd>{escape(record['generated'])}</dd>"
        "</dl></section>"
    )


def about(ctx) -> list:
    """Every report's last section: where its numbers came from (input hashes, software,
    parameters, time), from any report context with a programme and parameters."""
    return [heading("About this report"), provenance(ctx.programme, parameters=dict(ctx.parameters))]
