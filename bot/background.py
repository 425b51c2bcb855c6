"""A loop the bot runs beside its chat runtimes: started once, cancelled on shutdown, and
never stopped by one failing round (the failure is logged and the next round tries again)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class BackgroundLoop:
    name = "background"

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _forever(self) -> None:
        while True:
            await self.wait()
            try:
                await self.round()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round; it is logged
                if asyncio.current_task().cancelling():
                    # Stopped mid-round: cleaning up after the interrupted query can fail in
                    # turn (asyncpg: "cannot rollback", "another operation is in progress") and
                    # hide the cancellation; going round again would keep the bot from stopping.
                    raise
                log.exception("%s round failed; trying again at the next tick", self.name)

    async def wait(self) -> None:
        """Until the next round is due."""
        raise NotImplementedError

    async def round(self) -> None:
        raise NotImplementedError
