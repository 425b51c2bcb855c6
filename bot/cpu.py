"""CPU-heavy work off the event loop: report checks, image decoding, notice and visit report PDFs.

One event loop serves every chat, the outbox and chasing. A report check or a PDF holds the
GIL for up to seconds, so a thread would still stall the taps; they run in worker processes.
Workers are forked from a fork server that is started once, clean, with the heavy modules
preloaded: a job costs a fork, not an interpreter start, and no worker inherits the event
loop's threads or locks (a plain fork of a threaded process can deadlock on them).

A pool worker waits on its job queue for ever, even after the bot that owns it died by
SIGKILL (it holds the queue's other end itself), so each worker watches its owner and ends
with it: a crash-looping bot must not leave ~40 MB per worker behind on every restart.

The bot's own process need not load what only the workers run: `pool.call("module:function",
...)` names the job, so fpdf, numpy, segno and Pillow live in the fork server and its
workers, and the bot stays under 100 MB (benchmarks/rss.py).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from bot.processes import process_exists

if TYPE_CHECKING:  # multiprocessing (~8 ms) is imported when a pool starts: a command that
    # builds the app and renders no document (`visit post`, `console`) never starts one
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)
T = TypeVar("T")

# Imported once by the fork server, so every worker starts with them loaded: a worker's first
# chart pays for its font, not for importing Pillow; its first PDF finds the font parsed.
PRELOAD = ["handlers.intake.reports", "messages.pdf", "messages.report_pdf", "messages.chart",
           "messages.canvas", "bot.cpu_preload"]
WARM = [*PRELOAD, "bot.cpu_warm"]  # when the pool is started ahead of its first job (`warm`)


class CpuPool:
    """`await pool.run(fn, *args)` runs `fn` in a worker process; `fn` and its arguments
    travel by pickle, so `fn` is a module-level function and the arguments plain data."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self._executor: ProcessPoolExecutor | None = None
        self._preload = PRELOAD

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        from concurrent.futures.process import BrokenProcessPool

        executor = self._pool()
        try:
            # Submitted from a thread: a submit may start a worker (the first jobs, or after
            # one died), and starting one waits for the fork server to finish its preload
            # imports, over a second of CPU; on the loop that held every tap and delivery
            # (10 s on a loaded machine, tests/test_cpu_pool.py).
            job = await asyncio.to_thread(executor.submit, partial(fn, *args, **kwargs))
            return await asyncio.wrap_future(job)
        except BrokenProcessPool:
            # A worker died under the job (out of memory, a crash in a C decoder): the next
            # job gets a fresh pool; this one fails like any other unexpected error.
            log.error("a worker process died running %s; starting new workers", getattr(fn, "__name__", fn))
            if self._executor is executor:
                self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
            raise

    async def call(self, target: str, /, *args: Any, **kwargs: Any) -> Any:
        """`run` for a function named "module:function", imported in the worker only."""
        return await self.run(by_name, target, *args, **kwargs)

    async def warm(self) -> None:
        """Starts the fork server and the workers now (about a second), so the first report an
        inspector sends does not pay for it, with the documents' first-use work done in the
        fork server (bot/cpu_warm.py). The fork server is one per process: if a job started it
        already, it stays as that job started it."""
        self._preload = WARM
        await self.run(os.getpid)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(self._preload)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=end_with,
                                                 initargs=(os.getpid(),))
        return self._executor


def by_name(target: str, /, *args: Any, **kwargs: Any) -> Any:
    """In the worker: calls the function "module:function" names (preloaded, so no import cost)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


def end_with(owner: int) -> None:
    """Worker initializer: the worker ends when process `owner` does, however it ends."""
    threading.Thread(target=_exit_after, args=(owner,), name="end-with-owner", daemon=True).start()


def _exit_after(owner: int) -> None:
    try:
        handle = os.pidfd_open(owner)  # Linux: wakes the moment the owner is gone
    except (AttributeError, OSError):  # elsewhere, or the owner is gone already
        while process_exists(owner):
            time.sleep(1)
    else:
        select.select([handle], [], [])
    os._exit(0)
