"""Who someone is on a platform: a person from followup.toml, or a factory contact the buyer
bound (by invitation or confirmation) and has not revoked.

Every action is authorised by who acted, so adapters resolve the platform's user id here
and never trust anything a button or message says about identity. Someone refused is
recorded here too, under their account: a stranger's tap, a revoked contact's, a bad code.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Config
from handlers.model import Binding, Identity, Person, Platform, PlatformAccount
from handlers import refusals


class Directory:
    def __init__(self, config: Config, store):
        self.config = config
        self.store = store

    async def person(self, platform: Platform, user_id: str | int) -> Person | None:
        configured = next((p for p in self.config.people if p.account_on(platform) == str(user_id)), None)
        if configured is not None:
            return configured
        async with self.store.reading() as uow:  # beside the writer: a tap's first step never waits for it
            return await uow.bindings.person(platform, str(user_id))

    async def revoked(self, platform: Platform, user_id: str | int) -> Binding | None:
        """The revoked binding of someone the bot acts for no longer; None for anyone else."""
        async with self.store.reading() as uow:
            binding = await uow.bindings.get(platform, str(user_id))
        return binding if binding is not None and binding.revoked is not None else None

    async def stranger(self, account: PlatformAccount, at: datetime, attempted: str,
                       name: str | None = None) -> Binding | None:
        """Someone the bot does not act for tried `attempted`: recorded as refused. Returns their
        revoked binding, when that is why, so they can be told since when."""
        revoked = await self.revoked(account.platform, account.user_id)
        await self.refused(at, attempted, "revoked" if revoked else "stranger", account=account,
                           who=revoked.person if revoked else None, name=name)
        return revoked

    async def refused(self, at: datetime, attempted: str, reason: str, *, account: PlatformAccount | None,
                      who: Person | None = None, name: str | None = None, **details: object) -> None:
        """Records a refusal in the audit trail, under the account that asked (or, from the
        CLI, the person): what `who` (a known or revoked person) or the stranger called
        `name` tried, and why it was refused."""
        identity = who.identity if who is not None else Identity.stranger(account.platform, account.user_id, name)
        await refusals.audit(self.store, refusals.Refusal(
            identity, account.platform if account else Platform.CONSOLE, account.user_id if account else None,
            attempted, reason, details=details), at)
