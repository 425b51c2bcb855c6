"""Who someone is on a platform: a person from followup.toml, or one bound by invite.

Every action is authorised by who acted, so adapters resolve the platform's user id here
and never trust anything a button or message says about identity.
"""

from __future__ import annotations

from bot.config import Config
from handlers.model import Person, Platform


class Directory:
    def __init__(self, config: Config, store):
        self.config = config
        self.store = store

    async def person(self, platform: Platform, user_id: str | int) -> Person | None:
        configured = next((p for p in self.config.people if _platform_id(p, platform) == str(user_id)), None)
        if configured is not None:
            return configured
        async with self.store.unit_of_work() as uow:
            return await uow.bindings.person(platform, str(user_id))


def _platform_id(person: Person, platform: Platform) -> str | None:
    value = {Platform.TELEGRAM: person.telegram_user_id, Platform.SLACK: person.slack_user_id}.get(platform)
    return None if value is None else str(value)
