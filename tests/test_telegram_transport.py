"""PTB's requests over aiohttp (bot/telegram/transport.py), as PTB's own Bot makes them.

Why: every Telegram call of the bot goes through this transport; if it encoded a call as
Telegram does not read it, mapped a failure to another error than PTB's own transport does,
or held more connections than it was given, the bot would break with no test of its own
saying why. A small Bot API on 127.0.0.1 records what arrives exactly as it was sent.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram.transport import AiohttpRequest
from tests.telegram_world import running

TOKEN = "123456:transport-test-token"


@dataclass
class Received:
    """One request as the server read it: its method, content type, a multipart body's parts in
    order as (name, filename, content type, value), a JSON body's object."""

    verb: str
    method: str
    content_type: str
    parts: list[tuple[str, str | None, str | None, bytes]] = field(default_factory=list)
    user_agent: str = ""
    json: dict | None = None


class BotApi:
    """Answers every call with `{"ok": true, "result": true}` after `delay` seconds, keeping
    what it received and how many calls were in progress at most."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.delay = 0.0
        self.status = 200
        self.in_progress = 0
        self.most_in_progress = 0
        self.url = ""

    async def serve(self, request: web.Request) -> web.Response:
        self.in_progress += 1
        self.most_in_progress = max(self.most_in_progress, self.in_progress)
        try:
            received = Received(request.method, request.match_info["method"], request.content_type,
                                user_agent=request.headers.get("User-Agent", ""))
            if request.content_type == "multipart/form-data":
                async for part in await request.multipart():
                    received.parts.append((part.name, part.filename, part.headers.get("Content-Type"),
                                           bytes(await part.read())))
            elif request.can_read_body:
                received.json = await request.json()
            self.received.append(received)
            await asyncio.sleep(self.delay)
            if self.status != 200:
                return web.json_response({"ok": False, "error_code": self.status, "description": "Bad Request: no"},
                                         status=self.status)
            return web.json_response({"ok": True, "result": True})
        finally:
            self.in_progress -= 1


@asynccontextmanager
async def bot_api() -> AsyncIterator[BotApi]:
    api = BotApi()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api.serve)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    api.url = f"http://{host}:{port}/bot"
    try:
        yield api
    finally:
        await runner.cleanup()


@asynccontextmanager
async def bot_on(url: str, request: AiohttpRequest) -> AsyncIterator[Bot]:
    """A Bot whose requests go through `request`, without the getMe of Bot.initialize."""
    await request.initialize()
    try:
        yield Bot(TOKEN, base_url=url, request=request, get_updates_request=request)
    finally:
        await request.shutdown()


async def test_a_call_without_files_is_one_json_body_of_its_values_as_they_are():
    async with bot_api() as api, bot_on(api.url, AiohttpRequest()) as bot:
        await bot.do_api_request("answerTap", api_kwargs={
            "callback_query_id": "42", "text": "已批准 Approved & sent", "cache_time": 5, "extra": {"a": [1]}})
    [received] = api.received
    assert (received.verb, received.method, received.content_type) == ("POST", "answerTap", "application/json")
    # Numbers and objects as themselves, not JSON held in strings as a form's values are.
    assert received.json == {"callback_query_id": "42", "text": "已批准 Approved & sent", "cache_time": 5,
                             "extra": {"a": [1]}}
    assert received.user_agent == AiohttpRequest.USER_AGENT


async def test_a_call_with_a_file_is_multipart_fields_then_the_file_named_as_itself():
    document = InputFile(b"%PDF-1.7 notice", filename="整改通知 PO-1.pdf")
    async with bot_api() as api, bot_on(api.url, AiohttpRequest()) as bot:
        await bot.do_api_request("sendFile", api_kwargs={"chat_id": 7, "caption": "通知", "document": document})
    [received] = api.received
    assert received.content_type == "multipart/form-data"
    assert received.parts == [
        ("chat_id", None, "text/plain; charset=utf-8", b"7"),
        ("caption", None, "text/plain; charset=utf-8", "通知".encode()),
        ("document", "整改通知 PO-1.pdf", "application/pdf", b"%PDF-1.7 notice"),
    ]


async def test_a_file_is_fetched_with_a_get_and_its_bytes_returned():
    async with bot_api() as api, bot_on(api.url, AiohttpRequest()) as bot:
        content = await bot.request.retrieve(f"{api.url}{TOKEN}/getFileBytes")
    assert content == b'{"ok": true, "result": true}'
    assert [(received.verb, received.parts) for received in api.received] == [("GET", [])]


async def test_an_answer_slower_than_the_read_timeout_raises_timed_out():
    async with bot_api() as api, bot_on(api.url, AiohttpRequest(read_timeout=0.05)) as bot:
        api.delay = 10.0
        with pytest.raises(TimedOut):
            await bot.do_api_request("ping")


async def test_a_read_timeout_given_with_the_call_replaces_the_default():
    # As the long poll asks for its wait on top of the default read timeout.
    async with bot_api() as api, bot_on(api.url, AiohttpRequest(read_timeout=0.05)) as bot:
        api.delay = 0.2
        assert await bot.do_api_request("poll", read_timeout=5) is True


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: a call made straight to it is refused."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return closed.getsockname()[1]


def clear_proxies(monkeypatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def test_a_refused_connection_raises_network_error(monkeypatch):
    clear_proxies(monkeypatch)
    async with bot_on(f"http://127.0.0.1:{closed_port()}/bot", AiohttpRequest()) as bot:
        with pytest.raises(NetworkError, match="aiohttp.ClientConnectorError") as raised:
            await bot.do_api_request("ping")
    assert not isinstance(raised.value, TimedOut)


async def test_a_proxy_named_by_the_environment_carries_the_calls(monkeypatch):
    # As PTB's HTTPXRequest takes HTTPS_PROXY / HTTP_PROXY: here the proxy answers for Telegram,
    # whose address is refused to anyone going straight to it.
    clear_proxies(monkeypatch)
    async with bot_api() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/bot"))
        async with bot_on(f"http://127.0.0.1:{closed_port()}/bot", AiohttpRequest()) as bot:
            assert await bot.do_api_request("ping") is True
    assert [received.method for received in proxy.received] == ["ping"]


async def test_no_proxy_sends_its_hosts_straight(monkeypatch):
    clear_proxies(monkeypatch)
    async with bot_api() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/bot"))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with bot_on(f"http://127.0.0.1:{closed_port()}/bot", AiohttpRequest()) as bot:
            with pytest.raises(NetworkError, match="aiohttp.ClientConnectorError"):
                await bot.do_api_request("ping")
    assert proxy.received == []


async def test_telegrams_error_status_reaches_ptb_as_its_error():
    async with bot_api() as api, bot_on(api.url, AiohttpRequest()) as bot:
        api.status = 400
        with pytest.raises(BadRequest, match="No"):
            await bot.do_api_request("ping")


async def test_shutdown_closes_the_session_and_initialize_opens_another():
    request = AiohttpRequest()
    async with bot_api() as api:
        async with bot_on(api.url, request) as bot:
            assert await bot.do_api_request("ping") is True
        with pytest.raises(NetworkError, match="not initialized"):
            await bot.do_api_request("ping")
        await request.shutdown()  # a second shutdown, as PTB may call it, is harmless
        async with bot_on(api.url, request) as bot:
            assert await bot.do_api_request("ping") is True


async def test_concurrent_calls_share_a_bounded_pool():
    async with bot_api() as api, bot_on(api.url, AiohttpRequest(connection_pool_size=2)) as bot:
        api.delay = 0.2
        answers = await asyncio.gather(*(bot.do_api_request("ping") for _ in range(8)))
    assert answers == [True] * 8
    assert api.most_in_progress == 2


async def test_a_call_waiting_for_a_full_pool_longer_than_its_timeouts_raises_timed_out():
    request = AiohttpRequest(connection_pool_size=1, connect_timeout=0.05, pool_timeout=0.05)
    async with bot_api() as api, bot_on(api.url, request) as bot:
        api.delay = 10.0
        holding = asyncio.create_task(bot.do_api_request("ping", read_timeout=20))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut):
            await bot.do_api_request("ping")
        holding.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holding


async def test_the_running_bot_answers_and_delivers_through_aiohttp(config, clock):
    async with running(config, clock) as world:
        assert isinstance(world.runtime.application.bot.request, AiohttpRequest)
        assert isinstance(world.runtime.outbox_bot.request, AiohttpRequest)
