"""docs/running_by_hand.md stays true to the templates: the parameters it documents are exactly those
of the notebooks' parameters cells, with their defaults and templates, and every command it gives
runs a template that exists with parameters that template declares."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from evaluation.runner import (
    ACTIVITY_NOTEBOOKS,
    NOTEBOOK_DIR,
    SUMMARY_NOTEBOOK,
    notebook_parameters,
    run_parameters,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "running_by_hand.md"
TEMPLATES = {**ACTIVITY_NOTEBOOKS, "summary": SUMMARY_NOTEBOOK}  # the word the docs use -> file


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def declared() -> dict[str, dict]:
    """Each template's parameters (name -> papermill's description), by template word."""
    return {word: notebook_parameters(NOTEBOOK_DIR / name) for word, name in TEMPLATES.items()}


def _parameter_rows(doc: str) -> dict[str, list[str]]:
    """The rows of the parameters table: name -> [default, templates, meaning]."""
    section = re.search(r"^## The parameters cell\n(.*?)(?=^## )", doc, flags=re.S | re.M)
    assert section, "the page has no 'The parameters cell' section"
    rows = {}
    for line in section.group(1).splitlines():
        match = re.match(r"\| `(\w+)` \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return rows


def _commands(doc: str) -> list[str]:
    """Every papermill command in the page's code blocks, continuation lines joined."""
    blocks = re.findall(r"```\n(.*?)```", doc, flags=re.S)
    text = "\n".join(re.sub(r"\s*\\\n\s*", " ", block) for block in blocks)
    return [line.strip() for line in text.splitlines() if "papermill " in line]


def test_documents_exactly_the_notebooks_parameters(doc, declared):
    documented = set(_parameter_rows(doc))
    in_notebooks = set().union(*declared.values())
    assert documented == in_notebooks, (
        f"documented but in no template: {documented - in_notebooks}; "
        f"in a template but not documented: {in_notebooks - documented}"
    )


def test_documents_the_templates_and_default_of_each_parameter(doc, declared):
    for name, (default, templates, meaning) in _parameter_rows(doc).items():
        words = set(re.findall(r"\w+", templates))
        assert words == {w for w, found in declared.items() if name in found}, name
        defaults = {declared[w][name]["default"] for w in words}
        assert defaults == {default.strip("`")}, (name, defaults, default)
        assert meaning, name


def test_documents_every_parameter_the_runner_sets(doc, tmp_path):
    programme = SimpleNamespace(as_of=pd.Timestamp("2025-11-30"), name="A programme")
    passed = run_parameters(programme, tmp_path, tmp_path / "out", interim=True, seed=1)
    assert {*passed, "activity_id"} == set(_parameter_rows(doc))


def test_every_command_runs_a_template_with_parameters_it_declares(doc, declared):
    commands = _commands(doc)
    assert commands, "the page gives no papermill command"
    by_file = {name: declared[word] for word, name in TEMPLATES.items()}
    seen = set()
    for command in commands:
        templates = re.findall(r"notebooks/(\w+\.ipynb)", command)
        assert len(templates) == 1 and templates[0] in by_file, command
        seen.add(templates[0])
        for name in re.findall(r"(?:-p|-r) (\w+)", command):
            assert name in by_file[templates[0]], f"{templates[0]} has no parameter {name}: {command}"
    assert seen >= {ACTIVITY_NOTEBOOKS["impact"], SUMMARY_NOTEBOOK}


def test_names_every_template_and_only_templates_that_exist(doc):
    named = set(re.findall(r"notebooks/(\w+\.ipynb)", doc))
    assert named == set(TEMPLATES.values())
    assert all((NOTEBOOK_DIR / name).exists() for name in named)
