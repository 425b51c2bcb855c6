"""Who a visit is posted or its form opened as: a configured inspector or admin, chosen by --as."""

from __future__ import annotations

import click

from bot.config import Config
from handlers import rights
from handlers.commands import Actor, PostVisit
from handlers.model import Platform


def poster(config: Config, name: str | None) -> Actor:
    """The configured inspector or admin named `name` (the first one for None), or a usage error."""
    allowed = [p for p in config.people if rights.may(p.role, PostVisit)]
    chosen = next((p for p in allowed if name is None or p.name == name), None)
    if chosen is None:
        names = ", ".join(p.name for p in allowed) or "none configured"
        raise click.UsageError(f"no inspector or admin named {name!r}; choose one of: {names}")
    return Actor(chosen, Platform.CONSOLE)
