"""Who may do what, decided once before any handler runs, from the store — never from the
button or message that asked (a modified client can send any payload). Who may give each
command is in handlers/registry.py; who may read which factory's orders is handlers/sight.py."""

from __future__ import annotations

from handlers import commands as c
from handlers.commands import Actor
from handlers.model import Role
from handlers.registry import COMMANDS
from handlers.results import Refused


class Forbidden(Refused):
    """Refused for who asked, not for the state of things: the bus audits it (handlers.refusals),
    where a refusal such as "already approved" is only an answer."""


REASONS = frozenset({"not_allowed", "not_your_factory", "stranger"})  # the codes of Forbidden


def may(role: Role, command: type) -> bool:
    """Whether `role` may give `command` at all: asked before taking input for it (an upload),
    so nobody sends what would be refused."""
    return role in COMMANDS[command].roles


def check_role(kind: type[c.Command], actor: Actor) -> None:
    """Raises Forbidden unless the actor's role may give commands of `kind` at all. A stranger
    may give only the commands the registry gives them (redeeming an invitation, asking to
    act for a factory), and is refused everything else as someone the bot does not act for."""
    if actor.person.role in COMMANDS[kind].roles:
        return
    if actor.person.role is Role.STRANGER:
        raise Forbidden("stranger")
    raise Forbidden("not_allowed", role=actor.person.role.value, action=kind.__name__)


async def authorise(command: c.Command, actor: Actor, uow) -> None:
    """Raises Refused unless the actor's role allows the command on this very target."""
    check_role(type(command), actor)
    if actor.person.role is Role.FACTORY:
        factory_id = await _target_factory(command, uow)
        if factory_id != actor.person.factory:
            raise Forbidden("not_your_factory")


async def _target_factory(command: c.Command, uow) -> str | None:
    """The factory that owns the target, or None when the target does not exist."""
    if hasattr(command, "notice_id"):
        notice = await uow.notices.get(command.notice_id)
        return notice.factory_id if notice else None
    return await uow.instructions.factory_of(command.instruction_id)
