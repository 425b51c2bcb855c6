"""A unit of work: one write transaction that callers commit explicitly.

A state change and its audit event (and the messages it causes, and the handled-update
key) are written through the same unit of work, so they are committed together or not at
all. Leaving the block without `commit()`, or with an exception, rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from storage.audit import AuditLog
from storage.binding_requests import BindingRequests
from storage.bindings import Bindings
from storage.deliverers import Deliverers
from storage.evidence import Evidence
from storage.follow_ups import FollowUps
from storage.inbox import Inbox
from storage.instructions import Instructions
from storage.invites import Invites
from storage.link_revocations import LinkRevocations
from storage.locks import Locks
from storage.message_refs import MessageRefs
from storage.notice_pdfs import NoticePdfs
from storage.notices import Notices
from storage.order_criteria import OrderCriteria
from storage.orders import Orders
from storage.outbox import Outbox
from storage.pending import PendingInputs
from storage.shared_secrets import SharedSecrets
from storage.tables import Tables
from storage.tokens import CallbackTokens
from storage.transaction import Transaction

if TYPE_CHECKING:
    from storage.pg_transaction import PgTransaction
    from storage.shared_commit import SharedCommits


class Lender(Protocol):
    """Lends a unit of work its connection: storage.connection.Writer (SQLite's one) or
    storage.postgres.PgConnections (one of the pool's)."""

    shared: SharedCommits | None  # SQLite's writer's: units committed together

    def hold(self, joins: bool = False) -> AbstractAsyncContextManager[Any]: ...
from storage.updates import HandledUpdates
from storage.verdicts import Verdicts
from storage.visit_drafts import VisitDrafts
from storage.visits import Visits

R = TypeVar("R")


class _Repository(Generic[R]):
    """A unit of work's repository, made on first use: a tap or a delivery uses two or three
    of the 25, and making them all cost each unit of work 9 µs (issue 17)."""

    def __init__(self, kind: Callable[[Any], R]) -> None:
        self.kind = kind

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, uow: UnitOfWork | None, owner: type | None = None) -> R:
        if uow is None:
            return self  # type: ignore[return-value]
        made = uow.__dict__[self.name] = self.kind(uow._tx)  # noqa: SLF001 - kept: found there from now on
        return made


class UnitOfWork:
    """`async with store.unit_of_work() as uow: ...; await uow.commit()`. Single use.

    Holds the store's connection from entry to exit, so keep the block short and do no
    network I/O inside it (deliver outbox messages after commit, in a new unit of work).
    Read-only work uses a unit of work too and simply does not commit.
    """

    locks = _Repository(Locks)  # what PostgreSQL's read-then-writes lock first
    visits = _Repository(Visits)
    visit_drafts = _Repository(VisitDrafts)
    verdicts = _Repository(Verdicts)
    orders = _Repository(Orders)
    order_criteria = _Repository(OrderCriteria)
    instructions = _Repository(Instructions)
    evidence = _Repository(Evidence)
    notices = _Repository(Notices)
    notice_pdfs = _Repository(NoticePdfs)
    link_revocations = _Repository(LinkRevocations)
    outbox = _Repository(Outbox)
    deliverers = _Repository(Deliverers)
    audit = _Repository(AuditLog)
    updates = _Repository(HandledUpdates)
    follow_ups = _Repository(FollowUps)
    # What the chat adapters keep between updates.
    inbox = _Repository(Inbox)
    tokens = _Repository(CallbackTokens)
    pending = _Repository(PendingInputs)
    invites = _Repository(Invites)
    bindings = _Repository(Bindings)
    binding_requests = _Repository(BindingRequests)
    message_refs = _Repository(MessageRefs)
    shared_secrets = _Repository(SharedSecrets)
    # Whole tables as stored, for moving an installation (`followup db copy`).
    tables = _Repository(Tables)

    def __init__(self, writer: Lender, tx: Transaction | PgTransaction | None = None) -> None:
        """`writer` lends the connection and `tx` runs the statements on it: SQLite's by
        default, PostgreSQL's for storage.postgres (the repositories cannot tell)."""
        self._writer = writer
        self._tx = Transaction() if tx is None else tx
        self._held: AbstractAsyncContextManager[Any] | None = None  # the connection, while open
        self._used = False
        self._shared = writer.shared if self._tx.shares else None

    async def __aenter__(self) -> UnitOfWork:
        """Holds the connection and begins; ends the transaction, then lets the connection go,
        when beginning fails or is cancelled. Written out rather than with an AsyncExitStack,
        which cost every unit of work (a tap opens several) 5 us in its own bookkeeping."""
        if self._used:
            raise RuntimeError("a unit of work is single use; open a new one")
        self._used = True
        shared = self._shared
        held = self._writer.hold() if shared is None else self._writer.hold(joins=True)
        conn = await held.__aenter__()
        try:
            await (self._tx.begin(conn) if shared is None else self._tx.begin(conn, inside=shared.open))
        except BaseException as failed:
            await _let_go(self._tx, held, failed)
            raise
        self._held = held
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        held, self._held = self._held, None
        if held is not None:
            await _let_go(self._tx, held, exc)

    async def commit(self) -> None:
        """Returns once what the unit wrote is committed. A short one on SQLite commits with
        the others that come for the store meanwhile (storage/shared_commit.py): it lets go of
        the store here, and whoever holds it last commits for all."""
        shared = self._shared
        if shared is None:
            await self._tx.commit()
            return
        self._tx.commit_inside()
        committed = shared.join()
        held, self._held = self._held, None
        await _let_go(self._tx, held, None)
        await committed


async def _let_go(tx: Transaction | PgTransaction, held: AbstractAsyncContextManager[Any],
                  error: BaseException | None) -> None:
    """Ends `tx` (a rollback unless committed), then lets its connection go, even when ending
    fails; `error`, what ended the block, is told to the connection's holder as `async with`
    would tell it."""
    try:
        await tx.end()
    except BaseException as failed:
        await held.__aexit__(type(failed), failed, failed.__traceback__)
        raise
    if error is None:
        await held.__aexit__(None, None, None)
    else:
        await held.__aexit__(type(error), error, error.__traceback__)
