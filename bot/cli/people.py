"""`followup people`: who the bot acts for — the people of followup.toml, the factory contacts
a buyer bound (by invitation or confirmation, by whom, when, revoked or not) and the
requests still awaiting the buyer — and `followup people revoke NAME-OR-ID`, which stops a
bound contact at once, as a buyer's /revoke does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from bot.app import build_app
from bot.chat import people
from bot.chat.directory import Directory
from bot.cli.common import command_clock, load_or_exit, operator
from bot.cli.options import config_option
from bot.config import Config
from handlers.clock import Clock
from handlers.commands import RevokeContact
from handlers.model import Binding, BindingRequest, Person, Platform
from handlers.results import Reply
from messages.i18n import Language
from messages.people import who
from messages.replies import reply_text

# Operators read UTC, as in `followup notices`.
OPERATOR = Language("en_GB", "UTC")
PLATFORMS = (Platform.TELEGRAM, Platform.SLACK)


@click.group("people", invoke_without_command=True)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def people_command(ctx: click.Context, config_file: Path | None, as_json: bool) -> None:
    """Configured people, bound factory contacts (revoked too) and requests awaiting the buyer."""
    if ctx.invoked_subcommand is not None:
        return
    config = load_or_exit(config_file)
    bindings, requests = asyncio.run(_stored(config, command_clock()))
    if as_json:
        listed = [_configured_json(p) for p in config.people] + [_bound_json(b) for b in bindings]
        listed += [_request_json(r) for r in requests]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    for line in report(config.people, bindings, requests):
        click.echo(line)


@people_command.command()
@click.argument("name_or_id", nargs=-1, required=True)
@config_option
@click.pass_context
def revoke(ctx: click.Context, name_or_id: tuple[str, ...], config_file: Path | None) -> None:
    """Stop the bound contact NAME-OR-ID (a name, or a Telegram or Slack user id) acting for
    their factory, at once. A name that fits several contacts revokes none of them."""
    config = load_or_exit(config_file or ctx.parent.params["config_file"])
    reply = asyncio.run(_revoke(config, command_clock(), " ".join(name_or_id)))
    if not reply.ok:
        raise click.ClickException(reply_text(reply, OPERATOR))
    click.echo(reply_text(reply, OPERATOR))


async def _stored(config: Config, clock: Clock) -> tuple[list[Binding], list[BindingRequest]]:
    app = await build_app(config, clock)
    try:
        async with app.store.unit_of_work() as uow:
            return await uow.bindings.every(), await uow.binding_requests.still_open()
    finally:
        await app.close()


async def _revoke(config: Config, clock: Clock, name_or_id: str) -> Reply:
    app = await build_app(config, clock)
    try:
        return await people.handle(app, Directory(config, app.store), RevokeContact(name_or_id), operator())
    finally:
        await app.close()


def report(configured: tuple[Person, ...], bindings: list[Binding], requests: list[BindingRequest]) -> list[str]:
    lines = ["Configured in followup.toml:"]
    lines += [f"  {p.name:<24} {_role(p):<28} {_accounts(p)}" for p in configured] or ["  nobody"]
    lines += ["", "Bound by a buyer:"]
    lines += [_bound_line(b) for b in bindings] or ["  nobody"]
    if requests:
        lines += ["", "Awaiting the buyer's confirmation:"]
        lines += [f"  {r.person.name:<24} {_role(r.person):<28} {_account(r.person)}  asked "
                  f"{OPERATOR.moment(r.requested_at)}" + (f" in {r.channel}" if r.channel else "") for r in requests]
    return lines


def _bound_line(binding: Binding) -> str:
    person = binding.person
    by = f" by {who(OPERATOR, binding.bound_by)}" if binding.bound_by else ""
    how = "invited" if binding.via.value == "invite" else "confirmed"
    line = f"  {person.name:<24} {_role(person):<28} {_account(person)}  {how}{by} {OPERATOR.moment(binding.bound_at)}"
    if binding.revoked:
        line += f" · REVOKED {OPERATOR.moment(binding.revoked.at)} by {who(OPERATOR, binding.revoked.by)}"
    return line


def _role(person: Person) -> str:
    return f"{person.role.value} {person.factory}" if person.factory else person.role.value


def _account(person: Person) -> str:
    return f"{person.bound.platform.value} {person.bound.user_id}"


def _accounts(person: Person) -> str:
    return " · ".join(f"{p.value} {person.account_on(p)}" for p in PLATFORMS if person.account_on(p)) or "console only"


def _configured_json(person: Person) -> dict:
    return {"key": person.key, "name": person.name, "role": person.role.value, "factory": person.factory,
            "configured": True, "accounts": {p.value: person.account_on(p) for p in PLATFORMS if person.account_on(p)}}


def _bound_json(binding: Binding) -> dict:
    person, revoked = binding.person, binding.revoked
    return {"key": person.key, "name": person.name, "role": person.role.value, "factory": person.factory,
            "configured": False, "accounts": {person.bound.platform.value: person.bound.user_id},
            "via": binding.via.value, "bound_by": binding.bound_by, "bound_at": binding.bound_at.isoformat(),
            "revoked_by": revoked.by if revoked else None, "revoked_at": revoked.at.isoformat() if revoked else None}


def _request_json(request: BindingRequest) -> dict:
    person = request.person
    return {"key": person.key, "name": person.name, "role": person.role.value, "factory": person.factory,
            "configured": False, "accounts": {person.bound.platform.value: person.bound.user_id},
            "awaiting_confirmation": True, "requested_at": request.requested_at.isoformat(), "channel": request.channel}
