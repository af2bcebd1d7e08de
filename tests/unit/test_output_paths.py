"""Nothing is written where it should not be: no name from an input escapes the output folder,
published notebooks carry no absolute path of the machine that ran them, and a killed run leaves
no staging folder behind.

Notebooks are not executed here: papermill's own parameterisation writes the executed notebook
(injected parameters cell and papermill metadata, as a real run has them), plus a warning printed
with a file path and an output naming the output folder, as real notebooks print."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from papermill.execute import prepare_notebook_metadata
from papermill.iorw import load_notebook_node, write_ipynb
from papermill.parameterize import parameterize_notebook

from evaluation import runner
from evaluation.programme import METADATA_FILE

ACTIVITY = "women"
REPO = Path(runner.__file__).resolve().parents[1]


def fake_execute_notebook(input_path, output_path, parameters, **_):
    """What papermill writes, without a kernel: the parameters cell, its metadata, and outputs."""
    notebook = load_notebook_node(input_path)
    notebook = parameterize_notebook(notebook, parameters)
    notebook = prepare_notebook_metadata(notebook, input_path, output_path)
    notebook.metadata.papermill["cwd"] = os.getcwd()
    cell = nbformat.v4.new_code_cell("print('done')")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text=f"{sys.prefix}/lib/python3/site-packages/pandas/core.py:1: FutureWarning: soon\n"
            f"{REPO}/evaluation/report/process.py:10: UserWarning: small\n",
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": f"<p>Records in <code>{parameters['output_dir']}/records</code></p>"},
        ),
    ]
    notebook.cells.append(cell)
    write_ipynb(notebook, output_path)
    return notebook


@pytest.fixture
def no_kernel(monkeypatch):
    monkeypatch.setattr(runner.papermill, "execute_notebook", fake_execute_notebook)


def _run(folder: Path, out: Path, **kwargs):
    return runner.run(
        folder, out, activities=[ACTIVITY], kinds=["process"], summary=False, progress=False, **kwargs
    )


def _set_slug(folder: Path, slug: str) -> None:
    path = folder / METADATA_FILE
    metadata = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**metadata, "slug": slug}), encoding="utf-8")


# --- no absolute paths in published notebooks ---------------------------------------------------


def test_published_notebooks_carry_no_absolute_paths(small_input_copy, tmp_path, no_kernel):
    result = _run(small_input_copy.path, tmp_path / "reports")
    assert result.ok, result.text()
    notebooks = sorted(result.out_dir.glob("*.ipynb"))
    assert [p.name for p in notebooks] == [f"{ACTIVITY}_process.ipynb"]
    forbidden = {str(tmp_path), str(REPO), sys.prefix, str(Path.home()), os.getcwd()}
    for path in [*notebooks, *result.out_dir.glob("*.html"), result.out_dir / "run.json"]:
        text = path.read_text(encoding="utf-8")
        for absolute in forbidden:
            assert absolute not in text, f"{absolute} is in {path.name}"
    notebook = nbformat.read(notebooks[0], as_version=4)
    papermill = notebook.metadata.papermill
    assert papermill["input_path"] == "process_evaluation.ipynb"
    assert papermill["output_path"] == f"{ACTIVITY}_process.ipynb"
    assert papermill["parameters"]["output_dir"] == "."
    # The parameters cell still works when the notebook is run by hand from its own folder.
    programme_path = papermill["parameters"]["programme_path"]
    assert not Path(programme_path).is_absolute()
    assert (result.out_dir / programme_path).resolve() == small_input_copy.path.resolve()
    injected = next(c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'programme_path = "{programme_path}"' in injected.source
    assert 'output_dir = "."' in injected.source


def test_the_provenance_footer_shows_no_path():
    from evaluation.report.provenance import provenance_record

    class Programme:
        input_hashes = {"participants.csv": "0" * 64}
        as_of = __import__("pandas").Timestamp("2025-10-31")

    parameters = {"programme_path": "/home/someone/data", "output_dir": "/srv/reports/x", "seed": 1}
    record = provenance_record(Programme(), parameters)
    assert "/home/someone" not in json.dumps(record) and "/srv/reports" not in json.dumps(record)
    assert record["parameters"]["seed"] == 1


# --- names that become paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    ["../../x", "..", ".", "", "a/b", "/tmp/elsewhere", "..\\..\\x", "x/../../y", "nul", "bad\x00name"],
)
def test_a_slug_that_escapes_or_is_unsafe_is_refused(slug, small_input_copy, tmp_path, no_kernel):
    _set_slug(small_input_copy.path, slug)
    out = tmp_path / "deep" / "reports"
    before = sorted(p for p in tmp_path.rglob("*") if small_input_copy.path not in (p, *p.parents))
    with pytest.raises(ValueError, match="slug") as caught:
        _run(small_input_copy.path, out)
    assert "programme.json" in str(caught.value)
    after = sorted(p for p in tmp_path.rglob("*") if small_input_copy.path not in (p, *p.parents))
    assert after == before, "a refused run wrote something"


def test_a_slug_with_spaces_is_made_safe(small_input_copy, tmp_path, no_kernel):
    _set_slug(small_input_copy.path, "  Rotherham  plan ")
    result = _run(small_input_copy.path, tmp_path / "reports")
    assert result.ok, result.text()
    assert result.out_dir == tmp_path / "reports" / "Rotherham-plan"
    assert (result.out_dir / f"{ACTIVITY}_process.html").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", ".hidden"])
def test_unsafe_activity_ids_never_become_file_names(name):
    with pytest.raises(ValueError, match="activity"):
        runner.Job("process", name, runner.NOTEBOOK_DIR / "process_evaluation.ipynb", {}).stem  # noqa: B018


def test_safe_names_are_kept_as_they_are():
    assert runner.safe_name("ne_ca_trailblazer", "slug") == "ne_ca_trailblazer"
    assert runner.safe_name("women.v2-1", "activity id") == "women.v2-1"


# --- staging ------------------------------------------------------------------------------------


def test_a_stale_staging_folder_is_removed_on_the_next_run(small_input_copy, tmp_path, no_kernel):
    out = tmp_path / "reports"
    first = _run(small_input_copy.path, out)
    stale = [first.out_dir / ".staging-k3j4h5", first.out_dir / ".staging-999999999-abcd"]
    for folder in stale:
        folder.mkdir()
        (folder / f"{ACTIVITY}_process.ipynb").write_text("{}", encoding="utf-8")
    again = _run(small_input_copy.path, out)
    assert again.ok, again.text()
    assert not list(again.out_dir.glob(".staging-*"))


def test_interrupted_run_leaves_no_staging(small_input_copy, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(small_input_copy.path, tmp_path / "reports")
    assert not list((tmp_path / "reports").rglob(".staging-*"))


KILLED_RUN = """
import sys, time
from pathlib import Path
from evaluation import runner

def slow(job, staging, failed_dir, title, **_):
    (staging / "started").write_text("yes")
    while staging.exists():  # a notebook still running; papermill cannot save once staging is gone
        time.sleep(0.05)
    return None, runner.RunFailure(job.activity_id, job.template.name, "stopped")

runner.execute = slow
runner.run(sys.argv[1], sys.argv[2], activities=[sys.argv[3]], kinds=["process"], summary=False,
           progress=False, workers=1)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_run_leaves_no_staging(signum, small_input_copy, tmp_path):
    script = tmp_path / "killed_run.py"
    script.write_text(textwrap.dedent(KILLED_RUN), encoding="utf-8")
    out = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, str(script), str(small_input_copy.path), str(out), ACTIVITY],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*/.staging-*/started")):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run never started a report"
            time.sleep(0.1)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    assert not list(out.rglob(".staging-*")), stderr.decode()
