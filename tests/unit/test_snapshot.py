"""Validate once (issue 10, item 3): the run checks the input folder once and every notebook reads
the validated snapshot it wrote, never the input files again.

Before, each of a run's 28 notebooks read and checked every input file itself.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from evaluation import programme as programme_module
from evaluation import runner
from evaluation.programme import load_programme
from evaluation.snapshot import SNAPSHOT_FILE, is_snapshot, read_snapshot, snapshot_source, write_snapshot


def assert_same_programme(first, second) -> None:
    assert (first.name, first.slug, first.as_of) == (second.name, second.slug, second.as_of)
    assert dict(first.input_hashes) == dict(second.input_hashes)
    assert dict(first.targets) == dict(second.targets) and first.missing_tables == second.missing_tables
    assert list(first.tables) == list(second.tables)
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name], check_dtype=True, obj=name)


def test_a_snapshot_holds_exactly_what_was_validated(synthetic_folder, tmp_path):
    validated = load_programme(synthetic_folder)
    folder = write_snapshot(validated, tmp_path / "snapshot")
    assert is_snapshot(folder) and not is_snapshot(synthetic_folder)
    assert snapshot_source(folder) == str(synthetic_folder.resolve())
    assert_same_programme(validated, load_programme(folder))


def test_an_interim_snapshot_is_read_at_its_date_and_can_be_cut_earlier(synthetic_folder, tmp_path):
    interim = load_programme(synthetic_folder, as_of="2025-11-30")
    folder = write_snapshot(interim, tmp_path / "snapshot")
    assert_same_programme(interim, load_programme(folder, as_of="30/11/2025"))
    assert_same_programme(
        load_programme(synthetic_folder, as_of="2025-10-31"), load_programme(folder, as_of="2025-10-31")
    )


def test_reading_a_snapshot_checks_nothing_again(synthetic_folder, tmp_path, monkeypatch):
    folder = write_snapshot(load_programme(synthetic_folder), tmp_path / "snapshot")

    def no_checks(*args, **kwargs):
        raise AssertionError("the snapshot was validated again")

    monkeypatch.setattr(programme_module, "check_tables", no_checks)
    monkeypatch.setattr(programme_module, "read_raw_tables", no_checks)
    load_programme(folder)


def test_a_snapshot_of_another_version_is_refused_plainly(synthetic_folder, tmp_path):
    folder = write_snapshot(load_programme(synthetic_folder), tmp_path / "snapshot")
    about = json.loads((folder / SNAPSHOT_FILE).read_text())
    (folder / SNAPSHOT_FILE).write_text(json.dumps({**about, "version": 99}))
    with pytest.raises(ValueError, match="version 99"):
        read_snapshot(folder)


@pytest.mark.notebook
def test_a_run_validates_once_and_its_notebooks_never_read_the_input_again(
    small_input_copy, tmp_path, monkeypatch
):
    """Once the snapshot is written the input folder's tables are removed: the reports still render,
    so no notebook read them; the published notebook names the input folder, not the snapshot."""
    written = []

    def snapshot_then_remove_inputs(programme, folder):
        path = runner_write_snapshot(programme, folder)
        for table in programme.tables:
            small_input_copy.remove(table)
        written.append(path)
        return path

    runner_write_snapshot = runner.write_snapshot
    monkeypatch.setattr(runner, "write_snapshot", snapshot_then_remove_inputs)
    result = runner.run(
        small_input_copy.path, tmp_path / "out", activities=["women"], summary=True, progress=False
    )
    assert result.ok, result.text()
    assert len(written) == 1 and not written[0].exists()  # the snapshot went with the staging folder
    notebook = (result.out_dir / "women_impact.ipynb").read_text(encoding="utf-8")
    assert "snapshot" not in notebook and ".staging" not in notebook
    assert f'programme_path = \\"../../{small_input_copy.path.name}\\"' in notebook
    shutil.rmtree(tmp_path / "out")
