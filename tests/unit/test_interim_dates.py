"""Interim cuts, the as-of date and how dates are read (issue 9, items 1 to 3).

1. Each table's time column declares in its contract what a row's date stands for (an event, a
   month, a quarter, or a period with an explicit end), and a cut keeps a row only once its event
   had happened or its period had ended: on 1 November 2025 the October to December quarter is
   not yet known.
2. `as_of` is the date the data were extracted. A folder whose data run past its stated `as_of`
   is refused, naming table, column and rows; the folder name, the notebooks' parameters and the
   labels take their date from the programme as cut.
3. Written dates are YYYY-MM-DD or DD/MM/YYYY read day first, as UK users mean them, on the
   command line, in programme.json and in the data; a month-first date such as 10/31/2025 is
   refused, never reinterpreted; an as-of date before the programme started is refused plainly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

from evaluation import synthetic
from evaluation.cli import _parser, main
from evaluation.contracts import ColumnSpec, check_tables, load_contract, load_contracts, parse_date
from evaluation.errors import ContractError, DesignError
from evaluation.programme import METADATA_FILE, Programme, cut_at, findings_after, load_programme
from evaluation.report.process import update_label
from evaluation.runner import report_folder, run_parameters

PROGRAMME_START = pd.Timestamp("2025-06-01")  # the synthetic plan's earliest start


@pytest.fixture(scope="module")
def programme(synthetic_folder) -> Programme:
    return load_programme(synthetic_folder)


def set_as_of(folder: Path, value) -> None:
    """Write `value` as programme.json's as_of."""
    path = folder / METADATA_FILE
    metadata = json.loads(path.read_text(encoding="utf-8"))
    metadata["as_of"] = value
    path.write_text(json.dumps(metadata), encoding="utf-8")


def periods(cut: Programme, table: str, column: str) -> set[pd.Timestamp]:
    return set(cut.tables[table][column])


# --- 1. every time column declares its frequency; a period counts once it has ended -----------


def test_every_time_column_declares_what_its_dates_stand_for():
    declared = {
        (table, spec.name): spec.time
        for table, contract in load_contracts().items()
        for spec in contract.time_columns
    }
    assert declared == {
        ("outcomes_monthly", "month"): "month",
        ("spend", "month"): "month",
        ("area_panel", "period"): "quarter",
        **{
            ("participants", column): "event"
            for column in (
                "referred_date",
                "engaged_date",
                "started_date",
                "job_start_date",
                "sustained_13w_date",
                "sustained_26w_date",
                "withdrawn_date",
            )
        },
    }


@pytest.mark.parametrize(
    ("as_of", "known"),
    [("2025-11-01", False), ("2025-12-30", False), ("2025-12-31", True), ("2026-01-15", True)],
)
def test_area_panel_quarter_is_known_only_once_it_has_ended(programme, as_of, known):
    october_quarter = pd.Timestamp("2025-10-01")  # October to December 2025
    assert october_quarter in periods(programme, "area_panel", "period")
    cut = cut_at(programme, as_of)
    assert (october_quarter in periods(cut, "area_panel", "period")) is known
    assert pd.Timestamp("2025-07-01") in periods(cut, "area_panel", "period")  # July-September ended
    ends = cut.area_panel["period"] + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    assert (ends <= pd.Timestamp(as_of)).all()


@pytest.mark.parametrize("table", ["outcomes_monthly", "spend"])
@pytest.mark.parametrize(("as_of", "known"), [("2025-10-30", False), ("2025-10-31", True)])
def test_a_month_is_known_only_once_it_has_ended(programme, table, as_of, known):
    october = pd.Timestamp("2025-10-01")
    assert october in periods(programme, table, "month")
    cut = cut_at(programme, as_of)
    assert (october in periods(cut, table, "month")) is known
    assert pd.Timestamp("2025-09-01") in periods(cut, table, "month")
    assert (cut.tables[table]["month"] + pd.offsets.MonthEnd(0) <= pd.Timestamp(as_of)).all()


def test_participants_events_are_known_from_their_own_day(programme):
    people = programme.participants
    withdrawn = people.dropna(subset=["withdrawn_date"]).sort_values("withdrawn_date")
    person = withdrawn.iloc[len(withdrawn) // 2]
    day = person["withdrawn_date"]

    def row(cut: Programme) -> pd.Series:
        found = cut.participants
        return found[
            (found["person_id"] == person["person_id"]) & (found["activity_id"] == person["activity_id"])
        ].iloc[0]

    on_the_day = row(cut_at(programme, day))
    assert on_the_day["withdrawn_date"] == day
    assert on_the_day["withdrawal_reason"] == person["withdrawal_reason"]
    the_day_before = row(cut_at(programme, day - pd.Timedelta(days=1)))
    assert pd.isna(the_day_before["withdrawn_date"])
    assert the_day_before["withdrawal_reason"] is None  # goes with its date

    referred = people["referred_date"].sort_values().iloc[len(people) // 2]
    cut = cut_at(programme, referred)
    assert (cut.participants["referred_date"] <= referred).all()
    assert len(cut.participants) == (people["referred_date"] <= referred).sum()
    assert (cut.participants["referred_date"] == referred).any()


def test_a_period_with_an_explicit_end_is_known_on_that_end(programme):
    """A contract may give each row's last day in a column (`time: period` + `period_end`), for
    statistics over periods of other lengths, such as 12-month rolling APS estimates."""
    contract = programme.contracts["area_panel"]
    columns = dict(contract.columns)
    columns["period"] = dataclasses.replace(columns["period"], time="period", period_end="period_end")
    columns["period_end"] = ColumnSpec("period_end", "date", "Last day of the period.")
    contracts = {**programme.contracts, "area_panel": dataclasses.replace(contract, columns=columns)}
    panel = programme.area_panel.copy()
    panel["period_end"] = panel["period"] + pd.DateOffset(months=12) - pd.Timedelta(days=1)
    rolling = dataclasses.replace(
        programme,
        tables=MappingProxyType({**programme.tables, "area_panel": panel}),
        contracts=MappingProxyType(contracts),
    )
    cut = cut_at(rolling, "2025-12-31")
    assert (cut.area_panel["period_end"] <= pd.Timestamp("2025-12-31")).all()
    assert cut.area_panel["period"].max() == pd.Timestamp("2025-01-01")  # its 12 months end 31 Dec
    assert len(cut.area_panel) == (panel["period_end"] <= pd.Timestamp("2025-12-31")).sum()


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        ({"type": "date", "time": "fortnight"}, "use one of event, month, quarter, period"),
        ({"type": "integer", "time": "month"}, "not a date column"),
        ({"type": "date", "time": "period"}, "period_end"),
        ({"type": "date", "time": "period", "period_end": "nowhere"}, "period_end"),
        ({"type": "date", "time": "month", "period_end": "ends"}, "only a 'time: period'"),
    ],
)
def test_a_time_declaration_must_be_complete(tmp_path, column, problem):
    contract = {
        "table": "series",
        "columns": {"when": column, "ends": {"type": "date"}},
    }
    path = tmp_path / "series.yaml"
    path.write_text(json.dumps(contract), encoding="utf-8")  # JSON is YAML
    with pytest.raises(ValueError, match=problem):
        load_contract(path)


def test_a_complete_period_declaration_loads(tmp_path):
    path = tmp_path / "series.yaml"
    columns = {"when": {"type": "date", "time": "period", "period_end": "ends"}, "ends": {"type": "date"}}
    path.write_text(json.dumps({"table": "series", "columns": columns}), encoding="utf-8")
    (spec,) = load_contract(path).time_columns
    assert (spec.name, spec.time, spec.period_end) == ("when", "period", "ends")


# --- 2. as_of is the date the data were extracted ----------------------------------------------


def test_data_running_past_the_stated_as_of_are_refused(input_copy, capsys):
    set_as_of(input_copy.path, "2025-11-30")
    with pytest.raises(ContractError) as error:
        load_programme(input_copy.path)
    found = {(f.table, f.column): f for f in error.value.findings}
    for where in (
        ("outcomes_monthly", "month"),
        ("spend", "month"),
        ("area_panel", "period"),
        ("participants", "referred_date"),
    ):
        assert where in found, sorted(found)
        finding = found[where]
        assert finding.rule == "known by as_of 2025-11-30"
        assert finding.n_rows >= len(finding.rows) > 0
        assert "programme.json says the data were extracted on 2025-11-30" in finding.advice
    # rows are numbered from 1 at the first data row, as in every finding
    spend = input_copy.read("spend")
    for row, value in zip(found["spend", "month"].rows, found["spend", "month"].values, strict=True):
        assert spend.loc[row - 1, "month"] > "2025-11-01"
        assert value.startswith(spend.loc[row - 1, "month"])
    assert main(["validate", str(input_copy.path)]) == 2
    err = capsys.readouterr().err
    assert "area_panel.period: rule 'known by as_of 2025-11-30'" in err
    assert "Traceback" not in err


def test_a_quarter_not_ended_by_the_stated_as_of_is_refused(input_copy):
    """The synthetic as_of is 31 October 2026: a quarter from 1 October 2026 runs to 31 December."""

    def add_quarter(frame):
        extra = frame.iloc[[-1]].copy()
        extra["period"] = "2026-10-01"
        return pd.concat([frame, extra], ignore_index=True)

    input_copy.edit("area_panel", add_quarter)
    with pytest.raises(ContractError) as error:
        load_programme(input_copy.path)
    (finding,) = error.value.findings
    rows = len(input_copy.read("area_panel"))
    assert (finding.table, finding.column, finding.rows) == ("area_panel", "period", (rows,))
    assert finding.values == ("2026-10-01 (quarter ends 2026-12-31)",)
    assert "quarter had not ended" in finding.advice


def test_the_synthetic_programme_loads_with_data_to_its_as_of(programme):
    # a month from 1 October 2026 ends on 31 October 2026, the day the data were extracted
    assert programme.as_of == synthetic.AS_OF == pd.Timestamp("2026-10-31")
    assert programme.outcomes_monthly["month"].max() == pd.Timestamp("2026-10-01")
    assert findings_after(programme.tables, programme.contracts, programme.as_of) == []


def test_without_a_stated_as_of_the_last_day_the_data_speak_for_is_taken(input_copy):
    (input_copy.path / METADATA_FILE).unlink()
    with pytest.warns(UserWarning, match="gives no as_of"):
        loaded = load_programme(input_copy.path)
    assert loaded.as_of == pd.Timestamp("2026-10-31")
    assert findings_after(loaded.tables, loaded.contracts, loaded.as_of) == []


def test_labels_folder_and_notebook_parameters_take_the_cut_date(synthetic_folder, tmp_path):
    cut = load_programme(synthetic_folder, as_of="01/11/2025")
    assert cut.as_of == pd.Timestamp("2025-11-01")
    assert update_label(cut, interim=True) == "Interim 5-month update with data to 1 November 2025"
    assert report_folder(tmp_path, cut, interim=True).name == "ne_ca_synthetic-as-of-2025-11-01"
    assert report_folder(tmp_path, cut, interim=False).name == "ne_ca_synthetic"
    parameters = run_parameters(cut, synthetic_folder, tmp_path, interim=True, seed=1)
    assert parameters["as_of"] == "2025-11-01"
    # each notebook cuts at the parameter it is given: the same date, so the same data
    again = load_programme(synthetic_folder, as_of=parameters["as_of"])
    assert again.as_of == cut.as_of
    for name, frame in cut.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, obj=name)


# --- 3. UK dates, read one way everywhere ------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("01/11/2025", "2025-11-01"),
        ("1/11/2025", "2025-11-01"),
        ("31/10/2025", "2025-10-31"),
        ("05/06/2025", "2025-06-05"),
        ("2025-11-01", "2025-11-01"),
        ("01/11/2025 00:00", "2025-11-01"),
        (" 2025-11-01 ", "2025-11-01"),
    ],
)
def test_dates_are_read_day_first_or_iso(written, meant):
    assert parse_date(written) == pd.Timestamp(meant)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("10/31/2025", "looks like month/day/year: write 2025-10-31 or 31/10/2025"),
        ("31/02/2025", "is not a date"),
        ("01/11/25", "is not a date"),
        ("Nov 1 2025", "is not a date"),
        ("20251101", "is not a date"),
        ("2025/11/01", "is not a date"),
        ("", "is not a date"),
    ],
)
def test_other_forms_are_refused_not_guessed(written, message):
    with pytest.raises(ValueError, match=message):
        parse_date(written)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("01/11/2025", "2025-11-01"), ("31/10/2025", "2025-10-31"), ("2025-11-01", "2025-11-01")],
)
def test_the_command_line_reads_as_of_day_first(written, meant):
    assert _parser().parse_args(["run", "folder", "--as-of", written]).as_of == meant


def test_the_command_line_refuses_a_month_first_as_of(synthetic_folder, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", str(synthetic_folder), "--as-of", "10/31/2025"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "month/day/year" in err
    assert "Traceback" not in err


def test_load_programme_reads_as_of_day_first(synthetic_folder):
    assert load_programme(synthetic_folder, as_of="01/11/2025").as_of == pd.Timestamp("2025-11-01")
    assert load_programme(synthetic_folder, as_of="31/10/2025").as_of == pd.Timestamp("2025-10-31")
    with pytest.raises(ValueError, match="month/day/year"):
        load_programme(synthetic_folder, as_of="10/31/2025")


def test_programme_json_as_of_is_read_day_first(input_copy):
    set_as_of(input_copy.path, "31/10/2026")
    assert load_programme(input_copy.path).as_of == pd.Timestamp("2026-10-31")
    set_as_of(input_copy.path, "10/31/2026")
    with pytest.raises(ContractError) as error:
        load_programme(input_copy.path)
    (finding,) = error.value.findings
    assert (finding.table, finding.column) == (METADATA_FILE, "as_of")
    assert "month/day/year" in finding.advice


def test_data_files_read_dates_day_first(small_raw_tables):
    people = small_raw_tables["participants"].copy()
    dates = pd.to_datetime(people["referred_date"])
    # a day of 12 or less, where month first would give another date
    row = int(((dates.dt.day <= 12) & (dates.dt.day != dates.dt.month)).to_numpy().argmax())
    people.loc[row, "referred_date"] = dates[row].strftime("%d/%m/%Y")
    typed = check_tables({**small_raw_tables, "participants": people})
    assert typed["participants"].loc[row, "referred_date"] == dates[row]


def test_data_files_refuse_month_first_dates(small_raw_tables):
    people = small_raw_tables["participants"].copy()
    dates = pd.to_datetime(people["referred_date"])
    row = int((dates.dt.day > 12).to_numpy().argmax())
    written = dates[row].strftime("%m/%d/%Y")
    people.loc[row, "referred_date"] = written
    with pytest.raises(ContractError) as error:
        check_tables({**small_raw_tables, "participants": people})
    (finding,) = [f for f in error.value.findings if f.column == "referred_date"]
    assert finding.rule == "type: date (YYYY-MM-DD)"
    assert (finding.rows, finding.values) == ((row + 1,), (written,))
    assert "DD/MM/YYYY" in finding.advice
    assert "month/day/year" in finding.advice


def test_an_as_of_before_the_programme_started_is_refused_plainly(synthetic_folder, tmp_path, capsys):
    assert load_programme(synthetic_folder, as_of=PROGRAMME_START).as_of == PROGRAMME_START
    with pytest.raises(DesignError, match="before the programme started on 1 June 2025"):
        load_programme(synthetic_folder, as_of="31/05/2025")
    code = main(["run", str(synthetic_folder), "--as-of", "01/01/2025", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "as_of 1 January 2025 is before the programme started on 1 June 2025" in err
    assert "months" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
