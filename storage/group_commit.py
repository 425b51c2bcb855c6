"""Writes each caller waits for until they are committed, many callers' in one transaction.

A caller that must not go on before its write is durable (the chat inbox: nothing is
acknowledged to a platform before it is stored) pays a commit, an fsync on SQLite, each. Under
load those commits queue one behind the other. Here the writes that arrive while a transaction
is waiting for the store or committing go together into the next one: one BEGIN and one COMMIT
for all of them, and each caller is answered only once the transaction holding its write has
committed. Alone, a write is committed at once, as before.

A failed transaction stored nothing of its batch; alone, its caller gets the error. In a
batch the error may be one caller's (a request the store refuses) that the others did not
cause, so each write of the batch is tried again alone, in a transaction of its own: the
others are committed and answered as if they had come alone, and only a write that fails
alone fails its caller. A caller cancelled while waiting leaves its write to be committed or
not with the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
Write = Callable[[object, list[T]], Awaitable[list[R]]]  # (unit of work, items) -> one result per item


class GroupCommit(Generic[T, R]):
    def __init__(self, store, write: Write, before_commit: Callable[[object], Awaitable[None]] | None = None,
                 name: str = "writes", short: bool = False) -> None:
        """`write` writes a batch in a unit of work and returns one result per item, in order;
        `before_commit` (e.g. MessageBus.ride_in) adds what should ride in every commit.
        `short`: `write` and `before_commit` make point reads and writes only, so their
        statements may run on the loop (storage/transaction.py) rather than a trip each to the
        connection's thread; the commit's fsync still waits beside the loop."""
        self.store = store
        self._write = write
        self._before_commit = before_commit
        self.name = name
        self.short = short
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

            def take() -> list[tuple[T, asyncio.Future[R]]]:
                nonlocal batch
                batch, self._waiting = self._waiting, []
                return batch

            try:
                results = await self._transaction(take)
            except Exception as error:
                if len(batch) > 1:
                    log.warning("%d %s failed together (%s); each is written alone", len(batch), self.name,
                                type(error).__name__)
                    await self._one_by_one(batch)
                else:  # alone, or failing before the batch was taken: all that waits
                    _fail(batch or take(), error)
                continue
            except BaseException:  # this task cancelled (the bot stopping): so are its callers
                _cancel(batch or take())
                raise
            _answer(batch, results)

    async def _transaction(self, take: Callable[[], list[tuple[T, asyncio.Future[R]]]]) -> list[R]:
        """One transaction writing what `take()` gives once the store is held."""
        async with self.store.unit_of_work(short=self.short) as uow:
            results = await self._write(uow, [item for item, _ in take()])
            if self._before_commit is not None:
                await self._before_commit(uow)
            await uow.commit()
        return results

    async def _one_by_one(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        """Each write of a failed batch in a transaction of its own: only its own error fails it."""
        for position, entry in enumerate(batch):
            try:
                results = await self._transaction(lambda: [entry])
            except Exception as error:
                _fail([entry], error)
            except BaseException:
                _cancel(batch[position:])
                raise
            else:
                _answer([entry], results)


def _answer(batch: list[tuple[object, asyncio.Future]], results: list) -> None:
    for (_, done), result in zip(batch, results, strict=True):
        if not done.done():
            done.set_result(result)


def _fail(batch: list[tuple[object, asyncio.Future]], error: Exception) -> None:
    for _, done in batch:
        if not done.done():
            done.set_exception(error)


def _cancel(batch: list[tuple[object, asyncio.Future]]) -> None:
    for _, done in batch:
        if not done.done():
            done.cancel()
