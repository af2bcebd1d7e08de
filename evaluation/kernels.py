"""Warm report kernels: each worker starts one kernel and reuses it from report to report.

Starting a Jupyter kernel and importing pandas, statsmodels, matplotlib and the report modules
took 3 to 4 s of the 4 to 5 s a process report took; a full run of 27 reports spent most of its
time there. A worker here owns one kernel for the whole run: it imports the report modules once,
and between two reports it closes its figures and starts a new IPython session (everything the
notebook defined cleared, the cell count back at 1), so a report comes out as from a fresh kernel. A
report that fails takes its kernel with it, and the worker starts a new one for the next.

Workers are threads that own their kernel from start to shutdown (a kernel manager's sockets
belong to the thread and event loop that opened them).
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import default

from evaluation.progress import PROGRESS_VARIABLE, latest

__all__ = [
    "IOPUB_PROBE",
    "RESET_CODE",
    "WARM_UP_CODE",
    "KernelWorkers",
    "PromptKernelClient",
    "ReportKernelManager",
    "WarmKernel",
]

IOPUB_PROBE = 0.02
"""Seconds `PromptKernelClient` waits for an IOPub message before asking the kernel again."""


class PromptKernelClient(AsyncKernelClient):
    """A kernel client that is ready as soon as the kernel answers on both of its channels.

    A client is ready once a kernel_info request has its reply on the shell channel and a message
    has come on IOPub (so no output of the first cell is lost). jupyter_client waits 0.2 s for that
    IOPub message, and the subscription of a new client is rarely connected in time for the first
    request (ZeroMQ's "slow joiner"), so every client cost 0.2 s, and a report made two (papermill's
    and the reset's). This one asks again every `IOPUB_PROBE` seconds: the same test, about
    0.2 s sooner."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=IOPUB_PROBE)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if self.parent is not None and not await self.parent._async_is_alive():  # the process
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=False, control=True) -> None:
        """The channels without the heartbeat by default: a client of a kernel manager asks the
        manager whether the kernel is alive, never the heartbeat, whose thread pinged every second
        for as long as the run lasted (papermill leaves a given manager's client open)."""
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control)


ONE_BLAS_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""The variables that set how many threads numpy's linear algebra uses in a kernel."""


class ReportKernelManager(AsyncKernelManager):
    """The kernel a report runs in, started and stopped without noise on the run's output.

    Its connection is encrypted (CurveZMQ) where pyzmq and the kernel support it, as participant
    data pass over it; the kernel then has no reason to warn that it is "running over TCP without
    encryption". A kernel whose notebook has finished is stopped without an interrupt: the
    interrupt jupyter_client sends before every shutdown finds it idle or between two messages, and
    it logs "KeyboardInterrupt caught in kernel". A kernel that does not stop when asked is still
    killed after `shutdown_wait_time`, and an interrupt asked for while it runs (a cell timing out)
    is sent as before. Its clients are `PromptKernelClient`s, and it keeps them, so that those a
    caller left open (papermill does, with a kernel it did not start) are closed between reports
    (`close_clients`)."""

    @default("client_factory")
    def _prompt_clients(self) -> type:
        return PromptKernelClient

    @default("transport_encryption")
    def _encrypted_where_possible(self) -> str:
        return "auto" if zmq.has("curve") else "disabled"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._given: list[AsyncKernelClient] = []
        self.progress_file: Path | None = None

    async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Start the kernel on one BLAS thread (`ONE_BLAS_THREAD`) unless the environment says
        otherwise: the runner runs two kernels on two cores, and one that spreads its small
        regressions over every core oversubscribes the machine (a full run 303 s instead of 71 s).
        The kernel also gets a progress file of its own (`progress_file`, `evaluation.progress`),
        removed when it shuts down."""
        env = dict(kwargs.pop("env", None) or os.environ)
        for variable in ONE_BLAS_THREAD:
            env.setdefault(variable, "1")
        handle, name = tempfile.mkstemp(prefix="evaluation-progress-", suffix=".txt")
        os.close(handle)
        self.progress_file = Path(name)  # where the kernel says what it is doing (evaluation.progress)
        env[PROGRESS_VARIABLE] = name
        await super().start_kernel(env=env, **kwargs)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        try:
            await super().shutdown_kernel(now=now, restart=restart)
        finally:
            if self.progress_file is not None:
                self.progress_file.unlink(missing_ok=True)

    def client(self, **kwargs: Any) -> Any:  # an AsyncKernelClient (typed Blocking upstream)
        made = super().client(**kwargs)
        self._given.append(made)
        return made

    def close_clients(self) -> None:
        """Stop the channels of every client given out so far (their sockets are closed)."""
        given, self._given = self._given, []
        for made in given:
            with contextlib.suppress(Exception):  # already stopped, or never started
                made.stop_channels()

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


WARM_UP_CODE = "import evaluation.report.how_sure, evaluation.report.impact, evaluation.report.process, evaluation.report.summary"
"""Run once when a kernel starts: the imports every report makes (module imports outlive a reset)."""

RESET_CODE = "\n".join(
    [
        "import matplotlib.pyplot as _reset_plt",
        "_reset_plt.close('all')",
        "get_ipython().reset(new_session=True)",
    ]
)
"""Run between two reports: figures closed, then IPython's own reset of a new session (the
namespace cleared, a new history session, cells counting from 1 again)."""


class WarmKernel:
    """One report kernel, started on first use and reused until it fails or is closed.

    Use it from one thread only: the thread that started it."""

    def __init__(self, manager_class: type[AsyncKernelManager], *, kernel_name: str, start_timeout: float):
        self.manager_class = manager_class
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self._manager: AsyncKernelManager | None = None

    def manager(self) -> AsyncKernelManager:
        """The running kernel's manager, starting and warming a kernel if there is none."""
        if self._manager is None:
            manager = self.manager_class(kernel_name=self.kernel_name)
            run_sync(manager.start_kernel)()
            self._manager = manager
            if not self.run_silently(WARM_UP_CODE):
                self.discard()
                return self.manager()
        return self._manager

    def run_silently(self, code: str) -> bool:
        """Execute `code` in the kernel without output or history; whether it ran without error."""
        if self._manager is None:
            return False
        return bool(run_sync(_execute_silently)(self._manager, code, self.start_timeout))

    def step(self) -> str:
        """The step the kernel last said it started (`evaluation.progress`), '' when none."""
        return latest(getattr(self._manager, "progress_file", None))

    def reset(self) -> None:
        """Make the kernel as fresh as a new one for the next report; discard it if that fails.
        Every client of the last report is closed, and its last step forgotten."""
        progress_file = getattr(self._manager, "progress_file", None)
        if progress_file is not None:
            with contextlib.suppress(OSError):
                progress_file.write_text("", encoding="utf-8")
        try:
            clean = self.run_silently(RESET_CODE)
        except Exception:  # noqa: BLE001 - a kernel that cannot be reset is replaced, never reused
            clean = False
        self._close_clients()
        if not clean:
            self.discard()

    def discard(self) -> None:
        """Stop the kernel at once (the next report starts a new one)."""
        self._close_clients()
        manager, self._manager = self._manager, None
        if manager is None:
            return
        with contextlib.suppress(Exception):  # already dead: nothing left to stop
            run_sync(manager.shutdown_kernel)(now=True)

    close = discard

    def _close_clients(self) -> None:
        close = getattr(self._manager, "close_clients", None)
        if close is not None:
            close()


async def _execute_silently(manager: AsyncKernelManager, code: str, timeout: float) -> bool:
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=timeout)
        reply = await client.execute_interactive(
            code, silent=True, store_history=False, timeout=timeout, output_hook=lambda message: None
        )
    finally:
        client.stop_channels()
    return reply["content"]["status"] == "ok"


_STOP = object()


class KernelWorkers:
    """`size` threads, each with its own `WarmKernel`, running submitted calls in turn.

    `submit(function, *args)` returns a Future of `function(*args, kernel=<the worker's kernel
    manager source>)`; `close()` lets the workers finish what they hold and stop their kernels.
    A worker's kernel is replaced after any call that raises or returns a failure (the call
    decides: it calls `kernel.discard()` or `kernel.reset()`)."""

    def __init__(self, size: int, make_kernel: Callable[[], WarmKernel]):
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._kernels: list[WarmKernel] = []
        self._threads = [
            threading.Thread(target=self._work, args=(make_kernel,), name=f"report-worker-{i}", daemon=True)
            for i in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        self._jobs.put((future, function, args))
        return future

    def steps(self) -> list[str]:
        """What each worker's kernel last said it is doing (empty ones left out)."""
        return [step for kernel in list(self._kernels) if (step := kernel.step())]

    def _work(self, make_kernel: Callable[[], WarmKernel]) -> None:
        kernel = make_kernel()
        self._kernels.append(kernel)
        try:
            while (item := self._jobs.get()) is not _STOP:
                future, function, args = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(function(*args, kernel=kernel))
                except BaseException as error:  # noqa: BLE001 - handed to whoever waits on the future
                    kernel.discard()
                    future.set_exception(error)
        finally:
            kernel.close()

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers once the calls already submitted are done (or at once, not waiting)."""
        if not wait:
            while True:
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if item is not _STOP:
                    item[0].cancel()
        for _ in self._threads:
            self._jobs.put(_STOP)
        if wait:
            for thread in self._threads:
                thread.join()
