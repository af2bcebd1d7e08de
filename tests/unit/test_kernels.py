"""Warm report kernels (`evaluation.kernels`): reused from report to report, yet each report
runs as in a fresh kernel, and a kernel whose report failed is never reused."""

from __future__ import annotations

import threading

import nbformat
import papermill
import pytest
from jupyter_client.channels import HBChannel
from jupyter_core.utils import run_sync

from evaluation.kernels import (
    ONE_BLAS_THREAD,
    KernelWorkers,
    PromptKernelClient,
    ReportKernelManager,
    WarmKernel,
)
from evaluation.runner import KERNEL, KERNEL_START_TIMEOUT

pytestmark = pytest.mark.notebook


def _notebook(path, *sources: str):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def _run(kernel: WarmKernel, template, out):
    """Execute as the runner does with a warm kernel: reset after success, discard after failure."""
    try:
        papermill.execute_notebook(
            str(template), str(out), kernel_name=KERNEL, progress_bar=False, km=kernel.manager()
        )
    except BaseException:
        kernel.discard()
        raise
    kernel.reset()
    return nbformat.read(out, as_version=4)


def _text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs)


@pytest.fixture
def kernel():
    warm = WarmKernel(ReportKernelManager, kernel_name=KERNEL, start_timeout=KERNEL_START_TIMEOUT)
    yield warm
    warm.close()


def test_a_reused_kernel_runs_each_report_as_a_fresh_one(kernel, tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "left_behind = 41", "import os\nprint(os.getpid())")
    second = _notebook(
        tmp_path / "second.ipynb",
        "print('left_behind' in dir())",
        "import matplotlib.pyplot as plt\nprint(len(plt.get_fignums()))\nplt.figure()",
        "import os\nprint(os.getpid())",
    )
    ran_first = _run(kernel, first, tmp_path / "out1.ipynb")
    ran_second = _run(kernel, second, tmp_path / "out2.ipynb")
    again = _run(kernel, second, tmp_path / "out3.ipynb")
    assert _text(ran_first.cells[1]) == _text(ran_second.cells[2]), "not the same kernel process"
    assert _text(ran_second.cells[0]).strip() == "False"  # nothing the last report defined survives
    assert _text(again.cells[1]).strip() == "0"  # the last report's figure was closed
    assert [c.execution_count for c in again.cells] == [1, 2, 3]  # cells count from 1 again
    assert not any("ERROR" in _text(c) for c in [*ran_second.cells, *again.cells])  # no history clash


def test_a_kernel_whose_report_failed_is_replaced(kernel, tmp_path):
    failing = _notebook(
        tmp_path / "fails.ipynb", "import os\nprint(os.getpid())", "raise RuntimeError('bad')"
    )
    pid = _notebook(tmp_path / "pid.ipynb", "import os\nprint(os.getpid())")
    with pytest.raises(papermill.PapermillExecutionError):
        _run(kernel, failing, tmp_path / "failed.ipynb")
    failed = nbformat.read(tmp_path / "failed.ipynb", as_version=4)
    before = _text(next(c for c in failed.cells if c.cell_type == "code"))
    after = _text(_run(kernel, pid, tmp_path / "next.ipynb").cells[0])
    assert before and after and before != after


def test_workers_run_every_call_each_with_its_own_kernel():
    seen: list[int] = []

    def call(number, *, kernel):
        assert isinstance(kernel, WarmKernel)
        seen.append(number)
        return number * 2

    workers = KernelWorkers(2, lambda: _NoKernel())
    futures = [workers.submit(call, n) for n in range(6)]
    assert sorted(f.result(timeout=10) for f in futures) == [0, 2, 4, 6, 8, 10]
    workers.close()
    assert sorted(seen) == list(range(6))


def test_a_call_that_raises_discards_its_workers_kernel():
    kernels: list[_NoKernel] = []

    def make():
        kernels.append(_NoKernel())
        return kernels[-1]

    def boom(*, kernel):
        raise ValueError("a bug")

    workers = KernelWorkers(1, make)
    future = workers.submit(boom)
    with pytest.raises(ValueError, match="a bug"):
        future.result(timeout=10)
    workers.close()
    assert kernels[0].discarded >= 1


class _NoKernel(WarmKernel):
    """A WarmKernel that never starts a process (for the worker bookkeeping tests)."""

    def __init__(self):
        super().__init__(ReportKernelManager, kernel_name=KERNEL, start_timeout=1)
        self.discarded = 0

    def discard(self) -> None:
        self.discarded += 1

    close = discard


def test_a_prompt_client_is_ready_only_when_the_first_cells_output_can_arrive(kernel):
    """`PromptKernelClient` asks again every 20 ms where jupyter_client waits 0.2 s; ready must
    still mean that IOPub is connected, or the first cell's output would be lost (ZeroMQ's slow
    joiner). Twenty fresh clients each execute at once after ready and must see their output."""
    manager = kernel.manager()
    for attempt in range(20):
        client = manager.client()
        assert isinstance(client, PromptKernelClient)
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=30)
            seen: list[str] = []

            def keep(message, seen=seen):
                if message["msg_type"] == "stream":
                    seen.append(message["content"]["text"])

            run_sync(client.execute_interactive)(f"print('attempt {attempt}')", timeout=30, output_hook=keep)
        finally:
            client.stop_channels()
        assert "".join(seen) == f"attempt {attempt}\n"  # a stream may come in pieces


def test_reports_in_a_warm_kernel_leave_no_client_open(kernel, tmp_path):
    """papermill leaves open the client it makes for a kernel it did not start; each one kept a
    heartbeat thread pinging every second and its sockets for the rest of the run (7 more
    threads per run of the default programme). The manager closes its clients between reports."""
    template = _notebook(tmp_path / "one.ipynb", "1 + 1")
    before = {thread.ident for thread in threading.enumerate()}
    for number in range(3):
        _run(kernel, template, tmp_path / f"out{number}.ipynb")
    given = kernel.manager()._given
    assert given == []  # every client the manager handed out was closed at the reset
    new = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not [t for t in new if isinstance(t, HBChannel)], new


def test_a_report_kernel_gets_one_blas_thread_unless_told_otherwise(tmp_path, monkeypatch):
    """Found measuring: `runner.run` called from Python (not the command line, which sets these
    variables) started kernels that spread numpy's linear algebra over every core; two at once
    on two cores took the default full run from 71 s to 303 s. A report kernel now starts on one
    BLAS thread, and a value the caller set is kept."""
    for variable in ONE_BLAS_THREAD:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    shown = _notebook(
        tmp_path / "env.ipynb",
        "import os\nprint([os.environ.get(v) for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')])",
    )
    warm = WarmKernel(ReportKernelManager, kernel_name=KERNEL, start_timeout=KERNEL_START_TIMEOUT)
    try:
        ran = _run(warm, shown, tmp_path / "out.ipynb")
    finally:
        warm.close()
    assert _text(ran.cells[0]).strip() == "['1', '1', '3']"


def test_a_kernel_says_its_step_until_the_next_report(kernel, tmp_path):
    """A report kernel gets a progress file of its own: what a notebook says there is the
    worker's step while it runs, forgotten when the kernel is reset, and the file goes with it."""
    saying = _notebook(tmp_path / "says.ipynb", "from evaluation import progress\nprogress.note('matching')")
    papermill.execute_notebook(
        str(saying), str(tmp_path / "out.ipynb"), kernel_name=KERNEL, progress_bar=False, km=kernel.manager()
    )
    assert kernel.step() == "matching"
    where = kernel.manager().progress_file
    kernel.reset()
    assert kernel.step() == "" and where.exists()
    kernel.discard()
    assert not where.exists()
