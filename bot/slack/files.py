"""Fetching a file someone shared with the bot: Slack serves it only with the bot token."""

from __future__ import annotations

import aiohttp

# The same cap as a report bundle: a larger download is refused, not buffered.
MAX_DOWNLOAD = 200 * 1024 * 1024


class DownloadFailed(Exception):
    """The file could not be fetched as itself (too large, refused, or a sign-in page)."""


async def download(file: dict, bot_token: str) -> bytes:
    if (file.get("size") or 0) > MAX_DOWNLOAD:
        raise DownloadFailed(f"{file.get('name')} is larger than {MAX_DOWNLOAD // 1024 // 1024} MB")
    headers = {"Authorization": f"Bearer {bot_token}"}
    async with aiohttp.ClientSession() as session, session.get(file["url_private_download"], headers=headers) as got:
        # Without a valid token Slack answers 200 with an HTML sign-in page, not the file.
        if got.status != 200 or got.content_type == "text/html":
            raise DownloadFailed(f"{file.get('name')}: Slack did not serve the file (HTTP {got.status})")
        content = bytearray()
        async for chunk in got.content.iter_chunked(1 << 16):
            content += chunk
            if len(content) > MAX_DOWNLOAD:  # the declared size can lie
                raise DownloadFailed(f"{file.get('name')} is larger than {MAX_DOWNLOAD // 1024 // 1024} MB")
    return bytes(content)
