"""Writes each caller waits for until they are committed, many callers' in one transaction.

A caller that must not go on before its write is durable (the chat inbox: nothing is
acknowledged to a platform before it is stored) pays a commit, an fsync on SQLite, each. Under
load those commits queue one behind the other. Here the writes that arrive while a transaction
is waiting for the store or committing go together into the next one: one BEGIN and one COMMIT
for all of them, and each caller is answered only once the transaction holding its write has
committed. Alone, a write is committed at once, as before.

A failed transaction fails every caller in it (nothing of it was stored); a caller cancelled
while waiting leaves its write to be committed or not with the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Write = Callable[[object, list[T]], Awaitable[list[R]]]  # (unit of work, items) -> one result per item


class GroupCommit(Generic[T, R]):
    def __init__(self, store, write: Write, before_commit: Callable[[object], Awaitable[None]] | None = None,
                 name: str = "writes") -> None:
        """`write` writes a batch in a unit of work and returns one result per item, in order;
        `before_commit` (e.g. MessageBus.ride_in) adds what should ride in every commit."""
        self.store = store
        self._write = write
        self._before_commit = before_commit
        self.name = name
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writing: asyncio.Task | None = None

    async def __call__(self, item: T) -> R:
        """`item`'s result, once the transaction that wrote it has committed."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_waiting(), name=f"commit {self.name}")
        return await done

    async def _write_waiting(self) -> None:
        """Until nothing waits. The batch is taken once the store is held, so that what arrives
        while the previous commit finishes joins it; the loop's own test is the only way out,
        or an item added while a unit of work closes would never be written (as in
        handlers/deferred_writes.py)."""
        while self._waiting:
            batch: list[tuple[T, asyncio.Future[R]]] = []
            try:
                async with self.store.unit_of_work() as uow:
                    batch, self._waiting = self._waiting, []
                    results = await self._write(uow, [item for item, _ in batch])
                    if self._before_commit is not None:
                        await self._before_commit(uow)
                    await uow.commit()
            except BaseException as error:
                # Nothing of the batch was stored (or, failing before it was taken, of what waits).
                failed, self._waiting = (batch, self._waiting) if batch else (self._waiting, [])
                for _, done in failed:
                    if done.done():
                        continue
                    if isinstance(error, Exception):
                        done.set_exception(error)
                    else:  # this task cancelled (the bot stopping): so are its callers
                        done.cancel()
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)
