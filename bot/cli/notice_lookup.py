"""What `followup notice render` and `notice link` share: finding the notice a number names, and
the key its link is signed with."""

from __future__ import annotations

import click

from bot.web.links import LinkSigner, WebSecretMissing


async def find_notice(uow, config, number: str):
    """The notice numbered NUMBER (or with that id), else a usage error naming the database."""
    found = await uow.notices.by_number(number)
    if found is None and number.isdigit():
        found = await uow.notices.get(int(number))
    if found is None:
        raise click.BadParameter(f"no notice {number!r} in {config.storage.url}", param_hint="NUMBER")
    return found


def web_signer() -> LinkSigner:
    """The key notice links are signed with (FOLLOWUP_WEB_SECRET), or a usage error saying it is missing."""
    try:
        return LinkSigner.from_environment()
    except WebSecretMissing as missing:
        raise click.ClickException(str(missing)) from missing
