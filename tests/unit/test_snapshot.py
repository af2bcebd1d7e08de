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

    def snapshot_then_remove_inputs(path, folder, **options):
        programme = runner_validate(path, folder, **options)
        for table in programme.tables:
            small_input_copy.remove(table)
        written.append(folder)
        return programme

    runner_validate = runner.validate_into_snapshot
    monkeypatch.setattr(runner, "validate_into_snapshot", snapshot_then_remove_inputs)
    result = runner.run(
        small_input_copy.path, tmp_path / "out", activities=["women"], summary=True, progress=False
    )
    assert result.ok, result.text()
    assert len(written) == 1 and not written[0].exists()  # the snapshot went with the staging folder
    notebook = (result.out_dir / "women_impact.ipynb").read_text(encoding="utf-8")
    assert "snapshot" not in notebook and ".staging" not in notebook
    assert f'programme_path = \\"../../{small_input_copy.path.name}\\"' in notebook
    shutil.rmtree(tmp_path / "out")


def test_a_report_reading_a_snapshot_reads_no_outcome_row_it_does_not_use(
    synthetic_folder, tmp_path, monkeypatch
):
    """Issue 13: a report never holds the whole outcome table. Read from a snapshot, the outcome
    table is not read at all until asked for; a matched estimate reads only its participants' and
    the comparison people's in their areas, and gives exactly the in-memory numbers."""
    from evaluation.impact import estimate_activity
    from tests.unit import matched_golden as golden

    validated = load_programme(synthetic_folder)
    folder = write_snapshot(validated, tmp_path / "snapshot")
    read: list[str] = []
    original = pd.read_parquet

    def counting(path, *args, **kwargs):
        frame = original(path, *args, **kwargs)
        read.append(f"{path.stem}:{len(frame)}")
        return frame

    monkeypatch.setattr(pd, "read_parquet", counting)
    snapshot = load_programme(folder)
    assert not [r for r in read if r.startswith("outcomes_monthly")]
    assert snapshot.last_outcome_month == validated.outcomes_monthly["month"].max()
    activity = "vcse_small_grants"
    people = validated.participants_of(activity)
    areas = set(people["la_code"])
    pool = validated.comparison_pool
    wanted = set(people["person_id"]) | set(pool.loc[pool["la_code"].isin(areas), "person_id"])
    found = golden.snapshot(
        estimate_activity(snapshot, activity, seed=golden.SEED, alpha=0.05, horizons=(6, 12))
    )
    outcome_reads = [int(r.split(":")[1]) for r in read if r.startswith("outcomes_monthly")]
    in_use = validated.outcomes_monthly["person_id"].isin(wanted)
    assert outcome_reads == [int(in_use.sum())] and in_use.sum() < len(in_use)
    expected = golden.snapshot(
        estimate_activity(validated, activity, seed=golden.SEED, alpha=0.05, horizons=(6, 12))
    )
    assert found["status"] == "estimated"
    assert golden.compare(found, expected) == []


def test_above_the_pool_sample_only_the_sampled_comparison_people_are_read(
    synthetic_folder, tmp_path, monkeypatch
):
    """With more comparison people in the participants' areas than the estimator samples, the
    report reads the outcome rows of the sample alone, and the estimate equals the in-memory one."""
    from evaluation import stacking
    from evaluation.impact import estimate_activity
    from tests.unit import matched_golden as golden

    monkeypatch.setattr(stacking, "POOL_SAMPLE", 400)
    monkeypatch.setattr("evaluation.impact.POOL_SAMPLE", 400)
    monkeypatch.setattr("evaluation.matched.POOL_SAMPLE", 400, raising=False)
    validated = load_programme(synthetic_folder)
    snapshot = load_programme(write_snapshot(validated, tmp_path / "snapshot"))
    activity = "vcse_small_grants"
    people = validated.participants_of(activity)
    needed = stacking.stacked_people(
        people,
        validated.comparison_pool,
        exact=("la_code",),
        person="person_id",
        pool_sample=400,
        seed=golden.SEED,
    )
    assert len(needed) == people["person_id"].nunique() + 400
    options = {"seed": golden.SEED, "alpha": 0.05, "horizons": (6, 12)}
    found = golden.snapshot(estimate_activity(snapshot, activity, **options))
    expected = golden.snapshot(estimate_activity(validated, activity, **options))
    assert found["status"] == "estimated" and golden.compare(found, expected) == []
    assert set(snapshot.outcomes_of(needed)["person_id"]) == set(needed)


def test_a_snapshot_written_from_the_engine_equals_one_written_from_pandas(
    synthetic_folder, tmp_path, monkeypatch
):
    """Issue 13: the run's snapshot can be written by the engine a batch of rows at a time (the
    outcome table never whole in pandas); read back, every table, dtype, date and hash equals
    the snapshot of the programme load_programme returns. Batches of 1,000 rows here, so that
    the outcome table is written in many pieces."""
    from evaluation.engine import folder as engine_folder
    from evaluation.snapshot import validate_into_snapshot

    monkeypatch.setattr(engine_folder, "BATCH_ROWS", 1_000)
    expected = load_programme(write_snapshot(load_programme(synthetic_folder), tmp_path / "from_pandas"))
    found = validate_into_snapshot(synthetic_folder, tmp_path / "from_engine")
    assert len(found.outcomes_monthly) > 10_000
    assert_same_programme(found, expected)
    assert found.last_outcome_month == expected.last_outcome_month
    assert json.loads((tmp_path / "from_engine" / SNAPSHOT_FILE).read_text()) == json.loads(
        (tmp_path / "from_pandas" / SNAPSHOT_FILE).read_text()
    )


def test_the_engine_snapshot_refuses_data_after_the_stated_date_as_load_programme_does(
    synthetic_folder, tmp_path
):
    from evaluation.errors import ContractError
    from evaluation.snapshot import validate_into_snapshot

    folder = tmp_path / "input"
    shutil.copytree(synthetic_folder, folder)
    metadata = json.loads((folder / "programme.json").read_text())
    metadata["as_of"] = "2025-09-30"
    (folder / "programme.json").write_text(json.dumps(metadata))
    with pytest.raises(ContractError) as expected:
        load_programme(folder)
    with pytest.raises(ContractError) as found:
        validate_into_snapshot(folder, tmp_path / "snapshot")
    assert found.value.findings == expected.value.findings and len(found.value.findings) >= 2


@pytest.mark.parametrize("as_of", ["2025-10-31", "2026-01-15", "2026-04-30"])
def test_an_interim_cut_of_the_engine_snapshot_equals_cut_at(synthetic_folder, tmp_path, monkeypatch, as_of):
    """Issue 13: an interim update of a national pool is cut from the run's snapshot, the outcome
    table a batch at a time (here 1,000 rows, so in many pieces), never whole in pandas. Every
    table, dtype and date equals what `cut_at` gives from the programme in memory, and the
    snapshot's record of its date and last outcome month follows the cut."""
    from evaluation import snapshot as snapshot_module
    from evaluation.programme import cut_at
    from evaluation.snapshot import cut_snapshot, validate_into_snapshot

    monkeypatch.setattr(snapshot_module, "CUT_BATCH_ROWS", 1_000)
    expected = cut_at(load_programme(synthetic_folder), as_of)
    folder = tmp_path / "snapshot"
    validate_into_snapshot(synthetic_folder, folder)
    found = cut_snapshot(folder, as_of)
    assert_same_programme(found, expected)
    assert 0 < len(found.outcomes_monthly) < len(load_programme(synthetic_folder).outcomes_monthly)
    assert found.last_outcome_month == expected.last_outcome_month
    assert json.loads((folder / SNAPSHOT_FILE).read_text())["as_of"] == as_of
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".cut") == []


def test_an_interim_cut_of_the_snapshot_refuses_what_cut_at_refuses(synthetic_folder, tmp_path):
    """A date after the data, or before the programme started, is refused with the same error,
    and the snapshot is left as it was."""
    from evaluation.programme import cut_at
    from evaluation.snapshot import cut_snapshot, validate_into_snapshot

    whole = load_programme(synthetic_folder)
    folder = tmp_path / "snapshot"
    validate_into_snapshot(synthetic_folder, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for as_of in ["2030-01-01", "2000-01-01"]:
        with pytest.raises(ValueError) as expected:
            cut_at(whole, as_of)
        with pytest.raises(ValueError) as found:
            cut_snapshot(folder, as_of)
        assert str(found.value) == str(expected.value)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_an_interim_run_cuts_the_engine_snapshot_without_loading_the_programme(
    synthetic_folder, tmp_path, monkeypatch
):
    """The runner's interim path no longer goes through `load_programme` (which holds the whole
    outcome table in pandas): it validates into the snapshot and cuts it."""

    def no_load(*args, **kwargs):
        raise AssertionError("the interim update loaded the whole programme")

    monkeypatch.setattr(runner, "load_programme", no_load)
    found = runner.validated_programme(
        synthetic_folder, tmp_path / "staging", as_of="2026-01-31", engine="duckdb"
    )
    expected = load_programme(synthetic_folder, as_of="2026-01-31")
    assert_same_programme(found, expected)


def test_an_interim_cut_never_reads_the_whole_outcome_table(synthetic_folder, tmp_path, monkeypatch):
    """Found at a 1,000,000-person pool: asking whether the snapshot holds the outcome table read
    all 41 million rows (a Mapping answers `in` by fetching), and the cut peaked at 6.3 GB instead
    of 1.4 GB. Neither asking nor cutting reads the outcome table whole."""
    from evaluation.snapshot import cut_snapshot, validate_into_snapshot

    folder = tmp_path / "snapshot"
    validate_into_snapshot(synthetic_folder, folder)
    read: list[str] = []
    original = pd.read_parquet

    def counting(path, *args, **kwargs):
        read.append(path.stem)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_parquet", counting)
    snapshot = read_snapshot(folder)
    assert "outcomes_monthly" in snapshot.tables and "no_such_table" not in snapshot.tables
    cut_snapshot(folder, "2026-01-31")
    assert "outcomes_monthly" not in read and "participants" in read
