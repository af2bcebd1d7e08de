"""The public API (issue 10, item 8): a short list of names in `evaluation`, each documented in the
README and importing from where it lives; `import evaluation` loads none of the heavy modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import evaluation

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("name", evaluation.__all__)
def test_every_public_name_resolves_and_is_documented(name):
    value = getattr(evaluation, name)
    assert value is not None and name in dir(evaluation)
    assert f"`{name}" in README.read_text(encoding="utf-8"), f"README does not document {name}"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        evaluation.nope  # noqa: B018


def test_importing_the_package_is_light():
    code = (
        "import sys, evaluation; print(any(m in sys.modules for m in ('pandas', 'statsmodels', 'sklearn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_results_of_a_run_load_as_typed_records(tmp_path):
    from evaluation.report.record import ImpactRecord, record_path

    record = ImpactRecord(activity_id="a", activity_name="A", design="descriptive", status="not_estimated")
    record.save(record_path(tmp_path, "a"))
    assert evaluation.read_results(tmp_path) == {"a": record}
