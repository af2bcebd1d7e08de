"""What a run prints: reports counted by kind (not files), warnings as plain lines, and kernels
started and stopped without noise (see also tests/notebooks/test_quiet_run.py)."""

from __future__ import annotations

import asyncio
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import zmq

from evaluation.cli import plain_warnings
from evaluation.errors import RunFailure
from evaluation.kernels import ReportKernelManager
from evaluation.runner import RunSummary


def test_run_summary_counts_reports_by_kind_not_files():
    reports = ["process"] * 6 + ["impact"] * 5 + ["summary"]
    files = [Path(f"r{i}.{ext}") for i in range(12) for ext in ("ipynb", "html")]
    summary = RunSummary(Path("reports/x"), written=files, reports=reports, seconds=95)
    assert summary.text() == "12 reports written to reports/x in 95 s: 6 process, 5 impact, 1 summary."


def test_run_summary_of_one_report_and_a_failure():
    failure = RunFailure("women", "impact_evaluation.ipynb", "ValueError: no comparison people")
    summary = RunSummary(Path("out"), reports=["process"], failures=[failure], seconds=3)
    first, second = summary.text().splitlines()
    assert first == "1 report written to out in 3 s: 1 process."
    assert second == "FAILED women (impact_evaluation.ipynb): ValueError: no comparison people"


def test_run_summary_of_no_report():
    assert RunSummary(Path("out")).text() == "0 reports written to out in 0 s."


def test_warnings_print_as_one_plain_line(capsys):
    with plain_warnings():
        warnings.warn("programme.json gives no as_of:\n  taking 2025-11-30.", stacklevel=1)
        warnings.warn("a library's change", FutureWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "warning: programme.json gives no as_of: taking 2025-11-30.",
        "warning (FutureWarning): a library's change",
    ]


@pytest.mark.skipif(not zmq.has("curve"), reason="pyzmq without CurveZMQ")
def test_report_kernels_are_encrypted_where_the_kernel_supports_it():
    manager = ReportKernelManager(kernel_name="python3")
    assert manager.transport_encryption == "auto"
    assert manager._kernel_supports_curve_encryption()


def run_alone(coroutine):
    """Run a coroutine in its own thread and event loop: a test before this one in the same worker
    may have left an event loop running in the main thread (asyncio.run would then refuse)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_kernel_being_shut_down_is_not_interrupted():
    manager = ReportKernelManager(kernel_name="python3")
    with pytest.raises(RuntimeError, match="No kernel is running"):
        run_alone(manager._async_interrupt_kernel())  # an interrupt otherwise goes ahead
    manager.shutting_down = True
    run_alone(manager._async_interrupt_kernel())  # no interrupt, so nothing to complain of
