"""Fetching a file a person sent, streamed with a hard cap: the size a platform declares is
checked before asking, but a declaration can lie, so nothing past `limit` bytes is buffered.

With httpx, which python-telegram-bot imports wherever it runs. The bot's own Telegram calls go
through aiohttp (bot/telegram/transport.py), where httpx's CPU per request weighed on every
tap's answer; a fetch is one download per file, where it does not, and httpx drops the
Authorization header on a redirect to another origin, which this module relies on. It is
imported with the first fetch, so a bot on Slack alone, whose SDK runs on aiohttp, loads it only
then."""

from __future__ import annotations

import asyncio
from functools import cache

TOTAL_SECONDS = 120  # the whole download; connecting and each read have their own (`_timeout`)
MAX_REDIRECTS = 10


class FetchFailed(Exception):
    """The file did not arrive as itself: refused, a sign-in page instead, or unreachable."""


class TooLarge(FetchFailed):
    """More than the limit arrived: the download was stopped there."""


async def fetch(url: str, limit: int, headers: dict[str, str] | None = None) -> bytes:
    """The body of a GET of `url`, at most `limit` bytes. The URL may carry a secret (a
    Telegram file URL carries the bot token): it appears in no error raised here."""
    import httpx

    # A redirect to another origin drops the Authorization header (httpx does so); proxies are
    # not taken from the environment, as the bot's other clients do not take them.
    client = httpx.AsyncClient(verify=_tls(), timeout=httpx.Timeout(30, connect=15), follow_redirects=True,
                               max_redirects=MAX_REDIRECTS, trust_env=False)
    try:
        async with asyncio.timeout(TOTAL_SECONDS), client, client.stream("GET", url, headers=headers) as got:
            content_type = got.headers.get("content-type", "application/octet-stream").partition(";")[0].strip()
            # Without a valid token Slack answers 200 with an HTML sign-in page, not the file.
            if got.status_code != 200 or content_type.lower() == "text/html":
                raise FetchFailed(f"HTTP {got.status_code} ({content_type})")
            declared = got.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise TooLarge(f"{declared} bytes announced, over {limit}")
            content = bytearray()
            async for chunk in got.aiter_bytes(1 << 16):
                content += chunk
                if len(content) > limit:
                    raise TooLarge(f"more than {limit} bytes")
    except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
        raise FetchFailed(type(exc).__name__) from None
    return bytes(content)


@cache
def _tls():
    """One TLS context for every fetch: httpx would load the certificate bundle into a new one
    for each client (some 10 ms and 1.3 MB); aiohttp kept one too."""
    import httpx

    return httpx.create_ssl_context()
