"""The HTTP endpoint Slack posts to (/slack/events): a request is read, its signature checked,
its body parsed and its shape checked (bot/slack/request_checks.py), and only then handed to
Bolt, as the dict already parsed.

Bolt's own aiohttp adapter would parse the body again, and that parse (a form's url-encoded JSON,
the whole clicked message with its blocks) was a fifth of the CPU a click took on the loop;
`parsed_body` is Bolt's parse, with a button's form decoded ten times as fast.
Bolt takes a parsed body only as it takes Socket Mode's: a request it does not verify itself,
which this one has been, by the same check (slack_sdk's SignatureVerifier, Slack's five
minutes), before anything of it was read. Bolt's other middleware (its authorization, our
workspace check) runs as for any request.
"""

from __future__ import annotations

import binascii
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.slack.request_checks import SHAPE_CHECKED, problems_of, refused_shape

log = logging.getLogger(__name__)
FORM_PAYLOAD = "payload="
VERIFIED = "socket_mode"  # Bolt's mode for a request whose signature it need not check


def endpoint(bolt: AsyncApp, signing_secret: str, path: str) -> web.Application:
    """The aiohttp application serving Slack's requests at `path`."""
    verifier = SignatureVerifier(signing_secret)

    async def received(request: web.Request) -> web.Response:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            log.warning("Slack request from %s refused: its body is not UTF-8", request.remote)
            return web.Response(status=400, text="malformed request body")
        if not _signed(verifier, text, request.headers):
            log.warning("unsigned or stale Slack request from %s refused", request.remote)
            return web.Response(status=401, text="invalid signature")
        try:
            body = parsed_body(text, request.content_type)
        except ValueError:  # not JSON, or a form whose payload field is not JSON
            log.warning("Slack request refused: its body is neither JSON nor a form with a JSON payload")
            return web.Response(status=400, text="malformed request body")
        if problems := problems_of(body):
            return await to_aiohttp_response(refused_shape(body, problems))
        verified = AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers,
                                    context={SHAPE_CHECKED: True}, mode=VERIFIED)
        return await to_aiohttp_response(await bolt.async_dispatch(verified))

    web_app = web.Application()
    web_app.router.add_post(path, received)
    return web_app


def parsed_body(text: str, content_type: str | None) -> Any:
    """What Bolt's `parse_body` makes of `text`. A click comes as the form `payload=` and its
    JSON url-encoded, several kB with a `%XX` for every quote and brace: urllib's unquote takes
    a Python step for each of them, and was three quarters of the parse. Here each `%XX`
    becomes the `=XX` of quoted-printable, which binascii decodes in C into the byte it names
    (a third of the time the unicode_escape codec took), and the bytes are read as UTF-8 as
    urllib reads them. Only a body in which nothing else could be taken for an escape or a
    soft line break takes that way: ASCII, as url-encoding is, without a second field, an `=`
    or a line break, and with two hex digits after every `%` (each such escape, and nothing
    else, shortens it by two); any other goes to Bolt."""
    if content_type != "application/json" and text.startswith(FORM_PAYLOAD):
        value = text[len(FORM_PAYLOAD):]
        if value.isascii() and "&" not in value and "=" not in value and "\n" not in value and "\r" not in value:
            decoded = binascii.a2b_qp(value.replace("+", " ").replace("%", "="))
            if len(value) - len(decoded) == 2 * value.count("%"):  # else a `%` without its two hex digits
                return json.loads(decoded.decode("utf-8", "replace"))
    return parse_body(text, content_type)


def _signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    try:
        return verifier.is_valid_request(body, dict(headers))
    except ValueError:  # a timestamp that is not a number
        return False
