"""Fetching a file a person sent, streamed with a hard cap: the size a platform declares is
checked before asking, but a declaration can lie, so nothing past `limit` bytes is buffered."""

from __future__ import annotations

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=15, sock_read=30)


class FetchFailed(Exception):
    """The file did not arrive as itself: refused, a sign-in page instead, or unreachable."""


class TooLarge(FetchFailed):
    """More than the limit arrived: the download was stopped there."""


async def fetch(url: str, limit: int, headers: dict[str, str] | None = None) -> bytes:
    """The body of a GET of `url`, at most `limit` bytes. The URL may carry a secret (a
    Telegram file URL carries the bot token): it appears in no error raised here."""
    try:
        # A redirect to another origin drops the Authorization header (aiohttp does so).
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session, session.get(url, headers=headers) as got:
            # Without a valid token Slack answers 200 with an HTML sign-in page, not the file.
            if got.status != 200 or got.content_type == "text/html":
                raise FetchFailed(f"HTTP {got.status} ({got.content_type})")
            if got.content_length is not None and got.content_length > limit:
                raise TooLarge(f"{got.content_length} bytes announced, over {limit}")
            content = bytearray()
            async for chunk in got.content.iter_chunked(1 << 16):
                content += chunk
                if len(content) > limit:
                    raise TooLarge(f"more than {limit} bytes")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FetchFailed(type(exc).__name__) from None
    return bytes(content)
