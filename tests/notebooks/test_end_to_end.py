"""The whole path from input folder to rendered reports, on a small synthetic programme."""

from __future__ import annotations

import json

import pytest

from evaluation.synthetic import delivery_plan

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def test_every_activity_has_a_process_report(rendered_run):
    assert rendered_run.ok, rendered_run.text()
    for activity_id in delivery_plan()["activity_id"]:
        html = rendered_run.out_dir / f"{activity_id}_process.html"
        assert html.exists(), f"missing {html.name}"
        assert (rendered_run.out_dir / f"{activity_id}_process.ipynb").exists()
        assert "<h1>Process evaluation" in html.read_text(encoding="utf-8")


def test_index_links_every_report(rendered_run):
    index = (rendered_run.out_dir / "index.html").read_text(encoding="utf-8")
    for path in rendered_run.written:
        if path.suffix == ".html":
            assert f'href="{path.name}"' in index, f"index does not link {path.name}"


def test_no_staging_left_and_run_record_written(rendered_run):
    assert not list(rendered_run.out_dir.glob(".staging-*"))
    record = json.loads((rendered_run.out_dir / "run.json").read_text(encoding="utf-8"))
    assert record["failures"] == []
    assert set(record["input_hashes"]) >= {"participants.csv", "outcomes_monthly.csv"}
