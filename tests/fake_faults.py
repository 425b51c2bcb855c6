"""Network faults both fake servers inject, as a real platform's network produces them: an
answer that comes late, and a connection closed without one. Errors the platform answers
with (429, 500, refusals) stay in each fake, in that platform's shape."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Stall:
    """An answer `seconds` late. Before handling (`handled=False`) the request is dropped, unhandled,
    if the client gives up first (the fakes run with handler cancellation): a slow network. After
    handling, the message is there although the client may have timed out: the ambiguous case."""

    seconds: float
    handled: bool = False


@dataclass(frozen=True)
class Drop:
    """The connection closed without an answer, the request unhandled."""


class Dropped(Exception):
    """Raised while handling a request: the server hangs up instead of answering."""


async def before_handling(fault: object) -> None:
    if isinstance(fault, Drop):
        raise Dropped
    if isinstance(fault, Stall) and not fault.handled:
        await asyncio.sleep(fault.seconds)


async def after_handling(fault: object) -> None:
    if isinstance(fault, Stall) and fault.handled:
        await asyncio.sleep(fault.seconds)


def hang_up(request: web.Request) -> web.Response:
    """The client reads the end of the connection, no answer."""
    request.transport.close()
    return web.Response()
