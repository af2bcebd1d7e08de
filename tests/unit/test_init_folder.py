"""`evaluation init FOLDER`: a blank, documented input folder written from the data contracts."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest

from evaluation.cli import EXIT_BAD_INPUT, EXIT_OK, main
from evaluation.contracts import TABLES, contracts_dir, load_contracts
from evaluation.programme import METADATA_FILE
from evaluation.report.summary import PROGRAMME_TARGETS
from evaluation.scaffold import PROGRAMME_KEYS, README_FILE, required_tables


@pytest.fixture
def blank(tmp_path, capsys):
    """A folder written by `evaluation init` (the command's output is discarded)."""
    folder = tmp_path / "new_programme"
    assert main(["init", str(folder)]) == EXIT_OK
    capsys.readouterr()
    return folder


def _section(readme: str, table: str) -> str:
    """The README's section of one table, from its heading to the next."""
    match = re.search(rf"^## {table}\n(.*?)(?=^## |\Z)", readme, flags=re.S | re.M)
    assert match, f"no section for {table}"
    return match.group(1)


def _row(section: str, column: str) -> list[str]:
    """The cells of a column's row in a table section."""
    line = next((ln for ln in section.splitlines() if ln.startswith(f"| `{column}` |")), None)
    assert line, f"no row for {column}"
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_init_writes_a_header_only_csv_per_table_in_contract_order(blank):
    for table, contract in load_contracts().items():
        with open(blank / f"{table}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows == [list(contract.columns)], table


def test_init_writes_programme_json_with_every_key_the_toolkit_reads(blank):
    metadata = json.loads((blank / METADATA_FILE).read_text(encoding="utf-8"))
    assert set(metadata) == set(PROGRAMME_KEYS) == {"name", "slug", "as_of", "targets"}
    assert metadata["slug"] == "new_programme"
    assert metadata["as_of"] == "" and metadata["targets"] == {}


def test_readme_documents_programme_json_and_every_target(blank):
    readme = (blank / README_FILE).read_text(encoding="utf-8")
    section = _section(readme, re.escape(METADATA_FILE))
    for key in PROGRAMME_KEYS:
        assert f"- `{key}`:" in section
    for target in PROGRAMME_TARGETS:
        assert f"`{target}`" in section


def test_readme_documents_every_table_and_column_from_its_contract(blank):
    readme = (blank / README_FILE).read_text(encoding="utf-8")
    assert "YYYY-MM-DD or DD/MM/YYYY (day first)" in readme
    required = required_tables()
    for table, contract in load_contracts().items():
        section = _section(readme, table)
        assert ("Required table" if required[table] else "Optional table") in section, table
        assert " ".join(contract.description.split()) in section
        for spec in contract.columns.values():
            name, in_file, values, kind, rules, description = _row(section, spec.name)
            assert in_file.startswith("required" if spec.required else "optional"), (table, spec.name)
            assert values == ("may be blank" if spec.nullable else "must be filled in"), (table, spec.name)
            assert " ".join(spec.description.split()).replace("|", "\\|") == description
            if spec.type == "date":
                assert "DD/MM/YYYY" in kind and "YYYY-MM-DD" in kind
            for value in spec.allowed or ():
                assert f"`{value}`" in rules
            if spec.range is not None:
                assert f"from {spec.range[0]} to {spec.range[1]}" in rules
        for rule in contract.rules:
            assert " ".join(rule.description.split()) in section


def test_readme_lists_required_and_optional_columns_separately(blank):
    section = _section((blank / README_FILE).read_text(encoding="utf-8"), "delivery_plan")
    required = next(line for line in section.splitlines() if line.startswith("Required columns:"))
    optional = next(line for line in section.splitlines() if line.startswith("Optional columns"))
    assert "`activity_id`" in required and "`actual_start`" not in required
    assert "`actual_start`" in optional and "`activity_id`" not in optional


def test_a_table_the_contract_marks_optional_is_documented_as_optional(tmp_path, monkeypatch, capsys):
    contracts = tmp_path / "contracts"
    shutil.copytree(contracts_dir(), contracts)
    for path in contracts.glob("*.yaml"):  # every table required but spend, whatever the contracts say now
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("required:")]
        flag = "false" if path.stem == "spend" else "true"
        path.write_text(f"required: {flag}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("EVALUATION_CONTRACTS", str(contracts))
    assert required_tables() == {t: t != "spend" for t in TABLES}
    assert main(["init", str(tmp_path / "folder")]) == EXIT_OK
    readme = (tmp_path / "folder" / README_FILE).read_text(encoding="utf-8")
    assert "Optional table" in _section(readme, "spend")
    assert "Required table" in _section(readme, "participants")
    optional = next(line for line in readme.splitlines() if line.startswith("- Optional tables:"))
    assert optional == "- Optional tables: `spend`."


def test_init_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "participants.csv").write_text("person_id\nP0001\n", encoding="utf-8")
    assert main(["init", str(folder)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert "is not empty" in err and "nothing was written" in err
    assert "Traceback" not in out + err
    assert sorted(p.name for p in folder.iterdir()) == ["participants.csv"]
    assert (folder / "participants.csv").read_text(encoding="utf-8") == "person_id\nP0001\n"


def test_init_refuses_a_file(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("keep me", encoding="utf-8")
    assert main(["init", str(path)]) == EXIT_BAD_INPUT
    assert "is a file" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "keep me"


def test_init_accepts_an_empty_existing_folder(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert main(["init", str(folder)]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"evaluation validate {folder}" in out
    assert {p.name for p in folder.iterdir()} == {*(f"{t}.csv" for t in TABLES), METADATA_FILE, README_FILE}


def test_validate_on_the_blank_folder_gives_findings_not_a_traceback(blank, capsys):
    assert main(["validate", str(blank)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "The input does not meet the data contracts" in err
    for table, required in required_tables().items():
        # A required table must have rows; an optional one may be left with its header only.
        assert (f"{table}: rule 'table is not empty' broken" in err) == required, table
