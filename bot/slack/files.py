"""Fetching a file someone shared with the bot: Slack serves it only with the bot token."""

from __future__ import annotations

import aiohttp

# The same cap as a report bundle: a larger download is refused, not buffered.
MAX_DOWNLOAD = 200 * 1024 * 1024


class TooLarge(Exception):
    pass


async def download(file: dict, bot_token: str) -> bytes:
    if (file.get("size") or 0) > MAX_DOWNLOAD:
        raise TooLarge(file.get("name"))
    headers = {"Authorization": f"Bearer {bot_token}"}
    async with aiohttp.ClientSession() as session, session.get(file["url_private_download"], headers=headers) as got:
        got.raise_for_status()
        return await got.content.read(MAX_DOWNLOAD + 1)
