"""Outputs can be handed to anyone: no personal data, no small counts, failed runs lose nothing,
and the same inputs give the same numbers."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evaluation.disclosure import DEFAULT_POLICY
from evaluation.errors import RunError
from evaluation.runner import run

from .conftest import E2E_SEED, PLANTED

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

COUNT_HEADER = re.compile(r"^(people|participants|number|count|cohort size|areas?|referred|engaged)\b", re.I)


def _output_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_planted_identifier_or_date_in_any_output(rendered_run):
    spellings = [*PLANTED["person_ids"], PLANTED["referred_date"], "25 December 2025", "25/12/2025"]
    files = _output_files(rendered_run.out_dir)
    assert len(files) >= 26
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in spellings:
            assert needle not in text, f"{needle!r} found in {path.name}"


def test_no_person_level_identifiers_in_any_output(rendered_run):
    """No pseudonym of the synthetic generator (P + 10 digits) reaches a report or notebook."""
    pseudonym = re.compile(r"\bP\d{10}\b")
    for path in _output_files(rendered_run.out_dir):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not pseudonym.search(text), f"a person identifier is in {path.name}"


class _Tables(HTMLParser):
    """Collect (caption, header, cell text) for every table cell of a page."""

    def __init__(self):
        super().__init__()
        self.cells, self._headers, self._row, self._in, self._caption, self._text = [], [], [], None, "", ""

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td", "caption"):
            self._in, self._text = tag, ""
        if tag == "table":
            self._headers = []
        if tag == "tr":
            self._row = []

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "caption":
            self._caption = self._text.strip()
        elif tag in ("th", "td") and self._in:
            self._row.append(self._text.strip())
        elif tag == "tr":
            if not self._headers:
                self._headers = self._row
            else:
                for header, value in zip(self._headers, self._row, strict=False):
                    self.cells.append((self._caption, header, value))
        if tag in ("th", "td", "caption"):
            self._in = None


def test_no_published_count_below_the_disclosure_threshold(rendered_run):
    """Every table column that holds counts of people shows 0, a rounded count >= 10, or [c]."""
    checked = 0
    for page in rendered_run.out_dir.glob("*.html"):
        parser = _Tables()
        parser.feed(page.read_text(encoding="utf-8"))
        for caption, header, value in parser.cells:
            if not COUNT_HEADER.match(header) or not re.fullmatch(r"[\d,]+", value):
                continue
            number = int(value.replace(",", ""))
            checked += 1
            assert number == 0 or number >= DEFAULT_POLICY.threshold, (
                f"{page.name}: {caption}: {header} = {value}"
            )
            assert number % DEFAULT_POLICY.rounding_base == 0, (
                f"{page.name}: {caption}: {header} = {value} not rounded"
            )
    assert checked > 50, "the scan found too few count cells to be meaningful"


def _numbers_of(page: Path) -> str:
    """A page's text without the provenance time stamp, which is the only thing allowed to differ."""
    text = page.read_text(encoding="utf-8")
    return re.sub(r"<dt>Generated</dt><dd>[^<]*</dd>", "", text)


def test_same_inputs_and_seed_give_identical_reports(rendered_run, synthetic_input, tmp_path):
    activities = ["women", "service_redesign", "lmi_hub"]
    again = run(
        synthetic_input, tmp_path, seed=E2E_SEED, activities=activities, summary=False, progress=False
    )
    assert again.ok, again.text()
    for activity_id in activities:
        for kind in ("process", "impact"):
            name = f"{activity_id}_{kind}.html"
            first, second = rendered_run.out_dir / name, again.out_dir / name
            if first.exists():
                assert _numbers_of(first) == _numbers_of(second), f"{name} differs between two identical runs"


def test_failed_run_keeps_the_last_good_report(rendered_run, synthetic_input, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    shutil.copytree(rendered_run.out_dir, out / rendered_run.out_dir.name)
    good = out / rendered_run.out_dir.name / "women_process.html"
    before = good.read_bytes()
    monkeypatch.setattr("evaluation.runner.KERNEL", "no-such-kernel")
    failed = run(
        synthetic_input,
        out,
        seed=E2E_SEED,
        activities=["women"],
        kinds=["process"],
        summary=False,
        progress=False,
    )
    assert not failed.ok and failed.failures[0].activity_id == "women"
    assert good.read_bytes() == before


def test_refuses_to_mix_reports_of_different_inputs(rendered_run, synthetic_input, tmp_path):
    changed = tmp_path / "changed_input"
    shutil.copytree(synthetic_input, changed)
    spend = changed / "spend.csv"
    spend.write_text(spend.read_text(encoding="utf-8").replace(",1", ",2", 1), encoding="utf-8")
    out = tmp_path / "reports"
    shutil.copytree(rendered_run.out_dir, out / rendered_run.out_dir.name)
    with pytest.raises(RunError, match="different inputs"):
        run(
            changed,
            out,
            seed=E2E_SEED,
            activities=["lmi_hub"],
            kinds=["process"],
            summary=False,
            progress=False,
        )
    record = json.loads((out / rendered_run.out_dir.name / "run.json").read_text(encoding="utf-8"))
    assert (
        record["input_hashes"]
        == json.loads((rendered_run.out_dir / "run.json").read_text(encoding="utf-8"))["input_hashes"]
    )
