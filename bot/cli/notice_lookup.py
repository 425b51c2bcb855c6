"""What `followup notice render` and `notice link` share: finding the notice a number names, and
the key its link is signed with."""

from __future__ import annotations

import click

from bot.web.links import BadWebSecret, LinkSigner
from bot.web.shared_key import link_signer


async def find_notice(uow, config, number: str):
    """The notice numbered NUMBER (or with that id), else a usage error naming the database."""
    found = await uow.notices.by_number(number)
    if found is None and number.isdigit():
        found = await uow.notices.get(int(number))
    if found is None:
        raise click.BadParameter(f"no notice {number!r} in {config.storage.url}", param_hint="NUMBER")
    return found


async def web_signer(app) -> LinkSigner:
    """The key the running bot signs links with (FOLLOWUP_WEB_SECRET, else the store's), or a
    usage error saying what is wrong with the one set."""
    try:
        return await link_signer(app.store, app.bus.clock)
    except BadWebSecret as bad:
        raise click.ClickException(str(bad)) from bad
