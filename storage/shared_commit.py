"""Short units of work committed together on SQLite: a unit that commits while another short
unit is coming for the store leaves the transaction open for it; that one goes on inside it (a
SAVEPOINT), and the last of them commits for all, with one COMMIT and one fsync.

Why: one chat's taps are decided one after the other (bot/telegram/chat_order.py), each after
the commit of the one before, and a burst of first approvals was bound by those fsyncs: the
event loop sat idle for 40 % of the burst while each COMMIT went to disk (issue 17).

What still holds:
- A unit's `commit()` returns once the COMMIT holding its writes has returned, as before: what
  it answers, or acknowledges, is durable.
- A unit that fails rolls back to its savepoint, and only its own writes go.
- If the COMMIT fails, or SQLite rolled the whole transaction back after an error, every unit
  in it fails with that error, and none of their writes is stored. A unit decided after another
  in the same transaction saw that one's writes, so both stand or fall together.
- A holder that cannot go on inside (a long unit, the store closing) commits what is open
  before it begins.
- A transaction holds at most MEMBERS units, so one unit's commit waits for at most that many.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import aiosqlite

from storage.connection import raw

log = logging.getLogger(__name__)

# Loop turns a committing unit gives the next short unit to come for the store: a tap that let
# its chat's next update go before committing (bot/chat/taps.py) reaches the store within one or
# two. Idle, each turn costs microseconds.
GRACE = 3
MEMBERS = 16  # units in one transaction at most


class SharedCommits:
    """The store's writing connection's open transaction, shared by the short units committed
    in it and not yet committed to disk (storage.connection.Writer holds one)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._members: list[asyncio.Future[None]] = []
        self.coming = 0  # short units of work waiting for the store, which may go on inside

    @property
    def open(self) -> bool:
        """Whether units committed into the connection's transaction wait for its COMMIT."""
        return bool(self._members)

    def join(self) -> asyncio.Future[None]:
        """Done when the transaction holding the caller's writes has committed (or failed)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._members.append(done)
        return done

    async def settle(self, final: bool = False) -> None:
        """Run by the holder of the store before it lets go: commits what is open, unless a short
        unit is coming to go on inside it (never when `final`, nor once SQLite has rolled it
        back: then its members are told at once). Failures are the members'."""
        if not self._members:
            return
        cancelled = None
        if not final and len(self._members) < MEMBERS and self._conn.in_transaction:
            try:
                if await self._one_coming():
                    return
            except asyncio.CancelledError as error:  # the holder stopping: what is open is committed first
                cancelled = error
        committing = asyncio.ensure_future(self._commit())
        try:
            await asyncio.shield(committing)
        except asyncio.CancelledError:
            # The COMMIT runs on in the connection's thread: nobody may use the connection
            # before it is done, so the store is let go only then.
            await asyncio.wait([committing])
            raise
        if cancelled is not None:
            raise cancelled

    async def _one_coming(self) -> bool:
        """Whether a short unit comes for the store within GRACE loop turns."""
        for _ in range(GRACE):
            if self.coming:
                return True
            await asyncio.sleep(0)
        return bool(self.coming)

    async def _commit(self) -> None:
        members, self._members = self._members, []
        conn = self._conn
        try:
            if not conn.in_transaction:
                raise sqlite3.OperationalError("SQLite rolled the shared transaction back after an error")
            await _in_thread(conn, "COMMIT")
        except Exception as error:  # noqa: BLE001 - told to every unit in the transaction
            log.warning("%d units of work committed together failed: %s", len(members), error)
            if conn.in_transaction:
                await _in_thread(conn, "ROLLBACK")
            for done in members:
                if not done.done():
                    done.set_exception(error)
            return
        for done in members:
            if not done.done():
                done.set_result(None)


async def _in_thread(conn: aiosqlite.Connection, sql: str) -> None:
    """`sql` in the connection's thread, without the cursor objects aiosqlite's `execute` makes."""
    await conn._execute(raw(conn).execute, sql)  # noqa: SLF001 - as storage.transaction runs its statements
