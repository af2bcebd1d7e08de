"""load_programme and cut_at: round trips through CSV and Parquet, provenance hashes, the
frozen Programme, and interim cuts that never keep anything after the as-of date."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import synthetic
from evaluation.contracts import TABLES, validate_table, validate_tables
from evaluation.programme import METADATA_FILE, Programme, cut_at, load_programme

SEED, SCALE, POOL = 3, 0.1, 300
AS_OF_DATES = ["2025-08-15", "2025-12-31", "2026-03-01", "2026-06-30"]


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Values only: dates as datetime64[ns], numbers as floats, everything else as objects with
    None for missing, so frames built in memory and frames read from files compare equal."""
    columns = {}
    for name, column in frame.items():
        if pd.api.types.is_datetime64_any_dtype(column):
            columns[name] = column.astype("datetime64[ns]")
        elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            columns[name] = column.astype("float64")
        else:
            values = column.astype(object)
            columns[name] = values.where(column.notna(), None)
    return pd.DataFrame(columns)


@pytest.fixture(scope="module")
def generated() -> synthetic.SyntheticProgramme:
    return synthetic.generate(SEED, scale=SCALE, pool_size=POOL)


@pytest.fixture(scope="module")
def csv_folder(tmp_path_factory):
    return synthetic.write(tmp_path_factory.mktemp("csv"), SEED, scale=SCALE, pool_size=POOL)


@pytest.fixture(scope="module")
def from_csv(csv_folder) -> Programme:
    return load_programme(csv_folder)


@pytest.fixture(scope="module")
def programme(synthetic_folder) -> Programme:
    return load_programme(synthetic_folder)


# --- round trips -------------------------------------------------------------------------


def test_csv_round_trip_keeps_every_value(generated, from_csv):
    assert set(from_csv.tables) == set(TABLES)
    for name, frame in generated.tables.items():
        loaded = from_csv.tables[name]
        assert list(loaded.columns) == list(frame.columns), name
        pd.testing.assert_frame_equal(canonical(loaded), canonical(frame), obj=name)


def test_csv_tables_have_the_contract_types(from_csv):
    people = from_csv.participants
    assert pd.api.types.is_datetime64_any_dtype(people["referred_date"])
    assert str(people["age"].dtype) == "Int64"
    assert str(people["disabled"].dtype) == "Int8"
    assert people["sex"].map(type).eq(str).all()
    assert from_csv.delivery_plan["budget_gbp"].dtype == "float64"


def test_parquet_round_trip_gives_the_same_programme(generated, csv_folder, from_csv, tmp_path):
    folder = tmp_path / "parquet"
    folder.mkdir()
    shutil.copy(csv_folder / METADATA_FILE, folder)
    for name, frame in generated.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    from_parquet = load_programme(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(from_parquet.tables[name], from_csv.tables[name], obj=name)
    assert set(from_parquet.input_hashes) == {f"{name}.parquet" for name in TABLES}


def test_metadata_from_programme_json(from_csv):
    assert from_csv.name == synthetic.PROGRAMME_NAME
    assert from_csv.slug == synthetic.PROGRAMME_SLUG
    assert from_csv.as_of == synthetic.AS_OF
    assert from_csv.true_effects is not None
    assert set(from_csv.true_effects["activity_id"]) == set(from_csv.activity_ids)


def test_without_metadata_the_data_gives_name_and_date(csv_folder, tmp_path):
    folder = shutil.copytree(csv_folder, tmp_path / "my_programme")
    (folder / METADATA_FILE).unlink()
    with pytest.warns(UserWarning, match="gives no as_of"):
        loaded = load_programme(folder)
    assert loaded.name == loaded.slug == "my_programme"
    last_month = loaded.outcomes_monthly["month"].max()
    assert loaded.as_of == last_month + pd.offsets.MonthEnd(0)


def test_a_missing_folder_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="Input folder not found"):
        load_programme(tmp_path / "nowhere")


def test_stages_and_accessors_come_from_the_contract(programme):
    assert [s.column for s in programme.stages] == [
        "referred_date",
        "engaged_date",
        "started_date",
        "job_start_date",
        "sustained_13w_date",
        "sustained_26w_date",
    ]
    activity = programme.participants["activity_id"].iloc[0]
    assert (programme.participants_of(activity)["activity_id"] == activity).all()
    assert programme.plan(activity)["activity_id"] == activity
    with pytest.raises(KeyError, match="not in the delivery plan"):
        programme.plan("no_such_activity")


# --- provenance --------------------------------------------------------------------------


def test_input_hashes_are_sha256_of_every_file(from_csv, csv_folder):
    assert set(from_csv.input_hashes) == {f"{name}.csv" for name in TABLES}
    for file_name, digest in from_csv.input_hashes.items():
        assert digest == hashlib.sha256((csv_folder / file_name).read_bytes()).hexdigest()


def test_changing_one_file_changes_only_its_hash(input_copy, programme):
    input_copy.edit("spend", lambda frame: frame.iloc[::-1])
    changed = load_programme(input_copy.path).input_hashes
    differ = {name for name in changed if changed[name] != programme.input_hashes[name]}
    assert differ == {"spend.csv"}


# --- frozen ------------------------------------------------------------------------------


def test_programme_is_frozen(programme):
    with pytest.raises(dataclasses.FrozenInstanceError):
        programme.name = "something else"
    with pytest.raises(dataclasses.FrozenInstanceError):
        programme.as_of = pd.Timestamp("2030-01-01")
    for mapping in (programme.tables, programme.input_hashes, programme.contracts):
        with pytest.raises(TypeError):
            mapping["participants"] = None


# --- cut_at ------------------------------------------------------------------------------


def _participant_dates(programme: Programme) -> list[str]:
    columns = programme.contracts["participants"].columns
    return [name for name, spec in columns.items() if spec.type == "date"]


# Each table's time column and the last day of the period a row covers: outcomes and spend are
# monthly, the area panel quarterly (a quarter starting 1 October ends on 31 December).
PERIODS = {
    "outcomes_monthly": ("month", lambda start: start + pd.offsets.MonthEnd(0)),
    "spend": ("month", lambda start: start + pd.offsets.MonthEnd(0)),
    "area_panel": ("period", lambda start: start + pd.DateOffset(months=3) - pd.Timedelta(days=1)),
}


def assert_nothing_after(cut: Programme, cutoff: pd.Timestamp) -> None:
    people = cut.participants
    for column in _participant_dates(cut):
        assert not (people[column] > cutoff).any(), column
    for table, (column, period_end) in PERIODS.items():
        # only whole months (or whole quarters) that had ended by the cutoff
        ends = period_end(cut.tables[table][column])
        assert not (ends > cutoff).any(), table


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_cut_at_never_keeps_an_event_after_as_of(programme, as_of):
    cutoff = pd.Timestamp(as_of)
    cut = cut_at(programme, as_of)
    assert cut.as_of == cutoff
    assert_nothing_after(cut, cutoff)


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_cut_at_keeps_everything_up_to_as_of(programme, as_of):
    cutoff = pd.Timestamp(as_of)
    cut = cut_at(programme, as_of)
    people = programme.participants
    kept = people[people["referred_date"] <= cutoff].reset_index(drop=True)
    assert cut.participants["person_id"].tolist() == kept["person_id"].tolist()
    for column in _participant_dates(programme):
        expected = kept[column].where(kept[column] <= cutoff)
        pd.testing.assert_series_equal(cut.participants[column], expected, obj=column)
    withdrawn = cut.participants["withdrawn_date"].notna()
    assert cut.participants["withdrawal_reason"].notna().eq(withdrawn).all()
    known = set(kept["person_id"]) | set(programme.comparison_pool["person_id"])
    for table, (column, period_end) in PERIODS.items():
        frame = programme.tables[table]
        whole = period_end(frame[column]) <= cutoff
        if table == "outcomes_monthly":  # people referred later leave with their outcomes
            whole &= frame["person_id"].isin(known)
        assert len(cut.tables[table]) == whole.sum(), table
    pd.testing.assert_frame_equal(cut.delivery_plan, programme.delivery_plan)
    pd.testing.assert_frame_equal(cut.comparison_pool, programme.comparison_pool)


@pytest.mark.parametrize("as_of", AS_OF_DATES[1:3])
def test_a_cut_programme_still_meets_the_contracts(programme, as_of):
    cut = cut_at(programme, as_of)
    findings = [f for name, frame in cut.tables.items() for f in validate_table(frame, cut.contracts[name])]
    findings += validate_tables(cut.tables, cut.contracts)
    assert not findings, findings


def test_cut_at_does_not_change_the_original(programme):
    before = {name: frame.copy() for name, frame in programme.tables.items()}
    as_of = programme.as_of
    cut_at(programme, "2025-10-31")
    assert programme.as_of == as_of
    for name, frame in before.items():
        pd.testing.assert_frame_equal(programme.tables[name], frame, obj=name)


def test_cut_at_composes(programme):
    once = cut_at(programme, "2025-12-31")
    twice = cut_at(cut_at(programme, "2026-04-30"), "2025-12-31")
    again = cut_at(once, "2025-12-31")
    for name in TABLES:
        pd.testing.assert_frame_equal(twice.tables[name], once.tables[name], obj=name)
        pd.testing.assert_frame_equal(again.tables[name], once.tables[name], obj=name)


def test_load_with_as_of_is_load_then_cut(synthetic_folder, programme):
    loaded = load_programme(synthetic_folder, as_of="2026-01-31")
    cut = cut_at(programme, "2026-01-31")
    assert loaded.as_of == cut.as_of
    for name in TABLES:
        pd.testing.assert_frame_equal(loaded.tables[name], cut.tables[name], obj=name)


def test_cut_at_refuses_a_date_after_the_data(programme):
    later = programme.as_of + pd.Timedelta(days=1)
    with pytest.raises(ValueError, match="after the data's own date"):
        cut_at(programme, later)


@settings(max_examples=15, deadline=None)
@given(day=st.dates(min_value=pd.Timestamp("2025-06-01").date(), max_value=synthetic.AS_OF.date()))
def test_cut_at_any_day_keeps_nothing_later(programme, day):
    cutoff = pd.Timestamp(day)
    assert_nothing_after(cut_at(programme, cutoff), cutoff)
