"""The results file of the session's real run (every report rendered once): it validates against
the shipped JSON Schema with the jsonschema library itself, loads typed, holds exactly the records
the impact reports left, and the programme summary shows its value for money from them."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import jsonschema
import pytest

import evaluation
from evaluation.report import summary
from evaluation.report.record import ImpactRecord, record_path
from evaluation.run_results import RESULTS_FILE, results_schema

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def test_the_run_writes_results_that_validate_and_load_typed(rendered_run):
    folder = Path(rendered_run.out_dir)
    data = json.loads((folder / RESULTS_FILE).read_text(encoding="utf-8"))
    jsonschema.validate(data, results_schema())
    results = evaluation.read_results(folder)
    assert results.schema == 2 and results.programme.seed == 11 and results.programme.interim is False
    assert set(results) | set(results.missing) == set(data["activities"])
    for activity_id, rec in results.items():
        assert rec == ImpactRecord.read(record_path(folder, activity_id))  # the very record the report saved
    valued = [rec for rec in results.values() if rec.value_for_money is not None]
    assert valued, "no activity of the synthetic run has value for money"
    assert results.value_for_money.activities == tuple(rec.activity_name for rec in valued)
    assert not list(folder.glob(".tmp-*"))


def test_the_summary_shows_the_value_for_money_of_the_records(rendered_run):
    folder = Path(rendered_run.out_dir)
    page = unescape((folder / "summary.html").read_text(encoding="utf-8"))
    results = evaluation.read_results(folder)
    assert "Value for money by activity and for the programme" in page
    for sentence in summary.value_for_money_sentences(results):
        assert sentence in page
